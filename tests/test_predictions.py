"""Stored predictions: every metric in results.parquet can be recomputed from predictions.parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.components.metrics import get_metric

METRICS = [
    "accuracy",
    "balanced_accuracy",
    "f1",
    "f2",
    "gmean",
    "iba",
    "mcc",
    "precision",
    "recall",
    "specificity",
    "roc_auc",
    "pr_auc",
    "pr_auc_trapz",
    "brier",
    "log_loss",
]


@pytest.fixture
def run_with_predictions(cli: Any, write_config: Any, tmp_path: Path) -> Path:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3", "sklearn/wine"],
            "resamplers": ["none", "rus"],
            "class_weights": ["none"],
            "thresholds": {
                "default": {},
                "prior": {},
                "fixed": {"threshold": 0.3},
                "holdout": {},
                "tuned": {"objective": ["f1", "mcc"], "cv": 3},
            },
            "metrics": METRICS,
        }
    )
    out = tmp_path / "pred"
    result = cli("run", cfg, "--output", out, "-q", "--save-predictions")
    assert result.exit_code == 0, result.output
    return out


def test_metrics_recomputed_from_predictions(run_with_predictions: Path) -> None:
    out = run_with_predictions
    results = pd.read_parquet(out / "results.parquet")
    preds = pd.read_parquet(out / "predictions.parquet")
    ok = results[results.status == "ok"]
    # wine is multiclass: the three binary-only strategies are skipped there
    assert set(results.loc[results.status == "skipped", "threshold"]) == {
        "fixed",
        "holdout",
        "tuned",
    }
    assert set(preds["job_id"]) == set(ok["job_id"])
    assert len(preds) == ok["n_test"].sum()
    for job_id, p in preds.groupby("job_id"):
        row = ok.set_index("job_id").loc[job_id]
        assert len(p) == row["n_test"] and p["row"].is_unique
        multiclass = p["proba"].notna().all()
        scores = np.stack(p["proba"].to_numpy()) if multiclass else p["score"].to_numpy()
        k = scores.shape[1] if multiclass else 2
        if not multiclass:
            assert ((p["score"] >= row["threshold_value"]).astype(int) == p["y_pred"]).all()
        for m in METRICS:
            value = get_metric(m)(p["y_true"].to_numpy(), p["y_pred"].to_numpy(), scores, k)
            assert value == pytest.approx(row[m], nan_ok=True, abs=1e-12), (job_id, m)


def test_threshold_strategies_on_real_data(run_with_predictions: Path) -> None:
    df = pd.read_parquet(run_with_predictions / "results.parquet")
    eco = df[df.dataset == "keel/ecoli3"]
    assert (eco.loc[eco.threshold == "fixed", "threshold_value"] == 0.3).all()
    # prior: the positive share of the data the model was fitted on -- the training fold's
    # prevalence without resampling (35 of 336 rows overall), 0.5 after a balancing resampler
    prior = eco[eco.threshold == "prior"]
    assert prior.loc[prior.resampler == "none", "threshold_value"].between(0.09, 0.12).all()
    assert (prior.loc[prior.resampler == "rus", "threshold_value"] == 0.5).all()
    holdout = eco.loc[eco.threshold == "holdout", "threshold_value"]
    assert set(np.round(holdout, 2)) <= {round(0.05 * i, 2) for i in range(1, 11)}
    tuned = eco[eco.threshold == "tuned"]
    assert set(tuned["threshold_params"]) == {
        '{"cv":3,"objective":"f1"}',
        '{"cv":3,"objective":"mcc"}',
    }
    # the two objectives share one inner CV: same fitted models, so the same fit time
    pivot = tuned.pivot_table(
        index=["resampler", "fold"], columns="threshold_params", values="fit_time_s"
    )
    np.testing.assert_allclose(pivot.iloc[:, 0], pivot.iloc[:, 1])
    wine = df[(df.dataset == "sklearn/wine") & (df.status == "ok")]
    assert set(wine["threshold"]) == {"default", "prior"} and wine["threshold_value"].isna().all()


def test_resume_does_not_duplicate_predictions(
    cli: Any, write_config: Any, run_with_predictions: Path
) -> None:
    before = pd.read_parquet(run_with_predictions / "predictions.parquet")
    cfg = Path(run_with_predictions).parent / "cfg.yaml"
    assert (
        cli(
            "run", cfg, "--output", run_with_predictions, "-q", "--save-predictions", "--no-resume"
        ).exit_code
        == 0
    )
    after = pd.read_parquet(run_with_predictions / "predictions.parquet")
    assert len(after) == len(before)
    cols = ["job_id", "row", "y_pred", "score"]
    pd.testing.assert_frame_equal(
        before[cols].sort_values(["job_id", "row"]).reset_index(drop=True),
        after[cols].sort_values(["job_id", "row"]).reset_index(drop=True),
    )
