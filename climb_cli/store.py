"""The results store: one schema, append-only part files, a consolidated table and a manifest.

Layout of an output directory::

    parts/part-<time>-<pid>-<n>.parquet   rows as jobs finish (each file written atomically)
    results.parquet, results.csv          consolidated: the latest row per job of the current grid
    manifest.json                         resolved config, versions, host, times, job counts

Parts are never rewritten; ``results.*`` are rebuilt from them (atomically) at the end of a run.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from climb_cli.errors import ResultsError

# name -> arrow type name; the metric columns follow, one float64 column per metric.
BASE_COLUMNS: dict[str, str] = {
    "job_id": "string",
    "dataset": "string",
    "resampler": "string",
    "resampler_params": "string",
    "class_weight": "string",
    "class_weight_params": "string",
    "threshold": "string",
    "threshold_params": "string",
    "classifier": "string",
    "classifier_params": "string",
    "method": "string",
    "scenario": "string",  # the config scenario that listed the method (null without scenarios:)
    "perturbation": "string",  # the training fold's perturbation level ("none": clean)
    "repeat": "int64",
    "fold": "int64",
    "seed": "int64",
    "n_splits": "int64",
    "status": "string",
    "error": "string",
    "n_train": "int64",
    "n_train_resampled": "int64",
    "resampled_class_counts": "string",
    "n_test": "int64",
    "n_test_minority": "int64",
    "threshold_value": "float64",
    "fit_time_s": "float64",
    "predict_time_s": "float64",
    "resample_time_s": "float64",
    "peak_rss_mb": "float64",
    "tuned_params": "string",
    "tuning_score": "float64",
    "n_trials": "int64",
    "tuning_time_s": "float64",
    "finished_at": "string",
}
STATUSES = ("ok", "error", "skipped", "timeout", "memory", "crashed")
FAILED_STATUSES = ("error", "timeout", "memory", "crashed")


def schema(metrics: Sequence[str]) -> Any:
    """The arrow schema of a results table with these metric columns."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    fields = [pa.field(n, types[t]) for n, t in BASE_COLUMNS.items()]
    fields += [pa.field(m, pa.float64()) for m in metrics]
    return pa.schema(fields)


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _atomic_write_bytes(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    """Write text so that readers see the old file or the new one, never a partial one."""
    _atomic_write_bytes(path, lambda tmp: tmp.write_text(text))


def trials_schema() -> Any:
    """Arrow schema of trials.parquet: one row per tuning trial of a tuned job."""
    import pyarrow as pa

    return pa.schema(
        [
            ("job_id", pa.string()),
            ("finished_at", pa.string()),
            ("trial", pa.int64()),
            ("params", pa.string()),
            ("score", pa.float64()),
            ("fold_scores", pa.string()),
            ("status", pa.string()),
        ]
    )


def predictions_schema() -> Any:
    """Arrow schema of predictions.parquet (``score``: binary positive-class score;
    ``proba``: per-class probabilities on multiclass data)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("job_id", pa.string()),
            ("finished_at", pa.string()),
            ("row", pa.int64()),
            ("repeat", pa.int64()),
            ("fold", pa.int64()),
            ("y_true", pa.int64()),
            ("y_pred", pa.int64()),
            ("score", pa.float64()),
            ("proba", pa.list_(pa.float64())),
        ]
    )


class PartWriter:
    """Buffers tables and flushes them as new part files (every ``max_rows`` or ``max_seconds``).

    Each flush writes one new file atomically under ``<out>/<subdir>/``; files are never rewritten,
    so several processes may append to the same directory.
    """

    def __init__(
        self,
        out_dir: Path,
        arrow_schema: Any,
        subdir: str = "parts",
        max_rows: int = 500,
        max_seconds: float = 2.0,
    ) -> None:
        self.dir = out_dir / subdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.schema = arrow_schema
        self.buffer: list[Any] = []
        self.n_buffered = 0
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.last_flush = time.monotonic()
        self.count = 0

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Queue row dicts."""
        import pyarrow as pa

        if rows:
            self._add(pa.Table.from_pylist(rows, schema=self.schema))

    def add_columns(self, columns: dict[str, Any]) -> None:
        """Queue a columnar batch."""
        import pyarrow as pa

        self._add(
            pa.Table.from_pydict(
                {k: list(columns[k]) if k == "proba" else columns[k] for k in self.schema.names},
                schema=self.schema,
            )
        )

    def _add(self, table: Any) -> None:
        self.buffer.append(table)
        self.n_buffered += table.num_rows
        if (
            self.n_buffered >= self.max_rows
            or time.monotonic() - self.last_flush > self.max_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write buffered rows to a new part file atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        table = pa.concat_tables(self.buffer)
        self.count += 1
        # unique even for two writers of one process in the same second
        name = (
            f"part-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:12]}-"
            f"{self.count:05d}.parquet"
        )
        _atomic_write_bytes(self.dir / name, lambda tmp: pq.write_table(table, tmp))
        self.buffer, self.n_buffered = [], 0


class Sink:
    """Where results stream to: rows and (optionally) predictions, flushed together, predictions
    first, so a row on disk always has its predictions on disk too."""

    def __init__(
        self,
        out_dir: Path,
        metrics: Sequence[str],
        predictions: bool,
        max_rows: int = 500,
        max_seconds: float = 2.0,
        trials: bool = False,
    ) -> None:
        self.rows = PartWriter(
            out_dir, schema(metrics), "parts", max_rows=10**12, max_seconds=float("inf")
        )
        self.trials = (
            PartWriter(
                out_dir, trials_schema(), "trial_parts", max_rows=10**12, max_seconds=float("inf")
            )
            if trials
            else None
        )
        self.preds = (
            PartWriter(
                out_dir,
                predictions_schema(),
                "pred_parts",
                max_rows=10**12,
                max_seconds=float("inf"),
            )
            if predictions
            else None
        )
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.last_flush = time.monotonic()

    def add(
        self,
        rows: list[dict[str, Any]],
        predictions: dict[str, Any] | None,
        trials: list[dict[str, Any]] | None = None,
    ) -> None:
        """Queue one group's output; flush when enough is buffered or enough time passed."""
        if self.preds is not None and predictions is not None:
            self.preds.add_columns(predictions)
        if self.trials is not None and trials:
            stamp = {r["job_id"]: r["finished_at"] for r in rows}
            self.trials.add_rows([{**t, "finished_at": stamp.get(t["job_id"])} for t in trials])
        self.rows.add_rows(rows)
        if (
            self.rows.n_buffered >= self.max_rows
            or time.monotonic() - self.last_flush > self.max_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write everything buffered (predictions first)."""
        if self.preds is not None:
            self.preds.flush()
        if self.trials is not None:
            self.trials.flush()
        self.rows.flush()
        self.last_flush = time.monotonic()


def remove_stale_temp_files(out_dir: Path) -> int:
    """Delete hidden partial files a killed run left behind (never visible under real names)."""
    n = 0
    for pattern in (".*.tmp", "parts/.*.tmp", "pred_parts/.*.tmp", "trial_parts/.*.tmp"):
        for f in out_dir.glob(pattern):
            f.unlink(missing_ok=True)
            n += 1
    return n


def read_parts(out_dir: Path, columns: Sequence[str] | None = None) -> Any:
    """All rows ever written to ``out_dir`` (a pandas DataFrame, possibly empty)."""
    import pandas as pd
    import pyarrow.parquet as pq

    files = sorted((out_dir / "parts").glob("part-*.parquet"))
    frames = []
    for f in files:
        table = pq.read_table(f)
        cols = [c for c in (columns or table.column_names) if c in table.column_names]
        frames.append(table.select(cols).to_pandas())
    if not frames:
        return pd.DataFrame(columns=list(columns or BASE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def finished_jobs(out_dir: Path, retry_failed: bool = False) -> dict[str, str]:
    """job_id -> status of jobs already recorded (errors excluded when ``retry_failed``)."""
    df = latest_rows(read_parts(out_dir, ["job_id", "status", "finished_at"]))
    if df.empty:
        return {}
    if retry_failed:
        df = df[~df["status"].isin(FAILED_STATUSES)]
    return dict(zip(df["job_id"], df["status"]))


def jobs_missing_metrics(out_dir: Path, metrics: Sequence[str]) -> dict[str, list[str]]:
    """job_id -> the configured metrics its latest ok row was written without (a metric added to
    the config after the job ran); jobs with every metric are left out."""
    import pandas as pd
    import pyarrow.parquet as pq

    frames = []
    for f in sorted((out_dir / "parts").glob("part-*.parquet")):
        names = pq.read_schema(f).names
        missing = ",".join(m for m in metrics if m not in names)
        df = pq.read_table(f, columns=["job_id", "status", "finished_at"]).to_pandas()
        frames.append(df.assign(_missing=missing))
    if not frames:
        return {}
    latest = latest_rows(pd.concat(frames, ignore_index=True))
    latest = latest[(latest["status"] == "ok") & (latest["_missing"] != "")]
    return {j: m.split(",") for j, m in zip(latest["job_id"], latest["_missing"])}


def read_predictions(out_dir: Path, keys: set[str]) -> Any:
    """Stored prediction rows whose ``job_id|finished_at`` is in ``keys`` (an arrow table)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = []
    value_set = pa.array(sorted(keys), pa.string())
    for f in sorted((out_dir / "pred_parts").glob("part-*.parquet")):
        table = pq.read_table(f, schema=predictions_schema())
        key = pc.binary_join_element_wise(table["job_id"], table["finished_at"], "|")
        table = table.filter(pc.is_in(key, value_set=value_set))
        if table.num_rows:
            tables.append(table)
    return pa.concat_tables(tables) if tables else predictions_schema().empty_table()


def consolidate(out_dir: Path, job_order: Sequence[str], metrics: Sequence[str]) -> Any:
    """Rebuild results.parquet and results.csv: the latest row of each job of the current grid."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = read_parts(out_dir)
    cols = list(schema(metrics).names)
    for c in cols:
        if c not in df.columns:
            df[c] = None
    if not df.empty:
        df = latest_rows(df)
        order = pd.Series(range(len(job_order)), index=list(job_order))
        df = df[df["job_id"].isin(order.index)]
        df = df.assign(_o=df["job_id"].map(order)).sort_values("_o").drop(columns="_o")
    df = df[cols].reset_index(drop=True)
    table = pa.Table.from_pandas(df, schema=schema(metrics), preserve_index=False)
    _atomic_write_bytes(out_dir / "results.parquet", lambda tmp: pq.write_table(table, tmp))
    _atomic_write_bytes(out_dir / "results.csv", lambda tmp: df.to_csv(tmp, index=False))
    return df


def consolidate_trials(out_dir: Path, results: Any) -> int:
    """Rebuild trials.parquet from its parts: the trials of each job's latest row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((out_dir / "trial_parts").glob("part-*.parquet"))
    if not files:
        return 0
    keep = set(results["job_id"] + "|" + results["finished_at"].astype(str))
    tables = []
    for f in files:
        t = pq.read_table(f, schema=trials_schema())
        df = t.to_pandas()
        df = df[(df["job_id"] + "|" + df["finished_at"]).isin(keep)]
        tables.append(pa.Table.from_pandas(df, schema=trials_schema(), preserve_index=False))
    table = pa.concat_tables(tables)
    _atomic_write_bytes(out_dir / "trials.parquet", lambda tmp: pq.write_table(table, tmp))
    return table.num_rows


def consolidate_predictions(out_dir: Path, results: Any) -> int:
    """Rebuild predictions.parquet from its parts, streaming: only the rows of the latest result of
    each ok job in ``results``. Returns the number of rows written."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted((out_dir / "pred_parts").glob("part-*.parquet"))
    if not files:
        return 0
    ok = results[results["status"] == "ok"]
    keys = pa.array((ok["job_id"] + "|" + ok["finished_at"]).tolist(), pa.string())
    target = out_dir / "predictions.parquet"
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    n = 0
    with pq.ParquetWriter(tmp, predictions_schema()) as writer:
        for f in files:
            table = pq.read_table(f, schema=predictions_schema())
            key = pc.binary_join_element_wise(table["job_id"], table["finished_at"], "|")
            table = table.filter(pc.is_in(key, value_set=keys))
            if table.num_rows:
                writer.write_table(table)
                n += table.num_rows
    os.replace(tmp, target)
    return n


def latest_rows(df: Any) -> Any:
    """The latest row of each job (rows sorted by ``finished_at``; a rerun supersedes)."""
    if df.empty:
        return df
    return (
        df.sort_values("finished_at", kind="stable")
        .drop_duplicates("job_id", keep="last")
        .reset_index(drop=True)
    )


def read_results(run_dir: Path) -> Any:
    """The consolidated results table of a run directory."""
    return read_run(run_dir)[0]


def read_run(run_dir: Path) -> tuple[Any, str | None]:
    """The results of a run directory and, when the run is incomplete, why.

    A finished run's ``results.parquet`` is read. When it is missing, or parts were written after
    it (an interrupted or running resume), the latest row per job is rebuilt from the append-only
    parts, and the second value says so: ``(rows, "interrupted: ...")``.
    """
    import pandas as pd

    run_dir = Path(run_dir)
    path = run_dir / "results.parquet"
    parts = sorted((run_dir / "parts").glob("part-*.parquet"))
    if not path.is_file() and not parts:
        raise ResultsError(
            f"no results found: {path} does not exist "
            "(is this the --output directory of a `bench run`?)"
        )
    newest_part = max((f.stat().st_mtime for f in parts), default=0.0)
    if path.is_file() and path.stat().st_mtime >= newest_part:
        try:
            return pd.read_parquet(path), _incomplete_note(run_dir)
        except Exception as exc:  # noqa: BLE001
            raise ResultsError(f"cannot read {path}: {exc}") from None
    try:
        df = latest_rows(read_parts(run_dir))
    except Exception as exc:  # noqa: BLE001
        raise ResultsError(f"cannot read the parts of {run_dir}: {exc}") from None
    total = _manifest(run_dir).get("jobs", {}).get("total")
    of = f" of {total}" if total else ""
    return df, (
        f"incomplete run: {len(df)}{of} jobs have results (read from {run_dir / 'parts'}; "
        "the run was interrupted or is still running)"
    )


def _manifest(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(run_dir) / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _incomplete_note(run_dir: Path) -> str | None:
    status = _manifest(run_dir).get("status")
    return None if status in (None, "complete") else f"incomplete run (manifest status: {status})"


__all__ = [
    "BASE_COLUMNS",
    "FAILED_STATUSES",
    "STATUSES",
    "PartWriter",
    "Sink",
    "atomic_write_text",
    "consolidate",
    "consolidate_predictions",
    "consolidate_trials",
    "finished_jobs",
    "jobs_missing_metrics",
    "latest_rows",
    "now_iso",
    "predictions_schema",
    "read_parts",
    "read_predictions",
    "read_results",
    "read_run",
    "remove_stale_temp_files",
    "schema",
    "trials_schema",
]
