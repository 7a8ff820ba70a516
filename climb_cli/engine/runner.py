"""``run``: validate, plan, execute in parallel, stream rows to the store, consolidate."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climb_cli import store
from climb_cli.config import ExperimentConfig, load_config
from climb_cli.engine.plan import Group, plan, summarize
from climb_cli.errors import BenchError
from climb_cli.grid import Experiment, resolve_experiment

BACKENDS = ("loky", "dask")


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
    compute_s: float = 0.0
    n_workers: int = 1

    @property
    def n_failed(self) -> int:
        """Jobs whose latest row is a failure (error, timeout, memory, crashed)."""
        return sum(self.status_counts.get(s, 0) for s in store.FAILED_STATUSES)


ProgressFn = Callable[[int, list[dict[str, Any]]], None]


def prepare(config_path: Path) -> Experiment:
    """Load, validate and resolve a config file."""
    config = load_config(config_path)
    return resolve_experiment(config, config_path.resolve().parent)


def effective_n_jobs(n_jobs: int) -> int:
    """-1 means every core."""
    cores = os.cpu_count() or 1
    return cores if n_jobs < 0 else max(1, n_jobs)


def _execute(groups: list[Group], ctx: Any, n_jobs: int, backend: str,
             scheduler: str | None) -> Iterator[Any]:
    from climb_cli.engine.group import run_group

    if backend == "dask":
        yield from _execute_dask(groups, ctx, n_jobs, scheduler)
        return
    if n_jobs == 1:
        for g in groups:
            yield run_group(g, ctx)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_group)(g, ctx) for g in groups)


def _execute_dask(groups: list[Group], ctx: Any, n_jobs: int,
                  scheduler: str | None) -> Iterator[Any]:
    """Through joblib's dask backend on a dask.distributed cluster: the given scheduler, or a
    LocalCluster of ``n_jobs`` single-threaded worker processes. Results stream back here; only this
    process writes the store."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BenchError("--backend dask needs dask.distributed: pip install 'climb-cli[dask]'") \
            from None
    from joblib import Parallel, delayed, parallel_config

    from climb_cli.engine.group import run_group

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise BenchError(f"cannot connect to the dask scheduler at {scheduler}: {exc}") from None
    else:
        cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        with parallel_config(backend="dask"):
            parallel = Parallel(return_as="generator_unordered")
            yield from parallel(delayed(run_group)(g, ctx) for g in groups)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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
    timeout_s: float | None = None,
    memory_mb: float | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
    share: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_rows: ProgressFn | None = None,
) -> RunSummary:
    """Run every pending job of ``experiment`` into ``output``; see the store for the layout."""
    if backend not in BACKENDS:
        raise BenchError(f"unknown backend '{backend}'. Available backends are: "
                         f"{', '.join(BACKENDS)}.")
    config: ExperimentConfig = experiment.config
    jobs = experiment.jobs()
    if dry_run:
        return _plan_only(experiment, jobs, output, resume, retry_failed, share)
    with store.RunLock(output):
        return _run_locked(experiment, jobs, output, config, n_jobs=n_jobs, resume=resume,
                           retry_failed=retry_failed, save_predictions=save_predictions,
                           openml=openml, timeout_s=timeout_s, memory_mb=memory_mb,
                           backend=backend, scheduler=scheduler, share=share,
                           on_start=on_start, on_rows=on_rows)


def _pending(jobs: list[Any], output: Path, resume: bool, retry_failed: bool) -> tuple[dict, list]:
    # --no-resume recomputes everything; new rows supersede old ones (parts are never deleted)
    done = store.finished_jobs(output, retry_failed) if resume and output.exists() else {}
    job_ids = {j.job_id for j in jobs}
    already = {jid: s for jid, s in done.items() if jid in job_ids}
    return already, [j for j in jobs if j.job_id not in already]


def _plan_only(experiment: Experiment, jobs: list[Any], output: Path, resume: bool,
               retry_failed: bool, share: bool) -> RunSummary:
    already, pending = _pending(jobs, output, resume, retry_failed)
    groups = plan(experiment, pending, share=share)
    return RunSummary(output, len(jobs), len(already), plan=summarize(groups), dry_run=True)


def _run_locked(experiment: Experiment, jobs: list[Any], output: Path, config: ExperimentConfig,
                *, n_jobs: int | None, resume: bool, retry_failed: bool,
                save_predictions: bool | None, openml: Any, timeout_s: float | None,
                memory_mb: float | None, backend: str, scheduler: str | None, share: bool,
                on_start: Callable[[int], None] | None, on_rows: ProgressFn | None) -> RunSummary:
    from climb_cli.datasets.openml_source import OpenMLOptions
    from climb_cli.engine.rows import RunContext

    store.remove_stale_temp_files(output)
    already, pending = _pending(jobs, output, resume, retry_failed)
    groups = plan(experiment, pending, share=share)
    summary = RunSummary(output, len(jobs), len(already), plan=summarize(groups))
    workers = effective_n_jobs(n_jobs if n_jobs is not None else config.n_jobs)
    summary.n_workers = workers
    resolved = {"config": config.model_dump(mode="json"),
                "datasets": {n: s.model_dump(mode="json", exclude_none=True)
                             for n, s in experiment.datasets.items()}}
    store.write_manifest(output, experiment=config.name, status="running",
                         started_at=store.now_iso(), finished_at=None, n_workers=workers,
                         backend=backend, **resolved,
                         jobs={"total": len(jobs), "pending": len(pending)})
    keep_predictions = config.save_predictions if save_predictions is None else save_predictions
    ctx = RunContext(seed=config.seed, n_splits=config.cv.n_splits,
                     preprocessing=config.preprocessing.model_dump(),
                     metrics=tuple(config.metrics),
                     limit_threads=workers > 1 or backend == "dask",
                     save_predictions=keep_predictions,
                     openml=openml or OpenMLOptions.from_env(),
                     allow_fewer_splits=config.cv.allow_fewer_splits,
                     isolate=config.isolate,
                     timeout_s=config.timeout_s if timeout_s is None else timeout_s,
                     memory_mb=config.memory_mb if memory_mb is None else memory_mb)
    sink = store.Sink(output, config.metrics, keep_predictions)
    log = store.RunLog(output)
    log.line(f"start {config.name}: {len(jobs)} jobs, {len(already)} done, {len(pending)} pending,"
             f" {len(groups)} groups, backend={backend}, workers={workers}")
    if on_start:
        on_start(len(pending))
    t0 = time.perf_counter()
    try:
        for result in _execute(groups, ctx, workers, backend, scheduler):
            sink.add(result.rows, result.predictions)
            summary.compute_s += result.compute_s
            log.rows(result.rows)
            summary.executed += len(result.rows)
            if on_rows:
                on_rows(len(result.rows), result.rows)
    finally:
        # whatever happens (Ctrl-C included), rows already computed reach the disk
        sink.flush()
        summary.elapsed_s = time.perf_counter() - t0
        log.line(f"stop after {summary.elapsed_s:.1f}s: {summary.executed} jobs run now")
        log.close()
    df = store.consolidate(output, [j.job_id for j in jobs], config.metrics)
    summary.status_counts = Counter(df["status"])
    if keep_predictions:
        summary.n_predictions = store.consolidate_predictions(output, df)
    store.write_manifest(output, status="complete", finished_at=store.now_iso(),
                         elapsed_s=round(summary.elapsed_s, 3),
                         compute_s=round(summary.compute_s, 3),
                         jobs={"total": len(jobs), "pending_at_start": len(pending),
                               "executed": summary.executed,
                               **{s: int(summary.status_counts.get(s, 0)) for s in store.STATUSES}})
    return summary
