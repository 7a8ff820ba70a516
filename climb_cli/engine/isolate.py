"""Run a group in a forked child process under supervision: per-model wall-clock and memory limits,
crash containment. Works the same inside loky and dask workers, which never die themselves.

The child announces each stage (``begin``: the shared preprocessing/resampling stage, then each
model) and streams rows as each model finishes, over a pipe of length-prefixed pickle frames. The
supervisor kills the child (SIGKILL) when the current stage runs longer than ``timeout_s`` or its
resident memory passes ``memory_mb`` (checked every 50 ms); the current stage's jobs get
``timeout`` / ``memory``, a child that dies on its own gives ``crashed``, and the group's remaining jobs
run in a fresh child.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
import time
from dataclasses import replace
from typing import Any

from climb_cli.engine.pipeline import run_group_emitting
from climb_cli.engine.plan import Group
from climb_cli.engine.rows import (
    GroupResult,
    RunContext,
    base_row,
    finish,
    merge_columns,
    short_error,
    thread_limit,
)

__all__ = ["run_isolated", "warm_up"]

POLL_S = 0.05
_HEADER = struct.Struct("!Q")
Failure = tuple[str, Any, str]  # (status, model key or None for the shared stage, message)


def warm_up(group: Group, ctx: RunContext) -> None:
    """Import, in this long-lived process, everything the group's children will use: imports done
    in a child die with it, and would be paid again by every group."""
    import sklearn.metrics
    import sklearn.model_selection  # noqa: F401

    from climb_cli.components import get
    from climb_cli.components.metrics import get_metric
    from climb_cli.datasets.loaders import load_cached
    from climb_cli.datasets.preprocess import build_preprocessor

    choices = {("resampler", group.resampler.name)}
    for job in group.jobs:
        choices |= {
            ("classifier", job.classifier.name),
            ("class_weight", job.class_weight.name),
            ("threshold", job.threshold.name),
        }
    for kind, name in choices:
        component = get(kind, name)
        if kind in ("resampler", "classifier") and hasattr(component.defaults, "_data"):
            component.parameters()  # imports the estimator's module
    for metric in ctx.metrics:
        get_metric(metric)
    try:
        # the dataset too: loaded once per worker, shared with every child copy-on-write
        build_preprocessor(load_cached(group.dataset, ctx.openml).X.head(0))
    except Exception:  # noqa: BLE001, S110 - the child reports loading errors as rows
        pass


def run_isolated(group: Group, ctx: RunContext) -> GroupResult:
    """All rows of ``group``, re-running what is left after a killed or crashed child."""
    warm_up(group, ctx)
    pending = {job.job_id: job for job in group.jobs}
    rows: list[dict[str, Any]] = []
    preds: list[dict[str, Any]] = []
    trials: list[dict[str, Any]] = []
    compute = 0.0
    while pending:
        started = time.perf_counter()
        received, pred_parts, failure, work_s, trial_rows = _supervise(
            replace(group, jobs=list(pending.values())), ctx
        )
        trials += trial_rows
        compute += work_s if work_s is not None else time.perf_counter() - started
        for row in received:
            if pending.pop(row["job_id"], None) is not None:
                rows.append(row)
        preds += pred_parts
        if failure is None:
            rows += [
                finish(base_row(j, ctx), "error", "the worker returned no result for this job")
                for j in pending.values()
            ]
            break
        status, key, message = failure
        hit = [j for j in pending.values() if key is None or j.stage_key == key]
        for job in hit:
            rows.append(finish(base_row(job, ctx), status, message))
            del pending[job.job_id]
    return GroupResult(rows, merge_columns(preds), compute, trials)


def _child(group: Group, ctx: RunContext, fd: int) -> None:
    def send(kind: str, payload: Any) -> None:
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(fd, view) :]

    start = time.perf_counter()
    try:
        # always one thread in a forked child: an OpenMP runtime the parent already started does
        # not survive fork (libgomp deadlocks on its first parallel region), and one thread
        # needs no pool
        with thread_limit(replace(ctx, limit_threads=True)):
            run_group_emitting(group, ctx, send)
        send("done", time.perf_counter() - start)
    except BaseException as exc:  # noqa: BLE001 - report, never propagate out of a fork
        try:
            send("fatal", short_error(exc))
        except OSError:
            pass


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            resident_pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _supervise(
    group: Group, ctx: RunContext
) -> tuple[list[dict[str, Any]], list[Any], Failure | None, float | None, list[dict[str, Any]]]:
    """Fork a child for ``group``; return its rows, predictions, failure (if any) and the time the
    child spent working (None if it did not finish)."""
    r, w = os.pipe()
    # objects that exist now move to a permanent GC generation: the child's collections then do
    # not touch (and copy-on-write) the whole parent heap
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: do the work, report, leave without running any parent cleanup
        os.close(r)
        import faulthandler

        # a crash is reported as a 'crashed' row; a traceback dump of the child would only make
        # the supervisor's stderr (and a test log) look like bench itself failed
        faulthandler.disable()
        code = 0
        try:
            _child(group, ctx, w)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    gc.unfreeze()
    os.close(w)
    rows: list[dict[str, Any]] = []
    preds: list[Any] = []
    trials: list[dict[str, Any]] = []
    stage: Any = None
    started = time.monotonic()
    limited = ctx.timeout_s is not None or ctx.memory_mb is not None
    failure: Failure | None = None
    finished = False
    work_s: float | None = None
    try:
        while True:
            ready, _, _ = select.select([r], [], [], POLL_S if limited else None)
            if ready:
                header = _read_exact(r, _HEADER.size)
                body = _read_exact(r, _HEADER.unpack(header)[0]) if header else None
                if body is None:
                    break  # the child is gone
                kind, payload = pickle.loads(body)
                if kind == "begin":
                    stage, started = payload, time.monotonic()
                elif kind == "rows":
                    rows += payload[0]
                    if payload[1] is not None:
                        preds.append(payload[1])
                    trials += payload[2]
                elif kind == "done":
                    finished, work_s = True, payload
                    break
                elif kind == "fatal":
                    failure = ("error", stage, str(payload))
                    break
            if ctx.timeout_s is not None and time.monotonic() - started > ctx.timeout_s:
                failure = ("timeout", stage, f"stopped after {ctx.timeout_s:g} s (timeout_s)")
                os.kill(pid, signal.SIGKILL)
                break
            if ctx.memory_mb is not None:
                rss = _rss_mb(pid)
                if rss > ctx.memory_mb:
                    failure = (
                        "memory",
                        stage,
                        f"stopped at {rss:.0f} MB resident (memory_mb={ctx.memory_mb:g})",
                    )
                    os.kill(pid, signal.SIGKILL)
                    break
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if finished or failure is not None:
        return rows, preds, failure, work_s, trials
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        message = f"the process running this job died with {sig}"
    else:
        message = f"the process running this job exited with code {os.WEXITSTATUS(status)}"
    return rows, preds, ("crashed", stage, message), None, trials
