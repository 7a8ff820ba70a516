"""Decision rules that turn scores into labels: the threshold axis of the grid.

- ``default``: positive when P(positive) >= 0.5, the rule of scikit-learn's FixedThresholdClassifier
  (multiclass: argmax). An estimator's own ``predict()`` may break an exact 0.5 tie the other way
  (random forests produce exact ties often); bench always applies ``>=``.
- ``fixed``: positive when the score >= ``threshold``.
- ``prior``: threshold at the positive share of the data the model was fitted on -- the class counts
  after resampling times the class weights (``class_weights.effective_prior``): a model fitted on
  balanced or balanced-weighted data gets 0.5, not the raw prevalence again. Multiclass: argmax of
  p_k / prior_k.
- ``tuned``: the threshold maximising ``objective`` over inner stratified ``cv`` folds of the training
  fold, exactly as TunedThresholdClassifierCV searches (per-fold linspace grids of ``thresholds``
  candidates interpolated onto a common grid, averaged, argmax) -- but every candidate is scored in one
  vectorised pass over sorted scores, and one inner cross-validation serves every tuned objective.
  The constrained objectives (``recall_at_precision``, ``precision_at_recall``) choose, among the
  candidates, one that meets the constraint in every inner fold whenever one exists.
- ``holdout``: Balancing the Scales' variant: one 90/10 split of the training fold (stratified unless
  ``stratify: false``), candidate thresholds 0.05, 0.10, ..., 0.50. With ``refit: false`` the final
  model is the one trained on the 90% part (as the study did) instead of a refit on the whole fold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.registry import Component, register

Counts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # tp, fp, fn, tn per threshold
Objective = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
InnerScores = Sequence[tuple[np.ndarray, np.ndarray]]  # [(y_val, positive score), ...]


def _div(num: Any, den: Any) -> np.ndarray:
    """num / den with 0 where den == 0 (scikit-learn's zero_division=0 convention)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _fbeta(beta: float) -> Objective:
    b2 = beta * beta
    return lambda tp, fp, fn, tn: _div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def _balanced_accuracy(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    return (_div(tp, tp + fn) + _div(tn, tn + fp)) / 2


def _mcc(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    tp, fp, fn, tn = (np.asarray(a, dtype=float) for a in (tp, fp, fn, tn))
    return _div(tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))


def _gmean(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    return np.sqrt(_div(tp, tp + fn) * _div(tn, tn + fp))


def _cost(fp_cost: float, fn_cost: float) -> Objective:
    # maximised, so the negative mean cost per sample (comparable across folds of any size)
    return lambda tp, fp, fn, tn: -(fp_cost * fp + fn_cost * fn) / (tp + fp + fn + tn)


class _Constrained:
    """Recall subject to precision >= floor (or the converse). Infeasible thresholds score
    ``constraint - 1`` (in [-1, 0)), so on one fold any feasible one wins and, if none is, the
    closest does; ``tune_threshold`` keeps that true across folds with ``feasible``."""

    def __init__(self, maximise: str, floor: float) -> None:
        self.maximise, self.floor = maximise, floor

    def _goal_constraint(
        self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        precision, recall = _div(tp, tp + fp), _div(tp, tp + fn)
        return (recall, precision) if self.maximise == "recall" else (precision, recall)

    def feasible(
        self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
    ) -> np.ndarray:
        """Whether each threshold meets the constraint."""
        return np.asarray(self._goal_constraint(tp, fp, fn, tn)[1] >= self.floor)

    def __call__(
        self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
    ) -> np.ndarray:
        goal, constraint = self._goal_constraint(tp, fp, fn, tn)
        return np.where(constraint >= self.floor, goal, constraint - 1.0)


def _constrained(maximise: str, floor: float) -> Objective:
    return _Constrained(maximise, floor)


OBJECTIVE_NAMES = (
    "f1",
    "f2",
    "fbeta",
    "balanced_accuracy",
    "mcc",
    "gmean",
    "cost",
    "recall_at_precision",
    "precision_at_recall",
)


def objective(name: str, params: dict[str, Any] | None = None) -> Objective:
    """The vectorised objective ``name`` with its parameters (beta, fp_cost, min_precision...)."""
    p = {**TUNED_DEFAULTS, **(params or {})}
    # factories, so only the chosen objective reads its parameters
    factories: dict[str, Callable[[], Objective]] = {
        "f1": lambda: _fbeta(1.0),
        "f2": lambda: _fbeta(2.0),
        "fbeta": lambda: _fbeta(float(p["beta"])),
        "balanced_accuracy": lambda: _balanced_accuracy,
        "mcc": lambda: _mcc,
        "gmean": lambda: _gmean,
        "cost": lambda: _cost(float(p["fp_cost"]), float(p["fn_cost"])),
        "recall_at_precision": lambda: _constrained("recall", float(p["min_precision"])),
        "precision_at_recall": lambda: _constrained("precision", float(p["min_recall"])),
    }
    return factories[name]()


def confusion_at(y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> Counts:
    """Confusion counts of the rule ``score >= t`` for every t at once (two sorts, two searches)."""
    y_true = np.asarray(y_true).astype(bool)
    pos = np.sort(scores[y_true])
    neg = np.sort(scores[~y_true])
    tp = len(pos) - np.searchsorted(pos, thresholds, side="left")
    fp = len(neg) - np.searchsorted(neg, thresholds, side="left")
    return tp, fp, len(pos) - tp, len(neg) - fp


def _combine(per_fold: list[np.ndarray], feasible: list[np.ndarray] | None) -> np.ndarray:
    """Mean objective over folds; with a constraint, candidates infeasible in any fold rank below
    every candidate feasible in all (their mean may be higher: a per-fold penalty averages out)."""
    mean = np.mean(per_fold, axis=0)
    if feasible is None:
        return mean
    everywhere = np.all(feasible, axis=0)
    # objective values lie in [-1, 1]: shifting by 3 puts every such candidate below the others
    return np.where(everywhere, mean, mean - 3.0) if everywhere.any() else mean


def tune_threshold(
    inner: InnerScores, metric: Objective | str, thresholds: int | Sequence[float] = 100
) -> tuple[float, float]:
    """Best threshold and its mean objective over inner folds ``[(y_val, score_val), ...]``."""
    fn = objective(metric) if isinstance(metric, str) else metric
    constrained = fn if isinstance(fn, _Constrained) else None
    if not isinstance(thresholds, int):
        grid = np.asarray(thresholds, dtype=float)
        counts = [confusion_at(y, s, grid) for y, s in inner]
        per_fold = [fn(*c) for c in counts]
        feasible = [constrained.feasible(*c) for c in counts] if constrained is not None else None
    else:
        fold_grids, fold_scores = [], []
        for y_val, s_val in inner:
            fold_grid = np.linspace(np.min(s_val), np.max(s_val), thresholds)
            if np.isclose(fold_grid[0], fold_grid[-1]):
                raise ValueError(
                    "the classifier makes constant predictions on an inner fold; "
                    "the decision threshold cannot be tuned"
                )
            fold_grids.append(fold_grid)
            fold_scores.append(fn(*confusion_at(y_val, s_val, fold_grid)))
        grid = np.linspace(
            min(g.min() for g in fold_grids), max(g.max() for g in fold_grids), thresholds
        )
        per_fold = [np.interp(grid, g, s) for g, s in zip(fold_grids, fold_scores)]
        # feasibility is checked exactly at the common candidates, not interpolated
        feasible = (
            [constrained.feasible(*confusion_at(y, s, grid)) for y, s in inner]
            if constrained is not None
            else None
        )
    combined = _combine(per_fold, feasible)
    best = int(np.argmax(combined))
    return float(grid[best]), float(np.mean(per_fold, axis=0)[best])


@dataclass(frozen=True)
class Decision:
    """How labels are made: binary ``score >= threshold``; multiclass ``argmax(p * weights)``."""

    threshold: float | None = None
    class_weights: np.ndarray | None = None

    def apply(self, proba: np.ndarray) -> np.ndarray:
        """Labels from the class-probability matrix."""
        if proba.shape[1] == 2:
            return (proba[:, 1] >= self.threshold).astype(np.int64)
        w = np.ones(proba.shape[1]) if self.class_weights is None else self.class_weights
        return np.argmax(proba * w, axis=1).astype(np.int64)


@dataclass(frozen=True)
class ThresholdStrategy:
    """What a threshold strategy needs and how it decides.

    ``inner`` names the inner split it needs: ("cv", k) or ("holdout", test_fraction), or None.
    ``decide(inner_scores, fit_prior, n_classes)`` returns the Decision; ``fit_prior`` is the class
    distribution the model was fitted on (``class_weights.effective_prior``).
    """

    binary_only: bool
    inner: tuple[str, Any] | None
    decide: Callable[[InnerScores | None, np.ndarray, int], Decision]
    refit: bool = True  # False: predict with the model trained on the inner part (one split)


def _default(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    return ThresholdStrategy(False, None, lambda inner, prior, k: Decision(0.5 if k == 2 else None))


def _fixed(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    t = float(params.get("threshold", 0.5))
    return ThresholdStrategy(True, None, lambda inner, prior, k: Decision(t))


def _prior(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    def decide(inner: InnerScores | None, fit_prior: np.ndarray, k: int) -> Decision:
        # the model's probabilities reflect the distribution it was fitted on (after resampling
        # and weighting), so that distribution -- not the raw prevalence -- is the neutral point
        prior = np.asarray(fit_prior, dtype=float)
        if k == 2:
            return Decision(float(prior[1]))
        return Decision(class_weights=1.0 / np.maximum(prior, 1e-12))

    return ThresholdStrategy(False, None, decide)


TUNED_DEFAULTS: dict[str, Any] = {
    "objective": "f1",
    "cv": 5,
    "thresholds": 100,
    "beta": 1.0,
    "fp_cost": 1.0,
    "fn_cost": 1.0,
    "min_precision": 0.5,
    "min_recall": 0.5,
}
HOLDOUT_DEFAULTS: dict[str, Any] = {
    **{k: v for k, v in TUNED_DEFAULTS.items() if k not in ("cv", "thresholds")},
    "test_size": 0.1,
    "thresholds": [round(0.05 * i, 2) for i in range(1, 11)],
    "stratify": True,
    "refit": True,
}


_OBJECTIVE_PARAMS = {
    "fbeta": ("beta",),
    "cost": ("fp_cost", "fn_cost"),
    "recall_at_precision": ("min_precision",),
    "precision_at_recall": ("min_recall",),
}
_ALWAYS = {
    "default": (),
    "prior": (),
    "fixed": ("threshold",),
    "tuned": ("objective", "cv", "thresholds"),
    "holdout": ("objective", "test_size", "thresholds", "stratify", "refit"),
}


def applicable_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The given parameters of strategy ``name`` that affect it (e.g. no fn_cost for objective f1)."""
    if name not in _ALWAYS:  # a plugin strategy: every parameter counts
        return dict(params)
    keep = set(_ALWAYS[name])
    if name in ("tuned", "holdout"):
        keep |= set(_OBJECTIVE_PARAMS.get(params.get("objective", TUNED_DEFAULTS["objective"]), ()))
    return {k: v for k, v in params.items() if k in keep}


def _searched(
    p: dict[str, Any], inner_key: tuple[str, Any], refit: bool = True
) -> ThresholdStrategy:
    """A binary strategy choosing the threshold by ``tune_threshold`` on the inner split."""
    fn = objective(p["objective"], p)
    return ThresholdStrategy(
        True,
        inner_key,
        lambda inner, prior, k: Decision(tune_threshold(inner or [], fn, p["thresholds"])[0]),
        refit,
    )


def _tuned(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    p = {**TUNED_DEFAULTS, **params}
    return _searched(p, ("cv", int(p["cv"])))


def _holdout(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    p = {**HOLDOUT_DEFAULTS, **params}
    kind = "holdout" if p["stratify"] else "shuffle"
    return _searched(p, (kind, float(p["test_size"])), bool(p["refit"]))


def _number(
    p: dict[str, Any], key: str, low: float, high: float | None = None, integer: bool = False
) -> None:
    v = p[key]
    kind = int if integer else (int, float)
    ok = (
        not isinstance(v, bool) and isinstance(v, kind) and v >= low and (high is None or v <= high)
    )
    if not ok:
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(
            f"{key} must be {'an integer' if integer else 'a number'} {rng}. Got {v!r} instead."
        )


def _check_objective(p: dict[str, Any]) -> None:
    if p["objective"] not in OBJECTIVE_NAMES:
        raise ValueError(
            f"objective must be one of {', '.join(OBJECTIVE_NAMES)}. "
            f"Got {p['objective']!r} instead."
        )
    _number(p, "beta", 0)
    _number(p, "fp_cost", 0)
    _number(p, "fn_cost", 0)
    _number(p, "min_precision", 0, 1)
    _number(p, "min_recall", 0, 1)


def _check_grid(p: dict[str, Any]) -> None:
    t = p["thresholds"]
    if isinstance(t, list | tuple):
        if not t or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in t):
            raise ValueError(
                f"thresholds must be an integer >= 2 or a list of numbers. Got {t!r} instead."
            )
    else:
        _number(p, "thresholds", 2, integer=True)


def _check_tuned(params: dict[str, Any]) -> None:
    p = {**TUNED_DEFAULTS, **params}
    _check_objective(p)
    _number(p, "cv", 2, integer=True)
    _check_grid(p)


def _check_holdout(params: dict[str, Any]) -> None:
    p = {**HOLDOUT_DEFAULTS, **params}
    _check_objective(p)
    _number(p, "test_size", 0.01, 0.5)
    _check_grid(p)
    for key in ("stratify", "refit"):
        if not isinstance(p[key], bool):
            raise ValueError(f"{key} must be true or false. Got {p[key]!r} instead.")  # noqa: TRY004


def _check_fixed(params: dict[str, Any]) -> None:
    _number({"threshold": 0.5, **params}, "threshold", 0, 1)


register(
    Component(
        "threshold",
        "default",
        "Positive when P(positive) >= 0.5 (FixedThresholdClassifier's rule); multiclass: argmax.",
        _default,
    )
)
register(
    Component(
        "threshold",
        "fixed",
        "Positive when the score >= `threshold`.",
        _fixed,
        defaults={"threshold": 0.5},
        tags=frozenset({"binary_only"}),
        check_fn=_check_fixed,
    )
)
register(
    Component(
        "threshold",
        "prior",
        "Threshold at the positive share of the data the model was fitted on (class counts after "
        "resampling times class weights); multiclass: argmax of p_k / prior_k.",
        _prior,
    )
)
register(
    Component(
        "threshold",
        "tuned",
        "Threshold maximising `objective` over inner stratified `cv` folds of the training fold "
        "(TunedThresholdClassifierCV's search, vectorised). Objectives: "
        + ", ".join(OBJECTIVE_NAMES)
        + " (fbeta uses beta; cost uses fp_cost, fn_cost; recall_at_precision uses min_precision; "
        "precision_at_recall uses min_recall).",
        _tuned,
        defaults=TUNED_DEFAULTS,
        tags=frozenset({"binary_only", "inner_cv"}),
        check_fn=_check_tuned,
    )
)
register(
    Component(
        "threshold",
        "holdout",
        "Balancing the Scales' tuning: one split (test_size 0.1 of the training fold; stratified "
        "unless stratify: false), thresholds 0.05..0.50; same objectives as tuned; refit: false "
        "keeps the model trained on the rest of the split (as the study did).",
        _holdout,
        defaults=HOLDOUT_DEFAULTS,
        tags=frozenset({"binary_only", "inner_cv"}),
        check_fn=_check_holdout,
    )
)
