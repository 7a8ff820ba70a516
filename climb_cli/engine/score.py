"""Stage 5, score: every metric of a job on its test fold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from climb_cli.components.metrics import get_metric

__all__ = ["score"]


def score(
    metrics: Sequence[str],
    y_test: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray,
    n_classes: int,
) -> dict[str, Any]:
    """{metric: value}; label metrics use ``y_pred``, score metrics the probabilities."""
    scores = proba[:, 1] if n_classes == 2 else proba
    return {m: get_metric(m)(y_test, y_pred, scores, n_classes) for m in metrics}
