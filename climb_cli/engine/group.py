"""The group entry point: run one group in this process, or in a supervised child (``isolate``)."""

from __future__ import annotations

import os
import time
from typing import Any

from climb_cli.engine.isolate import run_isolated
from climb_cli.engine.pipeline import run_group_emitting
from climb_cli.engine.plan import Group
from climb_cli.engine.rows import (
    GroupResult,
    RunContext,
    base_row,
    finish,
    merge_columns,
    thread_limit,
)

__all__ = ["collect", "run_group"]


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
            return run_isolated(group, ctx)
        return collect(group, ctx)


def collect(group: Group, ctx: RunContext) -> GroupResult:
    """Run a group in this process and gather what it emits."""
    rows: list[dict[str, Any]] = []
    preds: list[dict[str, Any]] = []
    trials: list[dict[str, Any]] = []

    def emit(kind: str, payload: Any) -> None:
        if kind == "rows":
            rows.extend(payload[0])
            if payload[1] is not None:
                preds.append(payload[1])
            trials.extend(payload[2])

    start = time.perf_counter()
    with thread_limit(ctx):
        try:
            run_group_emitting(group, ctx, emit)
        except Exception as exc:  # noqa: BLE001 - whatever broke the shared part fails its jobs
            done = {r["job_id"] for r in rows}
            rows += [
                finish(base_row(job, ctx), "error", exc)
                for job in group.jobs
                if job.job_id not in done
            ]
    return GroupResult(rows, merge_columns(preds), time.perf_counter() - start, trials)
