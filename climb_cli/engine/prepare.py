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

__all__ = ["InnerData", "InnerSet", "check_resampler_applies", "prepare_fold"]

# (X inner-train prepared, y inner-train after resampling, y inner-train before, X val, y val)
InnerSet = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def check_resampler_applies(resampler: Choice, n_categorical: int, n_columns: int) -> None:
    """SkipJob when a resampler's data requirement is not met (never a silent substitute)."""
    component = get("resampler", resampler.name)
    if component.has("needs_categorical") and n_categorical == 0:
        raise SkipJob(f"resampler '{resampler.name}' needs categorical features; this dataset "
                      "has none (use smote)")
    if component.has("all_categorical") and n_categorical < n_columns:
        raise SkipJob(f"resampler '{resampler.name}' needs every feature categorical; this "
                      f"dataset has {n_columns - n_categorical} numeric columns after preprocessing")


def prepare_fold(X_train: Any, y_train: np.ndarray, X_others: list[Any], resampler: Choice,
                 ctx: RunContext, rs_seed: int
                 ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Fit preprocessing on the training rows and resample them; transform the other row sets."""
    pre = preprocess.build_preprocessor(X_train, **ctx.preprocessing)
    Xtr = preprocess.fit_transform(pre, X_train)
    others = [preprocess.transform(pre, X) for X in X_others]
    categorical = preprocess.categorical_output_columns(pre)
    check_resampler_applies(resampler, len(categorical), Xtr.shape[1])
    sampler = get("resampler", resampler.name).build(
        resampler.params_dict, random_state=rs_seed, categorical_features=categorical or None)
    start = time.perf_counter()
    if sampler is not None:
        Xtr, y_train = sampler.fit_resample(Xtr, y_train)
    return Xtr, np.asarray(y_train), others, time.perf_counter() - start


@dataclass
class InnerData:
    """Inner splits of one outer training fold, each preprocessed and resampled on its own
    inner training part, computed on first use and shared by every model of the group."""

    X_train: Any
    y_train: np.ndarray
    resampler: Choice
    ctx: RunContext
    dataset: str
    repeat: int
    rs_seed: int
    _sets: dict[InnerKey, list[InnerSet]] = field(default_factory=dict)

    def get(self, key: InnerKey) -> list[InnerSet]:
        """The prepared inner sets for ``key`` (("cv", k) or ("holdout", fraction))."""
        if key not in self._sets:
            seed = component_seed(self.ctx.seed, "inner", self.dataset, self.repeat, list(key))
            sets = []
            for itr, iva in inner_splits(key, self.y_train, seed):
                Xi, yi, (Xv,), _ = prepare_fold(self.X_train.iloc[itr], self.y_train[itr],
                                                [self.X_train.iloc[iva]], self.resampler,
                                                self.ctx, self.rs_seed)
                sets.append((Xi, yi, self.y_train[itr], Xv, self.y_train[iva]))
            self._sets[key] = sets
        return self._sets[key]
