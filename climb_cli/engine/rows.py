"""The result-row vocabulary shared by every stage: run context, rows, outcomes, predictions.

This module imports nothing from the rest of the engine: every stage may use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climb_cli.config import CVConfig, canonical
from climb_cli.datasets.openml_source import OpenMLOptions
from climb_cli.grid import JobSpec
from climb_cli.store import now_iso
from climb_cli.tuning.settings import SearchPlan

__all__ = [
    "MAX_ERROR_CHARS",
    "Emit",
    "GroupResult",
    "PredictionCollector",
    "RunContext",
    "SkipJob",
    "base_row",
    "finish",
    "merge_columns",
    "peak_rss_mb",
    "short_error",
    "thread_limit",
]

MAX_ERROR_CHARS = 500
Emit = Callable[[str, Any], None]  # ("begin", stage key) / ("rows", (rows, prediction columns))


@dataclass(frozen=True)
class RunContext:
    """What every group needs besides its own jobs (small and picklable)."""

    seed: int
    n_splits: int
    preprocessing: dict[str, Any]
    metrics: tuple[str, ...]
    limit_threads: bool = True
    save_predictions: bool = False
    openml: OpenMLOptions = OpenMLOptions()  # noqa: RUF009 - frozen, so sharing one is safe
    allow_fewer_splits: bool = False
    isolate: bool = True
    timeout_s: float | None = None
    memory_mb: float | None = None
    tuning: SearchPlan | None = None
    # the outer split's kind and column (temporal / group); n_splits and allow_fewer_splits
    # above are the ones used
    cv: CVConfig = field(default_factory=CVConfig)


@dataclass
class GroupResult:
    """Rows of one group, plus test-fold predictions (columnar) when asked for."""

    rows: list[dict[str, Any]]
    predictions: dict[str, Any] | None = None
    compute_s: float = 0.0  # time spent doing the group's work (in the child when isolated)
    trials: list[dict[str, Any]] = field(default_factory=list)  # tuning trials (--save-trials)


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
        "job_id": job.job_id,
        "dataset": job.dataset,
        "resampler": job.resampler.name,
        "resampler_params": canonical(job.resampler.params_dict),
        "class_weight": job.class_weight.name,
        "class_weight_params": canonical(job.class_weight.params_dict),
        "threshold": job.threshold.name,
        "threshold_params": canonical(job.threshold.params_dict),
        "classifier": job.classifier.name,
        "classifier_params": canonical(job.classifier.params_dict),
        "method": job.method,
        "repeat": job.repeat,
        "fold": job.fold,
        "seed": ctx.seed,
        "status": "ok",
        "error": None,
    }
    if job.scenario is not None:  # runs with ``scenarios:`` only
        row["scenario"] = job.scenario
    row["perturbation"] = job.perturbation_label  # "none": the clean training fold
    row.update({m: float("nan") for m in ctx.metrics})
    return row


def finish(
    row: dict[str, Any], status: str, error: BaseException | str | None = None
) -> dict[str, Any]:
    """Set the outcome of a row and stamp it."""
    row["status"] = status
    if error is not None:
        row["error"] = error if isinstance(error, str) else short_error(error)
    row["finished_at"] = now_iso()
    return row


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def merge_columns(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Concatenate columnar prediction batches."""
    parts = [p for p in parts if p]
    if not parts:
        return None
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def thread_limit(ctx: RunContext) -> Any:
    """BLAS/OpenMP pools limited to one thread when jobs run in parallel (no oversubscription)."""
    if not ctx.limit_threads:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class PredictionCollector:
    """Collects test-fold predictions of ok jobs as columns."""

    def __init__(self, test_index: np.ndarray, y_test: np.ndarray, repeat: int, fold: int) -> None:
        self.test_index, self.y_test = test_index, y_test
        self.repeat, self.fold = repeat, fold
        self.cols: dict[str, list[Any]] = defaultdict(list)

    def add(self, row: dict[str, Any], proba: np.ndarray, y_pred: np.ndarray) -> None:
        """Record the predictions of one finished ok row."""
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
        """The collected columns, or None when nothing was collected."""
        if not self.cols:
            return None
        return {k: np.concatenate(v) for k, v in self.cols.items()}
