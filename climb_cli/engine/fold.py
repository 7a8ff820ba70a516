"""What every job of a group starts from once the shared stage is done: one outer fold,
preprocessed (and, unless the resampler is tuned, resampled), with its inner splits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climb_cli.config import Choice
from climb_cli.datasets.loaders import Dataset
from climb_cli.engine.prepare import InnerData, Prepared, resample

__all__ = ["FoldData", "resampled_info"]


@dataclass
class FoldData:
    """One outer fold after the shared stage: what every model of the group starts from."""

    ds: Dataset
    X_fit: np.ndarray | None  # preprocessed, resampled training fold (None: resampler tuned)
    y_fit: np.ndarray | None
    y_train: np.ndarray  # training-fold labels before resampling
    X_test: np.ndarray  # preprocessed test fold (never resampled)
    y_test: np.ndarray
    test_index: np.ndarray
    inner: InnerData
    info: dict[str, Any]  # fold facts copied into every row
    outer: Prepared  # the preprocessed training fold before resampling
    X_test_raw: Any  # the test fold as loaded (for models fitted on an inner part)
    rs_seed: int
    _resampled: dict[Choice, tuple[np.ndarray, np.ndarray, float]] = field(default_factory=dict)

    def seed_resampled(self, resampler: Choice, done: tuple[np.ndarray, np.ndarray, float]) -> None:
        """Record a resampling already made (the group's shared one)."""
        self._resampled[resampler] = done

    def resampled(self, resampler: Choice) -> tuple[np.ndarray, np.ndarray, float]:
        """The training fold resampled with ``resampler`` (once per distinct configuration)."""
        if resampler not in self._resampled:
            self._resampled[resampler] = resample(self.outer, resampler, self.rs_seed)
        return self._resampled[resampler]


def resampled_info(y: np.ndarray, seconds: float, class_names: list[str]) -> dict[str, Any]:
    """Row columns describing a resampled training fold."""
    counts = np.bincount(y, minlength=len(class_names))
    return {
        "n_train_resampled": len(y),
        "resample_time_s": seconds,
        "resampled_class_counts": json.dumps({c: int(n) for c, n in zip(class_names, counts)}),
    }
