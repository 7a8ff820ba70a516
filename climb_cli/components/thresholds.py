"""Decision-threshold strategies for binary problems.

``default`` predicts positive when the positive-class probability is >= 0.5 (scikit-learn's
FixedThresholdClassifier rule; multiclass: argmax). ``tuned`` picks the threshold that maximises an
objective on inner stratified folds of the training fold, the way scikit-learn's
TunedThresholdClassifierCV does (per-fold linspace grids, interpolated onto a common grid, averaged,
argmax) -- but every candidate threshold is scored in one vectorised pass over sorted scores, and one
inner cross-validation serves every tuned objective of the same model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.registry import Component, register

Counts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # tp, fp, fn, tn per threshold


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0 where den == 0 (scikit-learn's zero_division=0 convention)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _fbeta(beta: float) -> Callable[..., np.ndarray]:
    b2 = beta * beta
    return lambda tp, fp, fn, tn: _div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def _balanced_accuracy(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    return (_div(tp, tp + fn) + _div(tn, tn + fp)) / 2


def _mcc(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    tp, fp, fn, tn = (np.asarray(a, dtype=float) for a in (tp, fp, fn, tn))
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _div(tp * tn - fp * fn, den)


def _gmean(tp, fp, fn, tn):  # type: ignore[no-untyped-def]
    return np.sqrt(_div(tp, tp + fn) * _div(tn, tn + fp))


OBJECTIVES: dict[str, Callable[..., np.ndarray]] = {
    "f1": _fbeta(1.0),
    "f2": _fbeta(2.0),
    "balanced_accuracy": _balanced_accuracy,
    "mcc": _mcc,
    "gmean": _gmean,
}


def confusion_at(y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> Counts:
    """Confusion counts of the rule ``score >= t`` for every t at once (two sorts, two searches)."""
    y_true = np.asarray(y_true).astype(bool)
    pos = np.sort(scores[y_true])
    neg = np.sort(scores[~y_true])
    tp = len(pos) - np.searchsorted(pos, thresholds, side="left")
    fp = len(neg) - np.searchsorted(neg, thresholds, side="left")
    fn = len(pos) - tp
    tn = len(neg) - fp
    return tp, fp, fn, tn


def tune_threshold(
    inner: Sequence[tuple[np.ndarray, np.ndarray]], objective: str, n_thresholds: int = 100
) -> tuple[float, float]:
    """Best threshold and its mean objective over inner folds ``[(y_val, score_val), ...]``."""
    metric = OBJECTIVES[objective]
    fold_grids, fold_scores = [], []
    for y_val, s_val in inner:
        grid = np.linspace(np.min(s_val), np.max(s_val), n_thresholds)
        if np.isclose(grid[0], grid[-1]):
            raise ValueError(
                "the classifier makes constant predictions on an inner fold; "
                "the decision threshold cannot be tuned"
            )
        fold_grids.append(grid)
        fold_scores.append(metric(*confusion_at(y_val, s_val, grid)))
    common = np.linspace(min(g.min() for g in fold_grids), max(g.max() for g in fold_grids),
                         n_thresholds)
    mean = np.mean([np.interp(common, g, s) for g, s in zip(fold_grids, fold_scores)], axis=0)
    best = int(np.argmax(mean))
    return float(common[best]), float(mean[best])


@dataclass(frozen=True)
class ThresholdStrategy:
    """What a threshold strategy needs (inner CV or not) and how it chooses the threshold."""

    binary_only: bool
    inner_cv: int | None
    choose: Callable[[Sequence[tuple[np.ndarray, np.ndarray]] | None], float]


def _default(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    return ThresholdStrategy(binary_only=False, inner_cv=None, choose=lambda inner: 0.5)


def _tuned(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    p = {**TUNED_DEFAULTS, **params}
    return ThresholdStrategy(
        binary_only=True,
        inner_cv=int(p["cv"]),
        choose=lambda inner: tune_threshold(inner or [], p["objective"], int(p["thresholds"]))[0],
    )


def _check_tuned(params: dict[str, Any]) -> None:
    p = {**TUNED_DEFAULTS, **params}
    if p["objective"] not in OBJECTIVES:
        raise ValueError(
            f"objective must be one of {', '.join(sorted(OBJECTIVES))}. Got {p['objective']!r} instead."
        )
    for key, low in (("cv", 2), ("thresholds", 2)):
        value = p[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{key} must be an integer >= {low}. Got {value!r} instead.")


TUNED_DEFAULTS = {"objective": "f1", "cv": 5, "thresholds": 100}

register(Component(
    "threshold", "default",
    "Positive when P(positive) >= 0.5 (FixedThresholdClassifier's rule); multiclass: argmax.",
    _default))
register(Component(
    "threshold", "tuned",
    "Threshold maximising `objective` over inner stratified `cv` folds of the training fold "
    "(TunedThresholdClassifierCV semantics, vectorised sweep over `thresholds` candidates).",
    _tuned, defaults=TUNED_DEFAULTS, tags=frozenset({"binary_only", "inner_cv"}),
    check_fn=_check_tuned))
