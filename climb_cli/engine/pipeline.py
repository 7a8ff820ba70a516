"""The fold pipeline of one group: split -> perturb -> prepare -> fit -> decide -> score -> rows.

One group is (dataset, repeat, fold, resampler): the training fold is preprocessed and resampled
once; each (classifier, class weight) model is fitted once for all its threshold strategies. Stages
are announced through ``emit`` (``begin`` with None for the shared stage, then each model key) and
rows are emitted as each model finishes, so a supervisor can attribute a timeout or crash.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace
from typing import Any

import numpy as np

from climb_cli.components import get
from climb_cli.components.class_weights import effective_prior
from climb_cli.datasets.loaders import load_cached
from climb_cli.engine.decide import InnerScores, decide_labels, kept_model_predictions
from climb_cli.engine.fit import ModelSpec, detector_skip, positive_scores, predict_scores
from climb_cli.engine.fold import FoldData, resampled_info
from climb_cli.engine.perturb import apply as perturb
from climb_cli.engine.perturb import perturbation_seed
from climb_cli.engine.plan import Group
from climb_cli.engine.prepare import InnerData, check_resampler_applies, preprocess_part, resample
from climb_cli.engine.rows import (
    Emit,
    PredictionCollector,
    RunContext,
    SkipJob,
    base_row,
    finish,
    peak_rss_mb,
)
from climb_cli.engine.score import score
from climb_cli.engine.split import (
    check_fold_classes,
    component_seed,
    effective_splits,
    features_only,
    outer_split,
)
from climb_cli.grid import JobSpec

__all__ = ["run_group_emitting", "run_model"]


def run_group_emitting(group: Group, ctx: RunContext, emit: Emit) -> None:
    """Run a group, announcing each stage and emitting ``rows`` = (rows, prediction columns,
    tuning trials)."""
    emit("begin", None)
    ds = load_cached(group.dataset, ctx.openml)
    try:
        train, test = outer_split(ds, ctx, group.repeat, group.fold)
    except SkipJob as exc:
        emit(
            "rows",
            ([finish(base_row(job, ctx), "skipped", str(exc)) for job in group.jobs], None, []),
        )
        return
    ds = features_only(ds, ctx)  # a temporal/group cv's column decides the split, never a feature
    X_train, X_test = ds.X.iloc[train], ds.X.iloc[test]
    y_train, y_test = ds.y[train], ds.y[test]
    # seeds depend on the dataset, repeat and component, not on the fold: one seeded estimator per
    # (dataset, repeat), as a `cross_validate` loop over the same folds would use -- so such a loop
    # reproduces bench's numbers exactly (benchmarks/bench_vs_loop.py checks it)
    rs_seed = component_seed(ctx.seed, "resampler", ds.name, group.repeat, group.resampler.label)
    counts_test = np.bincount(y_test, minlength=ds.n_classes)
    info: dict[str, Any] = {
        "n_splits": effective_splits(ds, ctx),
        "n_train": len(train),
        "n_test": len(test),
        "n_test_minority": int(counts_test[1] if ds.is_binary else counts_test.min()),
    }

    def rows_for(jobs: list[JobSpec], status: str, error: Any) -> list[dict[str, Any]]:
        return [finish({**base_row(job, ctx), **info}, status, error) for job in jobs]

    # anomaly detectors take neither resampled data nor class weights: skipped before resampling
    reasons = [detector_skip(j.classifier, j.resampler, j.class_weight) for j in group.jobs]
    if any(reasons):
        skipped = [(j, r) for j, r in zip(group.jobs, reasons, strict=True) if r is not None]
        skip_rows = [finish({**base_row(j, ctx), **info}, "skipped", r) for j, r in skipped]
        emit("rows", (skip_rows, None, []))
        kept = [j for j, r in zip(group.jobs, reasons, strict=True) if r is None]
        group = replace(group, jobs=kept)
        if not group.jobs:
            return

    try:
        if group.perturbation is not None:  # the training fold only, before anything is fitted
            level = group.perturbation
            seed = perturbation_seed(ctx.seed, ds.name, group.repeat, group.fold, level)
            X_train, y_train = perturb(X_train, y_train, level, seed, ds.class_names)
            info["n_train"] = len(y_train)
        check_fold_classes(ds, y_train, y_test, group.fold)
        outer = preprocess_part(X_train, y_train, [X_test], ctx)
        check_resampler_applies(group.resampler, len(outer.categorical), outer.X.shape[1])
        # a tuned resampler is applied per job, with the values its search chooses
        Xrs, yrs, resample_time = (
            (None, None, 0.0)
            if group.resampler.is_tuned
            else resample(outer, group.resampler, rs_seed)
        )
    except SkipJob as exc:
        emit("rows", (rows_for(group.jobs, "skipped", str(exc)), None, []))
        return
    except Exception as exc:  # noqa: BLE001 - a failed shared stage fails its jobs, as rows
        emit("rows", (rows_for(group.jobs, "error", exc), None, []))
        return
    if yrs is not None:
        info.update(resampled_info(yrs, resample_time, ds.class_names))
    fold = FoldData(
        ds,
        Xrs,
        yrs,
        y_train,
        outer.others[0],
        y_test,
        test,
        InnerData(X_train, y_train, group.resampler, ctx, ds.name, group.repeat, rs_seed),
        info,
        outer,
        X_test,
        rs_seed,
    )
    if Xrs is not None and yrs is not None:  # a tuned job's refit reuses the fixed resampling
        fold.seed_resampled(group.resampler, (Xrs, yrs, resample_time))
    stages: dict[tuple[str, ...], list[JobSpec]] = defaultdict(list)
    for job in group.jobs:
        stages[job.stage_key].append(job)
    for key, jobs in stages.items():
        emit("begin", key)
        preds = (
            PredictionCollector(test, y_test, group.repeat, group.fold)
            if ctx.save_predictions
            else None
        )
        trials: list[dict[str, Any]] = []
        if jobs[0].is_tuned:
            from climb_cli.engine.tuned import run_tuned

            rows = [run_tuned(job, fold, ctx, preds, trials) for job in jobs]
        else:
            rows = run_model(jobs, fold, ctx, preds)
        for row in rows:
            row["peak_rss_mb"] = peak_rss_mb()
        emit("rows", (rows, preds.columns() if preds else None, trials))


def run_model(
    jobs: list[JobSpec], fold: FoldData, ctx: RunContext, preds: PredictionCollector | None
) -> list[dict[str, Any]]:
    """Rows of the jobs sharing one (classifier, class weight) model."""
    ds = fold.ds
    spec = ModelSpec(
        jobs[0].classifier,
        jobs[0].class_weight,
        tuple(ds.class_names),
        component_seed(ctx.seed, "classifier", ds.name, jobs[0].repeat, jobs[0].classifier.label),
    )

    def new_row(job: JobSpec) -> dict[str, Any]:
        return {**base_row(job, ctx), **fold.info}

    try:
        start = time.perf_counter()
        assert fold.X_fit is not None and fold.y_fit is not None  # untuned: resampled once
        fitted = spec.fit(fold.X_fit, fold.y_fit, fold.y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        proba = predict_scores(fitted.estimator, fold.X_test, ds.n_classes)
        # raw decision values, for thresholds searched on them (models without predict_proba)
        raw_test = (
            positive_scores(fitted.estimator, fold.X_test, ds.n_classes)[0]
            if ds.is_binary and not hasattr(fitted.estimator, "predict_proba")
            else None
        )
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
            strategy = get("threshold", job.threshold.name).build(job.threshold.params_dict)
            job_proba, job_raw, job_prior, kept = proba, raw_test, fit_prior, None
            if not strategy.refit and strategy.inner is not None and ds.n_classes == 2:
                # refit: false -- the inner part's model is the final model
                kept = kept_model_predictions(inner, strategy.inner, fold.X_test_raw)
                job_proba, job_raw = kept.proba, kept.raw_test
                job_prior = effective_prior(kept.fitted.y_fit, kept.fitted.weights, ds.n_classes)
                row.update(resampled_info(kept.fitted.y_fit, 0.0, ds.class_names))
                row.update(n_train=kept.n_train, fit_time_s=kept.seconds, predict_time_s=0.0)
            y_pred, threshold, inner_time = decide_labels(
                job.threshold, job_proba, job_prior, ds.n_classes, ds.name, inner, job_raw
            )
            if kept is None:  # the kept model's fit time is already the row's
                row["fit_time_s"] = fit_time + inner_time
            row["threshold_value"] = threshold
            row.update(score(ctx.metrics, fold.y_test, y_pred, job_proba, ds.n_classes))
            rows.append(finish(row, "ok"))
            if preds is not None:
                preds.add(row, job_proba, y_pred)
        except SkipJob as exc:
            rows.append(finish(row, "skipped", str(exc)))
        except Exception as exc:  # noqa: BLE001
            rows.append(finish(row, "error", exc))
    return rows
