"""What every `bench` command shares: error handling (exit 2, no traceback), option texts,
format choices, and terminal rendering (tables fitted to the terminal, progress bars)."""

from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from climb_cli.errors import BenchError

_STATE = {"debug": False}
OFFLINE_HELP = "Never touch the network: OpenML data must be in the cache [env: BENCH_OFFLINE=1]."
CACHE_HELP = "bench's data cache [env: BENCH_CACHE_DIR; default: ~/.cache/bench]."


def _openml_options(offline: bool, cache_dir: Path | None) -> Any:
    from climb_cli.datasets.openml_source import OpenMLOptions

    return OpenMLOptions.from_env(cache_dir=cache_dir, offline=True if offline else None)


class TableFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ReportFormat(str, Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"
    html = "html"


class CompareFormat(str, Enum):
    md = "md"
    json = "json"


class Backend(str, Enum):
    loky = "loky"
    dask = "dask"


class ComponentFormat(str, Enum):
    table = "table"
    json = "json"


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(2)


def handle_errors(func: Any) -> Any:
    """Turn BenchError into one message on stderr and exit code 2 (``--debug`` re-raises)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BenchError as exc:
            if _STATE["debug"]:
                raise
            _fail(str(exc))
        except KeyboardInterrupt:
            typer.echo(
                "Interrupted: finished jobs are saved; run the same command to resume.", err=True
            )
            raise typer.Exit(130) from None

    return wrapper


def _echo_out(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text.rstrip("\n"))
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text if text.endswith("\n") else text + "\n")
        typer.echo(f"wrote {out}", err=True)


def _rich_table(df: Any, title: str | None = None) -> str:
    """A table fitted to the terminal; cells are text, never markup (`[k=5]` stays)."""
    import io
    import shutil

    from rich.console import Console

    from climb_cli.report.render import rich_table

    buf = io.StringIO()
    width = shutil.get_terminal_size((100, 24)).columns
    Console(file=buf, width=width, force_terminal=False).print(rich_table(df, title or ""))
    return buf.getvalue()


class _Progress:
    """A rich progress bar on stderr: jobs done/total, failed, elapsed, ETA, the latest dataset.

    The bar and its ETA advance by planned work (fits x rows), not by jobs: groups run largest
    first, so job counts would make the first estimates far too short."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None
        self.failed = 0
        self.done = 0
        self.total = 0

    def start(self, total: int, work: float) -> None:
        if self.quiet or total == 0:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.total = total
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[jobs]}"),
            TextColumn("failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("jobs", total=max(work, 1e-9), failed=0, jobs=f"0/{total}")

    def advance(self, n: int, rows: list[dict[str, Any]], work: float) -> None:
        from rich.markup import escape

        from climb_cli.store import FAILED_STATUSES

        self.failed += sum(r["status"] in FAILED_STATUSES for r in rows)
        self.done += n
        if self.bar is not None:
            desc = escape(str(rows[0]["dataset"])) if rows else "jobs"
            self.bar.update(
                self.task,
                advance=work,
                failed=self.failed,
                description=desc,
                jobs=f"{self.done}/{self.total}",
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _bar(total: int, label: str, quiet: bool) -> Any:
    if quiet or total == 0:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True)
    )
    bar.add_task(label, total=total)
    bar.start()
    return bar
