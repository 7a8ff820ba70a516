"""An example bench plugin: one resampler and one classifier, registered by ``register()``.

Installed (``pip install examples/plugin``), bench finds it through its entry point in the group
``climb_cli.plugins``; without installing, ``bench run --plugin examples/plugin/bench_example_plugin.py``.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval


class JitterOverSampler(BaseEstimator):
    """Random over-sampling of every smaller class up to the largest, each copy moved by Gaussian
    noise of ``noise`` times the feature's standard deviation."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, noise: float = 0.05, random_state: int | None = None) -> None:
        self.noise = noise
        self.random_state = random_state

    def fit_resample(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """The rows of X plus jittered copies of randomly drawn minority rows."""
        self._validate_params()
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        rng = np.random.default_rng(self.random_state)
        labels, counts = np.unique(y, return_counts=True)
        scale = X.std(axis=0) * self.noise
        extra_X, extra_y = [X], [y]
        for label, count in zip(labels, counts):
            rows = rng.choice(np.flatnonzero(y == label), counts.max() - count)
            extra_X.append(X[rows] + rng.normal(size=(len(rows), X.shape[1])) * scale)
            extra_y.append(y[rows])
        return np.vstack(extra_X), np.concatenate(extra_y)


class CentroidClassifier(ClassifierMixin, BaseEstimator):
    """Nearest centroid with probabilities: softmax of minus the squared distances / temperature."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, temperature: float = 1.0) -> None:
        self.temperature = temperature

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CentroidClassifier:
        """Weighted class centroids."""
        self._validate_params()
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.classes_ = np.unique(y)
        self.centroids_ = np.array(
            [np.average(X[y == c], axis=0, weights=w[y == c]) for c in self.classes_]
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of minus the squared distances to the centroids."""
        d = ((np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)
        z = -d / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def register() -> None:
    """Register this plugin's components with bench (called once by bench when it loads it)."""
    from climb_cli import plugins

    plugins.register_resampler(
        "jitter_ros",
        JitterOverSampler,
        tags={"over"},
        description="Random over-sampling with Gaussian jitter (example plugin).",
    )
    plugins.register_classifier(
        "centroid",
        CentroidClassifier,
        description="Nearest centroid with softmax probabilities (example plugin).",
    )
