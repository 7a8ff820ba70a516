"""Stage 2, prepare: preprocessing fitted on training rows only, then the resampler.

The test fold is never resampled. Inner splits of a training fold are prepared the same way, each
on its own inner training part, once per group (``InnerData``), and serve every model of the group.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climb_cli.components import get
from climb_cli.config import Choice
from climb_cli.datasets import preprocess
from climb_cli.engine.rows import RunContext, SkipJob
from climb_cli.engine.split import InnerKey, component_seed, inner_splits

__all__ = [
    "InnerData",
    "InnerSet",
    "Prepared",
    "check_resampler_applies",
    "prepare_fold",
    "preprocess_part",
    "resample",
]

# (X inner-train prepared, y inner-train after resampling, y inner-train before, X val, y val)
InnerSet = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def check_resampler_applies(resampler: Choice, n_categorical: int, n_columns: int) -> None:
    """SkipJob when a resampler's data requirement is not met (never a silent substitute)."""
    component = get("resampler", resampler.name)
    if component.has("needs_categorical") and n_categorical == 0:
        raise SkipJob(
            f"resampler '{resampler.name}' needs categorical features; this dataset "
            "has none (use smote)"
        )
    if component.has("all_categorical") and n_categorical < n_columns:
        raise SkipJob(
            f"resampler '{resampler.name}' needs every feature categorical; this "
            f"dataset has {n_columns - n_categorical} numeric columns after preprocessing"
        )


@dataclass
class Prepared:
    """A training part after preprocessing (fitted on it), before resampling, with the other
    row sets transformed by the same preprocessor."""

    X: np.ndarray
    y: np.ndarray
    others: list[np.ndarray]
    categorical: list[int]
    preprocessor: Any


def preprocess_part(
    X_train: Any, y_train: np.ndarray, X_others: list[Any], ctx: RunContext
) -> Prepared:
    """Fit preprocessing on the training rows only; transform them and the other row sets."""
    pre = preprocess.build_preprocessor(X_train, **ctx.preprocessing)
    Xtr = preprocess.fit_transform(pre, X_train)
    others = [preprocess.transform(pre, X) for X in X_others]
    return Prepared(
        Xtr, np.asarray(y_train), others, list(preprocess.categorical_output_columns(pre)), pre
    )


def resample(
    part: Prepared, resampler: Choice, rs_seed: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """The resampled training rows of ``part`` (the other row sets are never resampled)."""
    check_resampler_applies(resampler, len(part.categorical), part.X.shape[1])
    sampler = get("resampler", resampler.name).build(
        resampler.params_dict, random_state=rs_seed, categorical_features=part.categorical or None
    )
    start = time.perf_counter()
    if sampler is None:
        return part.X, part.y, 0.0
    X, y = sampler.fit_resample(part.X, part.y)
    return X, np.asarray(y), time.perf_counter() - start


def prepare_fold(
    X_train: Any,
    y_train: np.ndarray,
    X_others: list[Any],
    resampler: Choice,
    ctx: RunContext,
    rs_seed: int,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Fit preprocessing on the training rows and resample them; transform the other row sets."""
    part = preprocess_part(X_train, y_train, X_others, ctx)
    X, y, seconds = resample(part, resampler, rs_seed)
    return X, y, part.others, seconds


@dataclass
class InnerData:
    """Inner splits of one outer training fold: each inner training part preprocessed once per
    group (``parts``), then resampled once per distinct resampler configuration (``get``), and
    shared by every model, trial and threshold strategy of the group."""

    X_train: Any
    y_train: np.ndarray
    resampler: Choice
    ctx: RunContext
    dataset: str
    repeat: int
    rs_seed: int
    _parts: dict[InnerKey, list[tuple[Prepared, np.ndarray]]] = field(default_factory=dict)
    _sets: dict[tuple[InnerKey, Choice], list[InnerSet]] = field(default_factory=dict)
    resamplings: int = 0

    def parts(self, key: InnerKey) -> list[tuple[Prepared, np.ndarray]]:
        """[(preprocessed inner training part with its validation rows, y_val), ...]."""
        if key not in self._parts:
            seed = component_seed(self.ctx.seed, "inner", self.dataset, self.repeat, list(key))
            self._parts[key] = [
                (
                    preprocess_part(
                        self.X_train.iloc[itr],
                        self.y_train[itr],
                        [self.X_train.iloc[iva]],
                        self.ctx,
                    ),
                    self.y_train[iva],
                )
                for itr, iva in inner_splits(key, self.y_train, seed)
            ]
        return self._parts[key]

    def get(self, key: InnerKey, resampler: Choice | None = None) -> list[InnerSet]:
        """The inner sets for ``key``, resampled with ``resampler`` (default: the group's)."""
        choice = resampler or self.resampler
        if (key, choice) not in self._sets:
            sets = []
            for part, y_val in self.parts(key):
                Xi, yi, _ = resample(part, choice, self.rs_seed)
                self.resamplings += 1
                sets.append((Xi, yi, part.y, part.others[0], y_val))
            self._sets[(key, choice)] = sets
        return self._sets[(key, choice)]
