"""Run groups of jobs: one outer fold, preprocessed and resampled once, many models and thresholds.

No leakage: the preprocessor and the resampler are fitted on the training fold only (the test fold is
never resampled); tuned thresholds come from inner splits of the training fold, where preprocessing and
resampling are refitted on each inner training part.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli import registry
from climb_cli.config import Choice, canonical
from climb_cli.datasets import preprocess
from climb_cli.datasets.loaders import Dataset, load_cached
from climb_cli.datasets.openml_source import OpenMLOptions
from climb_cli.engine.plan import Group
from climb_cli.errors import DatasetError
from climb_cli.grid import JobSpec, derive_seed
from climb_cli.store import now_iso

MAX_ERROR_CHARS = 500
InnerKey = tuple[str, Any]  # ("cv", k) or ("holdout", test_fraction)


@dataclass(frozen=True)
class RunContext:
    """What every group needs besides its own jobs (small and picklable)."""

    seed: int
    n_splits: int
    preprocessing: dict[str, Any]
    metrics: tuple[str, ...]
    limit_threads: bool = True
    save_predictions: bool = False
    openml: OpenMLOptions = OpenMLOptions()
    allow_fewer_splits: bool = False
    isolate: bool = True
    timeout_s: float | None = None
    memory_mb: float | None = None


@dataclass
class GroupResult:
    """Rows of one group, plus test-fold predictions (columnar) when asked for."""

    rows: list[dict[str, Any]]
    predictions: dict[str, Any] | None = None
    compute_s: float = 0.0  # time spent doing the group's work (in the child when isolated)


class SkipJob(Exception):
    """The job cannot apply to this data or classifier; recorded as status='skipped'."""


def short_error(exc: BaseException) -> str:
    """``Type: first line of the message``, trimmed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    msg = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return msg if len(msg) <= MAX_ERROR_CHARS else msg[: MAX_ERROR_CHARS - 3] + "..."


def base_row(job: JobSpec, ctx: RunContext) -> dict[str, Any]:
    """The identity part of a job's result row, with empty outcome columns."""
    row: dict[str, Any] = {
        "job_id": job.job_id, "dataset": job.dataset,
        "resampler": job.resampler.name, "resampler_params": canonical(job.resampler.params_dict),
        "class_weight": job.class_weight.name,
        "class_weight_params": canonical(job.class_weight.params_dict),
        "threshold": job.threshold.name, "threshold_params": canonical(job.threshold.params_dict),
        "classifier": job.classifier.name,
        "classifier_params": canonical(job.classifier.params_dict),
        "method": job.method, "repeat": job.repeat, "fold": job.fold, "seed": ctx.seed,
        "status": "ok", "error": None,
    }
    row.update({m: float("nan") for m in ctx.metrics})
    return row


def finish(row: dict[str, Any], status: str, error: BaseException | str | None = None) -> dict[str, Any]:
    """Set the outcome of a row and stamp it."""
    row["status"] = status
    if error is not None:
        row["error"] = error if isinstance(error, str) else short_error(error)
    row["finished_at"] = now_iso()
    return row


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
    hint = ("" if ctx.allow_fewer_splits else
            " (or set cv.allow_fewer_splits: true to use fewer folds on such datasets)")
    raise DatasetError(
        f"dataset '{ds.name}': class {name!r} has {smallest} rows, fewer than "
        f"cv.n_splits={ctx.n_splits}; lower cv.n_splits or drop the dataset{hint}")


def outer_split(ds: Dataset, ctx: RunContext, repeat: int, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices of one outer fold (stratified, shuffled with a per-repeat seed)."""
    from sklearn.model_selection import StratifiedKFold

    n_splits = effective_splits(ds, ctx)
    if fold >= n_splits:
        raise SkipJob(f"dataset '{ds.name}' has only {n_splits} rows in its smallest class: "
                      f"cv reduced to {n_splits} folds, so fold {fold} does not exist")
    skf = StratifiedKFold(n_splits, shuffle=True,
                          random_state=derive_seed(ctx.seed, "split", ds.name, repeat))
    train, test = list(skf.split(np.zeros(len(ds.y)), ds.y))[fold]
    return train, test


def inner_splits(key: InnerKey, y_train: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inner splits of the training fold: stratified k-fold, or one stratified holdout."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    kind, value = key
    splitter: Any = (StratifiedKFold(int(value), shuffle=True, random_state=seed) if kind == "cv"
                     else StratifiedShuffleSplit(1, test_size=float(value), random_state=seed))
    return list(splitter.split(np.zeros(len(y_train)), y_train))


def check_resampler_applies(resampler: Choice, n_categorical: int, n_columns: int) -> None:
    """SkipJob when a resampler's data requirement is not met (never a silent substitute)."""
    component = registry.get("resampler", resampler.name)
    if component.has("needs_categorical") and n_categorical == 0:
        raise SkipJob(f"resampler '{resampler.name}' needs categorical features; this dataset "
                      "has none (use smote)")
    if component.has("all_categorical") and n_categorical < n_columns:
        raise SkipJob(f"resampler '{resampler.name}' needs every feature categorical; this "
                      f"dataset has {n_columns - n_categorical} numeric columns after preprocessing")


def prepare(X_train: Any, y_train: np.ndarray, X_others: list[Any], resampler: Choice,
            ctx: RunContext, rs_seed: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Fit preprocessing on the training rows and resample them; transform the other row sets."""
    pre = preprocess.build_preprocessor(X_train, **ctx.preprocessing)
    Xtr = preprocess.fit_transform(pre, X_train)
    others = [preprocess.transform(pre, X) for X in X_others]
    categorical = preprocess.categorical_output_columns(pre)
    check_resampler_applies(resampler, len(categorical), Xtr.shape[1])
    sampler = registry.get("resampler", resampler.name).build(
        resampler.params_dict, random_state=rs_seed, categorical_features=categorical or None)
    start = time.perf_counter()
    if sampler is not None:
        Xtr, y_train = sampler.fit_resample(Xtr, y_train)
    return Xtr, np.asarray(y_train), others, time.perf_counter() - start


def fit_model(classifier: Choice, class_weight: Choice, X: np.ndarray, y: np.ndarray,
              y_train: np.ndarray, class_names: list[str], seed: int) -> Any:
    """Fit the classifier with the class-weight strategy applied through its own API."""
    component = registry.get("classifier", classifier.name)
    strategy = registry.get("class_weight", class_weight.name)
    if strategy.has("binary_only") and len(class_names) != 2:
        raise SkipJob(f"class weight '{class_weight.name}' is binary-only; this dataset has "
                      f"{len(class_names)} classes")
    weights = strategy.build(class_weight.params_dict)(y, y_train, class_names)
    if weights is None:
        return component.build(classifier.params_dict, random_state=seed).fit(X, y)
    if component.has("supports_class_weight"):
        est = component.build(classifier.params_dict, random_state=seed, class_weight=weights)
        return est.fit(X, y)
    if component.has("supports_sample_weight"):
        est = component.build(classifier.params_dict, random_state=seed)
        sample_weight = np.array([weights.get(int(c), 1.0) for c in y], dtype=float)
        return est.fit(X, y, sample_weight=sample_weight)
    raise SkipJob(f"classifier '{classifier.name}' supports neither class_weight nor "
                  f"sample_weight, so class weight '{class_weight.name}' cannot apply")


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


def run_group(group: Group, ctx: RunContext) -> GroupResult:
    """All rows of one group; any failure becomes rows, never an exception.

    With ``ctx.isolate`` the work runs in a forked child process supervised here: a model over
    ``timeout_s`` or ``memory_mb`` is killed and its jobs recorded as ``timeout`` / ``memory``; a child
    that dies (segfault, OOM killer) records ``crashed``; the group's other jobs then run in a new
    child. The worker process itself never dies, whatever the backend.
    """
    from joblib import parallel_config

    # nested joblib calls (in samplers, metrics, loaders) run sequentially: inside a dask worker
    # they would otherwise submit tasks to the busy cluster and wait for themselves
    with parallel_config(backend="sequential"):
        if ctx.isolate and hasattr(os, "fork"):
            from climb_cli.engine.isolate import run_isolated

            return run_isolated(group, ctx)
        return collect(group, ctx)


def collect(group: Group, ctx: RunContext) -> GroupResult:
    """Run a group in this process and gather what it emits."""
    rows: list[dict[str, Any]] = []
    preds: list[dict[str, Any]] = []

    def emit(kind: str, payload: Any) -> None:
        if kind == "rows":
            rows.extend(payload[0])
            if payload[1] is not None:
                preds.append(payload[1])

    start = time.perf_counter()
    with _thread_limit(ctx):
        try:
            run_group_emitting(group, ctx, emit)
        except Exception as exc:  # noqa: BLE001 - whatever broke the shared part fails its jobs
            done = {r["job_id"] for r in rows}
            rows += [finish(base_row(job, ctx), "error", exc) for job in group.jobs
                     if job.job_id not in done]
    return GroupResult(rows, merge_columns(preds), time.perf_counter() - start)


def merge_columns(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Concatenate columnar prediction batches."""
    parts = [p for p in parts if p]
    if not parts:
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _thread_limit(ctx: RunContext) -> Any:
    if not ctx.limit_threads:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class _Predictions:
    """Collects test-fold predictions of ok jobs as columns."""

    def __init__(self, test_index: np.ndarray, y_test: np.ndarray, repeat: int, fold: int) -> None:
        self.test_index, self.y_test = test_index, y_test
        self.repeat, self.fold = repeat, fold
        self.cols: dict[str, list[Any]] = defaultdict(list)

    def add(self, row: dict[str, Any], proba: np.ndarray, y_pred: np.ndarray) -> None:
        n = len(y_pred)
        self.cols["job_id"].append(np.full(n, row["job_id"], dtype=object))
        self.cols["finished_at"].append(np.full(n, row["finished_at"], dtype=object))
        self.cols["row"].append(self.test_index)
        self.cols["repeat"].append(np.full(n, self.repeat))
        self.cols["fold"].append(np.full(n, self.fold))
        self.cols["y_true"].append(self.y_test)
        self.cols["y_pred"].append(y_pred)
        if proba.shape[1] == 2:
            self.cols["score"].append(proba[:, 1])
            self.cols["proba"].append(np.full(n, None, dtype=object))
        else:
            self.cols["score"].append(np.full(n, np.nan))
            self.cols["proba"].append(np.array(list(proba), dtype=object))

    def columns(self) -> dict[str, Any] | None:
        if not self.cols:
            return None
        return {k: np.concatenate(v) for k, v in self.cols.items()}


Emit = Callable[[str, Any], None]


def run_group_emitting(group: Group, ctx: RunContext, emit: Emit) -> None:
    """Run a group, announcing each stage (``begin``: None for the shared stage, then each model
    key) and emitting ``rows`` = (rows, prediction columns) as each model finishes."""
    emit("begin", None)
    ds = load_cached(group.dataset, ctx.openml)
    try:
        train, test = outer_split(ds, ctx, group.repeat, group.fold)
    except SkipJob as exc:
        emit("rows", ([finish(base_row(job, ctx), "skipped", str(exc)) for job in group.jobs], None))
        return
    X_train, X_test = ds.X.iloc[train], ds.X.iloc[test]
    y_train, y_test = ds.y[train], ds.y[test]
    name, rep, fold = ds.name, group.repeat, group.fold
    # seeds depend on the dataset, repeat and component, not on the fold: one seeded estimator per
    # (dataset, repeat), as a `cross_validate` loop over the same folds would use -- so such a loop
    # reproduces bench's numbers exactly (benchmarks/bench_vs_loop.py checks it)
    rs_seed = component_seed(ctx.seed, "resampler", name, rep, group.resampler.label)
    counts_test = np.bincount(y_test, minlength=ds.n_classes)
    info: dict[str, Any] = {"n_splits": effective_splits(ds, ctx),
                            "n_train": len(train), "n_test": len(test),
                            "n_test_minority": int(counts_test[1] if ds.is_binary
                                                   else counts_test.min())}
    def new_row(job: JobSpec) -> dict[str, Any]:
        row = base_row(job, ctx)
        row.update(info)
        return row

    try:
        Xrs, yrs, (Xte,), resample_time = prepare(X_train, y_train, [X_test], group.resampler,
                                                  ctx, rs_seed)
    except SkipJob as exc:
        emit("rows", ([finish(new_row(job), "skipped", str(exc)) for job in group.jobs], None))
        return
    except Exception as exc:  # noqa: BLE001
        emit("rows", ([finish(new_row(job), "error", exc) for job in group.jobs], None))
        return
    resampled_counts = np.bincount(yrs, minlength=ds.n_classes)
    info.update({"n_train_resampled": len(yrs), "resample_time_s": resample_time,
                 "resampled_class_counts": json.dumps(
                     {c: int(n) for c, n in zip(ds.class_names, resampled_counts)})})

    inner_sets: dict[InnerKey, list[tuple[np.ndarray, ...]]] = {}

    def inner_data(key: InnerKey) -> list[tuple[np.ndarray, ...]]:
        """Inner splits of the training fold, each preprocessed and resampled on its own part."""
        if key not in inner_sets:
            seed = component_seed(ctx.seed, "inner", name, rep, list(key))
            sets = []
            for itr, iva in inner_splits(key, y_train, seed):
                Xi, yi, (Xv,), _ = prepare(X_train.iloc[itr], y_train[itr], [X_train.iloc[iva]],
                                           group.resampler, ctx, rs_seed)
                sets.append((Xi, yi, y_train[itr], Xv, y_train[iva]))
            inner_sets[key] = sets
        return inner_sets[key]

    by_model: dict[tuple[str, str], list[JobSpec]] = defaultdict(list)
    for job in group.jobs:
        by_model[job.model_key].append(job)

    for key, jobs in by_model.items():
        emit("begin", key)
        preds = _Predictions(test, y_test, rep, fold) if ctx.save_predictions else None
        rows = _run_model(jobs, ds, Xrs, yrs, Xte, y_train, y_test, inner_data, new_row, ctx, preds)
        for row in rows:
            row["peak_rss_mb"] = peak_rss_mb()
        emit("rows", (rows, preds.columns() if preds else None))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_model(jobs: list[JobSpec], ds: Dataset, Xrs: np.ndarray, yrs: np.ndarray, Xte: np.ndarray,
               y_train: np.ndarray, y_test: np.ndarray, inner_data: Any, new_row: Any,
               ctx: RunContext, preds: _Predictions | None) -> list[dict[str, Any]]:
    """Rows of the jobs sharing one (classifier, class weight) model."""
    clf, cw = jobs[0].classifier, jobs[0].class_weight
    clf_seed = component_seed(ctx.seed, "classifier", ds.name, jobs[0].repeat, clf.label)

    def fit(X: np.ndarray, y: np.ndarray, y_before: np.ndarray) -> Any:
        return fit_model(clf, cw, X, y, y_before, ds.class_names, clf_seed)

    try:
        start = time.perf_counter()
        est = fit(Xrs, yrs, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        proba = predict_scores(est, Xte, ds.n_classes)
        predict_time = time.perf_counter() - start
    except SkipJob as exc:
        return [finish(new_row(job), "skipped", str(exc)) for job in jobs]
    except Exception as exc:  # noqa: BLE001
        return [finish(new_row(job), "error", exc) for job in jobs]

    inner_scores: dict[InnerKey, tuple[list[tuple[np.ndarray, np.ndarray]], float]] = {}

    def scores_for(key: InnerKey) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
        # one inner cross-validation per (model, split) serves every objective that uses it
        if key not in inner_scores:
            start = time.perf_counter()
            out = []
            for Xi, yi, yi_before, Xv, yv in inner_data(key):
                model = fit(Xi, yi, yi_before)
                out.append((yv, predict_scores(model, Xv, ds.n_classes)[:, 1]))
            inner_scores[key] = (out, time.perf_counter() - start)
        return inner_scores[key]

    rows = []
    for job in jobs:
        row = new_row(job)
        row.update(fit_time_s=fit_time, predict_time_s=predict_time)
        strategy = registry.get("threshold", job.threshold.name).build(job.threshold.params_dict)
        if strategy.binary_only and not ds.is_binary:
            rows.append(finish(row, "skipped", f"threshold '{job.threshold.name}' is binary-only; "
                                               f"dataset '{ds.name}' has {ds.n_classes} classes"))
            continue
        try:
            inner = None
            if strategy.inner is not None:
                inner, inner_time = scores_for(strategy.inner)
                row["fit_time_s"] = fit_time + inner_time
            decision = strategy.decide(inner, y_train, ds.n_classes)
            y_pred = decision.apply(proba)
            row["threshold_value"] = decision.threshold if ds.is_binary else None
            scores = proba[:, 1] if ds.is_binary else proba
            from climb_cli.components.metrics import get_metric

            for m in ctx.metrics:
                row[m] = get_metric(m)(y_test, y_pred, scores, ds.n_classes)
            rows.append(finish(row, "ok"))
            if preds is not None:
                preds.add(row, proba, y_pred)
        except SkipJob as exc:
            rows.append(finish(row, "skipped", str(exc)))
        except Exception as exc:  # noqa: BLE001
            rows.append(finish(row, "error", exc))
    return rows
