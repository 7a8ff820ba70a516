"""Loss-based remedies: exact gradients and Hessians, the boosters that use them, and a bench run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from climb_cli import registry
from climb_cli.components import classifiers, get
from climb_cli.components.losses import (
    LGBMLossClassifier,
    Objective,
    XGBLossClassifier,
    grad_hess_blocked,
    ldam_margins,
)
from climb_cli.errors import ConfigError

CASES: list[tuple[str, dict[str, Any]]] = [
    ("logloss", {}),
    ("focal", {"gamma": 2.0}),
    ("focal", {"gamma": 0.5}),
    ("asl", {"gamma_pos": 1.0, "gamma_neg": 4.0, "clip": 0.05}),
    ("asl", {"gamma_pos": 0.5, "gamma_neg": 1.5, "clip": 0.0}),
    ("ldam", {"scale": 3.0}),
]
# xgboost is an optional extra: its tests run where it is installed and skip (with the reason) elsewhere
needs_xgboost = pytest.mark.skipif(
    importlib.util.find_spec("xgboost") is None,
    reason="the optional extra climb-cli[xgboost] is not installed",
)
BOOSTERS = [LGBMLossClassifier, pytest.param(XGBLossClassifier, marks=needs_xgboost)]


def _objective(loss: str, params: dict[str, Any], k: int) -> Objective:
    margins = ldam_margins(np.arange(1, k + 1) * 10, 0.5) if loss == "ldam" else None
    return Objective(loss, k, margins=margins, **params)


def _finite_differences(obj: Objective, y: np.ndarray, raw: np.ndarray) -> tuple[Any, Any]:
    """Central differences of the loss (-> gradient) and of the exact gradient (-> Hessian)."""
    eps = 1e-5
    cols = [None] if raw.ndim == 1 else range(raw.shape[1])
    grad, hess = np.zeros_like(raw), np.zeros_like(raw)
    for k in cols:
        step = np.full_like(raw, eps) if k is None else np.eye(raw.shape[1])[k] * eps
        at = (slice(None),) if k is None else (slice(None), k)
        grad[at] = (obj.value(y, raw + step) - obj.value(y, raw - step)) / (2 * eps)
        up, down = obj.grad_hess(y, raw + step, True)[0], obj.grad_hess(y, raw - step, True)[0]
        hess[at] = (up[at] - down[at]) / (2 * eps)
    return grad, hess


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize(("loss", "params"), CASES)
def test_gradient_and_hessian_equal_finite_differences(
    loss: str, params: dict[str, Any], k: int
) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, 300)
    raw = rng.normal(0, 2, 300 if k == 2 else (300, k))
    obj = _objective(loss, params, k)
    g, h = obj.grad_hess(y, raw, exact=True)
    fd_g, fd_h = _finite_differences(obj, y, raw)
    np.testing.assert_allclose(g, fd_g, atol=1e-8)
    np.testing.assert_allclose(h, fd_h, atol=1e-8)
    # the Hessian used for boosting is the exact one, floored: equal wherever it is not raised
    used = obj.grad_hess(y, raw)[1]
    assert (used >= h).all()
    kept = used == h
    assert kept.mean() > 0.8
    np.testing.assert_array_equal(obj.grad_hess(y, raw)[0], g)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize(("loss", "params"), CASES)
def test_blocked_evaluation_equals_the_whole_array(
    loss: str, params: dict[str, Any], k: int
) -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, k, 40_000)
    raw = rng.normal(0, 2, 40_000 if k == 2 else (40_000, k))
    obj = _objective(loss, params, k)
    for got, want in zip(grad_hess_blocked(obj, y, raw), obj.grad_hess(y, raw)):
        np.testing.assert_array_equal(got, want)


def test_binary_focal_alpha_weighs_the_classes() -> None:
    y, z = np.array([1, 0, 1, 0]), np.array([0.3, -0.2, -4.0, 5.0])
    plain = Objective("focal", 2, gamma=2.0).grad_hess(y, z, exact=True)
    alpha = Objective("focal", 2, gamma=2.0, alpha=0.25)
    g, h = alpha.grad_hess(y, z, exact=True)
    np.testing.assert_allclose(g, plain[0] * [0.25, 0.75, 0.25, 0.75])
    np.testing.assert_allclose(h, plain[1] * [0.25, 0.75, 0.25, 0.75])
    np.testing.assert_allclose(_finite_differences(alpha, y, z)[0], g, atol=1e-8)


def test_focal_hessian_floor_is_positive_where_the_exact_one_is_negative() -> None:
    obj = Objective("focal", 2, gamma=2.0)
    y, z = np.ones(5, dtype=int), np.array([-6.0, -4.0, -3.0, 0.0, 3.0])
    exact, used = obj.grad_hess(y, z, exact=True)[1], obj.grad_hess(y, z)[1]
    assert (exact[:2] < 0).all() and (used > 0).all()
    q = 1 / (1 + np.exp(-z))
    # below the weighted log-loss curvature w p(1 - p): Boehning's bound w / 4, w = (1 - p_t)^gamma
    np.testing.assert_allclose(used[:2], 0.25 * (1 - q[:2]) ** 2)
    np.testing.assert_array_equal(used[3:], exact[3:])


def test_focal_learns_rare_positives_at_the_default_learning_rate() -> None:
    """With the weaker floor w p(1 - p) one tree pushed a leaf of rare positives (and the
    weightless easy negatives sharing it) by ~1/p and the next trees diverged: on 1%-positive data
    the model ranked worse than chance. The Boehning floor keeps it learning."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from climb_cli.components.losses import LGBMLossClassifier
    from climb_cli.datasets.synthetic import make_fraud

    X, y = make_fraud()
    X = X.drop(columns="time").to_numpy()
    Xtr, Xte, ytr, yte = train_test_split(X, y, stratify=y, random_state=0, test_size=0.2)
    model = LGBMLossClassifier(loss="focal", gamma=2.0, random_state=0, n_jobs=1).fit(Xtr, ytr)
    assert roc_auc_score(yte, model.predict_proba(Xte)[:, 1]) > 0.95


@pytest.mark.parametrize("k", [2, 3])
def test_asl_without_focusing_or_clip_is_log_loss(k: int) -> None:
    rng = np.random.default_rng(1)
    y, raw = rng.integers(0, k, 200), rng.normal(0, 3, 200 if k == 2 else (200, k))
    g, h = Objective("asl", k, gamma_pos=0.0, gamma_neg=0.0, clip=0.0).grad_hess(y, raw, True)
    if k == 2:
        ref = Objective("logloss", 2).grad_hess(y, raw, True)
    else:  # one-vs-rest, as the paper applies ASL to one-hot labels: per-class binary log loss
        p, onehot = 1 / (1 + np.exp(-raw)), np.eye(k)[y]
        ref = (p - onehot, p * (1 - p))
    np.testing.assert_allclose(g, ref[0], atol=1e-12)
    np.testing.assert_allclose(h, ref[1], atol=1e-12)


def test_ldam_margins_scale_as_the_inverse_fourth_root_of_counts() -> None:
    counts = np.array([800, 150, 50])
    m = ldam_margins(counts, 0.7)
    assert m.max() == pytest.approx(0.7) and m.argmax() == 2
    np.testing.assert_allclose(m * counts**0.25, 0.7 * 50**0.25)
    X, y = make_classification(
        600, 8, n_informative=5, n_classes=3, weights=[0.8, 0.15], random_state=0
    )
    fitted = LGBMLossClassifier(loss="ldam", max_margin=0.7, n_estimators=5).fit(X, y)
    np.testing.assert_allclose(fitted.margins_, ldam_margins(np.bincount(y), 0.7))


@pytest.mark.parametrize("weighted", [False, True])
def test_focal_gamma0_reproduces_lightgbm_binary_log_loss(weighted: bool) -> None:
    X, y = make_classification(2000, 10, weights=[0.9], random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    ref = LGBMClassifier(objective="binary", n_estimators=50, verbose=-1, random_state=0)
    ours = LGBMLossClassifier(loss="focal", gamma=0.0, n_estimators=50, random_state=0)
    expected = ref.fit(X, y, sample_weight=w).predict_proba(X)
    np.testing.assert_allclose(
        ours.fit(X, y, sample_weight=w).predict_proba(X), expected, atol=1e-6
    )


@needs_xgboost
def test_xgb_logloss_reproduces_xgboost_binary_logistic() -> None:
    from xgboost import XGBClassifier

    X, y = make_classification(1000, 10, weights=[0.85], random_state=2)
    ref = XGBClassifier(n_estimators=30, base_score=float(y.mean()), random_state=0, n_jobs=1)
    ours = XGBLossClassifier(loss="logloss", n_estimators=30, random_state=0, n_jobs=1)
    # XGBoost sums gradients in float32: equal to float32 precision
    np.testing.assert_allclose(
        ours.fit(X, y).predict_proba(X), ref.fit(X, y).predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("cls", BOOSTERS)
@pytest.mark.parametrize("loss", ["logloss", "focal", "asl", "ldam"])
@pytest.mark.parametrize("k", [2, 3])
def test_probabilities_labels_and_clone(cls: Any, loss: str, k: int) -> None:
    X, y = make_classification(500, 8, n_informative=5, n_classes=k, random_state=k)
    labels = np.array(["a", "b", "c"])[y]
    model = cls(loss=loss, n_estimators=10, random_state=3, n_jobs=1)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    proba = model.fit(X, labels).predict_proba(X)
    assert proba.shape == (500, k)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert list(model.classes_) == sorted(set(labels))
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(twin.fit(X, labels).predict_proba(X), proba)  # seeded
    assert (model.predict(X) == labels).mean() > 0.7


def test_init_score_is_the_weighted_prior() -> None:
    X, y = make_classification(400, 5, n_classes=3, n_informative=3, random_state=0)
    w = np.where(y == 2, 3.0, 1.0)
    model = LGBMLossClassifier(loss="logloss", n_estimators=1, learning_rate=1e-12)
    prior = np.bincount(y, weights=w) / w.sum()
    np.testing.assert_allclose(model.fit(X, y, sample_weight=w).init_score_, np.log(prior))
    np.testing.assert_allclose(model.predict_proba(X), np.tile(prior, (400, 1)), atol=1e-9)


def test_parameters_are_checked_with_the_valid_values() -> None:
    comp = get("classifier", "lgbm_loss")
    with pytest.raises(ConfigError) as err:
        comp.check({"loss": "hinge"})
    assert str(err.value) == (
        "classifier 'lgbm_loss': The 'loss' parameter of LGBMLossClassifier must be one of "
        "asl, focal, ldam, logloss. Got 'hinge' instead."
    )
    with pytest.raises(
        ConfigError,
        match=r"The 'gamma' parameter of LGBMLossClassifier must "
        r"be a float in the range \[0.0, inf\)\. Got -1 instead\.",
    ):
        comp.check({"gamma": -1})
    with pytest.raises(ConfigError, match=r"unknown parameter 'lr'\. Valid parameters are: alpha"):
        comp.check({"lr": 0.1})
    with pytest.raises(ConfigError, match=r"parameter 'n_jobs' cannot be set"):
        comp.check({"n_jobs": 2})
    comp.check({"loss": "ldam", "max_margin": 0.3, "scale": 5, "num_leaves": 15})
    if importlib.util.find_spec("xgboost") is not None:
        get("classifier", "xgb_loss").check({"loss": "asl", "max_depth": 3})
    assert comp.has("supports_sample_weight") and comp.has("threaded")
    built = comp.build({"loss": "asl"}, random_state=7)
    assert (built.n_jobs, built.random_state, built.loss) == (1, 7, "asl")


def test_alpha_on_multiclass_data_is_refused() -> None:
    X, y = make_classification(200, 5, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ValueError, match="alpha applies to binary data only"):
        LGBMLossClassifier(alpha=0.25, n_estimators=2).fit(X, y)


def test_xgb_loss_without_xgboost_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "xgboost" else real(name, *a)
    )
    try:
        classifiers._optional(
            "xgb_loss_probe",
            "xgboost",
            "climb_cli.components.losses",
            "XGBLossClassifier",
            "probe.",
            {classifiers.SW},
        )
        with pytest.raises(ConfigError) as err:
            get("classifier", "xgb_loss_probe").check({"loss": "focal"})
    finally:
        registry.unregister("classifier", "xgb_loss_probe")
    assert str(err.value) == (
        "classifier 'xgb_loss_probe': needs the optional package 'xgboost': "
        "pip install 'climb-cli[xgboost]'"
    )


def test_components_lists_the_loss_boosters(cli: Any) -> None:
    result = cli("components", "--kind", "classifier", "--format", "json")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for needle in (
        "lgbm_loss",
        "xgb_loss",
        "Lin et al. 2017",
        "Ridnik et al. 2021",
        "Cao et al. 2019",
        "gamma_neg",
        "max_margin",
    ):
        assert needle in text


def test_focal_calibration_against_log_loss() -> None:
    """Measured (README): focal pulls probabilities towards 0.5, so the positive rate it predicts
    rises with gamma and its training log loss is above log loss's own optimum. Held-out Brier /
    log loss are not asserted: with 100 trees the log-loss model overfits and focal's held-out log
    loss was lower on every seed tried (Brier about equal)."""
    X, y = make_classification(
        4000, 20, n_informative=5, weights=[0.95], flip_y=0.01, random_state=0
    )
    X_fit, X_out, y_fit, _ = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    means, train_losses = [], []
    for gamma in (0.0, 1.0, 2.0):
        model = LGBMLossClassifier(loss="focal", gamma=gamma, random_state=0).fit(X_fit, y_fit)
        means.append(model.predict_proba(X_out)[:, 1].mean())
        train_losses.append(log_loss(y_fit, model.predict_proba(X_fit)[:, 1]))
    assert means[0] < means[1] < means[2]
    assert train_losses[0] < train_losses[1] < train_losses[2]


def test_bench_run_with_lgbm_loss_focal(cli: Any, write_config: Any, tmp_path: Path) -> None:
    path = write_config(
        {
            "datasets": ["synthetic/ir10", "synthetic/multiclass"],
            "resamplers": {"none": {}},
            "class_weights": ["none", "class_balanced"],
            "thresholds": {"default": {}, "logit_adjusted": {"tau": [0, 1]}},
            "classifiers": {"lgbm_loss": {"loss": "focal", "n_estimators": 20}},
            "metrics": ["f1", "roc_auc", "brier"],
        }
    )
    out = tmp_path / "run"
    result = cli("run", path, "--output", out, "--quiet")
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 2 * 2 * 3 * 3  # datasets x class weights x thresholds x folds
    assert (df["status"] == "ok").all(), df[["dataset", "error"]]
    binary = df[(df["dataset"] == "synthetic/ir10") & (df["class_weight"] == "none")]
    assert binary["roc_auc"].between(0.8, 1).all()
    by_tau = binary.set_index("threshold_params")["threshold_value"]
    assert sorted(by_tau.index) == ['{"tau":0}'] * 3 + ['{"tau":1}'] * 3 + ["{}"] * 3
    np.testing.assert_array_equal(by_tau[by_tau.index == '{"tau":0}'], 0.5)
    # tau = 1: the positive share of the training fold (209 positives in 2000 rows)
    np.testing.assert_allclose(by_tau[by_tau.index == '{"tau":1}'], 209 / 2000, atol=2e-3)
