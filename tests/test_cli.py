"""The command surface: version, help, components, datasets list, validate."""

from __future__ import annotations

import json
from typing import Any

from climb_cli import __version__


def test_version(cli: Any) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"bench {__version__}"


def test_help_on_every_command(cli: Any) -> None:
    for args in (
        ["--help"],
        ["run", "--help"],
        ["validate", "--help"],
        ["report", "--help"],
        ["datasets", "list", "--help"],
        ["components", "--help"],
    ):
        result = cli(*args)
        assert result.exit_code == 0 and "Usage:" in result.stdout


def test_components_json_lists_every_kind(cli: Any) -> None:
    result = cli("components", "--format", "json")
    recs = json.loads(result.stdout)
    names = {(r["kind"], r["name"]) for r in recs}
    assert {
        ("resampler", n)
        for n in (
            "none",
            "ros",
            "rus",
            "smote",
            "smotenc",
            "nearmiss",
            "smote_enn",
            "smote_tomek",
            "ncr",
            "iht",
        )
    } <= names
    assert {
        ("classifier", n)
        for n in (
            "logreg",
            "rf",
            "lgbm",
            "hgb",
            "spe",
            "brf",
            "easy_ensemble",
            "rusboost",
            "balanced_bagging",
            "xgboost",
        )
    } <= names
    assert {("threshold", "default"), ("threshold", "tuned"), ("class_weight", "balanced")} <= names
    smote = next(r for r in recs if r["name"] == "smote")
    assert smote["parameters"] == {"k_neighbors": 5, "sampling_strategy": "auto"}
    tuned = next(r for r in recs if r["name"] == "tuned")
    assert tuned["parameters"] == {
        "objective": "f1",
        "cv": 5,
        "thresholds": 100,
        "beta": 1.0,
        "fp_cost": 1.0,
        "fn_cost": 1.0,
        "min_precision": 0.5,
        "min_recall": 0.5,
    }
    assert "binary_only" in tuned["tags"]
    brier = next(r for r in recs if r["name"] == "brier")
    assert "lower_is_better" in brier["tags"]
    logreg = next(r for r in recs if r["name"] == "logreg")
    assert logreg["parameters"]["max_iter"] == 1000 and "random_state" not in logreg["parameters"]


def test_components_table_by_kind(cli: Any) -> None:
    out = cli("components", "--kind", "metric").stdout
    assert "pr_auc" in out and "smote" not in out


def test_datasets_list_csv(cli: Any) -> None:
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(cli("datasets", "list", "--format", "csv").stdout))
    # 118 KEEL/KRNN + 4 sklearn + 5 synthetic + 73 CLIMB + 6 other OpenML + 30 Balancing the Scales
    assert len(df) == 236
    row = df.set_index("name").loc["keel/yeast4"]
    assert (row["rows"], row["features"], row["classes"], row["imbalance_ratio"]) == (
        1484,
        8,
        2,
        28.1,
    )
    assert row["source"] == "keel:yeast4"
    extreme = cli("datasets", "list", "--tag", "ir-extreme", "--format", "json").stdout
    assert all(r["imbalance_ratio"] > 50 for r in json.loads(extreme))


def test_validate_counts_jobs(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"logreg": {"C": [0.1, 1.0]}, "rf": {}}})
    result = cli("validate", path)
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        f"{path}: valid. 144 jobs = 2 datasets x 24 methods x 3 folds x 1 repeats."
    )


def test_grid_ids_are_deterministic_and_labels_sorted() -> None:
    from climb_cli.config import ExperimentConfig
    from climb_cli.grid import resolve_experiment

    cfg = ExperimentConfig(
        name="g",
        datasets=["sklearn/iris"],
        resamplers={"smote": {"sampling_strategy": "auto", "k_neighbors": [3, 5]}},
        classifiers={"logreg": {}},
    )
    jobs1 = resolve_experiment(cfg).jobs()
    jobs2 = resolve_experiment(cfg).jobs()
    assert [j.job_id for j in jobs1] == [j.job_id for j in jobs2]
    assert len({j.job_id for j in jobs1}) == len(jobs1) == 10
    assert (
        jobs1[0].method == "smote[k_neighbors=3,sampling_strategy=auto]+cw=none+thr=default+logreg"
    )
    other = ExperimentConfig(**{**cfg.model_dump(), "seed": 1})
    assert resolve_experiment(other).jobs()[0].job_id != jobs1[0].job_id
