"""The vectorised threshold sweep equals per-threshold scikit-learn computations, and `tuned`
equals TunedThresholdClassifierCV on the same folds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    make_scorer,
    matthews_corrcoef,
    precision_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

from climb_cli.components import get
from climb_cli.components.class_weights import effective_prior
from climb_cli.components.thresholds import (
    Decision,
    applicable_params,
    confusion_at,
    objective,
    tune_threshold,
)

rng = np.random.default_rng(1)
Y = (rng.uniform(size=300) < 0.1).astype(int)
S = np.round(rng.uniform(size=300), 2)  # rounded: many ties
GRID = np.linspace(0, 1, 57)


def test_confusion_counts_match_sklearn_at_every_threshold() -> None:
    tp, fp, fn, tn = confusion_at(Y, S, GRID)
    for i, t in enumerate(GRID):
        (tn_, fp_), (fn_, tp_) = confusion_matrix(Y, (S >= t).astype(int), labels=[0, 1])
        assert (tp[i], fp[i], fn[i], tn[i]) == (tp_, fp_, fn_, tn_)


@pytest.mark.parametrize(
    ("name", "params", "reference"),
    [
        ("f1", {}, lambda y, p: f1_score(y, p, zero_division=0.0)),
        ("f2", {}, lambda y, p: fbeta_score(y, p, beta=2, zero_division=0.0)),
        ("fbeta", {"beta": 0.5}, lambda y, p: fbeta_score(y, p, beta=0.5, zero_division=0.0)),
        ("balanced_accuracy", {}, balanced_accuracy_score),
        ("mcc", {}, matthews_corrcoef),
        ("gmean", {}, lambda y, p: np.sqrt(recall_score(y, p) * recall_score(1 - y, 1 - p))),
        (
            "cost",
            {"fp_cost": 1.0, "fn_cost": 5.0},
            lambda y, p: -(((p == 1) & (y == 0)).sum() + 5 * ((p == 0) & (y == 1)).sum()) / len(y),
        ),
    ],
)
def test_objectives_equal_sklearn_at_every_threshold(name, params, reference) -> None:  # type: ignore[no-untyped-def]
    values = objective(name, params)(*confusion_at(Y, S, GRID))
    for i, t in enumerate(GRID):
        assert values[i] == pytest.approx(reference(Y, (S >= t).astype(int)), abs=1e-12)


def test_constrained_objective_prefers_feasible_thresholds() -> None:
    values = objective("recall_at_precision", {"min_precision": 0.2})(*confusion_at(Y, S, GRID))
    for i, t in enumerate(GRID):
        p = (S >= t).astype(int)
        prec = precision_score(Y, p, zero_division=0.0)
        expected = recall_score(Y, p) if prec >= 0.2 else prec - 1
        assert values[i] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "scoring"),
    [
        ("f1", "f1"),
        ("balanced_accuracy", "balanced_accuracy"),
        ("f2", make_scorer(fbeta_score, beta=2)),
        ("mcc", make_scorer(matthews_corrcoef)),
    ],
)
def test_tuned_threshold_equals_tunedthresholdclassifiercv(name: str, scoring: object) -> None:
    X, y = make_classification(n_samples=600, weights=[0.9], random_state=3, flip_y=0.05)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ref = TunedThresholdClassifierCV(
        LogisticRegression(), scoring=scoring, cv=cv, thresholds=100
    ).fit(X, y)
    inner = []
    for tr, va in cv.split(X, y):
        model = LogisticRegression().fit(X[tr], y[tr])
        inner.append((y[va], model.predict_proba(X[va])[:, 1]))
    threshold, score = tune_threshold(inner, name, 100)
    assert threshold == pytest.approx(ref.best_threshold_, abs=1e-12)
    assert score == pytest.approx(ref.best_score_, abs=1e-12)


def test_explicit_threshold_grid_is_scored_as_given() -> None:
    grid = [0.05 * i for i in range(1, 11)]
    t, score = tune_threshold([(Y, S)], "f1", grid)
    best = max(grid, key=lambda g: f1_score(Y, S >= g))
    assert t == best and score == pytest.approx(f1_score(Y, S >= best))


def test_constant_scores_cannot_be_tuned() -> None:
    with pytest.raises(ValueError, match="constant predictions"):
        tune_threshold([(np.array([0, 1, 0]), np.array([0.3, 0.3, 0.3]))], "f1")


def test_decision_rules() -> None:
    proba = np.array([[0.5, 0.5], [0.7, 0.3], [0.2, 0.8]])
    # default: >= 0.5 is positive, so an exact tie goes to the positive class
    assert Decision(0.5).apply(proba).tolist() == [1, 0, 1]
    y_train = np.array([0] * 7 + [1] * 3)
    prior = get("threshold", "prior").build({}).decide(None, effective_prior(y_train, None, 2), 2)
    assert prior.threshold == pytest.approx(0.3)
    assert prior.apply(proba).tolist() == [1, 1, 1]
    mc = np.array([[0.6, 0.3, 0.1], [0.5, 0.1, 0.4]])
    y_mc = np.array([0] * 8 + [1] + [2])
    rule = get("threshold", "prior").build({}).decide(None, effective_prior(y_mc, None, 3), 3)
    # p / prior: row 0 -> [0.75, 3, 1] -> class 1 ; row 1 -> [0.625, 1, 4] -> class 2
    assert rule.apply(mc).tolist() == [1, 2]
    assert get("threshold", "default").build({}).decide(None, np.full(3, 1 / 3), 3).apply(
        mc
    ).tolist() == [0, 0]
    assert get("threshold", "fixed").build({"threshold": 0.25}).decide(
        None, np.array([0.7, 0.3]), 2
    ).apply(proba).tolist() == [1, 1, 1]


def test_prior_uses_the_distribution_the_model_was_fitted_on() -> None:
    """After a balancing resampler (or balanced weights) the prior threshold is 0.5, not the raw
    prevalence a second time (yeast4 + SMOTE + prior: threshold 0.034, precision 0.046)."""
    prior = get("threshold", "prior").build({})
    y_train = np.array([0] * 29 + [1])
    y_smote = np.array([0] * 29 + [1] * 29)
    assert prior.decide(None, effective_prior(y_smote, None, 2), 2).threshold == 0.5
    weights = get("class_weight", "balanced").build({})(y_train, y_train, ["n", "p"])
    assert prior.decide(None, effective_prior(y_train, weights, 2), 2).threshold == 0.5
    explicit = effective_prior(y_train, {0: 1.0, 1: 9.0}, 2)  # 29 vs 9 -> 9 / 38
    assert prior.decide(None, explicit, 2).threshold == pytest.approx(9 / 38)
    assert prior.decide(None, effective_prior(y_train, None, 2), 2).threshold == pytest.approx(
        1 / 30
    )


def _fold(n_neg_mid: int, n_neg_low: int) -> tuple[np.ndarray, np.ndarray]:
    # 5 positives (one at 0.7, four at 0.4), negatives at 0.4 and 0.1
    y = np.array([1] * 5 + [0] * (n_neg_mid + n_neg_low))
    s = np.array([0.7] + [0.4] * 4 + [0.4] * n_neg_mid + [0.1] * n_neg_low)
    return y, s


# fold A is feasible (precision >= 0.5) everywhere; fold B only at thresholds above 0.4.
# At 0.3 the mean of (recall 1.0, penalty 5/11 - 1) = 0.227 beats the mean recall 0.2 at 0.5/0.6,
# so averaging alone picks a threshold that breaks the constraint in fold B.
CONSTRAINED_FOLDS = [_fold(0, 5), _fold(6, 4)]


@pytest.mark.parametrize("thresholds", [[0.3, 0.6], 4])
def test_constrained_objective_is_feasible_in_every_fold(thresholds: object) -> None:
    fn = objective("recall_at_precision", {"min_precision": 0.5})
    t, score = tune_threshold(CONSTRAINED_FOLDS, fn, thresholds)  # type: ignore[arg-type]
    for y, s in CONSTRAINED_FOLDS:
        assert precision_score(y, (s >= t).astype(int)) >= 0.5
    assert t == pytest.approx(0.6 if isinstance(thresholds, list) else 0.5)
    assert score == pytest.approx(0.2)


def test_constrained_objective_without_a_feasible_threshold_takes_the_closest() -> None:
    fn = objective("recall_at_precision", {"min_precision": 0.99})
    folds = [_fold(6, 4), _fold(6, 4)]  # precision 1 at >= 0.7: feasible; make it infeasible
    folds = [(y, np.where(s == 0.7, 0.4, s)) for y, s in folds]
    t, score = tune_threshold(folds, fn, [0.3, 0.6])
    assert t == 0.3 and score == pytest.approx(5 / 11 - 1)


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        (
            "tuned",
            {"objective": "f1", "fn_cost": 5, "min_precision": 0.3, "beta": 2, "cv": 3},
            {"objective": "f1", "cv": 3},
        ),
        ("tuned", {"fn_cost": 5, "thresholds": 50}, {"thresholds": 50}),  # default objective f1
        (
            "tuned",
            {"objective": "cost", "fn_cost": 5, "fp_cost": 2, "min_recall": 0.2},
            {"objective": "cost", "fn_cost": 5, "fp_cost": 2},
        ),
        (
            "tuned",
            {"objective": "fbeta", "beta": 0.5, "fp_cost": 3},
            {"objective": "fbeta", "beta": 0.5},
        ),
        (
            "holdout",
            {
                "objective": "recall_at_precision",
                "min_precision": 0.4,
                "min_recall": 0.1,
                "test_size": 0.2,
            },
            {"objective": "recall_at_precision", "min_precision": 0.4, "test_size": 0.2},
        ),
        (
            "holdout",
            {"objective": "precision_at_recall", "min_recall": 0.6, "cv": 5},
            {"objective": "precision_at_recall", "min_recall": 0.6},
        ),
        ("fixed", {"threshold": 0.3}, {"threshold": 0.3}),
        ("prior", {}, {}),
        ("my_plugin", {"anything": 1}, {"anything": 1}),
    ],
)
def test_applicable_params(name: str, params: dict, expected: dict) -> None:  # type: ignore[type-arg]
    assert applicable_params(name, params) == expected


def test_holdout_split_and_refit_options() -> None:
    from climb_cli.components import get
    from climb_cli.errors import ConfigError

    holdout = get("threshold", "holdout")
    assert holdout.build({}).inner == ("holdout", 0.1) and holdout.build({}).refit
    plain = holdout.build({"stratify": False, "refit": False, "test_size": 0.2})
    assert plain.inner == ("shuffle", 0.2) and not plain.refit
    with pytest.raises(ConfigError, match="refit must be true or false. Got 'no' instead."):
        holdout.check({"refit": "no"})
