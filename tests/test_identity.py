"""Job identities see every input; resumes never serve stale rows; a metric added later is computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from climb_cli.config import load_config
from climb_cli.grid import resolve_experiment


def _csv(path: Path, flip: bool = False) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame({"id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n)})
    label = np.where(df["a"] + 0.3 * rng.normal(size=n) > 0.8, "yes", "no")
    df["label"] = label if not flip else label[::-1]
    df.to_csv(path, index=False)
    return path


def _config(write_config: Any, tmp_path: Path, **entry: Any) -> Path:
    ds = {"name": "mine", "file": str(tmp_path / "data.csv"), "target": "label", **entry}
    return write_config(
        {
            "datasets": [ds],
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "metrics": ["f1"],
        }
    )


def _ids(cfg: Path) -> set[str]:
    exp = resolve_experiment(load_config(cfg), cfg.parent)
    return {j.job_id for j in exp.jobs()}


def test_job_ids_change_with_every_dataset_option_and_the_file_content(
    write_config: Any, tmp_path: Path
) -> None:
    _csv(tmp_path / "data.csv")
    plain = _ids(_config(write_config, tmp_path))
    assert plain == _ids(_config(write_config, tmp_path))  # stable
    dropped = _ids(_config(write_config, tmp_path, drop=["b"]))
    positive = _ids(_config(write_config, tmp_path, pos_label="no"))
    with_id = _ids(_config(write_config, tmp_path, id="id"))
    assert len({frozenset(s) for s in (plain, dropped, positive, with_id)}) == 4
    _csv(tmp_path / "data.csv", flip=True)  # same name, same options, other content
    assert _ids(_config(write_config, tmp_path)).isdisjoint(plain)


def test_a_changed_dataset_definition_reruns_instead_of_serving_stale_rows(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    _csv(tmp_path / "data.csv")
    out = tmp_path / "out"
    assert cli("run", _config(write_config, tmp_path), "-o", out, "-q").exit_code == 0
    again = cli("run", _config(write_config, tmp_path, drop=["b"]), "-o", out, "-q")
    assert again.exit_code == 0 and "ran 3 now, 0 already done" in again.stdout
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 3  # only the current definition's rows are reported


def test_a_metric_added_later_is_computed_from_stored_predictions(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    base = {
        "datasets": ["keel/ecoli3"],
        "resamplers": ["none"],
        "class_weights": ["none"],
        "thresholds": ["default"],
        "metrics": ["f1"],
        "save_predictions": True,
    }
    out = tmp_path / "out"
    assert cli("run", write_config(base), "-o", out, "-q").exit_code == 0
    more = cli("run", write_config({**base, "metrics": ["f1", "accuracy"]}), "-o", out, "-q")
    assert more.exit_code == 0, more.output
    assert "ran 0 now, 0 already done, 3 given new metrics from stored predictions" in more.stdout
    df = pd.read_parquet(out / "results.parquet")
    preds = pd.read_parquet(out / "predictions.parquet")
    assert df["accuracy"].notna().all() and len(df) == 3
    for rec in df.itertuples():
        p = preds[(preds.job_id == rec.job_id) & (preds.finished_at == rec.finished_at)]
        assert len(p) == rec.n_test
        assert rec.accuracy == accuracy_score(p.y_true, p.y_pred)
        assert rec.f1 == f1_score(p.y_true, p.y_pred)


def test_a_metric_added_later_without_predictions_reruns_the_jobs(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    base = {
        "datasets": ["keel/ecoli3"],
        "resamplers": ["none"],
        "class_weights": ["none"],
        "thresholds": ["default"],
        "metrics": ["f1"],
    }
    out = tmp_path / "out"
    assert cli("run", write_config(base), "-o", out, "-q").exit_code == 0
    dry = cli("run", write_config({**base, "metrics": ["f1", "accuracy"]}), "-o", out, "--dry-run")
    assert "3 done jobs lack a metric of the config" in dry.stdout
    more = cli("run", write_config({**base, "metrics": ["f1", "accuracy"]}), "-o", out, "-q")
    assert "ran 3 now" in more.stdout
    df = pd.read_parquet(out / "results.parquet")
    assert df["accuracy"].notna().all() and df["accuracy"].between(0, 1).all()


def test_the_summary_says_failed_jobs_were_kept_and_how_to_retry(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "resamplers": {"smote": {"k_neighbors": 30}},
            "class_weights": ["none"],
            "thresholds": ["default"],
        }
    )
    out = tmp_path / "out"
    assert cli("run", cfg, "-o", out, "-q").exit_code == 1
    again = cli("run", cfg, "-o", out, "-q")
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines()[1] == (
        "3 of them failed in an earlier run and were kept as they were: add --retry-failed to "
        "run them again (e.g. after fixing the config)."
    )


def test_progress_advances_by_planned_work(write_config: Any, tmp_path: Path) -> None:
    from climb_cli.engine.runner import load_experiment, run_experiment

    exp = load_experiment(write_config())
    seen: dict[str, Any] = {"work": [], "jobs": 0}
    run_experiment(
        exp,
        tmp_path / "o",
        n_jobs=1,
        on_start=lambda n, total: seen.update(n=n, total=total),
        on_rows=lambda n, rows, work: (
            seen["work"].append(work),
            seen.update(jobs=seen["jobs"] + n),
        ),
    )
    assert seen["n"] == seen["jobs"] == 48
    assert np.isclose(sum(seen["work"]), seen["total"])
    # the larger dataset's groups (569 rows) weigh more than ecoli3's (336) and come first
    assert seen["work"][0] > seen["work"][-1]


def test_datasets_info_describes_an_inline_dataset_of_a_config(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    _csv(tmp_path / "data.csv")
    cfg = _config(write_config, tmp_path, drop=["b"])
    result = cli("datasets", "info", "mine", "--config", cfg, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"rows": 120' in result.stdout.replace("\n", " ") or "120" in result.stdout
    missing = cli("datasets", "info", "other", "--config", cfg)
    assert missing.exit_code == 2
    assert "dataset 'other' is not in this config. Its datasets are: mine." in missing.stderr


def test_timeout_s_flag_and_its_alias(cli: Any, write_config: Any, tmp_path: Path) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
        }
    )
    for flag in ("--timeout-s", "--timeout"):
        r = cli("run", cfg, "-o", tmp_path / flag, "-q", flag, "30")
        assert r.exit_code == 0, r.output
    bad = cli("run", cfg, "-o", tmp_path / "bad", "-q", "--n-jobs", "0")
    assert bad.exit_code == 2
    assert "n_jobs must be a positive number of processes or -1 (all cores)" in bad.stderr
