"""Stage 1, split: outer folds of a dataset and inner splits of a training fold, seeded by identity.

Outer folds come in three kinds (``cv.kind``): ``stratified`` (shuffled stratified k-fold, one seed per
repeat), ``temporal`` (scikit-learn's TimeSeriesSplit on the rows stably sorted by ``cv.order_by``:
expanding training windows, each followed by ``cv.gap`` left-out rows and a test window) and ``group``
(StratifiedGroupKFold on ``cv.group_by``, shuffled with the same per-repeat seed as ``stratified``).
The order/group column decides the split and is never a feature: ``features_only`` removes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from climb_cli.datasets.loaders import Dataset
from climb_cli.engine.rows import RunContext, SkipJob
from climb_cli.errors import DatasetError
from climb_cli.grid import derive_seed

__all__ = [
    "InnerKey",
    "check_fold_classes",
    "component_seed",
    "effective_splits",
    "features_only",
    "inner_splits",
    "outer_split",
    "split_column",
]

InnerKey = tuple[str, Any]  # ("cv", k), ("holdout", fraction) or ("shuffle", fraction)


def component_seed(seed: int, purpose: str, dataset: str, repeat: int, label: Any) -> int:
    """random_state of a resampler, classifier or inner splitter: from the config seed, the
    dataset, the repeat and the component's label (the same in every fold of a repeat)."""
    return derive_seed(seed, purpose, dataset, repeat, label)


def effective_splits(ds: Dataset, ctx: RunContext) -> int:
    """cv.n_splits, or fewer when the smallest class is smaller and the config allows reducing."""
    if ctx.cv.kind != "stratified":
        return ctx.n_splits  # folds follow the order/groups; empty test classes are skipped
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


def split_column(ds: Dataset, ctx: RunContext) -> np.ndarray:
    """The values of the cv's order/group column (DatasetError: no such column, missing values)."""
    column = ctx.cv.column
    key = "order_by" if ctx.cv.kind == "temporal" else "group_by"
    assert column is not None
    if column not in ds.X.columns:
        raise DatasetError(
            f"dataset '{ds.name}' has no column '{column}' (cv.{key}); its columns are: "
            f"{', '.join(map(str, ds.X.columns))}"
        )
    values = ds.X[column]
    missing = int(values.isna().sum())
    if missing:
        raise DatasetError(
            f"dataset '{ds.name}': cv.{key} column '{column}' has {missing} missing values; "
            "every row needs one to be placed in a fold"
        )
    return np.asarray(values.to_numpy())


def features_only(ds: Dataset, ctx: RunContext) -> Dataset:
    """``ds`` without the cv's order/group column (the same object when there is none)."""
    column = ctx.cv.column
    if ctx.cv.kind == "stratified" or column is None or column not in ds.X.columns:
        return ds
    key = (id(ds), column)
    cached = _VIEWS.get(key)
    if cached is not None and cached[0] is ds:
        return cached[1]
    if len(_VIEWS) >= 4:  # load_cached keeps at most 4 datasets per process as well
        _VIEWS.pop(next(iter(_VIEWS)))
    view = Dataset(
        ds.name, ds.X.drop(columns=[column]), ds.y, ds.class_names, ds.pos_label, dict(ds.meta)
    )
    if view.X.shape[1] == 0:
        raise DatasetError(
            f"dataset '{ds.name}': no feature columns left once the cv column '{column}' is removed"
        )
    _VIEWS[key] = (ds, view)
    return view


_VIEWS: dict[tuple[int, str], tuple[Dataset, Dataset]] = {}


def outer_split(
    ds: Dataset, ctx: RunContext, repeat: int, fold: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices of one outer fold, by ``ctx.cv.kind`` (ascending row indices)."""
    if ctx.cv.kind == "temporal":
        return _temporal(ds, ctx, fold)
    if ctx.cv.kind == "group":
        return _group(ds, ctx, repeat, fold)
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


def _temporal(ds: Dataset, ctx: RunContext, fold: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import TimeSeriesSplit

    values = split_column(ds, ctx)
    n, k, gap = len(values), ctx.n_splits, ctx.cv.gap
    distinct = len(np.unique(values))
    if distinct < k + 1:
        raise DatasetError(
            f"dataset '{ds.name}': cv.order_by column '{ctx.cv.order_by}' has {distinct} "
            f"distinct values; temporal cv with n_splits={k} needs at least {k + 1} (a first "
            "training window and one test window per fold); lower cv.n_splits"
        )
    if n - gap - k * (n // (k + 1)) <= 0:
        raise DatasetError(
            f"dataset '{ds.name}' has {n} rows: temporal cv with n_splits={k} and gap={gap} "
            f"leaves no training rows before the first test window (it needs more than "
            f"{gap + k * (n // (k + 1))}); lower cv.n_splits or cv.gap"
        )
    # a stable sort: rows with equal values keep the dataset's order, so ties split the same way
    # in every run (at a window boundary, rows of one value may fall on both sides)
    order = np.argsort(values, kind="stable")
    pos_train, pos_test = list(TimeSeriesSplit(k, gap=gap).split(order))[fold]
    return np.sort(order[pos_train]), np.sort(order[pos_test])


def _group(ds: Dataset, ctx: RunContext, repeat: int, fold: int) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    import pandas as pd
    from sklearn.model_selection import StratifiedGroupKFold

    codes, uniques = pd.factorize(split_column(ds, ctx))
    k = ctx.n_splits
    if len(uniques) < k:
        raise DatasetError(
            f"dataset '{ds.name}': cv.group_by column '{ctx.cv.group_by}' has {len(uniques)} "
            f"distinct groups, fewer than cv.n_splits={k}; lower cv.n_splits or group by a "
            "finer column"
        )
    splitter = StratifiedGroupKFold(
        k, shuffle=True, random_state=derive_seed(ctx.seed, "split", ds.name, repeat)
    )
    with warnings.catch_warnings():
        # "the least populated class has fewer members than n_splits": an empty test class is
        # reported per fold by check_fold_classes instead
        warnings.simplefilter("ignore", UserWarning)
        train, test = list(splitter.split(np.zeros(len(ds.y)), ds.y, codes))[fold]
    return train, test


def check_fold_classes(ds: Dataset, y_train: np.ndarray, y_test: np.ndarray, fold: int) -> None:
    """SkipJob when a fold's training or test part lacks a class (time-ordered or grouped folds
    of drifting data can): its metrics would be undefined."""
    for part, y in (("test", y_test), ("training", y_train)):
        counts = np.bincount(y, minlength=ds.n_classes)
        if counts.min() == 0:
            absent = [repr(c) for c, n in zip(ds.class_names, counts) if n == 0]
            what = (
                f"positive ({ds.class_names[1]!r})"
                if ds.is_binary and counts[1] == 0
                else "class " + ", ".join(absent)
            )
            raise SkipJob(
                f"fold {fold}'s {part} part ({len(y)} rows) has no {what} rows; its scores would "
                "be undefined"
            )


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
