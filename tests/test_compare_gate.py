"""`bench compare` decides on effect sizes for deterministic runs (issue #16 item 1), survives an
evolving grid (#14), and refuses runs of different settings unless asked. Runs are written directly
(results.parquet + manifest.json), no benchmark is run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from climb_cli.report.compare import NotComparable, compare, latest_runs, render_markdown
from climb_cli.report.stats import holm

SETTINGS = {
    "seed": 0,
    "cv": {"n_splits": 5, "n_repeats": 1, "allow_fewer_splits": False},
    "preprocessing": {"impute": True, "scale": True, "max_onehot_categories": 20},
}


def write_run(
    path: Path,
    scores: dict[tuple[str, str], list[float]],
    *,
    metric: str = "f1",
    status: dict[tuple[str, str, int], str] | None = None,
    seed: int = 0,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """A run directory with one row per (dataset, method, fold): ``scores[(ds, method)][fold]``."""
    rows = []
    for (ds, method), values in scores.items():
        for fold, v in enumerate(values):
            st = (status or {}).get((ds, method, fold), "ok")
            rows.append(
                {
                    "job_id": f"{ds}|{method}|{fold}",
                    "dataset": ds,
                    "method": method,
                    "repeat": 0,
                    "fold": fold,
                    "seed": seed,
                    "n_splits": len(values),
                    "status": st,
                    "finished_at": f"2026-11-27T02:00:{fold:02d}+00:00",
                    metric: v if st == "ok" else np.nan,
                }
            )
    path.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(path / "results.parquet")
    config = json.loads(json.dumps(SETTINGS)) | {"seed": seed}
    doc = {"status": "complete", "config": config, "packages": {"scikit-learn": "1.7.2"}}
    (path / "manifest.json").write_text(json.dumps(doc | (manifest or {})))
    return path


F1 = [0.80, 0.75, 0.70, 0.85, 0.78]


def shifted(values: list[float], by: float | list[float]) -> list[float]:
    steps = by if isinstance(by, list) else [by] * len(values)
    return [v + s for v, s in zip(values, steps)]


def test_four_folds_each_losing_020_f1_is_a_regression(tmp_path: Path, cli: Any) -> None:
    # issue #16: a one-sided Wilcoxon over 4 pairs can never go below p = 0.0625 -> exit 0 before
    base = write_run(tmp_path / "a", {("keel/pima", "logreg"): F1[:4]})
    cand = write_run(tmp_path / "b", {("keel/pima", "logreg"): shifted(F1[:4], -0.2)})
    result = compare(base, cand, ["f1"])
    assert result["regression"] is True
    assert result["mode"] == "deterministic"
    [m] = result["methods"]
    assert m["verdict"] == "regression" and m["p_value"] is None
    assert m["mean_change"] == pytest.approx(-0.2)
    assert m["regressed_datasets"] == {"keel/pima": pytest.approx(-0.2)}
    assert [c["moved"] for c in result["cells"]] == ["down"]
    assert result["overall"][0]["verdict"] == "regression"
    out = cli("compare", base, cand, "--metric", "f1")
    assert out.exit_code == 1
    assert out.stdout.startswith("## bench compare: REGRESSION\n")
    assert "| f1 | logreg | 0.7750 | 0.5750 | -0.2000 | - | keel/pima -0.2000 |" in out.stdout


def test_one_dataset_collapsing_while_others_drift_is_named(tmp_path: Path, cli: Any) -> None:
    # issue #16: pima collapses by 0.5, ecoli3 drifts +0.002..0.01 (a package upgrade): the
    # method's mean change is -0.247, 24x the tolerance; the pooled Wilcoxon said "same" (p 0.11)
    drift = [0.002, 0.004, 0.006, 0.008, 0.01]
    base = write_run(
        tmp_path / "a",
        {
            ("keel/pima", "rf"): F1,
            ("keel/ecoli3", "rf"): F1,
            ("keel/pima", "logreg"): F1,
            ("keel/ecoli3", "logreg"): F1,
        },
    )
    cand = write_run(
        tmp_path / "b",
        {
            ("keel/pima", "rf"): shifted(F1, -0.5),
            ("keel/ecoli3", "rf"): shifted(F1, drift),
            ("keel/pima", "logreg"): shifted(F1, drift),
            ("keel/ecoli3", "logreg"): F1,
        },
    )
    result = compare(base, cand, ["f1"])
    by_method = {m["method"]: m for m in result["methods"]}
    rf = by_method["rf"]
    assert rf["verdict"] == "regression"
    assert rf["mean_change"] == pytest.approx((-0.5 + 0.006) / 2)
    assert rf["regressed_datasets"] == {"keel/pima": pytest.approx(-0.5)}
    assert rf["improved_datasets"] == {}  # +0.006 on average: within tolerance
    assert rf["datasets"] == {"keel/ecoli3": pytest.approx(0.006), "keel/pima": pytest.approx(-0.5)}
    assert by_method["logreg"]["verdict"] == "same"
    assert result["overall"][0]["mean_change"] == pytest.approx((-0.5 + 0.006 + 0.006) / 4)
    out = cli("compare", base, cand)
    assert out.exit_code == 1
    section = out.stdout.split("### Regressions")[1].split("###")[0]
    assert "| f1 | rf | " in section and "| keel/pima -0.5000 |" in section
    assert "| f1 | logreg | " not in out.stdout
    assert "- f1: 0.7760 -> 0.6540 (-0.1220): regression" in out.stdout
    assert "1 method x metric pairs unchanged within tolerance." in out.stdout


def test_drift_within_tolerance_passes_and_moves_both_ways_are_named(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {("d1", "m"): F1, ("d2", "m"): F1, ("d3", "m"): F1})
    cand = write_run(
        tmp_path / "b",
        {("d1", "m"): shifted(F1, 0.01), ("d2", "m"): F1, ("d3", "m"): shifted(F1, -0.009)},
    )
    assert compare(base, cand, ["f1"])["regression"] is False
    cand2 = write_run(
        tmp_path / "c",
        {("d1", "m"): shifted(F1, 0.05), ("d2", "m"): F1, ("d3", "m"): shifted(F1, -0.03)},
    )
    result = compare(base, cand2, ["f1"])
    [m] = result["methods"]
    assert result["regression"] is True and m["verdict"] == "regression"
    assert m["mean_change"] == pytest.approx(0.02 / 3)  # the mean alone would pass
    assert m["regressed_datasets"] == {"d3": pytest.approx(-0.03)}
    assert m["improved_datasets"] == {"d1": pytest.approx(0.05)}
    md = render_markdown(result)
    assert "| f1 | m | 0.7760 | 0.7827 | +0.0067 | - | d3 -0.0300 |" in md.split("### Improv")[0]
    assert "| f1 | m | 0.7760 | 0.7827 | +0.0067 | - | d1 +0.0500 |" in md.split("### Improv")[1]


def test_lower_is_better_metric_rising_is_a_regression(tmp_path: Path) -> None:
    brier = [0.10, 0.12, 0.11, 0.09]
    base = write_run(tmp_path / "a", {("d", "m"): brier}, metric="brier")
    cand = write_run(tmp_path / "b", {("d", "m"): shifted(brier, 0.05)}, metric="brier")
    [m] = compare(base, cand, ["brier"])["methods"]
    assert m["verdict"] == "regression" and m["regressed_datasets"] == {"d": pytest.approx(0.05)}
    better = write_run(tmp_path / "c", {("d", "m"): shifted(brier, -0.05)}, metric="brier")
    [m] = compare(base, better, ["brier"])["methods"]
    assert m["verdict"] == "improvement"


def test_newly_failing_job_is_a_regression_and_recovery_is_listed(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {("d", "m"): F1}, status={("d", "m", 4): "error"})
    cand = write_run(tmp_path / "b", {("d", "m"): F1}, status={("d", "m", 0): "timeout"})
    result = compare(base, cand, ["f1"])
    assert result["regression"] is True
    assert result["methods"][0]["verdict"] == "same"  # folds 1-3 unchanged
    assert result["newly_failed"] == [
        {
            "dataset": "d",
            "method": "m",
            "repeat": 0,
            "fold": 0,
            "base_status": "ok",
            "status": "timeout",
        }
    ]
    md = render_markdown(result)
    assert (
        "### Jobs that succeeded in the base and fail now\n\n- d m repeat 0 fold 0: timeout" in md
    )
    assert "### Jobs that failed in the base and succeed now\n\n- d m repeat 0 fold 4: ok" in md


def test_evolving_grid_decides_on_the_shared_part(tmp_path: Path, cli: Any) -> None:
    # issue #14: a method added and a dataset removed used to be exit 2 every night
    base = write_run(tmp_path / "a", {("d1", "m"): F1, ("d2", "m"): F1})
    cand = write_run(tmp_path / "b", {("d1", "m"): F1, ("d1", "new"): F1})
    result = compare(base, cand, ["f1"])
    assert result["regression"] is False
    assert result["grid"] == {
        "methods_added": ["new"],
        "methods_removed": [],
        "datasets_added": [],
        "datasets_removed": ["d2"],
        "shared_jobs": 5,
        "jobs_only_in_base": 5,
        "jobs_only_in_candidate": 5,
        "shared_cells_jobs_only_in_base": 0,
        "shared_cells_jobs_only_in_candidate": 0,
    }
    assert [(m["method"], m["n_datasets"]) for m in result["methods"]] == [("m", 1)]
    out = cli("compare", base, cand)
    assert out.exit_code == 0, out.output
    assert (
        "### Grid changes (verdict on the 5 shared jobs)\n\n- methods added: new\n"
        "- datasets removed: d2\n"
    ) in out.stdout
    worse = write_run(tmp_path / "c", {("d1", "m"): shifted(F1, -0.1), ("d1", "new"): F1})
    assert cli("compare", base, worse).exit_code == 1


def test_strict_refuses_any_grid_difference(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {("d1", "m"): F1, ("d2", "m"): F1})
    cand = write_run(tmp_path / "b", {("d1", "m"): F1})
    with pytest.raises(NotComparable) as err:
        compare(base, cand, strict=True)
    assert str(err.value) == (
        f"runs not comparable: 5 jobs only in {base} and 0 only in {cand} "
        "(different grids); compare runs of the same config"
    )
    assert compare(base, base, strict=True)["regression"] is False


def test_nothing_shared_is_not_comparable(tmp_path: Path, cli: Any) -> None:
    base = write_run(tmp_path / "a", {("d1", "m"): F1})
    cand = write_run(tmp_path / "b", {("d2", "m"): F1, ("d3", "other"): F1})
    out = cli("compare", base, cand)
    assert out.exit_code == 2
    assert out.stderr.strip() == (
        f"Error: runs not comparable: no job in common between {base} "
        f"(5 jobs) and {cand} (10 jobs); 1 methods and 0 datasets shared"
    )


def test_different_settings_are_not_comparable(tmp_path: Path, cli: Any) -> None:
    base = write_run(tmp_path / "a", {("d1", "m"): F1})
    cand = write_run(tmp_path / "b", {("d1", "m"): F1}, seed=1)
    out = cli("compare", base, cand)
    assert out.exit_code == 2
    assert out.stderr.strip() == (
        "Error: runs not comparable: different settings (seed 0 -> 1), so scores differ for "
        "reasons other than code or packages. Pass --allow-different-settings to test them with "
        "a Wilcoxon signed-rank test over datasets"
    )
    prep = SETTINGS | {
        "cv": SETTINGS["cv"] | {"n_splits": 4},
        "preprocessing": SETTINGS["preprocessing"] | {"scale": False},
    }
    other = write_run(tmp_path / "c", {("d1", "m"): F1[:4]}, manifest={"config": prep})
    with pytest.raises(
        NotComparable,
        match=r"\(cv.n_splits 5 -> 4; preprocessing.scale True -> "
        r"False\)",
    ):
        compare(base, other)


def test_different_seeds_allowed_use_wilcoxon_with_holm(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    datasets = [f"d{i}" for i in range(8)]
    scores_b, scores_c = {}, {}
    for ds in datasets:
        level = rng.uniform(0.5, 0.9, 4)
        scores_b[(ds, "bad")] = scores_b[(ds, "ok")] = list(level)
        scores_c[(ds, "bad")] = list(level - rng.uniform(0.03, 0.08, 4))
        scores_c[(ds, "ok")] = list(level + rng.uniform(-0.004, 0.004, 4))
    base = write_run(tmp_path / "a", scores_b)
    cand = write_run(tmp_path / "b", scores_c, seed=7)
    with pytest.raises(NotComparable):
        compare(base, cand)
    result = compare(base, cand, ["f1"], allow_different_settings=True)
    assert result["mode"] == "statistical" and result["n_tests"] == 3  # (2 methods + overall) x 1
    assert result["settings_changes"] == [{"setting": "seed", "base": 0, "candidate": 7}]
    gains = {
        m: np.array([np.mean(scores_c[(d, m)]) - np.mean(scores_b[(d, m)]) for d in datasets])
        for m in ("bad", "ok")
    }
    overall = (gains["bad"] + gains["ok"]) / 2
    p = [wilcoxon(gains["bad"]).pvalue, wilcoxon(gains["ok"]).pvalue, wilcoxon(overall).pvalue]
    by_method = {m["method"]: m for m in result["methods"]}
    assert by_method["bad"]["p_value"] == pytest.approx(p[0])
    assert [
        by_method["bad"]["p_holm"],
        by_method["ok"]["p_holm"],
        result["overall"][0]["p_holm"],
    ] == pytest.approx(holm(p))
    assert by_method["bad"]["verdict"] == "regression" and by_method["ok"]["verdict"] == "same"
    assert result["regression"] is True
    md = render_markdown(result)
    assert "Holm-corrected across 3 tests" in md and "- seed: 0 -> 7" in md
    # three datasets can never reach alpha: said, and no regression however large the drop
    few = {k: v for k, v in scores_c.items() if k[0] in ("d0", "d1", "d2")}
    small = compare(
        write_run(tmp_path / "c", {k: scores_b[k] for k in few}),
        write_run(tmp_path / "d", few, seed=7),
        ["f1"],
        allow_different_settings=True,
    )
    assert small["regression"] is False
    assert small["notes"] == [
        (
            "only 3 shared datasets: the signed-rank test cannot reach alpha "
            "0.05, so no regression can be detected with different settings"
        )
    ]
    quiet = render_markdown(small).split(
        "### Datasets beyond tolerance in methods without a significant change\n\n"
    )[1]
    bad = {m["method"]: m for m in small["methods"]}["bad"]
    assert len(bad["regressed_datasets"]) == 3 and bad["verdict"] == "same"
    assert f"| f1 | bad | {bad['mean_base']:.4f} | " in quiet and "| f1 | ok |" not in quiet


def test_incomplete_runs_are_flagged(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {("d", "m"): F1})
    running = write_run(tmp_path / "b", {("d", "m"): F1}, manifest={"status": "running"})
    md = render_markdown(compare(base, running))
    assert "**Candidate run incomplete**: incomplete run (manifest status: running)" in md
    # interrupted: no results.parquet, only the parts written so far (3 of 5 jobs)
    parts = tmp_path / "c"
    write_run(parts, {("d", "m"): F1[:3]}, manifest={"status": "running", "jobs": {"total": 5}})
    (parts / "parts").mkdir()
    (parts / "results.parquet").rename(parts / "parts" / "part-000001.parquet")
    result = compare(base, parts)
    assert result["incomplete"] == {
        "base": None,
        "candidate": (
            f"incomplete run: 3 of 5 jobs have results (read from {parts / 'parts'}; the run was "
            "interrupted or is still running)"
        ),
    }
    assert result["grid"]["shared_cells_jobs_only_in_base"] == 2
    assert "- 2 jobs of shared methods and datasets only in the base" in render_markdown(result)
    # --latest picks the interrupted run too, instead of silently comparing the two before it
    for run, day in ((base, "01"), (running, "02"), (parts, "03")):
        doc = json.loads((run / "manifest.json").read_text())
        (run / "manifest.json").write_text(json.dumps(doc | {"started_at": f"2026-11-{day}"}))
    assert latest_runs(tmp_path) == (running, parts)


def test_markdown_escapes_pipes_and_json_has_every_field(tmp_path: Path, cli: Any) -> None:
    base = write_run(tmp_path / "a", {("d|x", "a|b"): F1})
    cand = write_run(tmp_path / "b", {("d|x", "a|b"): shifted(F1, -0.1)})
    md = cli("compare", base, cand).stdout
    assert "| f1 | a\\|b | 0.7760 | 0.6760 | -0.1000 | - | d\\|x -0.1000 |" in md
    doc = json.loads(cli("compare", base, cand, "-f", "json").stdout)
    assert set(doc) == {
        "base",
        "candidate",
        "metrics",
        "tolerance",
        "alpha",
        "mode",
        "n_tests",
        "settings_changes",
        "incomplete",
        "grid",
        "methods",
        "cells",
        "overall",
        "newly_failed",
        "newly_ok",
        "version_changes",
        "notes",
        "regression",
    }
    assert doc["cells"] == [
        {
            "metric": "f1",
            "dataset": "d|x",
            "method": "a|b",
            "n_base": 5,
            "n_cand": 5,
            "mean_base": pytest.approx(0.776),
            "mean_cand": pytest.approx(0.676),
            "change": pytest.approx(-0.1),
            "moved": "down",
        }
    ]
