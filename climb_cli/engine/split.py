"""Stage 1, split: outer folds of a dataset and inner splits of a training fold, seeded by identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from climb_cli.datasets.loaders import Dataset
from climb_cli.engine.rows import RunContext, SkipJob
from climb_cli.errors import DatasetError
from climb_cli.grid import derive_seed

__all__ = ["InnerKey", "component_seed", "effective_splits", "inner_splits", "outer_split"]

InnerKey = tuple[str, Any]  # ("cv", k), ("holdout", fraction) or ("shuffle", fraction)


def component_seed(seed: int, purpose: str, dataset: str, repeat: int, label: Any) -> int:
    """random_state of a resampler, classifier or inner splitter: from the config seed, the
    dataset, the repeat and the component's label (the same in every fold of a repeat)."""
    return derive_seed(seed, purpose, dataset, repeat, label)


def effective_splits(ds: Dataset, ctx: RunContext) -> int:
    """cv.n_splits, or fewer when the smallest class is smaller and the config allows reducing."""
    counts = np.bincount(ds.y, minlength=ds.n_classes)
    smallest = int(counts.min())
    if smallest >= ctx.n_splits:
        return ctx.n_splits
    name = ds.class_names[int(counts.argmin())]
    if ctx.allow_fewer_splits and smallest >= 2:
        return smallest
    hint = (
        ""
        if ctx.allow_fewer_splits
        else " (or set cv.allow_fewer_splits: true to use fewer folds on such datasets)"
    )
    raise DatasetError(
        f"dataset '{ds.name}': class {name!r} has {smallest} rows, fewer than "
        f"cv.n_splits={ctx.n_splits}; lower cv.n_splits or drop the dataset{hint}"
    )


def outer_split(
    ds: Dataset, ctx: RunContext, repeat: int, fold: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices of one outer fold (stratified, shuffled with a per-repeat seed)."""
    from sklearn.model_selection import StratifiedKFold

    n_splits = effective_splits(ds, ctx)
    if fold >= n_splits:
        raise SkipJob(
            f"dataset '{ds.name}' has only {n_splits} rows in its smallest class: "
            f"cv reduced to {n_splits} folds, so fold {fold} does not exist"
        )
    skf = StratifiedKFold(
        n_splits, shuffle=True, random_state=derive_seed(ctx.seed, "split", ds.name, repeat)
    )
    train, test = list(skf.split(np.zeros(len(ds.y)), ds.y))[fold]
    return train, test


def inner_splits(
    key: InnerKey, y_train: np.ndarray, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inner splits of the training fold: stratified k-fold, one stratified holdout, or one
    plain shuffled holdout (``shuffle``, as Balancing the Scales' validation split)."""
    from sklearn.model_selection import ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

    kind, value = key
    splitter: Any = (
        StratifiedKFold(int(value), shuffle=True, random_state=seed)
        if kind == "cv"
        else StratifiedShuffleSplit(1, test_size=float(value), random_state=seed)
        if kind == "holdout"
        else ShuffleSplit(1, test_size=float(value), random_state=seed)
    )
    return list(splitter.split(np.zeros(len(y_train)), y_train))
