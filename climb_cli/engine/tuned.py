"""A tuned job: search inside the training fold, then the final model, decision and score.

``refit: true`` fits the chosen configuration on the whole outer training fold (resampled with the
chosen resampler values); ``refit: false`` keeps the model trained on the inner training part (one
holdout split, as Balancing the Scales did), whose own preprocessor then transforms the test fold.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from climb_cli.components import get
from climb_cli.components.class_weights import effective_prior
from climb_cli.config import canonical
from climb_cli.datasets import preprocess
from climb_cli.engine.decide import InnerScores, decide_labels
from climb_cli.engine.fit import ModelSpec, positive_scores, predict_scores
from climb_cli.engine.fold import FoldData, resampled_info
from climb_cli.engine.rows import PredictionCollector, RunContext, SkipJob, base_row, finish
from climb_cli.engine.score import score
from climb_cli.engine.search import SearchResult, TunedMethod, run_search
from climb_cli.engine.split import component_seed
from climb_cli.grid import JobSpec, derive_seed
from climb_cli.tuning.space import Space, method_space

__all__ = ["job_space", "run_tuned"]


def job_space(job: JobSpec) -> Space:
    """The joint space of a job's tuned resampler, class-weight and classifier parameters."""
    return method_space(job.resampler, job.class_weight, job.classifier)


def chosen(result: SearchResult) -> dict[str, dict[str, Any]]:
    """{section: {param: chosen value}} of a search."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in result.params.items():
        section, param = key.split("__", 1)
        out[section][param] = value
    return dict(out)


def run_tuned(
    job: JobSpec,
    fold: FoldData,
    ctx: RunContext,
    preds: PredictionCollector | None,
    trials: list[dict[str, Any]],
) -> dict[str, Any]:
    """The row of one tuned job (its trials appended to ``trials`` when asked for)."""
    ds, plan = fold.ds, ctx.tuning
    row = {**base_row(job, ctx), **fold.info}
    if plan is None:  # pragma: no cover - the runner always passes the plan
        return finish(row, "error", "tuned parameters need a tuning plan")
    clf_seed = component_seed(ctx.seed, "classifier", ds.name, job.repeat, job.classifier.label)
    method = TunedMethod(
        job.resampler, job.class_weight, job.classifier, tuple(ds.class_names), clf_seed
    )
    seed = derive_seed(ctx.seed, "search", ds.name, job.repeat, job.fold, job.method)
    strategy = get("threshold", job.threshold.name).build(job.threshold.params_dict)
    if strategy.binary_only and ds.n_classes != 2:  # before any search: nothing would apply
        return finish(
            row,
            "skipped",
            f"threshold '{job.threshold.name}' is binary-only; "
            f"dataset '{ds.name}' has {ds.n_classes} classes",
        )
    try:
        result = run_search(
            method, job_space(job), fold.inner, plan, ds.n_classes, job.threshold, seed
        )
    except SkipJob as exc:
        return finish(row, "skipped", str(exc))
    except Exception as exc:  # noqa: BLE001 - a failed search is an error row
        return finish(row, "error", exc)
    row.update(
        tuned_params=canonical(chosen(result)),
        tuning_score=result.score,
        n_trials=result.n_trials,
        tuning_time_s=result.seconds,
    )
    if plan.save_trials:
        trials += [{"job_id": job.job_id, **t} for t in result.trials]
    try:
        rs, cw, clf = method.with_candidate(result.params)
        spec = ModelSpec(clf, cw, tuple(ds.class_names), clf_seed)
        start = time.perf_counter()
        if plan.refit:
            X_fit, y_fit, seconds = fold.resampled(rs)
            if job.resampler.is_tuned:
                row.update(resampled_info(y_fit, seconds, ds.class_names))
            fitted = spec.fit(X_fit, y_fit, fold.y_train)
            X_test = fold.X_test
        else:
            part, _ = fold.inner.parts(plan.inner)[0]
            Xi, yi, y_before, _, _ = fold.inner.get(plan.inner, rs)[0]
            row.update(resampled_info(yi, 0.0, ds.class_names), n_train=len(y_before))
            if result.inner_model is not None:
                # the search already fitted the chosen candidate on exactly this part
                fitted, reused_fit_s = result.inner_model
                start -= reused_fit_s  # its fit time, not the reuse's
            else:
                fitted = spec.fit(Xi, yi, y_before)
            X_test = preprocess.transform(part.preprocessor, fold.X_test_raw)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        proba = predict_scores(fitted.estimator, X_test, ds.n_classes)
        raw_test = (
            positive_scores(fitted.estimator, X_test, ds.n_classes)[0]
            if ds.is_binary and not hasattr(fitted.estimator, "predict_proba")
            else None
        )
        row["predict_time_s"] = time.perf_counter() - start
        inner = InnerScores(spec, fold.inner, ds.n_classes, rs)
        # the chosen candidate's inner scores: the same model, inner sets and resampler
        if result.inner_scores is not None:
            inner.prefill(plan.inner, result.inner_scores, result.inner_raw)
        y_pred, threshold, inner_time = decide_labels(
            job.threshold,
            proba,
            effective_prior(fitted.y_fit, fitted.weights, ds.n_classes),
            ds.n_classes,
            ds.name,
            inner,
            raw_test,
        )
        row.update(fit_time_s=fit_time + inner_time, threshold_value=threshold)
        row.update(score(ctx.metrics, fold.y_test, y_pred, proba, ds.n_classes))
        finish(row, "ok")
        if preds is not None:
            preds.add(row, proba, y_pred)
        return row
    except SkipJob as exc:
        return finish(row, "skipped", str(exc))
    except Exception as exc:  # noqa: BLE001
        return finish(row, "error", exc)
