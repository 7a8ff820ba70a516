"""The fold pipeline of one group: split -> prepare -> fit -> decide -> score -> rows.

One group is (dataset, repeat, fold, resampler): the training fold is preprocessed and resampled
once; each (classifier, class weight) model is fitted once for all its threshold strategies. Stages
are announced through ``emit`` (``begin`` with None for the shared stage, then each model key) and
rows are emitted as each model finishes, so a supervisor can attribute a timeout or crash.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.datasets.loaders import Dataset, load_cached
from climb_cli.engine.decide import InnerScores, decide_labels
from climb_cli.components.class_weights import effective_prior
from climb_cli.engine.fit import ModelSpec, positive_scores, predict_scores
from climb_cli.engine.plan import Group
from climb_cli.engine.prepare import InnerData, prepare_fold
from climb_cli.engine.rows import (Emit, PredictionCollector, RunContext, SkipJob, base_row,
                                   finish, peak_rss_mb)
from climb_cli.engine.score import score
from climb_cli.engine.split import component_seed, effective_splits, outer_split
from climb_cli.grid import JobSpec

__all__ = ["FoldData", "run_group_emitting"]


@dataclass
class FoldData:
    """One outer fold after the shared stage: what every model of the group starts from."""

    ds: Dataset
    X_fit: np.ndarray       # preprocessed, resampled training fold
    y_fit: np.ndarray
    y_train: np.ndarray     # training-fold labels before resampling
    X_test: np.ndarray      # preprocessed test fold (never resampled)
    y_test: np.ndarray
    test_index: np.ndarray
    inner: InnerData
    info: dict[str, Any]    # fold facts copied into every row


def run_group_emitting(group: Group, ctx: RunContext, emit: Emit) -> None:
    """Run a group, announcing each stage and emitting ``rows`` = (rows, prediction columns)."""
    emit("begin", None)
    ds = load_cached(group.dataset, ctx.openml)
    try:
        train, test = outer_split(ds, ctx, group.repeat, group.fold)
    except SkipJob as exc:
        emit("rows", ([finish(base_row(job, ctx), "skipped", str(exc)) for job in group.jobs],
                      None))
        return
    X_train, X_test = ds.X.iloc[train], ds.X.iloc[test]
    y_train, y_test = ds.y[train], ds.y[test]
    # seeds depend on the dataset, repeat and component, not on the fold: one seeded estimator per
    # (dataset, repeat), as a `cross_validate` loop over the same folds would use -- so such a loop
    # reproduces bench's numbers exactly (benchmarks/bench_vs_loop.py checks it)
    rs_seed = component_seed(ctx.seed, "resampler", ds.name, group.repeat, group.resampler.label)
    counts_test = np.bincount(y_test, minlength=ds.n_classes)
    info: dict[str, Any] = {"n_splits": effective_splits(ds, ctx),
                            "n_train": len(train), "n_test": len(test),
                            "n_test_minority": int(counts_test[1] if ds.is_binary
                                                   else counts_test.min())}

    def rows_for(jobs: list[JobSpec], status: str, error: Any) -> list[dict[str, Any]]:
        return [finish({**base_row(job, ctx), **info}, status, error) for job in jobs]

    try:
        Xrs, yrs, (Xte,), resample_time = prepare_fold(X_train, y_train, [X_test],
                                                       group.resampler, ctx, rs_seed)
    except SkipJob as exc:
        emit("rows", (rows_for(group.jobs, "skipped", str(exc)), None))
        return
    except Exception as exc:  # noqa: BLE001 - a failed shared stage fails its jobs, as rows
        emit("rows", (rows_for(group.jobs, "error", exc), None))
        return
    resampled_counts = np.bincount(yrs, minlength=ds.n_classes)
    info.update({"n_train_resampled": len(yrs), "resample_time_s": resample_time,
                 "resampled_class_counts": json.dumps(
                     {c: int(n) for c, n in zip(ds.class_names, resampled_counts)})})
    fold = FoldData(ds, Xrs, yrs, y_train, Xte, y_test, test,
                    InnerData(X_train, y_train, group.resampler, ctx, ds.name, group.repeat,
                              rs_seed), info)
    by_model: dict[tuple[str, str], list[JobSpec]] = defaultdict(list)
    for job in group.jobs:
        by_model[job.model_key].append(job)
    for key, jobs in by_model.items():
        emit("begin", key)
        preds = (PredictionCollector(test, y_test, group.repeat, group.fold)
                 if ctx.save_predictions else None)
        rows = run_model(jobs, fold, ctx, preds)
        for row in rows:
            row["peak_rss_mb"] = peak_rss_mb()
        emit("rows", (rows, preds.columns() if preds else None))


def run_model(jobs: list[JobSpec], fold: FoldData, ctx: RunContext,
              preds: PredictionCollector | None) -> list[dict[str, Any]]:
    """Rows of the jobs sharing one (classifier, class weight) model."""
    ds = fold.ds
    spec = ModelSpec(jobs[0].classifier, jobs[0].class_weight, tuple(ds.class_names),
                     component_seed(ctx.seed, "classifier", ds.name, jobs[0].repeat,
                                    jobs[0].classifier.label))

    def new_row(job: JobSpec) -> dict[str, Any]:
        return {**base_row(job, ctx), **fold.info}

    try:
        start = time.perf_counter()
        fitted = spec.fit(fold.X_fit, fold.y_fit, fold.y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        proba = predict_scores(fitted.estimator, fold.X_test, ds.n_classes)
        # raw decision values, for thresholds searched on them (models without predict_proba)
        raw_test = (positive_scores(fitted.estimator, fold.X_test, ds.n_classes)[0]
                    if ds.is_binary and not hasattr(fitted.estimator, "predict_proba") else None)
        predict_time = time.perf_counter() - start
        # what the model was fitted on: class counts after resampling, times the class weights
        fit_prior = effective_prior(fitted.y_fit, fitted.weights, ds.n_classes)
    except SkipJob as exc:
        return [finish(new_row(job), "skipped", str(exc)) for job in jobs]
    except Exception as exc:  # noqa: BLE001
        return [finish(new_row(job), "error", exc) for job in jobs]

    inner = InnerScores(spec, fold.inner, ds.n_classes)
    rows = []
    for job in jobs:
        row = new_row(job)
        row.update(fit_time_s=fit_time, predict_time_s=predict_time)
        try:
            y_pred, threshold, inner_time = decide_labels(job.threshold, proba, fit_prior,
                                                          ds.n_classes, ds.name, inner, raw_test)
            row["fit_time_s"] = fit_time + inner_time
            row["threshold_value"] = threshold
            row.update(score(ctx.metrics, fold.y_test, y_pred, proba, ds.n_classes))
            rows.append(finish(row, "ok"))
            if preds is not None:
                preds.add(row, proba, y_pred)
        except SkipJob as exc:
            rows.append(finish(row, "skipped", str(exc)))
        except Exception as exc:  # noqa: BLE001
            rows.append(finish(row, "error", exc))
    return rows
