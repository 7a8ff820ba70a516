"""Stage 3, fit: a classifier with its class-weight strategy, and its scores on new rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.components import get
from climb_cli.config import Choice
from climb_cli.engine.rows import SkipJob

__all__ = [
    "FittedModel",
    "ModelSpec",
    "detector_skip",
    "fit_model",
    "fit_weighted",
    "positive_scores",
    "predict_scores",
]


@dataclass(frozen=True)
class ModelSpec:
    """What one model of a group is: a classifier, a class-weight strategy, the dataset's class
    names and the model's seed."""

    classifier: Choice
    class_weight: Choice
    class_names: tuple[str, ...]
    seed: int

    def fit(self, X: np.ndarray, y: np.ndarray, y_before: np.ndarray) -> FittedModel:
        """Fit on ``(X, y)``; ``y_before`` = the labels before resampling (for ``factor``)."""
        return fit_weighted(
            self.classifier, self.class_weight, X, y, y_before, list(self.class_names), self.seed
        )


@dataclass(frozen=True)
class FittedModel:
    """A fitted estimator, the class weights it was fitted with and the labels it saw."""

    estimator: Any
    weights: dict[int, float] | None
    y_fit: np.ndarray


def fit_weighted(
    classifier: Choice,
    class_weight: Choice,
    X: np.ndarray,
    y: np.ndarray,
    y_train: np.ndarray,
    class_names: list[str],
    seed: int,
) -> FittedModel:
    """Fit the classifier with the class-weight strategy applied through its own API."""
    component = get("classifier", classifier.name)
    strategy = get("class_weight", class_weight.name)
    if component.has("binary_only") and len(class_names) != 2:
        raise SkipJob(
            f"classifier '{classifier.name}' is binary-only; this dataset has "
            f"{len(class_names)} classes"
        )
    reason = detector_skip(classifier, None, class_weight)
    if reason is not None:
        raise SkipJob(reason)
    if strategy.has("binary_only") and len(class_names) != 2:
        raise SkipJob(
            f"class weight '{class_weight.name}' is binary-only; this dataset has "
            f"{len(class_names)} classes"
        )
    weights = strategy.build(class_weight.params_dict)(y, y_train, class_names)
    if weights is None:
        est = component.build(classifier.params_dict, random_state=seed).fit(X, y)
    elif component.has("supports_class_weight"):
        est = component.build(classifier.params_dict, random_state=seed, class_weight=weights)
        est = est.fit(X, y)
    elif component.has("supports_sample_weight"):
        est = component.build(classifier.params_dict, random_state=seed)
        sample_weight = np.array([weights.get(int(c), 1.0) for c in y], dtype=float)
        est = est.fit(X, y, sample_weight=sample_weight)
    else:
        raise SkipJob(
            f"classifier '{classifier.name}' supports neither class_weight nor "
            f"sample_weight, so class weight '{class_weight.name}' cannot apply"
        )
    return FittedModel(est, weights, np.asarray(y))


def detector_skip(classifier: Choice, resampler: Choice | None, class_weight: Choice) -> str | None:
    """Why an anomaly detector (tag ``detector``) cannot take this remedy; None when it can."""
    if not get("classifier", classifier.name).has("detector"):
        return None
    what = f"classifier '{classifier.name}' is an anomaly detector"
    if resampler is not None and resampler.name != "none":
        return f"{what}: it fits no resampled data; resampler '{resampler.name}' does not apply"
    if class_weight.name != "none":
        return (
            f"{what}: it takes no class weights; class weight '{class_weight.name}' does not apply"
        )
    return None


def fit_model(
    classifier: Choice,
    class_weight: Choice,
    X: np.ndarray,
    y: np.ndarray,
    y_train: np.ndarray,
    class_names: list[str],
    seed: int,
) -> Any:
    """The fitted estimator alone (see ``fit_weighted``)."""
    return fit_weighted(classifier, class_weight, X, y, y_train, class_names, seed).estimator


def predict_scores(est: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Class-probability matrix (one column per class 0..k-1).

    Without ``predict_proba`` (SVMs), the decision function goes through a sigmoid (binary) or a
    softmax (multiclass): the 0.5 threshold is then the model's own decision rule.
    """
    from scipy.special import expit, softmax

    classes = np.asarray(est.classes_, dtype=int)
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
    else:
        d = est.decision_function(X)
        proba = np.column_stack([1 - expit(d), expit(d)]) if d.ndim == 1 else softmax(d, axis=1)
    full = np.zeros((X.shape[0], n_classes))
    full[:, classes] = proba
    return full


def positive_scores(est: Any, X: np.ndarray, n_classes: int) -> tuple[np.ndarray, bool]:
    """Binary scores a threshold search runs on, as TunedThresholdClassifierCV's
    ``response_method="auto"`` does: ``predict_proba[:, 1]``, else the raw decision values.
    The flag says whether they are raw decision values."""
    if hasattr(est, "predict_proba"):
        return predict_scores(est, X, n_classes)[:, 1], False
    d = np.asarray(est.decision_function(X), dtype=float)
    return (d if list(est.classes_) == [0, 1] else -d), True
