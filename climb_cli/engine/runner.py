"""``run``: validate, plan, execute in parallel, stream rows to the store, consolidate."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climb_cli import rundir, store
from climb_cli.config import ExperimentConfig, load_config
from climb_cli.datasets.openml_source import OpenMLOptions
from climb_cli.engine.plan import Group, plan, summarize, weight
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
    kept_failed: int = 0  # failed jobs of earlier runs kept as they are (not --retry-failed)
    rescored: int = 0  # done jobs whose new metrics were computed from stored predictions
    stale: int = 0  # (dry run) done jobs lacking a configured metric

    @property
    def n_failed(self) -> int:
        """Jobs whose latest row is a failure (error, timeout, memory, crashed)."""
        return sum(self.status_counts.get(s, 0) for s in store.FAILED_STATUSES)


# (jobs finished now, their rows, their share of the planned work)
ProgressFn = Callable[[int, list[dict[str, Any]], float], None]
StartFn = Callable[[int, float], None]  # (pending jobs, total planned work)


def load_experiment(config_path: Path, openml: OpenMLOptions | None = None) -> Experiment:
    """Load, validate and resolve a config file."""
    return resolve_config(load_config(config_path), config_path.resolve().parent, openml)


def resolve_config(
    config: ExperimentConfig, config_dir: Path, openml: OpenMLOptions | None = None
) -> Experiment:
    """Check the plugins the config ``requires`` are loaded, then resolve it (see grid); ``openml``
    names the cache a ``cached_only`` selection looks in (default: the environment's)."""
    if config.requires:
        from climb_cli.plugins import check_requires

        check_requires(config.requires)
    return resolve_experiment(config, config_dir, openml)


def run_group_with_plugins(plugins: tuple[Any, ...], group: Group, ctx: Any) -> Any:
    """``run_group`` in a worker process, after loading the parent's plugins the same way (a
    plugin that cannot load there fails the group's jobs, with the reason)."""
    from climb_cli.engine.group import run_group

    if plugins:
        from climb_cli.plugins import ensure_loaded

        try:
            ensure_loaded(plugins)
        except Exception as exc:  # noqa: BLE001 - a worker without the plugin: error rows
            from climb_cli.engine.rows import GroupResult, base_row, finish

            return GroupResult([finish(base_row(j, ctx), "error", exc) for j in group.jobs])
    return run_group(group, ctx)


def effective_n_jobs(n_jobs: int) -> int:
    """-1 means every core."""
    cores = os.cpu_count() or 1
    return cores if n_jobs < 0 else max(1, n_jobs)


def _execute(
    groups: list[Group], ctx: Any, n_jobs: int, backend: str, scheduler: str | None
) -> Iterator[Any]:
    from climb_cli.engine.group import run_group
    from climb_cli.plugins import worker_specs

    if backend == "dask":
        yield from _execute_dask(groups, ctx, n_jobs, scheduler)
        return
    if n_jobs == 1:
        for g in groups:
            yield run_group(g, ctx)
        return
    from joblib import Parallel, delayed

    plugins = worker_specs()
    parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_group_with_plugins)(plugins, g, ctx) for g in groups)


def _execute_dask(
    groups: list[Group], ctx: Any, n_jobs: int, scheduler: str | None
) -> Iterator[Any]:
    """Through joblib's dask backend on a dask.distributed cluster: the given scheduler, or a
    LocalCluster of ``n_jobs`` single-threaded worker processes. Results stream back here; only this
    process writes the store."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BenchError(
            "--backend dask needs dask.distributed: pip install 'climb-cli[dask]'"
        ) from None
    from joblib import Parallel, delayed, parallel_config

    from climb_cli.plugins import worker_specs

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise BenchError(
                f"cannot connect to the dask scheduler at {scheduler}: {exc}"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        with parallel_config(backend="dask"):
            parallel = Parallel(return_as="generator_unordered")
            plugins = worker_specs()
            yield from parallel(delayed(run_group_with_plugins)(plugins, g, ctx) for g in groups)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def plugin_manifest() -> list[dict[str, Any]]:
    """The manifest's list of plugins (name, version, origin, components)."""
    from climb_cli.plugins import manifest_entries

    return manifest_entries()


def with_overrides(config: ExperimentConfig, **values: Any) -> ExperimentConfig:
    """The config with command-line values merged over it (None = keep the config's), validated
    like the file itself: the one place where flags meet the config."""
    from climb_cli.config import parse_config

    update = {k: v for k, v in values.items() if v is not None}
    if not update:
        return config
    return parse_config(
        {**config.model_dump(mode="json", exclude_unset=True), **update}, "command line"
    )


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
    save_trials: bool = False,
    on_start: StartFn | None = None,
    on_rows: ProgressFn | None = None,
) -> RunSummary:
    """Run every pending job of ``experiment`` into ``output``; see the store for the layout.

    ``n_jobs``, ``save_predictions``, ``timeout_s`` and ``memory_mb`` override the config's values
    when given (``with_overrides``)."""
    if backend not in BACKENDS:
        raise BenchError(
            f"unknown backend '{backend}'. Available backends are: {', '.join(BACKENDS)}."
        )
    config = with_overrides(
        experiment.config,
        n_jobs=n_jobs,
        save_predictions=save_predictions,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )
    jobs = experiment.jobs()
    if dry_run:
        return _plan_only(experiment, jobs, output, resume, retry_failed, share)
    with rundir.RunLock(output):
        return _run_locked(
            experiment,
            jobs,
            output,
            config,
            resume=resume,
            retry_failed=retry_failed,
            openml=openml,
            backend=backend,
            scheduler=scheduler,
            share=share,
            save_trials=save_trials,
            on_start=on_start,
            on_rows=on_rows,
        )


@dataclass
class _Todo:
    """What a run finds in its output directory: done jobs, jobs to run, done jobs that lack a
    configured metric (``stale``), failed jobs kept (not retried)."""

    already: dict[str, str]
    pending: list[Any]
    stale: set[str]
    kept_failed: int


def _todo(
    jobs: list[Any], output: Path, resume: bool, retry_failed: bool, metrics: list[str]
) -> _Todo:
    # --no-resume recomputes everything; new rows supersede old ones (parts are never deleted)
    done = store.finished_jobs(output) if resume and output.exists() else {}
    job_ids = {j.job_id for j in jobs}
    already = {jid: s for jid, s in done.items() if jid in job_ids}
    failed = {jid for jid, s in already.items() if s in store.FAILED_STATUSES}
    if retry_failed:
        already = {jid: s for jid, s in already.items() if jid not in failed}
    stale = set(store.jobs_missing_metrics(output, metrics)) & set(already) if already else set()
    return _Todo(
        already,
        [j for j in jobs if j.job_id not in already],
        stale,
        0 if retry_failed else len(failed),
    )


def _plan_only(
    experiment: Experiment,
    jobs: list[Any],
    output: Path,
    resume: bool,
    retry_failed: bool,
    share: bool,
) -> RunSummary:
    todo = _todo(jobs, output, resume, retry_failed, experiment.config.metrics)
    groups = plan(experiment, todo.pending, share=share)
    return RunSummary(
        output,
        len(jobs),
        len(todo.already),
        plan=summarize(groups),
        dry_run=True,
        kept_failed=todo.kept_failed,
        stale=len(todo.stale),
    )


def _run_locked(
    experiment: Experiment,
    jobs: list[Any],
    output: Path,
    config: ExperimentConfig,
    *,
    resume: bool,
    retry_failed: bool,
    openml: Any,
    backend: str,
    scheduler: str | None,
    share: bool,
    save_trials: bool,
    on_start: StartFn | None,
    on_rows: ProgressFn | None,
) -> RunSummary:
    from climb_cli.engine.rescore import rescore
    from climb_cli.engine.rows import RunContext
    from climb_cli.tuning.settings import search_plan

    store.remove_stale_temp_files(output)
    todo = _todo(jobs, output, resume, retry_failed, config.metrics)
    sink = store.Sink(output, config.metrics, config.save_predictions, trials=save_trials)
    # a metric added after jobs ran: computed from stored predictions, else those jobs run again
    rescored = rescore(output, todo.stale, config.metrics, sink)
    rerun = todo.stale - rescored
    already = {j: s for j, s in todo.already.items() if j not in rerun}
    pending = [j for j in jobs if j.job_id not in already]
    groups = plan(experiment, pending, share=share)
    summary = RunSummary(
        output,
        len(jobs),
        len(already) - len(rescored),
        plan=summarize(groups),
        kept_failed=todo.kept_failed,
        rescored=len(rescored),
    )
    workers = effective_n_jobs(config.n_jobs)
    summary.n_workers = workers
    resolved = {
        "config": config.model_dump(mode="json"),
        "datasets": {
            n: s.model_dump(mode="json", exclude_none=True) for n, s in experiment.datasets.items()
        },
    }
    rundir.write_manifest(
        output,
        experiment=config.name,
        status="running",
        started_at=store.now_iso(),
        finished_at=None,
        n_workers=workers,
        backend=backend,
        plugins=plugin_manifest(),
        **resolved,
        jobs={"total": len(jobs), "pending": len(pending)},
    )
    ctx = RunContext(
        seed=config.seed,
        n_splits=config.cv.n_splits,
        preprocessing=config.preprocessing.model_dump(),
        metrics=tuple(config.metrics),
        limit_threads=workers > 1 or backend == "dask",
        save_predictions=config.save_predictions,
        openml=openml or OpenMLOptions.from_env(),
        allow_fewer_splits=config.cv.allow_fewer_splits,
        isolate=config.isolate,
        timeout_s=config.timeout_s,
        memory_mb=config.memory_mb,
        tuning=search_plan(config.tuning, save_trials),
        cv=config.cv,
    )
    log = rundir.RunLog(output)
    rescored_note = f", {len(rescored)} given new metrics from predictions" if rescored else ""
    log.line(
        f"start {config.name}: {len(jobs)} jobs, {len(already)} done, {len(pending)} pending,"
        f" {len(groups)} groups, backend={backend}, workers={workers}{rescored_note}"
    )
    # progress is weighted by planned work (groups run largest first, so counting jobs would
    # make the first estimates far too optimistic)
    job_work = {j.job_id: weight(g) / len(g.jobs) for g in groups for j in g.jobs}
    if on_start:
        on_start(len(pending), sum(job_work.values()))
    t0 = time.perf_counter()
    try:
        for result in _execute(groups, ctx, workers, backend, scheduler):
            sink.add(result.rows, result.predictions, result.trials)
            summary.compute_s += result.compute_s
            log.rows(result.rows)
            summary.executed += len(result.rows)
            if on_rows:
                on_rows(
                    len(result.rows),
                    result.rows,
                    sum(job_work.get(r["job_id"], 0.0) for r in result.rows),
                )
    finally:
        # whatever happens (Ctrl-C included), rows already computed reach the disk
        sink.flush()
        summary.elapsed_s = time.perf_counter() - t0
        log.line(f"stop after {summary.elapsed_s:.1f}s: {summary.executed} jobs run now")
        log.close()
    df = store.consolidate(output, [j.job_id for j in jobs], config.metrics)
    summary.status_counts = Counter(df["status"])
    if config.save_predictions:
        summary.n_predictions = store.consolidate_predictions(output, df)
    if save_trials:
        store.consolidate_trials(output, df)
    rundir.write_manifest(
        output,
        status="complete",
        finished_at=store.now_iso(),
        elapsed_s=round(summary.elapsed_s, 3),
        compute_s=round(summary.compute_s, 3),
        jobs={
            "total": len(jobs),
            "pending_at_start": len(pending),
            "executed": summary.executed,
            "rescored": len(rescored),
            **{s: int(summary.status_counts.get(s, 0)) for s in store.STATUSES},
        },
    )
    return summary
