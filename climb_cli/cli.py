"""The `bench` command line: parse, call one function, render. Known errors exit 2 without a traceback."""

from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from climb_cli import __version__
from climb_cli.errors import BenchError

app = typer.Typer(
    name="bench",
    help="Benchmark class-imbalance remedies (resampling, class weights, thresholds) on tabular data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
datasets_app = typer.Typer(help="The dataset catalog (datasets.yaml).", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")

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
            typer.echo("Interrupted: finished jobs are saved; run the same command to resume.",
                       err=True)
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bench {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """bench: run imbalance benchmarks from a YAML grid, then report and compare the results."""
    _STATE["debug"] = debug


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


@app.command()
@handle_errors
def run(
    config: Annotated[Path, typer.Argument(help="Experiment config (YAML).")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Output directory [default: results/<name>].")] = None,
    n_jobs: Annotated[int | None, typer.Option("--n-jobs", "-j",
                                               help="Worker processes (-1: all cores) "
                                                    "[default: the config's n_jobs].")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume",
                                         help="Skip jobs already recorded in the output.")] = True,
    retry_failed: Annotated[bool, typer.Option("--retry-failed",
                                               help="On resume, run failed jobs again.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run",
                                          help="Validate and show the plan; fit nothing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    save_predictions: Annotated[bool | None, typer.Option(
        "--save-predictions/--no-save-predictions",
        help="Write test-fold predictions to predictions.parquet [default: the config's "
             "save_predictions].")] = None,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    timeout_s: Annotated[float | None, typer.Option(
        "--timeout-s", "--timeout", min=0.001,
        help="Sets timeout_s: per-model wall-clock limit in seconds [default: the config's "
             "timeout_s].")] = None,
    memory_mb: Annotated[float | None, typer.Option(
        "--memory-mb", min=1, help="Per-job resident-memory cap in MB [default: the config's "
                                   "memory_mb].")] = None,
    backend: Annotated[Backend, typer.Option("--backend", help="loky (local processes) or dask "
                                                               "(LocalCluster or --scheduler).")]
    = Backend.loky,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="dask scheduler address, e.g. tcp://host:8786 (with --backend "
                            "dask).")] = None,
    save_trials: Annotated[bool, typer.Option(
        "--save-trials", help="Write trials.parquet: every tuning trial with its inner "
                              "scores.")] = False,
    share: Annotated[bool, typer.Option("--share/--no-share",
                                        help="Share preprocessing, resampling and fits across "
                                             "jobs (results are identical either way).")] = True,
) -> None:
    """Run every job of CONFIG; write results.parquet, results.csv and manifest.json."""
    from climb_cli.engine.runner import load_experiment, run_experiment

    experiment = load_experiment(config)
    out = output or Path("results") / experiment.config.name
    if scheduler and backend is not Backend.dask:
        raise BenchError("--scheduler needs --backend dask.")
    progress = _Progress(quiet or dry_run)
    try:
        s = run_experiment(experiment, out, n_jobs=n_jobs, resume=resume,
                           retry_failed=retry_failed, dry_run=dry_run,
                           save_predictions=save_predictions,
                           openml=_openml_options(offline, cache_dir), timeout_s=timeout_s,
                           memory_mb=memory_mb, backend=backend.value, scheduler=scheduler,
                           share=share, save_trials=save_trials, on_start=progress.start,
                           on_rows=progress.advance)
    finally:
        progress.stop()
    name = experiment.config.name
    if s.dry_run:
        p = s.plan
        typer.echo(f"{name}: {s.total} jobs ({s.already_done} done, "
                   f"{s.total - s.already_done} pending) -> {out}")
        searches = (f", {p['searches']} searches of {p['trials']} trials in all"
                    if p.get("searches") else "")
        typer.echo(f"plan: {p['groups']} groups, {p['fits']} model fits, "
                   f"{p['resamplings']} resamplings{searches}. Nothing was fitted (--dry-run).")
        if s.stale:
            typer.echo(f"{s.stale} done jobs lack a metric of the config: it will be computed "
                       "from their stored predictions, or they will run again.")
        if s.kept_failed:
            typer.echo(f"{s.kept_failed} failed jobs will be kept (--retry-failed reruns them).")
        return
    counts = ", ".join(f"{n} {k}" for k, n in sorted(s.status_counts.items()))
    rescored = f", {s.rescored} given new metrics from stored predictions" if s.rescored else ""
    typer.echo(f"{name}: {s.total} jobs ({counts}); ran {s.executed} now, "
               f"{s.already_done} already done{rescored}; {s.elapsed_s:.1f}s -> {out}")
    if s.n_failed:
        lines = [f"{s.n_failed} of {s.total} jobs failed; see the 'error' column of "
                 f"{out / 'results.csv'}"]
        if s.kept_failed:
            lines.append(f"{s.kept_failed} of them failed in an earlier run and were kept as they "
                         "were: add --retry-failed to run them again (e.g. after fixing the "
                         "config).")
        typer.echo("\n".join(lines), err=True)
        raise typer.Exit(1)


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
        from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.total = total
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.fields[jobs]}"),
                            TextColumn("failed {task.fields[failed]}"), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.bar.start()
        self.task = self.bar.add_task("jobs", total=max(work, 1e-9), failed=0,
                                      jobs=f"0/{total}")

    def advance(self, n: int, rows: list[dict[str, Any]], work: float) -> None:
        from rich.markup import escape

        from climb_cli.store import FAILED_STATUSES

        self.failed += sum(r["status"] in FAILED_STATUSES for r in rows)
        self.done += n
        if self.bar is not None:
            desc = escape(str(rows[0]["dataset"])) if rows else "jobs"
            self.bar.update(self.task, advance=work, failed=self.failed, description=desc,
                            jobs=f"{self.done}/{self.total}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
@handle_errors
def validate(config: Annotated[Path, typer.Argument(help="Experiment config (YAML).")]) -> None:
    """Validate CONFIG and every component's parameters without fitting; print the job count."""
    from climb_cli.engine.runner import load_experiment

    exp = load_experiment(config)
    cv = exp.config.cv
    typer.echo(f"{config}: valid. {exp.n_jobs_total} jobs = {len(exp.datasets)} datasets x "
               f"{exp.n_methods} methods x {cv.n_splits} folds x {cv.n_repeats} repeats.")
    for note in exp.notes:
        typer.echo(f"note: {note}", err=True)


@app.command()
@handle_errors
def report(
    run_dirs: Annotated[list[Path], typer.Argument(help="Output directories of `bench run` "
                                                        "(several are reported together).")],
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m",
                                                     help="Metric(s) to rank by [default: all].")] = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", help="Method to compare every method with [default: the same classifier "
                           "with no resampling, no class weights, default threshold].")] = None,
    group_by: Annotated[str | None, typer.Option(
        "--group-by", help="Marginal view by resampler, class_weight, threshold or "
                           "classifier.")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (html: default "
                                                           "RUN_DIR/report/report.html).")] = None,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5,
                                         help="Significance level of the tests.")] = 0.05,
    rope: Annotated[float | None, typer.Option(
        "--rope", min=0.0, help="Add a Bayesian signed-rank test with this region of practical "
                                "equivalence.")] = None,
    top: Annotated[int | None, typer.Option(
        "--top", help="Methods shown per table [table: 20; other formats: all].")] = None,
    wide: Annotated[bool, typer.Option(
        "--wide", help="Table format: every column, and the datasets x methods table.")] = False,
) -> None:
    """Leaderboards, statistical tests, marginal views and (html) plots of one or more runs."""
    from climb_cli.report.build import build_report

    text = build_report(run_dirs, metric or None, fmt.value, out, baseline, group_by, alpha, rope,
                        top=top, wide=wide)
    if text is None:
        target = out or run_dirs[0] / "report" / "report.html"
        typer.echo(f"wrote {target} (figures in {target.parent / 'plots'})")
    else:
        _echo_out(text, out)


@app.command()
@handle_errors
def compare(
    base: Annotated[Path | None, typer.Argument(help="The earlier run directory.")] = None,
    candidate: Annotated[Path | None, typer.Argument(help="The later run directory.")] = None,
    latest: Annotated[Path | None, typer.Option(
        "--latest", help="Compare the two newest runs under this directory.")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", min=0.0,
                                             help="Smallest mean change that counts.")] = 0.01,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5)] = 0.05,
    fmt: Annotated[CompareFormat, typer.Option("--format", "-f")] = CompareFormat.md,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the report here.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 2 unless both runs hold exactly the same jobs [default: "
                         "decide on the shared jobs, list what was added or removed].")] = False,
    allow_different_settings: Annotated[bool, typer.Option(
        "--allow-different-settings", help="Compare runs that differ in seed, folds or "
                                           "preprocessing with a Wilcoxon test over datasets "
                                           "(Holm-corrected) [default: exit 2].")] = False,
) -> None:
    """Regression gate: exit 0 no regression, 1 regression, 2 runs not comparable."""
    from climb_cli.report.compare import compare as run_compare
    from climb_cli.report.compare import latest_runs, render_markdown

    if latest is not None:
        if base is not None or candidate is not None:
            raise BenchError("give either BASE and CANDIDATE or --latest DIR, not both.")
        base, candidate = latest_runs(latest)
    if base is None or candidate is None:
        raise BenchError("give BASE and CANDIDATE run directories, or --latest DIR.")
    result = run_compare(base, candidate, metric or None, tolerance, alpha, strict=strict,
                         allow_different_settings=allow_different_settings)
    text = json.dumps(result, indent=2) if fmt is CompareFormat.json else render_markdown(result)
    _echo_out(text, None)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    if result["regression"]:
        raise typer.Exit(1)


@datasets_app.command("list")
@handle_errors
def datasets_list(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.table,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Only entries with this tag.")] = None,
) -> None:
    """The dataset catalog: rows, features, classes, imbalance ratio, source."""
    import pandas as pd

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.select import LIST_COLUMNS, catalog_records

    df = pd.DataFrame(catalog_records(load_catalog(), tag), columns=LIST_COLUMNS)
    if fmt is TableFormat.csv:
        typer.echo(df.to_csv(index=False), nl=False)
    elif fmt is TableFormat.json:
        typer.echo(df.to_json(orient="records", indent=2))
    else:
        typer.echo(_rich_table(df.astype(object).where(df.notna(), ""), f"{len(df)} datasets"))


@datasets_app.command("info")
@handle_errors
def datasets_info(
    name: Annotated[str, typer.Argument(help="Catalog name, openml:<id>, or (with --config) a "
                                             "dataset of that config.")],
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="Describe NAME as this config defines it (inline entries "
                               "included).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    fmt: Annotated[ComponentFormat, typer.Option("--format", "-f")] = ComponentFormat.table,
) -> None:
    """Load one dataset and describe it: rows, features, categoricals, missing %, classes, IR."""
    from climb_cli.datasets.catalog import load_catalog, resolve
    from climb_cli.datasets.loaders import describe

    if config is not None:
        from climb_cli.engine.runner import load_experiment

        spec = load_experiment(config).dataset(name)
    else:
        spec = resolve(name, load_catalog())
    info = describe(spec, _openml_options(offline, cache_dir))
    if fmt is ComponentFormat.json:
        typer.echo(json.dumps(info, indent=2))
        return
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        typer.echo(f"{key:<{width}}  {value}")


@datasets_app.command("fetch")
@handle_errors
def datasets_fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Catalog names or openml:<id>.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t",
                                                  help="Every catalog entry with these tags.")] = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download OpenML datasets into the cache, so later runs can be --offline."""
    from climb_cli.datasets.catalog import load_catalog, resolve
    from climb_cli.datasets.select import fetch, with_tags

    catalog = load_catalog()
    specs = [resolve(n, catalog) for n in names or []]
    if tag:
        specs += list(with_tags(catalog, tag).values())
    if not specs:
        raise BenchError("datasets fetch: name at least one dataset or --tag.")
    options = _openml_options(False, cache_dir)
    n_openml = sum(s.openml is not None for s in specs)
    bar = _bar(n_openml, "fetch", quiet)

    def on_each(spec: Any, outcome: str | None, error: Exception | None) -> None:
        if spec.openml is None:
            typer.echo(f"{spec.name}: nothing to fetch ({spec.source} data is bundled or local)")
            return
        if error is not None:
            typer.echo(f"Error: {error}", err=True)
        else:
            typer.echo(f"{spec.name}: {outcome} (OpenML {spec.openml})", err=bar is not None)
        if bar is not None:
            bar.advance(bar.task_ids[0])

    failed = fetch(specs, options, on_each)
    if bar is not None:
        bar.stop()
    typer.echo(f"{n_openml - len(failed)} of {n_openml} OpenML datasets in the cache "
               f"({options.root / 'openml'})")
    if failed:
        raise typer.Exit(1)


@datasets_app.command("import-cache")
@handle_errors
def datasets_import_cache(
    path: Annotated[Path, typer.Argument(help="An openml cache tree (e.g. a copy of "
                                               "org/openml/www/datasets).")],
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
) -> None:
    """Copy OpenML datasets from a cache tree into bench's cache (the source is only read)."""
    from climb_cli.datasets.openml_source import import_cache

    options = _openml_options(False, cache_dir)
    ids = import_cache(path, options)
    typer.echo(f"imported {len(ids)} OpenML datasets into {options.root / 'openml'}: "
               f"{', '.join(map(str, ids))}")


def _bar(total: int, label: str, quiet: bool) -> Any:
    if quiet or total == 0:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                   console=Console(stderr=True))
    bar.add_task(label, total=total)
    bar.start()
    return bar


@app.command()
@handle_errors
def components(
    kind: Annotated[str | None, typer.Option("--kind", "-k",
                                             help="resampler, class_weight, threshold, classifier "
                                                  "or metric.")] = None,
    fmt: Annotated[ComponentFormat, typer.Option("--format", "-f")] = ComponentFormat.table,
) -> None:
    """Registered components with their tags, parameters (defaults) and descriptions."""
    from climb_cli.components import describe

    recs = describe(kind)
    if fmt is ComponentFormat.json:
        typer.echo(json.dumps(recs, indent=2))
        return
    import pandas as pd

    df = pd.DataFrame([{**r, "tags": ", ".join(r["tags"]),
                        "parameters": ", ".join(f"{p}={v}" for p, v in r["parameters"].items())}
                       for r in recs])
    typer.echo(_rich_table(df))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="bench")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
