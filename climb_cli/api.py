"""bench from Python (notebooks, scripts): ``run`` a config, read its results, ``report`` on runs.

The command line is a thin layer over these functions: the same options, the same ``BenchError``
types and messages (a library never exits the process).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from climb_cli.errors import BenchError, ResultsError

if TYPE_CHECKING:
    import pandas as pd

    from climb_cli.grid import Experiment

__all__ = [
    "Progress",
    "ProgressHook",
    "Report",
    "RunResult",
    "TqdmProgress",
    "check_component",
    "list_components",
    "report",
    "run",
    "validate",
]

ConfigLike = str | Path | Mapping[str, Any]


@dataclass(frozen=True)
class Progress:
    """A snapshot of a run, passed to a progress callback after each finished group."""

    done: int  # jobs finished in this run
    total: int  # jobs this run executes
    failed: int
    fraction: float  # of the planned work (fits x rows), the basis of a fair ETA
    dataset: str | None  # the dataset of the latest finished group


class ProgressHook(Protocol):
    """What ``run(progress=...)`` drives: ``start`` once, ``advance`` per finished group, ``stop``."""

    def start(self, total: int, work: float) -> None:
        """The run executes ``total`` jobs worth ``work`` units of planned work."""

    def advance(self, n: int, rows: list[dict[str, Any]], work: float) -> None:
        """``n`` more jobs finished (their ``rows``), worth ``work`` units."""

    def stop(self) -> None:
        """The run ended (normally or not)."""


class _Tracker:
    """Counts progress and forwards each snapshot to a callback."""

    def __init__(self, callback: Callable[[Progress], None] | None = None) -> None:
        self.callback = callback
        self.total, self.done, self.failed, self.work, self.work_total = 0, 0, 0, 0.0, 0.0
        self.dataset: str | None = None

    def start(self, total: int, work: float) -> None:
        self.total, self.work_total = total, work

    def advance(self, n: int, rows: list[dict[str, Any]], work: float) -> None:
        from climb_cli.store import FAILED_STATUSES

        self.done += n
        self.failed += sum(r["status"] in FAILED_STATUSES for r in rows)
        self.work += work
        self.dataset = str(rows[0]["dataset"]) if rows else self.dataset
        if self.callback is not None:
            self.callback(self.snapshot())

    def snapshot(self) -> Progress:
        frac = min(1.0, self.work / self.work_total) if self.work_total > 0 else 1.0
        return Progress(self.done, self.total, self.failed, frac, self.dataset)

    def stop(self) -> None:
        pass


class TqdmProgress(_Tracker):
    """A tqdm progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal) advancing by
    planned work, with jobs done, failures and the latest dataset."""

    def __init__(self, callback: Callable[[Progress], None] | None = None) -> None:
        super().__init__(callback)
        self.bar: Any = None

    def start(self, total: int, work: float) -> None:
        from tqdm.auto import tqdm

        super().start(total, work)
        if total:
            self.bar = tqdm(total=1.0, desc="jobs", unit="work", bar_format="{l_bar}{bar}{r_bar}")

    def advance(self, n: int, rows: list[dict[str, Any]], work: float) -> None:
        super().advance(n, rows, work)
        if self.bar is not None:
            self.bar.n = self.snapshot().fraction
            self.bar.set_postfix_str(f"{self.done}/{self.total} jobs, failed {self.failed}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class RunResult:
    """What ``run`` did: the output directory, the counts (``summary``), and the tables."""

    output: Path
    summary: dict[str, Any]
    experiment: Experiment = field(repr=False)

    @property
    def results(self) -> pd.DataFrame:
        """The results table (one row per job of the grid); empty for a dry run."""
        import pandas as pd

        path = self.output / "results.parquet"
        return pd.read_parquet(path) if path.is_file() else pd.DataFrame()

    @property
    def predictions(self) -> pd.DataFrame:
        """Test-fold predictions (needs ``save_predictions=True``)."""
        import pandas as pd

        path = self.output / "predictions.parquet"
        if not path.is_file():
            raise ResultsError(
                f"{self.output} has no predictions.parquet: run with save_predictions=True "
                "(CLI: --save-predictions)."
            )
        return pd.read_parquet(path)

    @property
    def ok(self) -> bool:
        """No job failed (error, timeout, memory, crashed)."""
        return int(self.summary.get("n_failed", 0)) == 0

    def report(self, metrics: Sequence[str] | None = None, **options: Any) -> Report:
        """``report([self.output], metrics, ...)``."""
        return report([self.output], metrics, **options)


def _experiment(config: ConfigLike, plugins: Iterable[str], openml: Any = None) -> Experiment:
    """Load plugins, then parse and resolve a config given as a path, a YAML string or a mapping
    (``openml``: the cache a ``cached_only`` selection looks in)."""
    from climb_cli.config import load_config, parse_config
    from climb_cli.engine.runner import resolve_config
    from climb_cli.plugins import load_plugins

    load_plugins(plugins)
    if isinstance(config, Mapping):
        return resolve_config(parse_config(dict(config), "config"), Path.cwd(), openml)
    text = str(config)
    if isinstance(config, Path) or ("\n" not in text and ": " not in text and "{" not in text):
        path = Path(text)
        return resolve_config(load_config(path), path.resolve().parent, openml)
    # a YAML string: read by the same strict loader as a file (duplicate keys, tags refused)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            cfg = load_config(path)
        except BenchError as exc:
            raise type(exc)(str(exc).replace(str(path), "YAML string")) from None
    return resolve_config(cfg, Path.cwd(), openml)


def validate(config: ConfigLike, *, plugins: Iterable[str] = ()) -> Experiment:
    """Validate a config and every component's parameters without fitting; the resolved grid."""
    return _experiment(config, plugins)


def run(
    config: ConfigLike,
    output: str | Path | None = None,
    *,
    n_jobs: int | None = None,
    resume: bool = True,
    retry_failed: bool = False,
    dry_run: bool = False,
    save_predictions: bool | None = None,
    offline: bool = False,
    cache_dir: str | Path | None = None,
    timeout_s: float | None = None,
    memory_mb: float | None = None,
    backend: str = "loky",
    scheduler: str | None = None,
    save_trials: bool = False,
    share: bool = True,
    plugins: Iterable[str] = (),
    progress: bool | ProgressHook = False,
    callback: Callable[[Progress], None] | None = None,
) -> RunResult:
    """Run every job of ``config`` (a path, a YAML string or a dict) into ``output`` (default
    ``results/<name>``), with the options of `bench run`; ``progress=True`` shows a tqdm bar,
    ``callback`` receives a ``Progress`` after each finished group."""
    from climb_cli.datasets.openml_source import OpenMLOptions
    from climb_cli.engine.runner import run_experiment

    openml = OpenMLOptions.from_env(
        cache_dir=Path(cache_dir) if cache_dir else None, offline=True if offline else None
    )
    experiment = _experiment(config, plugins, openml)
    out = Path(output) if output is not None else Path("results") / experiment.config.name
    if scheduler and backend != "dask":
        raise BenchError("--scheduler needs --backend dask.")
    hook: Any = progress if not isinstance(progress, bool) else None
    if hook is None and (progress or callback) and not dry_run:
        hook = TqdmProgress(callback) if progress else _Tracker(callback)
    try:
        s = run_experiment(
            experiment,
            out,
            n_jobs=n_jobs,
            resume=resume,
            retry_failed=retry_failed,
            dry_run=dry_run,
            save_predictions=save_predictions,
            openml=openml,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            backend=backend,
            scheduler=scheduler,
            share=share,
            save_trials=save_trials,
            on_start=hook.start if hook else None,
            on_rows=hook.advance if hook else None,
        )
    finally:
        if hook is not None:
            hook.stop()
    summary = {
        "name": experiment.config.name,
        "total": s.total,
        "already_done": s.already_done,
        "executed": s.executed,
        "status_counts": dict(sorted(s.status_counts.items())),
        "n_failed": s.n_failed,
        "kept_failed": s.kept_failed,
        "rescored": s.rescored,
        "stale": s.stale,
        "elapsed_s": s.elapsed_s,
        "n_workers": s.n_workers,
        "dry_run": s.dry_run,
        "plan": dict(s.plan),
    }
    return RunResult(out, summary, experiment)


def list_components(
    kind: str | None = None, *, plugins: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Registered components (of ``kind``, or all): kind, name, tags, parameters, description
    and origin (``built-in`` or ``<plugin>==<version>``)."""
    from climb_cli import components as comps
    from climb_cli.plugins import load_plugins

    load_plugins(plugins)
    recs = comps.describe(kind)
    for r in recs:
        r["origin"] = comps.get(r["kind"], r["name"]).origin or "built-in"
    return recs


def check_component(
    name: str, kind: str | None = None, *, plugins: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Run bench's conformance checks on component ``name`` (every kind that has it, or ``kind``):
    ``{"<kind> '<name>' (<origin>)": [checks passed]}``; PluginError at the first failure."""
    from climb_cli import components as comps
    from climb_cli.conformance import run_checks
    from climb_cli.errors import UnknownComponentError
    from climb_cli.plugins import load_plugins
    from climb_cli.registry import KINDS

    load_plugins(plugins)
    kinds = [kind] if kind else [k for k in KINDS if name in comps.available(k)]
    if not kinds:
        every = {n for k in KINDS for n in comps.available(k)}
        raise UnknownComponentError("component", name, every)
    out = {}
    for k in kinds:
        comp = comps.get(k, name)
        out[f"{k} '{name}' ({comp.origin or 'built-in'})"] = run_checks(comp, load_data=True)
    return out


@dataclass
class Report:
    """A report's content as DataFrames: ``leaderboards`` and ``views`` by metric, ``statistics``
    (one row per metric), ``results`` (latest row per job); ``to_html`` / ``to_markdown``."""

    run_dirs: list[Path]
    metrics: list[str]
    results: pd.DataFrame = field(repr=False)
    leaderboards: dict[str, pd.DataFrame] = field(repr=False)
    statistics: pd.DataFrame = field(repr=False)
    views: dict[str, dict[str, pd.DataFrame]] = field(repr=False)
    notes: list[str]
    _ctx: Any = field(repr=False)

    @property
    def leaderboard(self) -> pd.DataFrame:
        """Every metric's leaderboard in one long table (what ``--format csv`` prints)."""
        from climb_cli.report.leaderboard import to_long

        return to_long(self.leaderboards)

    def to_markdown(self, top: int | None = None) -> str:
        """The report as markdown (``bench report --format md``)."""
        from climb_cli.report import render

        return render.markdown(self._ctx, self.notes, top)

    def to_html(self, path: str | Path, top: int | None = None) -> Path:
        """Write the self-contained HTML report (figures under ``<dir>/plots``); returns the path."""
        from climb_cli.report.build import _html

        _html(self._ctx, self.notes, self.run_dirs, Path(path), top)
        return Path(path)


def report(
    run_dirs: str | Path | Sequence[str | Path],
    metrics: Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    group_by: str | None = None,
    alpha: float = 0.05,
    rope: float | None = None,
) -> Report:
    """The report of one or more run directories (the views of `bench report`, as DataFrames)."""
    import pandas as pd

    from climb_cli.plugins import load_plugins
    from climb_cli.report.build import check_group_by
    from climb_cli.report.data import load
    from climb_cli.report.leaderboard import available_metrics, check_metric, leaderboards
    from climb_cli.report.sections import Context, blocks, statistics

    load_plugins()  # a plugin metric's direction ranks it
    dirs = [Path(run_dirs)] if isinstance(run_dirs, str | Path) else [Path(d) for d in run_dirs]
    check_group_by(group_by)
    loaded = load(dirs)
    chosen = list(metrics or available_metrics(loaded.results))
    for m in chosen:
        check_metric(loaded.results, m)
    boards = leaderboards(loaded.results, chosen, baseline)
    stats = {m: statistics(loaded.results, m, baseline, alpha, rope) for m in chosen}
    ctx = Context(
        loaded.results, loaded.facts, chosen, boards, alpha, rope, baseline, group_by, stats
    )
    views = {m: {b.key: b.table for b in blocks(ctx, m) if b.table is not None} for m in chosen}
    rows = []
    for m in chosen:
        f = stats[m]["friedman"]
        row = {k: v for k, v in f.items() if not isinstance(v, list | dict)}
        rows.append({"metric": m, **row, "nemenyi_cd": stats[m]["nemenyi_cd"]})
    return Report(
        dirs, chosen, loaded.results, boards, pd.DataFrame(rows), views, loaded.notes, ctx
    )
