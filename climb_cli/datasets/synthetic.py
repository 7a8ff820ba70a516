"""Synthetic datasets beyond ``make_classification``, chosen by ``synthetic: {generator: NAME, ...}``.

``drift``: a binary problem whose class-conditional feature means move with a ``time`` column
(integers 0..n_times-1, rows in random order). The direction separating positives from negatives
rotates with time and the negatives' mean slides, so a model trained on the past is worse on the
future than shuffled cross-validation suggests (``cv: {kind: temporal, order_by: time}`` shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import DatasetError

__all__ = ["DESCRIPTIONS", "GENERATORS", "generate", "make_drift", "make_fraud"]


def make_drift(
    n_samples: int = 4000,
    n_features: int = 8,
    n_times: int = 20,
    positive_rate: float = 0.05,
    separation: float = 2.5,
    rotation: float = 2.0,
    shift: float = 1.5,
    random_state: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Columns ``time, x0..x{n_features-1}`` and labels 0/1 (exactly round(rate * n) positives).

    At time t (fraction s = t / (n_times - 1) of the span) negatives are N(shift * s * e2, I) and
    positives N(that + separation * (cos(rotation * s) e0 + sin(rotation * s) e1), I).
    """
    if n_samples < 10 or not 3 <= n_features <= 1000 or not 2 <= n_times <= n_samples:
        raise ValueError(
            "drift needs n_samples >= 10, 3 <= n_features <= 1000 and 2 <= n_times <= n_samples"
        )
    if not 0 < positive_rate < 1:
        raise ValueError("drift needs 0 < positive_rate < 1")
    n_pos = round(positive_rate * n_samples)
    if not 1 <= n_pos < n_samples:
        raise ValueError("drift needs at least one positive and one negative row")
    rng = np.random.default_rng(random_state)
    # equal rows per time step, in random row order (a split must sort by time itself)
    time = rng.permutation(np.arange(n_samples) % n_times)
    y = np.zeros(n_samples, dtype=np.int64)
    y[rng.choice(n_samples, n_pos, replace=False)] = 1
    s = time / (n_times - 1)
    X = rng.standard_normal((n_samples, n_features))
    X[:, 2] += shift * s
    angle = rotation * s
    X[:, 0] += y * separation * np.cos(angle)
    X[:, 1] += y * separation * np.sin(angle)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    frame.insert(0, "time", time.astype(np.int64))
    return frame, y


def make_fraud(
    n_samples: int = 10000,
    n_features: int = 28,
    n_times: int = 48,
    positive_rate: float = 0.01,
    separation: float = 3.0,
    rotation: float = 1.5,
    random_state: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Credit-card-fraud-like data: ``time`` (hour 0..n_times-1), ``v1..v{n_features}``
    (decorrelated, like the public set's PCA components) and a heavy-tailed ``amount``.

    Frauds are rare (exactly round(rate * n)), sit ``separation`` away from the bulk along a
    direction that turns with time (fraudsters adapt), spread wider than genuine rows, and spend
    more; genuine rows do not move. Shuffled CV overstates how well the past predicts the future.
    """
    if n_samples < 100 or not 4 <= n_features <= 1000 or not 2 <= n_times <= n_samples:
        raise ValueError(
            "fraud needs n_samples >= 100, 4 <= n_features <= 1000 and 2 <= n_times <= n_samples"
        )
    if not 0 < positive_rate < 0.5:
        raise ValueError("fraud needs 0 < positive_rate < 0.5")
    rng = np.random.default_rng(random_state)
    time = rng.permutation(np.arange(n_samples) % n_times)
    y = np.zeros(n_samples, dtype=np.int64)
    y[rng.choice(n_samples, max(1, round(positive_rate * n_samples)), replace=False)] = 1
    angle = rotation * time / (n_times - 1)
    X = rng.standard_normal((n_samples, n_features))
    X[y == 1] *= 1.8  # frauds are spread wider: an anomaly detector has something to find
    X[:, 0] += y * separation * np.cos(angle)
    X[:, 1] += y * separation * np.sin(angle)
    X[:, 2] += y * 0.5 * separation
    amount = np.round(np.exp(rng.normal(3.0 + 0.8 * y, 1.2)), 2)
    frame = pd.DataFrame(X, columns=[f"v{i + 1}" for i in range(n_features)])
    frame.insert(0, "time", time.astype(np.int64))
    frame["amount"] = amount
    return frame, y


GENERATORS: dict[str, Callable[..., tuple[pd.DataFrame, np.ndarray]]] = {
    "drift": make_drift,
    "fraud": make_fraud,
}
DESCRIPTIONS = {
    "drift": "bench drift generator (class-conditional means move with the time column)",
    "fraud": "bench credit-card-fraud-like generator (rare, wider frauds whose pattern turns with "
    "time; heavy-tailed amount)",
}


def generate(name: str, params: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of the generator ``params['generator']`` (DatasetError if invalid)."""
    params = dict(params)
    generator = params.pop("generator")
    if generator not in GENERATORS:
        raise DatasetError(
            f"dataset '{name}': unknown synthetic generator {generator!r}; valid generators "
            f"are: {', '.join(sorted(GENERATORS))} (or no generator key: make_classification)"
        )
    try:
        return GENERATORS[generator](**params)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"dataset '{name}': invalid synthetic parameters: {exc}") from None
