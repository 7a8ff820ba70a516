"""Class-weight strategies: turn training labels into a {class: weight} mapping (or none).

A strategy is called with the labels the classifier is fitted on (after resampling), the labels of the
training fold before resampling, and the class names. ``balanced`` and ``balanced_sqrt`` use the former,
as scikit-learn's ``class_weight="balanced"`` would inside a pipeline; ``factor`` (Balancing the Scales'
grid) measures the imbalance ratio on the training fold itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from climb_cli.registry import Component, register

WeightFn = Callable[[np.ndarray, np.ndarray, list[str]], "dict[int, float] | None"]


def _counts(y: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(y, minlength=n_classes).astype(float)


def _none(params: dict[str, Any], **_: Any) -> WeightFn:
    return lambda y_fit, y_train, names: None


def _balanced(params: dict[str, Any], **_: Any) -> WeightFn:
    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        counts = _counts(y_fit, len(names))
        present = counts > 0
        w = np.where(present, len(y_fit) / (present.sum() * np.maximum(counts, 1)), 0.0)
        return {k: float(w[k]) for k in range(len(names)) if present[k]}

    return weights


def _balanced_sqrt(params: dict[str, Any], **_: Any) -> WeightFn:
    balanced = _balanced(params)

    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        return {k: float(np.sqrt(v)) for k, v in balanced(y_fit, y_train, names).items()}

    return weights


def _explicit(params: dict[str, Any], **_: Any) -> WeightFn:
    given = {str(k): float(v) for k, v in params["weights"].items()}

    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        aliases = {"negative": names[0], "positive": names[1]} if len(names) == 2 else {}
        resolved = {aliases.get(k, k): v for k, v in given.items()}
        unknown = sorted(set(resolved) - set(names))
        if unknown:
            raise ValueError(f"class weight for unknown class {unknown[0]!r}; classes are: "
                             f"{', '.join(map(repr, names))}" + (" (or positive/negative)"
                                                                  if aliases else ""))
        return {k: resolved.get(n, 1.0) for k, n in enumerate(names)}

    return weights


def _check_explicit(params: dict[str, Any]) -> None:
    w = params.get("weights")
    if not isinstance(w, dict) or not w:
        raise ValueError("'weights' must be a mapping {class: weight}, e.g. {positive: 10}. "
                         f"Got {w!r} instead.")
    for k, v in w.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            raise ValueError(f"weight of class {k!r} must be a positive number. Got {v!r} instead.")


def _factor(params: dict[str, Any], **_: Any) -> WeightFn:
    f = float(params.get("f", 1.0))

    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        counts = _counts(y_train, 2)
        ir = counts[0] / counts[1]
        return {0: 1.0, 1: float(1.0 + f * (ir - 1.0))}

    return weights


def _check_factor(params: dict[str, Any]) -> None:
    f = params.get("f", 1.0)
    if isinstance(f, bool) or not isinstance(f, int | float) or f < 0:
        raise ValueError(f"'f' must be a number >= 0. Got {f!r} instead.")


register(Component("class_weight", "none", "No class weights.", _none, tags=frozenset({"none"})))
register(Component(
    "class_weight", "balanced",
    "n_samples / (n_classes * class count) on the labels the classifier is fitted on.", _balanced))
register(Component(
    "class_weight", "balanced_sqrt", "Square root of the balanced weights (a milder correction).",
    _balanced_sqrt))
register(Component(
    "class_weight", "explicit",
    "Given weights {class: weight}; class by label, or positive/negative on binary data; "
    "unlisted classes weigh 1.", _explicit, defaults={"weights": None}, check_fn=_check_explicit))
register(Component(
    "class_weight", "factor",
    "Balancing the Scales' grid: positive weight 1 + f * (IR - 1), IR measured on the training "
    "fold; negative weight 1 (f=1 is fully balanced).", _factor, defaults={"f": 1.0},
    tags=frozenset({"binary_only"}), check_fn=_check_factor))
