"""``run``: validate, plan, execute in parallel, stream rows to the store, consolidate."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climb_cli.config import ExperimentConfig, load_config
from climb_cli.engine.plan import Group, plan, summarize
from climb_cli.grid import Experiment, resolve_experiment
from climb_cli import store


@dataclass
class RunSummary:
    """What a run did: counts by status, where the results are, the dry-run plan."""

    output: Path
    total: int
    already_done: int
    executed: int = 0
    status_counts: Counter[str] = field(default_factory=Counter)
    plan: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    dry_run: bool = False
    n_predictions: int = 0

    @property
    def n_failed(self) -> int:
        """Jobs whose latest row is an error."""
        return self.status_counts.get("error", 0)


ProgressFn = Callable[[int, list[dict[str, Any]]], None]


def prepare(config_path: Path) -> Experiment:
    """Load, validate and resolve a config file."""
    config = load_config(config_path)
    return resolve_experiment(config, config_path.resolve().parent)


def effective_n_jobs(n_jobs: int) -> int:
    """-1 means every core; never more processes than cores are useful here."""
    cores = os.cpu_count() or 1
    return cores if n_jobs < 0 else max(1, n_jobs)


def _execute(groups: list[Group], ctx: Any, n_jobs: int) -> Iterator[Any]:
    from climb_cli.engine.execute import run_group

    if n_jobs == 1:
        for g in groups:
            yield run_group(g, ctx)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_group)(g, ctx) for g in groups)


def run_experiment(
    experiment: Experiment,
    output: Path,
    *,
    n_jobs: int | None = None,
    resume: bool = True,
    retry_failed: bool = False,
    dry_run: bool = False,
    save_predictions: bool | None = None,
    openml: Any = None,
    on_start: Callable[[int], None] | None = None,
    on_rows: ProgressFn | None = None,
) -> RunSummary:
    """Run every pending job of ``experiment`` into ``output``; see the store for the layout."""
    from climb_cli.engine.execute import RunContext

    config: ExperimentConfig = experiment.config
    jobs = experiment.jobs()
    # --no-resume recomputes everything; new rows supersede old ones (parts are never deleted)
    done = store.finished_jobs(output, retry_failed) if resume and output.exists() else {}
    job_ids = {j.job_id for j in jobs}
    already = {jid: s for jid, s in done.items() if jid in job_ids}
    pending = [j for j in jobs if j.job_id not in already]
    groups = plan(experiment, pending)
    summary = RunSummary(output, len(jobs), len(already), plan=summarize(groups), dry_run=dry_run)
    if dry_run:
        return summary

    workers = effective_n_jobs(n_jobs if n_jobs is not None else config.n_jobs)
    output.mkdir(parents=True, exist_ok=True)
    started = store.now_iso()
    resolved = {"config": config.model_dump(mode="json"),
                "datasets": {n: s.model_dump(mode="json", exclude_none=True)
                             for n, s in experiment.datasets.items()}}
    store.write_manifest(output, experiment=config.name, status="running", started_at=started,
                         finished_at=None, n_workers=workers, **resolved,
                         jobs={"total": len(jobs), "pending": len(pending)})
    keep_predictions = config.save_predictions if save_predictions is None else save_predictions
    from climb_cli.datasets.openml_source import OpenMLOptions

    ctx = RunContext(seed=config.seed, n_splits=config.cv.n_splits,
                     preprocessing=config.preprocessing.model_dump(),
                     metrics=tuple(config.metrics), limit_threads=workers > 1,
                     save_predictions=keep_predictions,
                     openml=openml or OpenMLOptions.from_env(),
                     allow_fewer_splits=config.cv.allow_fewer_splits)
    writer = store.PartWriter(output, store.schema(config.metrics))
    pred_writer = (store.PartWriter(output, store.predictions_schema(), "pred_parts",
                                    max_rows=200_000) if keep_predictions else None)
    if on_start:
        on_start(len(pending))
    t0 = time.perf_counter()
    try:
        for result in _execute(groups, ctx, workers):
            # predictions first: a row on disk promises its predictions are there too
            if pred_writer is not None and result.predictions is not None:
                pred_writer.add_columns(result.predictions)
                pred_writer.flush()
            writer.add_rows(result.rows)
            summary.executed += len(result.rows)
            if on_rows:
                on_rows(len(result.rows), result.rows)
    finally:
        # whatever happens (Ctrl-C included), rows already computed reach the disk
        if pred_writer is not None:
            pred_writer.flush()
        writer.flush()
    summary.elapsed_s = time.perf_counter() - t0
    df = store.consolidate(output, [j.job_id for j in jobs], config.metrics)
    summary.status_counts = Counter(df["status"])
    if keep_predictions:
        summary.n_predictions = store.consolidate_predictions(output, df)
    store.write_manifest(output, status="complete", finished_at=store.now_iso(),
                         elapsed_s=round(summary.elapsed_s, 3),
                         jobs={"total": len(jobs), "pending_at_start": len(pending),
                               "executed": summary.executed,
                               **{s: int(summary.status_counts.get(s, 0)) for s in store.STATUSES}})
    return summary
