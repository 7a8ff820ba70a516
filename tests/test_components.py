"""Every registered component runs on a small real imbalanced dataset (estimator-check style), and
class weights really reach the estimator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli import components
from climb_cli.config import Choice, ExperimentConfig
from climb_cli.engine.fit import fit_model, predict_scores
from climb_cli.engine.runner import run_experiment
from climb_cli.grid import resolve_experiment

RESAMPLERS = sorted(components.available("resampler"))
CLASSIFIERS = sorted(
    n
    for n, c in components.available("classifier").items()
    # anomaly detectors are not supervised learners: tests/test_detectors.py holds their bar
    if not c.has("optional") and not c.has("detector")
)


def _run(tmp_path: Path, **overrides: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "name": "common",
        "datasets": ["keel/ecoli3"],
        "cv": {"n_splits": 3},
        "classifiers": ["logreg"],
        "n_jobs": 2,
        "metrics": sorted(components.available("metric")),
    }
    base.update(overrides)
    exp = resolve_experiment(ExperimentConfig(**base), tmp_path)
    run_experiment(exp, tmp_path / "out")
    return pd.read_parquet(tmp_path / "out" / "results.parquet")


def test_every_resampler_runs_or_says_why(tmp_path: Path) -> None:
    # kmeans_smote needs dense minority clusters: a small cluster_balance_threshold lets it run here
    resamplers = {n: {} for n in RESAMPLERS}
    resamplers["kmeans_smote"] = {"cluster_balance_threshold": 0.01}
    df = _run(tmp_path, resamplers=resamplers)
    assert len(df) == 3 * len(RESAMPLERS)
    by = df.groupby("resampler")["status"].agg(set)
    skipped = {n for n, s in by.items() if s == {"skipped"}}
    # ecoli3 has numeric features only: SMOTE-NC and SMOTE-N cannot apply, and say so
    assert skipped == {"smotenc", "smoten"}
    assert set(df.loc[df.resampler == "smotenc", "error"]) == {
        "resampler 'smotenc' needs categorical features; this dataset has none (use smote)"
    }
    ok = df[~df.resampler.isin(skipped)]
    assert set(ok["status"]) == {"ok"}, ok.loc[ok.status != "ok", ["resampler", "error"]]
    assert ok["roc_auc"].between(0.5, 1).all()
    counts = ok.groupby("resampler")["n_train_resampled"].first()
    n_train = ok.groupby("resampler")["n_train"].first()
    for over in ("ros", "smote", "adasyn", "borderline_smote", "svm_smote"):
        assert counts[over] > n_train[over]
    for under in ("rus", "nearmiss", "cluster_centroids"):
        # balanced to the minority: 2 x about 23 training minority rows
        assert counts[under] < 60
    assert counts["none"] == n_train["none"]


def test_smotenc_on_categorical_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "colour": rng.choice(["r", "g", "b"], size=n),
            "y": (rng.uniform(size=n) < 0.15).astype(int),
        }
    )
    path = tmp_path / "cat.csv"
    frame.to_csv(path, index=False)
    df = _run(
        tmp_path,
        datasets=[{"name": "cat", "file": str(path), "target": "y"}],
        resamplers=["smotenc", "smote"],
        metrics=["roc_auc"],
    )
    assert set(df["status"]) == {"ok"}
    assert (df["n_train_resampled"] > df["n_train"]).all()


def test_every_classifier_runs(tmp_path: Path) -> None:
    classifiers: dict[str, Any] = {n: {} for n in CLASSIFIERS}
    # one balanced tree ranks poorly (AUC ~0.72 on ecoli3, as dt with cw=balanced does)
    classifiers["cs"] = {"estimator": "logreg"}
    df = _run(tmp_path, classifiers=classifiers, metrics=["roc_auc", "f1", "brier"])
    assert len(df) == 3 * len(CLASSIFIERS)
    assert set(df["status"]) == {"ok"}, df.loc[df.status != "ok", ["classifier", "error"]]
    means = df.groupby("classifier")["roc_auc"].mean()
    assert (means > 0.75).all(), means  # ecoli3 is an easy, if imbalanced, dataset
    assert df["brier"].between(0, 1).all()


def test_class_weight_without_api_is_skipped(tmp_path: Path) -> None:
    df = _run(tmp_path, classifiers=["knn"], class_weights=["none", "balanced"], metrics=["f1"])
    assert set(df.loc[df.class_weight == "none", "status"]) == {"ok"}
    assert set(df.loc[df.class_weight == "balanced", "error"]) == {
        (
            "classifier 'knn' supports neither class_weight nor sample_weight, so class weight "
            "'balanced' cannot apply"
        )
    }
    assert set(df.loc[df.class_weight == "balanced", "status"]) == {"skipped"}


Y = np.array([0] * 90 + [1] * 10)
NAMES = ["neg", "pos"]


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("balanced", {}, {0: 100 / (2 * 90), 1: 100 / (2 * 10)}),
        ("balanced_sqrt", {}, {0: np.sqrt(100 / 180), 1: np.sqrt(5.0)}),
        ("explicit", {"weights": {"positive": 7}}, {0: 1.0, 1: 7.0}),
        ("explicit", {"weights": {"pos": 3, "neg": 0.5}}, {0: 0.5, 1: 3.0}),
        ("factor", {"f": 0.5}, {0: 1.0, 1: 1 + 0.5 * (9 - 1)}),
        ("factor", {"f": 1.0}, {0: 1.0, 1: 9.0}),
    ],
)
def test_class_weight_values(name: str, params: dict[str, Any], expected: dict[int, float]) -> None:
    weights = components.get("class_weight", name).build(params)(Y, Y, NAMES)
    assert weights == pytest.approx(expected)


def test_factor_measures_ir_before_resampling() -> None:
    balanced_after = np.array([0] * 90 + [1] * 90)
    weights = components.get("class_weight", "factor").build({"f": 1.0})(balanced_after, Y, NAMES)
    assert weights == {0: 1.0, 1: 9.0}


def test_weights_reach_the_estimator() -> None:
    X = np.random.default_rng(0).normal(size=(100, 3))
    cw = Choice("explicit", (("weights", {"positive": 7}),))
    via_param = fit_model(Choice("logreg", ()), cw, X, Y, Y, NAMES, seed=0)
    assert via_param.class_weight == {0: 1.0, 1: 7.0}
    # gb has no class_weight: the same weights must arrive as sample_weight
    from sklearn.ensemble import GradientBoostingClassifier

    via_sw = fit_model(Choice("gb", (("n_estimators", 5),)), cw, X, Y, Y, NAMES, seed=0)
    ref = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(
        X, Y, sample_weight=np.where(Y == 1, 7.0, 1.0)
    )
    np.testing.assert_allclose(via_sw.predict_proba(X), ref.predict_proba(X))
    unweighted = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, Y)
    assert not np.allclose(via_sw.predict_proba(X), unweighted.predict_proba(X))


def test_svm_scores_are_the_sigmoid_of_the_decision_function() -> None:
    from scipy.special import expit
    from sklearn.svm import SVC

    X = np.random.default_rng(0).normal(size=(100, 3)) + Y[:, None]
    est = fit_model(Choice("svm", ()), Choice("none", ()), X, Y, Y, NAMES, seed=0)
    scores = predict_scores(est, X, 2)[:, 1]
    d = SVC(random_state=0).fit(X, Y).decision_function(X)
    np.testing.assert_allclose(scores, expit(d))
    # so the 0.5 threshold is the SVM's own decision rule
    assert ((scores >= 0.5).astype(int) == SVC(random_state=0).fit(X, Y).predict(X)).all()


def test_unknown_explicit_class_is_an_error_row(tmp_path: Path) -> None:
    df = _run(tmp_path, class_weights={"explicit": {"weights": {"minority": 5}}}, metrics=["f1"])
    assert set(df["status"]) == {"error"}
    assert set(df["error"]) == {
        (
            "ValueError: class weight for unknown class 'minority'; classes "
            "are: '0', '1' (or positive/negative)"
        )
    }


def test_catboost_writes_no_files_into_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("catboost", reason="the catboost extra is not installed")
    from sklearn.datasets import make_classification

    monkeypatch.chdir(tmp_path)
    X, y = make_classification(100, random_state=0)
    components.get("classifier", "catboost").build({}, random_state=0).fit(X, y)
    assert list(tmp_path.iterdir()) == []
