"""Class-weight strategies: turn training labels into a {class: weight} mapping (or none).

A strategy is called with the labels the classifier is fitted on (after resampling), the labels of the
training fold before resampling, and the class names. ``balanced`` and ``balanced_sqrt`` use the former,
as scikit-learn's ``class_weight="balanced"`` would inside a pipeline; ``factor`` (Balancing the Scales'
grid) measures the imbalance ratio on the training fold itself.

Weights that are equal for every class present in the fitted labels are no weights: the strategy
returns None and the model is fitted exactly as without class weights (passing all-1 weights would
still change, e.g., a random forest's bootstrap draw and make chance look like a class-weight effect).

``effective_prior`` is the class distribution the model is fitted on (counts after resampling times
the weights): the ``prior`` threshold uses it. ``combination_warnings`` names grid cells that correct
the imbalance twice or duplicate another cell; ``bench validate`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from climb_cli.registry import Component, register

WeightFn = Callable[[np.ndarray, np.ndarray, list[str]], "dict[int, float] | None"]


def _counts(y: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(y, minlength=n_classes).astype(float)


def _unless_uniform(fn: WeightFn) -> WeightFn:
    """``fn``, but None when every class present in the fitted labels gets the same weight 1."""

    def weights(
        y_fit: np.ndarray, y_train: np.ndarray, names: list[str]
    ) -> dict[int, float] | None:
        w = fn(y_fit, y_train, names)
        if w is None:
            return None
        present = [w.get(int(c), 1.0) for c in np.unique(y_fit)]
        return None if all(v == 1.0 for v in present) else w

    return weights


def effective_prior(
    y_fit: np.ndarray, weights: dict[int, float] | None, n_classes: int
) -> np.ndarray:
    """Class distribution the model is fitted on: label counts times class weights, summing to 1."""
    mass = _counts(np.asarray(y_fit, dtype=np.int64), n_classes)
    if weights:
        mass = mass * np.array([weights.get(k, 1.0) for k in range(n_classes)])
    # rounded so that balanced weights give exactly 0.5 (1/k), not 0.5 +- 1 ulp: the prior
    # threshold then equals the default rule, ties included
    return np.round(mass / mass.sum(), 12)


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
        return {k: float(np.sqrt(v)) for k, v in (balanced(y_fit, y_train, names) or {}).items()}

    return weights


def _explicit(params: dict[str, Any], **_: Any) -> WeightFn:
    given = {str(k): float(v) for k, v in params["weights"].items()}

    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        aliases = {"negative": names[0], "positive": names[1]} if len(names) == 2 else {}
        resolved = {aliases.get(k, k): v for k, v in given.items()}
        unknown = sorted(set(resolved) - set(names))
        if unknown:
            raise ValueError(
                f"class weight for unknown class {unknown[0]!r}; classes are: "
                f"{', '.join(map(repr, names))}" + (" (or positive/negative)" if aliases else "")
            )
        return {k: resolved.get(n, 1.0) for k, n in enumerate(names)}

    return weights


def _check_explicit(params: dict[str, Any]) -> None:
    w = params.get("weights")
    if not isinstance(w, dict) or not w:
        raise ValueError(
            "'weights' must be a mapping {class: weight}, e.g. {positive: 10}. "
            f"Got {w!r} instead."
        )
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


def _uniform_is_none(build: Callable[..., WeightFn]) -> Callable[..., WeightFn]:
    return lambda params, **kw: _unless_uniform(build(params, **kw))


register(Component("class_weight", "none", "No class weights.", _none, tags=frozenset({"none"})))
register(
    Component(
        "class_weight",
        "balanced",
        "n_samples / (n_classes * class count) on the labels the classifier is fitted on; none when the "
        "fitted labels are already balanced.",
        _uniform_is_none(_balanced),
    )
)
register(
    Component(
        "class_weight",
        "balanced_sqrt",
        "Square root of the balanced weights (a milder correction).",
        _uniform_is_none(_balanced_sqrt),
    )
)
register(
    Component(
        "class_weight",
        "explicit",
        "Given weights {class: weight}; class by label, or positive/negative on binary data; "
        "unlisted classes weigh 1.",
        _uniform_is_none(_explicit),
        defaults={"weights": None},
        check_fn=_check_explicit,
    )
)
register(
    Component(
        "class_weight",
        "factor",
        "Balancing the Scales' grid: positive weight 1 + f * (IR - 1), IR measured on the training "
        "fold before resampling; negative weight 1 (f=1 is fully balanced).",
        _uniform_is_none(_factor),
        defaults={"f": 1.0},
        tags=frozenset({"binary_only"}),
        check_fn=_check_factor,
    )
)


def _class_balanced(params: dict[str, Any], **_: Any) -> WeightFn:
    beta = float(params.get("beta", 0.999))

    def weights(y_fit: np.ndarray, y_train: np.ndarray, names: list[str]) -> dict[int, float]:
        counts = _counts(y_fit, len(names))
        present = np.flatnonzero(counts > 0)
        # 1 / effective number of samples, (1 - beta) / (1 - beta^n); -expm1(n log beta) keeps
        # precision for beta near 1; beta = 0 gives 1 for every class
        n = counts[present]
        equal = beta == 0 or bool(np.all(n == n[0]))  # exactly 1 each, so None downstream
        raw = np.ones(len(n)) if equal else (1.0 - beta) / -np.expm1(n * np.log(beta))
        w = raw * len(present) / raw.sum()
        return {int(k): float(v) for k, v in zip(present, w)}

    return weights


def _check_class_balanced(params: dict[str, Any]) -> None:
    b = params.get("beta", 0.999)
    if isinstance(b, bool) or not isinstance(b, int | float) or not 0 <= b < 1:
        raise ValueError(f"'beta' must be a number in [0, 1). Got {b!r} instead.")


register(
    Component(
        "class_weight",
        "class_balanced",
        "Class-balanced weights (Cui et al. 2019): (1 - beta) / (1 - beta^n_c) on the labels the "
        "classifier is fitted on, normalised to sum to the number of classes; beta in [0, 1).",
        _uniform_is_none(_class_balanced),
        defaults={"beta": 0.999},
        check_fn=_check_class_balanced,
    )
)

# imbalanced-learn samplers that, with the default sampling_strategy, leave every class with exactly
# the same count (checked on binary and 3-class data). adasyn and kmeans_smote only come close
# (per-sample / per-cluster rounding); iht and the cleaning methods do not balance.
FULLY_BALANCING = frozenset(
    {
        "ros",
        "smote",
        "smotenc",
        "smoten",
        "borderline_smote",
        "svm_smote",
        "rus",
        "nearmiss",
        "cluster_centroids",
    }
)
_NEARLY_BALANCING = frozenset({"adasyn", "kmeans_smote", "smote_tomek"})
_BALANCING_STRATEGIES = ("auto", "all", "not majority", "not minority")


def _balances(resampler_name: str, resampler_params: dict[str, Any] | None) -> str:
    """'exactly', 'nearly' or '' : how far the resampler equalises the class counts."""
    strategy = (resampler_params or {}).get("sampling_strategy", "auto")
    if not isinstance(strategy, str) or strategy not in _BALANCING_STRATEGIES:
        return ""
    if resampler_name in FULLY_BALANCING:
        return "exactly"
    return "nearly" if resampler_name in _NEARLY_BALANCING else ""


def combination_warnings(
    resampler_name: str,
    class_weight_name: str,
    threshold_name: str,
    resampler_params: dict[str, Any] | None = None,
) -> list[str]:
    """Notes on a (resampler, class weight, threshold) cell that double-corrects or duplicates."""
    notes = []
    cell = f"resampler '{resampler_name}' + class weight '{class_weight_name}'"
    balances = _balances(resampler_name, resampler_params)
    if class_weight_name == "factor" and resampler_name != "none":
        notes.append(
            f"{cell}: 'factor' weighs the positive class by the imbalance ratio measured "
            f"before resampling, so after '{resampler_name}' the imbalance is corrected "
            "twice"
        )
    if (
        class_weight_name in ("balanced", "balanced_sqrt", "class_balanced")
        and balances == "exactly"
    ):
        notes.append(
            f"{cell}: '{resampler_name}' balances the classes, so the weights are all 1 "
            "and the model is fitted without weights; results are identical to "
            "class weight 'none'"
        )
    elif (
        class_weight_name in ("balanced", "balanced_sqrt", "class_balanced")
        and balances == "nearly"
    ):
        notes.append(
            f"{cell}: '{resampler_name}' nearly balances the classes, so the weights are "
            "close to 1; results differ from class weight 'none' mostly by chance"
        )
    # balanced weights make the weighted class counts equal whatever the resampler did
    balanced_fit = class_weight_name == "balanced" or (
        balances == "exactly" and class_weight_name in ("none", "balanced_sqrt", "class_balanced")
    )
    if threshold_name == "prior" and balanced_fit:
        notes.append(
            f"{cell} + threshold 'prior': the model is fitted on balanced (or "
            "balanced-weighted) data, so the prior threshold is 0.5 (multiclass: "
            "argmax); results are identical to threshold 'default'"
        )
    return notes
