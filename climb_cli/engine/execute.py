"""Run groups of jobs: one outer fold, preprocessed and resampled once, many models and thresholds.

No leakage: the preprocessor and the resampler are fitted on the training fold only (the test fold is
never resampled); tuned thresholds come from inner folds of the training fold, where preprocessing and
resampling are refitted on each inner training part.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli import registry
from climb_cli.config import Choice, canonical
from climb_cli.datasets import preprocess
from climb_cli.datasets.loaders import Dataset, load_cached
from climb_cli.engine.plan import Group
from climb_cli.errors import DatasetError
from climb_cli.grid import JobSpec, derive_seed
from climb_cli.store import now_iso

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class RunContext:
    """What every group needs besides its own jobs (small and picklable)."""

    seed: int
    n_splits: int
    preprocessing: dict[str, Any]
    metrics: tuple[str, ...]
    limit_threads: bool = True


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


def _finish(row: dict[str, Any], status: str, error: BaseException | str | None = None) -> dict[str, Any]:
    row["status"] = status
    if error is not None:
        row["error"] = error if isinstance(error, str) else short_error(error)
    row["finished_at"] = now_iso()
    return row


def outer_split(ds: Dataset, ctx: RunContext, repeat: int, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices of one outer fold (stratified, shuffled with a per-repeat seed)."""
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(ds.y, minlength=ds.n_classes)
    if counts.min() < ctx.n_splits:
        smallest = ds.class_names[int(counts.argmin())]
        raise DatasetError(
            f"dataset '{ds.name}': class {smallest!r} has {int(counts.min())} rows, fewer than "
            f"cv.n_splits={ctx.n_splits}; lower cv.n_splits or drop the dataset")
    skf = StratifiedKFold(ctx.n_splits, shuffle=True,
                          random_state=derive_seed(ctx.seed, "split", ds.name, repeat))
    train, test = list(skf.split(np.zeros(len(ds.y)), ds.y))[fold]
    return train, test


def _prepare(X_train: Any, y_train: np.ndarray, X_others: list[Any], resampler: Choice,
             ctx: RunContext, rs_seed: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Fit preprocessing on the training rows, resample them; transform the other row sets."""
    pre = preprocess.build_preprocessor(X_train, **ctx.preprocessing)
    Xtr = preprocess.fit_transform(pre, X_train)
    others = [preprocess.transform(pre, X) for X in X_others]
    sampler = registry.get("resampler", resampler.name).build(resampler.params_dict,
                                                               random_state=rs_seed)
    start = time.perf_counter()
    if sampler is not None:
        Xtr, y_train = sampler.fit_resample(Xtr, y_train)
    return Xtr, np.asarray(y_train), others, time.perf_counter() - start


def fit_model(classifier: Choice, class_weight: Choice, X: np.ndarray, y: np.ndarray,
              seed: int) -> Any:
    """Fit the classifier with the class-weight strategy applied through its own API."""
    component = registry.get("classifier", classifier.name)
    weights = registry.get("class_weight", class_weight.name).build(class_weight.params_dict)(y)
    if weights is None:
        est = component.build(classifier.params_dict, random_state=seed)
        return est.fit(X, y)
    if component.has("supports_class_weight"):
        est = component.build(classifier.params_dict, random_state=seed, class_weight=weights)
        return est.fit(X, y)
    if component.has("supports_sample_weight"):
        est = component.build(classifier.params_dict, random_state=seed)
        return est.fit(X, y, sample_weight=np.vectorize(weights.get)(y).astype(float))
    raise SkipJob(f"classifier '{classifier.name}' supports neither class_weight nor sample_weight")


def predict_scores(est: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Class-probability matrix with one column per class 0..k-1."""
    proba = est.predict_proba(X)
    full = np.zeros((X.shape[0], n_classes))
    full[:, np.asarray(est.classes_, dtype=int)] = proba
    return full


def run_group(group: Group, ctx: RunContext) -> list[dict[str, Any]]:
    """All rows of one group; any failure becomes rows, never an exception."""
    with _thread_limit(ctx):
        try:
            return _run_group(group, ctx)
        except Exception as exc:  # noqa: BLE001 - whatever broke the shared part fails its jobs
            return [_finish(base_row(job, ctx), "error", exc) for job in group.jobs]


def _thread_limit(ctx: RunContext) -> Any:
    if not ctx.limit_threads:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _run_group(group: Group, ctx: RunContext) -> list[dict[str, Any]]:
    ds = load_cached(group.dataset)
    train, test = outer_split(ds, ctx, group.repeat, group.fold)
    X_train, X_test = ds.X.iloc[train], ds.X.iloc[test]
    y_train, y_test = ds.y[train], ds.y[test]
    name, rep, fold = ds.name, group.repeat, group.fold
    rs_seed = derive_seed(ctx.seed, "resampler", name, rep, fold, group.resampler.label)
    counts_test = np.bincount(y_test, minlength=ds.n_classes)
    info = {"n_train": len(train), "n_test": len(test),
            "n_test_minority": int(counts_test[1] if ds.is_binary else counts_test.min())}
    rows: list[dict[str, Any]] = []

    def new_row(job: JobSpec) -> dict[str, Any]:
        row = base_row(job, ctx)
        row.update(info)
        return row

    try:
        Xrs, yrs, (Xte,), resample_time = _prepare(X_train, y_train, [X_test], group.resampler,
                                                   ctx, rs_seed)
    except Exception as exc:  # noqa: BLE001
        return [_finish(new_row(job), "error", exc) for job in group.jobs]
    info.update({"n_train_resampled": len(yrs), "resample_time_s": resample_time})

    inner_sets: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}

    def inner_folds(k: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Inner folds of the training fold, each preprocessed and resampled on its own part."""
        if k not in inner_sets:
            from sklearn.model_selection import StratifiedKFold

            skf = StratifiedKFold(k, shuffle=True,
                                  random_state=derive_seed(ctx.seed, "inner", name, rep, fold, k))
            sets = []
            for itr, iva in skf.split(np.zeros(len(y_train)), y_train):
                Xi, yi, (Xv,), _ = _prepare(X_train.iloc[itr], y_train[itr], [X_train.iloc[iva]],
                                            group.resampler, ctx, rs_seed)
                sets.append((Xi, yi, Xv, y_train[iva]))
            inner_sets[k] = sets
        return inner_sets[k]

    by_model: dict[tuple[str, str], list[JobSpec]] = defaultdict(list)
    for job in group.jobs:
        by_model[job.model_key].append(job)

    for jobs in by_model.values():
        clf, cw = jobs[0].classifier, jobs[0].class_weight
        clf_seed = derive_seed(ctx.seed, "classifier", name, rep, fold, clf.label)
        try:
            start = time.perf_counter()
            est = fit_model(clf, cw, Xrs, yrs, clf_seed)
            fit_time = time.perf_counter() - start
            start = time.perf_counter()
            proba = predict_scores(est, Xte, ds.n_classes)
            predict_time = time.perf_counter() - start
        except SkipJob as exc:
            rows += [_finish(new_row(job), "skipped", str(exc)) for job in jobs]
            continue
        except Exception as exc:  # noqa: BLE001
            rows += [_finish(new_row(job), "error", exc) for job in jobs]
            continue
        inner_scores: dict[int, tuple[list[tuple[np.ndarray, np.ndarray]], float]] = {}

        def scores_for(k: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
            if k not in inner_scores:
                start = time.perf_counter()
                out = []
                for Xi, yi, Xv, yv in inner_folds(k):
                    model = fit_model(clf, cw, Xi, yi, clf_seed)
                    out.append((yv, predict_scores(model, Xv, ds.n_classes)[:, 1]))
                inner_scores[k] = (out, time.perf_counter() - start)
            return inner_scores[k]

        for job in jobs:
            row = new_row(job)
            row.update(fit_time_s=fit_time, predict_time_s=predict_time)
            strategy = registry.get("threshold", job.threshold.name).build(job.threshold.params_dict)
            if strategy.binary_only and not ds.is_binary:
                rows.append(_finish(row, "skipped", f"threshold '{job.threshold.name}' is binary-only;"
                                    f" dataset '{name}' has {ds.n_classes} classes"))
                continue
            try:
                if strategy.inner_cv:
                    inner, inner_time = scores_for(strategy.inner_cv)
                    row["fit_time_s"] = fit_time + inner_time
                    threshold = strategy.choose(inner)
                else:
                    threshold = strategy.choose(None)
                rows.append(_finish(_evaluate(row, proba, y_test, threshold, ds.n_classes, ctx), "ok"))
            except Exception as exc:  # noqa: BLE001
                rows.append(_finish(row, "error", exc))
    return rows


def _evaluate(row: dict[str, Any], proba: np.ndarray, y_test: np.ndarray, threshold: float,
              n_classes: int, ctx: RunContext) -> dict[str, Any]:
    from climb_cli.components.metrics import get_metric

    if n_classes == 2:
        scores = proba[:, 1]
        y_pred = (scores >= threshold).astype(np.int64)
        row["threshold_value"] = float(threshold)
    else:
        scores = proba
        y_pred = proba.argmax(axis=1)
    for m in ctx.metrics:
        row[m] = get_metric(m)(y_test, y_pred, scores, n_classes)
    return row
