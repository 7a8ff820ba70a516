"""Class-weight strategies: turn the training labels into a {class: weight} mapping (or none)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from climb_cli.registry import Component, register

WeightFn = Callable[[np.ndarray], "dict[int, float] | None"]


def _none(params: dict[str, Any], **_: Any) -> WeightFn:
    return lambda y: None


def _balanced(params: dict[str, Any], **_: Any) -> WeightFn:
    def weights(y: np.ndarray) -> dict[int, float]:
        # n_samples / (n_classes * count), as scikit-learn's class_weight="balanced" computes it,
        # on the labels the classifier is fitted on (after resampling).
        classes, counts = np.unique(y, return_counts=True)
        return {int(c): float(len(y) / (len(classes) * n)) for c, n in zip(classes, counts)}

    return weights


register(Component("class_weight", "none", "No class weights.", _none, tags=frozenset({"none"})))
register(Component("class_weight", "balanced",
                   "n_samples / (n_classes * class count), computed on the (resampled) training fold.",
                   _balanced))
