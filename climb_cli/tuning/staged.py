"""One fit serving many ``n_estimators`` candidates (AdaBoost is left out: its staged
probabilities differ from separate fits in the last bit).

A forest's first k trees are exactly the trees a forest of k trees grows (trees draw their seeds in
order from one generator); a boosted model's first k stages are exactly a model boosted k times
(stages are fitted in order). So one fit with the largest candidate gives every smaller candidate's
predictions: tree subsets for forests, staged predictions for boosting, ``num_iteration`` for
LightGBM. Each function maps {n: class-probability matrix} for the candidate values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["STAGED", "staged_probas"]

Staged = Callable[[Any, np.ndarray, Sequence[int]], dict[int, np.ndarray]]


def _tree_subsets(est: Any, X: np.ndarray, values: Sequence[int]) -> dict[int, np.ndarray]:
    # a forest's predict_proba is the mean of its trees' probabilities: running sums give every prefix
    trees = est.estimators_
    out: dict[int, np.ndarray] = {}
    total = None
    wanted = set(values)
    for i, tree in enumerate(trees, start=1):
        p = tree.predict_proba(X)
        total = p.copy() if total is None else total + p
        if i in wanted:
            out[i] = total / i
    return out


def _staged(est: Any, X: np.ndarray, values: Sequence[int]) -> dict[int, np.ndarray]:
    wanted = set(values)
    out = {}
    for i, p in enumerate(est.staged_predict_proba(X), start=1):
        if i in wanted:
            out[i] = np.asarray(p)
    # AdaBoost may stop early: later candidates equal the final model
    last = max(out) if out else None
    for v in wanted:
        if v not in out and last is not None:
            out[v] = out[last]
    return out


def _lgbm(est: Any, X: np.ndarray, values: Sequence[int]) -> dict[int, np.ndarray]:
    return {v: est.predict_proba(X, num_iteration=v) for v in values}


STAGED: dict[str, Staged] = {
    "rf": _tree_subsets,
    "et": _tree_subsets,
    "gb": _staged,
    "lgbm": _lgbm,
}


def staged_probas(
    name: str, est: Any, X: np.ndarray, values: Sequence[int], n_classes: int
) -> dict[int, np.ndarray]:
    """{n_estimators: probability matrix with one column per class 0..k-1}."""
    classes = np.asarray(est.classes_, dtype=int)
    out = {}
    for v, p in STAGED[name](est, X, values).items():
        full = np.zeros((X.shape[0], n_classes))
        full[:, classes] = p
        out[v] = full
    return out
