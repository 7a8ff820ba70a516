"""Stage 4, decide: a threshold strategy turns a model's test-fold scores into labels.

Searched strategies (``tuned``, ``holdout``) get the model refitted on each inner split of the training
fold (``InnerScores``, computed once per (model, inner split) and shared by every strategy using it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climb_cli.components import get
from climb_cli.config import Choice
from climb_cli.engine.fit import ModelSpec, predict_scores
from climb_cli.engine.prepare import InnerData
from climb_cli.engine.rows import SkipJob
from climb_cli.engine.split import InnerKey

__all__ = ["InnerScores", "decide_labels"]


@dataclass
class InnerScores:
    """Validation scores of one model refitted on every inner split, computed on first use."""

    model: ModelSpec
    inner: InnerData
    n_classes: int
    _cache: dict[InnerKey, tuple[list[tuple[np.ndarray, np.ndarray]], float]] = field(
        default_factory=dict)

    def get(self, key: InnerKey) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
        """[(y_val, positive scores), ...] for the inner split ``key``, and the seconds it took."""
        if key not in self._cache:
            start = time.perf_counter()
            out = []
            for Xi, yi, yi_before, Xv, yv in self.inner.get(key):
                fitted = self.model.fit(Xi, yi, yi_before)
                out.append((yv, predict_scores(fitted.estimator, Xv, self.n_classes)[:, 1]))
            self._cache[key] = (out, time.perf_counter() - start)
        return self._cache[key]


def decide_labels(threshold: Choice, proba: np.ndarray, y_train: np.ndarray, n_classes: int,
                  dataset: str, inner: InnerScores) -> tuple[np.ndarray, float | None, float]:
    """Labels for the test fold, the threshold applied (None on multiclass) and the seconds the
    model's inner fits took (0 when the strategy needs none)."""
    strategy = get("threshold", threshold.name).build(threshold.params_dict)
    if strategy.binary_only and n_classes != 2:
        raise SkipJob(f"threshold '{threshold.name}' is binary-only; dataset '{dataset}' has "
                      f"{n_classes} classes")
    scores: Any = None
    inner_time = 0.0
    if strategy.inner is not None:
        scores, inner_time = inner.get(strategy.inner)
    decision = strategy.decide(scores, y_train, n_classes)
    y_pred = decision.apply(proba)
    return y_pred, (decision.threshold if n_classes == 2 else None), inner_time
