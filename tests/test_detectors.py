"""Anomaly-detector baselines (iforest, lof, ocsvm, elliptic_envelope, pyod) as classifiers."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.covariance import EllipticEnvelope
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM

from climb_cli.components import get
from climb_cli.components.detectors import DetectorClassifier
from climb_cli.config import Choice
from climb_cli.engine.fit import detector_skip, fit_weighted
from climb_cli.engine.rows import SkipJob
from climb_cli.errors import ConfigError

# the pyod checks need the optional extra; they skip with the reason without it
needs_pyod = pytest.mark.skipif(
    find_spec("pyod") is None, reason="the optional extra climb-cli[pyod] is not installed"
)
SKLEARN = {
    "iforest": lambda: IsolationForest(random_state=3, n_jobs=1),
    "lof": lambda: LocalOutlierFactor(novelty=True, n_jobs=1),
    "ocsvm": lambda: OneClassSVM(),
    "elliptic_envelope": lambda: EllipticEnvelope(random_state=3),
}


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Imbalanced data: 10% positives, shifted away from the negatives (plus overlap)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    X = rng.normal(size=(n, 4)) + 2.0 * y[:, None] * rng.random((n, 1))
    return X, y


@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_scores_are_a_strictly_increasing_map_of_sklearns_anomaly_score(name: str) -> None:
    X, y = _data()
    Xt, yt = _data(seed=1)
    clf = get("classifier", name).build({}, random_state=3).fit(X, y)
    # the raw anomaly score is scikit-learn's own, fitted on the negative rows only
    raw = -SKLEARN[name]().fit(X[y == 0]).score_samples(Xt)
    np.testing.assert_array_equal(clf.anomaly_score(Xt), raw)
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(clf.classes_) == [0, 1]
    p = proba[:, 1]
    order = np.argsort(raw, kind="stable")
    rising = np.diff(raw[order]) > 0
    assert (np.diff(p[order])[rising] > 0).all() and (np.diff(p[order]) >= 0).all()
    assert roc_auc_score(yt, p) == roc_auc_score(yt, raw)
    assert average_precision_score(yt, p) == average_precision_score(yt, raw)


@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_default_threshold_flags_the_training_prevalence(name: str) -> None:
    X, y = _data()
    clf = get("classifier", name).build({}, random_state=3).fit(X, y)
    s = clf.anomaly_score(X)
    assert clf.prevalence_ == y.mean()
    assert clf.threshold_ == np.quantile(s, 1 - y.mean())
    q25, q75 = np.quantile(s, [0.25, 0.75])
    assert clf.scale_ == q75 - q25
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(p, expit(np.arcsinh((s - clf.threshold_) / clf.scale_)))
    assert abs(int((p >= 0.5).sum()) - y.sum()) <= 1
    np.testing.assert_array_equal(clf.predict(X), (p >= 0.5).astype(int))


class SpyDetector(BaseEstimator):
    """Records what it is fitted on; anomaly = distance from the fitted mean."""

    seen: list[tuple[np.ndarray, Any]] = []  # noqa: RUF012 - shared on purpose: clones record too

    def fit(self, X: np.ndarray, y: Any = None) -> SpyDetector:
        SpyDetector.seen.append((np.array(X), y))
        self.mu_ = X.mean(axis=0)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        return -np.linalg.norm(X - self.mu_, axis=1)


def test_fit_on_majority_fits_negative_rows_only_and_all_ignores_labels() -> None:
    X, y = _data()
    SpyDetector.seen.clear()
    DetectorClassifier(SpyDetector()).fit(X, y)
    DetectorClassifier(SpyDetector(), fit_on="all").fit(X, y)
    (major, y1), (every, y2) = SpyDetector.seen
    np.testing.assert_array_equal(major, X[y == 0])
    np.testing.assert_array_equal(every, X)
    assert y1 is None and y2 is None  # labels never reach the detector


@pytest.mark.parametrize(
    ("name", "n_fitted"),
    [
        ("lof", lambda d: d.n_samples_fit_),
        ("ocsvm", lambda d: d.shape_fit_[0]),
        ("elliptic_envelope", lambda d: d.support_.shape[0]),
        ("iforest", lambda d: d.max_samples_),  # min(256, rows): all rows here
    ],
)
def test_fitted_detectors_saw_the_rows_fit_on_says(name: str, n_fitted: Any) -> None:
    X, y = _data(n=200)
    for fit_on, rows in [("majority", int((y == 0).sum())), ("all", len(y))]:
        clf = get("classifier", name).build({"fit_on": fit_on}, random_state=0).fit(X, y)
        assert n_fitted(clf.detector_) == rows == clf.n_fit_rows_


def test_extreme_scores_stay_distinct() -> None:
    X, y = _data()
    clf = DetectorClassifier(SpyDetector()).fit(X, y)
    # rows whose anomaly score (distance from the fitted mean) is q + k * scale
    far = np.tile(clf.detector_.mu_, (5, 1))
    far[:, 0] += clf.threshold_ + np.array([40.0, 80.0, 1e3, 1e6, 1e12]) * clf.scale_
    s = clf.anomaly_score(far)
    p = clf.predict_proba(far)[:, 1]
    assert (np.diff(s) > 0).all() and (np.diff(p) > 0).all() and (p < 1).all()
    # a plain logistic would tie them all at exactly 1.0
    assert (expit((s - clf.threshold_) / clf.scale_) == 1.0).all()


def test_parameters_and_tags() -> None:
    for name in [*SKLEARN, "pyod"]:
        comp = get("classifier", name)
        assert {"detector", "binary_only"} <= comp.tags
        assert comp.parameters()["fit_on"] == "majority"
        assert not {"contamination", "novelty", "random_state", "n_jobs"} & set(comp.parameters())
    assert get("classifier", "iforest").parameters()["n_estimators"] == 100
    assert get("classifier", "lof").build({}, random_state=0).detector.novelty is True
    assert get("classifier", "knn").has("detector") is False
    # estimators get copies: fitting never changes (or shares) the config's own values
    params = {"metric_params": {"p": 3}}
    lof = get("classifier", "lof").build(params, random_state=0).detector
    assert lof.metric_params == {"p": 3} and lof.metric_params is not params["metric_params"]


@needs_pyod
def test_pyod_detector_params_are_copied() -> None:
    params = {"detector": "KNN", "detector_params": {"metric_params": {"p": 3}}}
    knn = get("classifier", "pyod").build(params, random_state=0).detector
    assert knn.metric_params == {"p": 3}
    assert knn.metric_params is not params["detector_params"]["metric_params"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "iforest",
            {"fit_on": "labels"},
            (
                "classifier 'iforest': The 'fit_on' parameter must be 'majority' (fit on the "
                "negative class only) or 'all' (every training row). Got 'labels' instead."
            ),
        ),
        (
            "iforest",
            {"n_estimators": 0},
            (
                "classifier 'iforest': The 'n_estimators' parameter of IsolationForest must be an "
                "int in the range [1, inf). Got 0 instead."
            ),
        ),
        (
            "lof",
            {"novelty": False},
            (
                "classifier 'lof': unknown parameter 'novelty'. Valid parameters are: algorithm, "
                "fit_on, leaf_size, metric, metric_params, n_neighbors, p."
            ),
        ),
        pytest.param(
            "pyod",
            {"detector": "Foo"},
            (
                "classifier 'pyod': unknown PyOD detector 'Foo'. Valid detectors are: ABOD, CBLOF, "
                "COPOD, ECOD, GMM, HBOS, IForest, INNE, KDE, KNN, KPCA, LODA, LOF, MCD, OCSVM, PCA, "
                "QMCD, Sampling."
            ),
            marks=needs_pyod,
        ),
        pytest.param(
            "pyod",
            {"detector": "HBOS", "detector_params": {"bins": 5}},
            (
                "classifier 'pyod': detector_params: unknown parameter 'bins' of PyOD HBOS. "
                "Valid parameters are: alpha, n_bins, tol."
            ),
            marks=needs_pyod,
        ),
        pytest.param(
            "pyod",
            {"detector": "IForest", "detector_params": {"random_state": 1}},
            (
                "classifier 'pyod': detector_params: 'random_state' cannot be set (derived from "
                "the config seed and the job identity)"
            ),
            marks=needs_pyod,
        ),
        pytest.param(
            "pyod",
            {"detector_params": {"contamination": 0.2}},
            (
                "classifier 'pyod': detector_params: 'contamination' is not a parameter here (it "
                "only moves the detector's own predict offset, which bench does not use)"
            ),
            marks=needs_pyod,
        ),
    ],
)
def test_bad_parameters_are_explained(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        get("classifier", name).check(params)
    assert str(err.value) == message


@needs_pyod
def test_pyod_detectors_use_pyods_decision_function() -> None:
    from pyod.models.ecod import ECOD

    X, y = _data()
    Xt, yt = _data(seed=1)
    clf = get("classifier", "pyod").build({"detector": "ECOD"}, random_state=0).fit(X, y)
    raw = ECOD().fit(X[y == 0]).decision_function(Xt)
    np.testing.assert_array_equal(clf.anomaly_score(Xt), raw)
    p = clf.predict_proba(Xt)[:, 1]
    assert roc_auc_score(yt, p) == roc_auc_score(yt, raw)
    assert average_precision_score(yt, p) == average_precision_score(yt, raw)
    assert abs(int((clf.predict_proba(X)[:, 1] >= 0.5).sum()) - y.sum()) <= 1
    forest = get("classifier", "pyod").build({"detector": "IForest"}, random_state=7).detector
    assert (forest.random_state, forest.n_jobs) == (7, 1)
    knn = get("classifier", "pyod").build(
        {"detector": "KNN", "detector_params": {"n_neighbors": 3}}, random_state=0
    )
    assert knn.detector.n_neighbors == 3


def test_validate_without_pyod_names_the_extra(
    cli: Any, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyod", None)  # `import pyod` now fails as if not installed
    result = cli("validate", write_config({"classifiers": {"pyod": {"detector": "ECOD"}}}))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: classifier 'pyod': needs the optional package 'pyod': pip install 'climb-cli[pyod]'"
    )


def test_engine_skip_reasons() -> None:
    none, smote = Choice("none", ()), Choice("smote", ())
    cw_none, balanced = Choice("none", ()), Choice("balanced", ())
    iforest = Choice("iforest", ())
    assert detector_skip(iforest, none, cw_none) is None
    assert detector_skip(Choice("logreg", ()), smote, balanced) is None
    X, y = _data(n=90)
    with pytest.raises(SkipJob, match="it takes no class weights; class weight 'balanced'"):
        fit_weighted(iforest, balanced, X, y, y, ["0", "1"], 0)
    with pytest.raises(SkipJob, match=r"^classifier 'iforest' is binary-only; this dataset has 3"):
        fit_weighted(iforest, cw_none, X, y % 3, y, ["0", "1", "2"], 0)


def _run(cli: Any, write_config: Any, tmp_path: Path, overrides: dict[str, Any]) -> pd.DataFrame:
    cfg = write_config({"datasets": ["sklearn/breast_cancer"], **overrides})
    out = tmp_path / "out"
    result = cli("run", cfg, "--output", out, "--quiet")
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out / "results.parquet")


def test_run_skips_resamplers_and_class_weights_for_detectors(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(
        cli,
        write_config,
        tmp_path,
        {
            "classifiers": {
                "iforest": {"n_estimators": 20},
                "lof": {"n_neighbors": {"tune": [5, 10]}},
                "logreg": {},
            }
        },
    )
    # 2 resamplers x 2 class weights x 2 thresholds x 3 classifiers x 3 folds
    assert len(df) == 72
    assert set(df[df.classifier == "logreg"].status) == {"ok"}
    det = df[df.classifier != "logreg"]
    plain = det[(det.resampler == "none") & (det.class_weight == "none")]
    assert len(plain) == 12 and set(plain.status) == {"ok"}
    assert plain.roc_auc.between(0.8, 1).all() and plain.f1.notna().all()
    tuned = plain[plain.threshold == "tuned"]
    assert tuned.threshold_value.between(0, 1).all()
    for name in ["iforest", "lof"]:
        mine = det[det.classifier == name]
        resampled = mine[mine.resampler == "smote"]
        weighted = mine[(mine.resampler == "none") & (mine.class_weight == "balanced")]
        assert len(resampled) == 12 and len(weighted) == 6
        assert set(resampled.status) == set(weighted.status) == {"skipped"}
        assert set(resampled.error) == {
            (
                f"classifier '{name}' is an anomaly detector: it fits no resampled data; "
                "resampler 'smote' does not apply"
            )
        }
        assert set(weighted.error) == {
            (
                f"classifier '{name}' is an anomaly detector: it takes no class weights; "
                "class weight 'balanced' does not apply"
            )
        }


def test_every_threshold_strategy_applies_to_detectors(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    thresholds = ["default", "fixed", "holdout", "logit_adjusted", "prior", "tuned"]
    df = _run(
        cli,
        write_config,
        tmp_path,
        {
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": {t: {} for t in thresholds},
            "classifiers": {
                "iforest": {"n_estimators": 10, "fit_on": {"tune": ["majority", "all"]}},
                "lof": {"n_neighbors": 10},
            },
        },
    )
    assert len(df) == 2 * 6 * 3 and set(df.status) == {"ok"}, df.error.dropna().unique()
    assert set(df.threshold) == set(thresholds)
    assert df.roc_auc.between(0.7, 1).all()


def test_multiclass_data_skips_detectors(cli: Any, write_config: Any, tmp_path: Path) -> None:
    df = _run(
        cli,
        write_config,
        tmp_path,
        {
            "datasets": ["sklearn/wine"],
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"iforest": {"n_estimators": 10}},
        },
    )
    assert len(df) == 3 and set(df.status) == {"skipped"}
    assert set(df.error) == {"classifier 'iforest' is binary-only; this dataset has 3 classes"}
