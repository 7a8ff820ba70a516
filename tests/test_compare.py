"""`bench compare` and the cron recipe: identical runs pass, a simulated regression fails with exit 1
naming the method, different grids are compared on their shared part (exit 2 with --strict)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cron recipe's first step, twice: results/nightly/<day>/ from configs/nightly.yaml (on a
    smaller grid of the same shape, to keep the suite fast)."""
    import yaml
    from typer.testing import CliRunner

    from climb_cli.cli import app

    root = tmp_path_factory.mktemp("nightly")
    doc = yaml.safe_load((ROOT / "configs" / "nightly.yaml").read_text())
    doc.update(
        {
            "datasets": ["keel/ecoli3", "sklearn/breast_cancer", "keel/pima"],
            "cv": {"n_splits": 4},
            "resamplers": ["none", "rus"],
            "thresholds": ["default"],
            "n_jobs": 1,
        }
    )
    cfg = root / "nightly.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    runner = CliRunner()
    for day in ("2026-11-26", "2026-11-27"):
        result = runner.invoke(
            app, ["run", str(cfg), "--output", str(root / "results" / day), "--quiet"]
        )
        assert result.exit_code == 0, result.output
    return root / "results"


def test_identical_nightly_runs_pass(cli: Any, nightly: Path) -> None:
    result = cli("compare", "--latest", nightly)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## bench compare: no regression\n")
    assert (
        f"base `{nightly / '2026-11-26'}` -> candidate `{nightly / '2026-11-27'}`" in result.stdout
    )
    assert "32 method x metric pairs unchanged within tolerance." in result.stdout  # 8 x 4


def test_simulated_regression_fails_and_names_the_method(
    cli: Any, nightly: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "nightly"
    shutil.copytree(nightly / "2026-11-26", runs / "2026-11-26")
    shutil.copytree(nightly / "2026-11-27", runs / "2026-11-27")
    cand = runs / "2026-11-27" / "results.parquet"
    df = pd.read_parquet(cand)
    victim = "rus+cw=balanced+thr=default+lgbm[min_child_samples=5,n_estimators=50]"
    assert victim in set(df["method"])
    df.loc[df.method == victim, "f1"] -= 0.1  # the stored metric drops on every job
    df.to_parquet(cand)
    result = cli("compare", "--latest", runs, "--metric", "f1")
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith("## bench compare: REGRESSION\n")
    section = out.split("### Regressions")[1]
    assert f"| f1 | {victim} |" in section and "-0.1000" in section
    assert out.count("| f1 | ") == 1  # only that method
    as_json = json.loads(cli("compare", "--latest", runs, "--metric", "f1", "-f", "json").stdout)
    regs = [m for m in as_json["methods"] if m["verdict"] == "regression"]
    assert [m["method"] for m in regs] == [victim]
    assert regs[0]["mean_change"] == pytest.approx(-0.1)
    assert regs[0]["datasets"] and all(
        v == pytest.approx(-0.1) for v in regs[0]["datasets"].values()
    )


def test_newly_failing_jobs_are_a_regression(cli: Any, nightly: Path, tmp_path: Path) -> None:
    base, cand = tmp_path / "a", tmp_path / "b"
    shutil.copytree(nightly / "2026-11-26", base)
    shutil.copytree(nightly / "2026-11-27", cand)
    df = pd.read_parquet(cand / "results.parquet")
    df.loc[0, "status"] = "timeout"
    df.loc[0, "error"] = "stopped after 300 s (timeout_s)"
    df.to_parquet(cand / "results.parquet")
    result = cli("compare", base, cand)
    assert result.exit_code == 1
    row = df.iloc[0]
    assert (
        f"- {row['dataset']} {row['method']} repeat 0 fold {row['fold']}: timeout" in result.stdout
    )


def test_version_changes_are_listed(cli: Any, nightly: Path, tmp_path: Path) -> None:
    base, cand = tmp_path / "a", tmp_path / "b"
    shutil.copytree(nightly / "2026-11-26", base)
    shutil.copytree(nightly / "2026-11-27", cand)
    manifest = json.loads((cand / "manifest.json").read_text())
    old = manifest["packages"]["imbalanced-learn"]
    manifest["packages"]["imbalanced-learn"] = "99.0.0"
    (cand / "manifest.json").write_text(json.dumps(manifest))
    result = cli("compare", base, cand)
    assert result.exit_code == 0
    assert f"- imbalanced-learn {old} -> 99.0.0" in result.stdout


def test_different_grids_are_not_comparable(cli: Any, nightly: Path, tmp_path: Path) -> None:
    cand = tmp_path / "b"
    shutil.copytree(nightly / "2026-11-27", cand)
    df = pd.read_parquet(cand / "results.parquet")
    df[df.dataset != "keel/pima"].to_parquet(cand / "results.parquet")
    # issue #14: an evolving grid is compared on its shared part; --strict keeps the old refusal
    evolved = cli("compare", nightly / "2026-11-26", cand)
    assert evolved.exit_code == 0, evolved.output
    assert (
        "### Grid changes (verdict on the 64 shared jobs)\n\n- datasets removed: keel/pima\n"
        in evolved.stdout
    )
    assert "32 method x metric pairs unchanged within tolerance." in evolved.stdout
    result = cli("compare", nightly / "2026-11-26", cand, "--strict")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: runs not comparable: 32 jobs only in "
        f"{nightly / '2026-11-26'} and 0 only in {cand} (different "
        "grids); compare runs of the same config"
    )
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    missing = cli("compare", "--latest", lonely)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        f"Error: --latest needs two run directories with results under {lonely}; found 0"
    )


def test_different_seeds_need_the_flag(cli: Any, nightly: Path, tmp_path: Path) -> None:
    cand = tmp_path / "b"
    shutil.copytree(nightly / "2026-11-27", cand)
    manifest = json.loads((cand / "manifest.json").read_text())
    manifest["config"]["seed"] = 1
    (cand / "manifest.json").write_text(json.dumps(manifest))
    refused = cli("compare", nightly / "2026-11-26", cand)
    assert refused.exit_code == 2
    assert "runs not comparable: different settings (seed 0 -> 1)" in refused.stderr
    allowed = cli("compare", nightly / "2026-11-26", cand, "--allow-different-settings")
    assert allowed.exit_code == 0, allowed.output
    assert "Holm-corrected across 36 tests" in allowed.stdout  # (8 methods + overall) x 4 metrics
    assert "only 3 shared datasets: the signed-rank test cannot reach alpha" in allowed.stdout
