"""The `bench` command line: parse, call one function, render. Known errors exit 2 without a traceback.

Shared helpers (error handling, formats, rendering) are in ``cli_common``; `bench datasets ...` is in
``cli_datasets``."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer

from climb_cli import __version__
from climb_cli.cli_common import (
    _STATE,
    CACHE_HELP,
    OFFLINE_HELP,
    Backend,
    CompareFormat,
    ComponentFormat,
    ReportFormat,
    _echo_out,
    _Progress,
    _rich_table,
    handle_errors,
)
from climb_cli.cli_datasets import datasets_app
from climb_cli.errors import BenchError

app = typer.Typer(
    name="bench",
    help="Benchmark class-imbalance remedies (resampling, class weights, thresholds) on tabular data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(datasets_app, name="datasets")

PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        help="Load a plugin: a .py file or an importable module (repeatable) [env: BENCH_PLUGINS; "
        "installed entry points in the group climb_cli.plugins always load].",
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bench {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """bench: run imbalance benchmarks from a YAML grid, then report and compare the results."""
    _STATE["debug"] = debug


@app.command()
@handle_errors
def run(
    config: Annotated[Path, typer.Argument(help="Experiment config (YAML).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output directory [default: results/<name>]."),
    ] = None,
    n_jobs: Annotated[
        int | None,
        typer.Option(
            "--n-jobs",
            "-j",
            help="Worker processes (-1: all cores) [default: the config's n_jobs].",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume/--no-resume", help="Skip jobs already recorded in the output.")
    ] = True,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="On resume, run failed jobs again.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show the plan; fit nothing.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    save_predictions: Annotated[
        bool | None,
        typer.Option(
            "--save-predictions/--no-save-predictions",
            help="Write test-fold predictions to predictions.parquet [default: the config's "
            "save_predictions].",
        ),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    timeout_s: Annotated[
        float | None,
        typer.Option(
            "--timeout-s",
            "--timeout",
            min=0.001,
            help="Sets timeout_s: per-model wall-clock limit in seconds [default: the config's "
            "timeout_s].",
        ),
    ] = None,
    memory_mb: Annotated[
        float | None,
        typer.Option(
            "--memory-mb",
            min=1,
            help="Per-job resident-memory cap in MB [default: the config's memory_mb].",
        ),
    ] = None,
    backend: Annotated[
        Backend,
        typer.Option(
            "--backend", help="loky (local processes) or dask (LocalCluster or --scheduler)."
        ),
    ] = Backend.loky,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="dask scheduler address, e.g. tcp://host:8786 (with --backend dask).",
        ),
    ] = None,
    save_trials: Annotated[
        bool,
        typer.Option(
            "--save-trials", help="Write trials.parquet: every tuning trial with its inner scores."
        ),
    ] = False,
    share: Annotated[
        bool,
        typer.Option(
            "--share/--no-share",
            help="Share preprocessing, resampling and fits across "
            "jobs (results are identical either way).",
        ),
    ] = True,
    plugin: PluginOption = None,
) -> None:
    """Run every job of CONFIG; write results.parquet, results.csv and manifest.json."""
    from climb_cli.api import run as run_api

    result = run_api(
        config,
        output,
        n_jobs=n_jobs,
        resume=resume,
        retry_failed=retry_failed,
        dry_run=dry_run,
        save_predictions=save_predictions,
        offline=offline,
        cache_dir=cache_dir,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        backend=backend.value,
        scheduler=scheduler,
        share=share,
        save_trials=save_trials,
        plugins=plugin or (),
        progress=_Progress(quiet or dry_run),
    )
    s, out, name = SimpleNamespace(**result.summary), result.output, result.summary["name"]
    if s.dry_run:
        p = s.plan
        typer.echo(
            f"{name}: {s.total} jobs ({s.already_done} done, "
            f"{s.total - s.already_done} pending) -> {out}"
        )
        searches = (
            f", {p['searches']} searches of {p['trials']} trials in all"
            if p.get("searches")
            else ""
        )
        typer.echo(
            f"plan: {p['groups']} groups, {p['fits']} model fits, "
            f"{p['resamplings']} resamplings{searches}. Nothing was fitted (--dry-run)."
        )
        if s.stale:
            typer.echo(
                f"{s.stale} done jobs lack a metric of the config: it will be computed "
                "from their stored predictions, or they will run again."
            )
        if s.kept_failed:
            typer.echo(f"{s.kept_failed} failed jobs will be kept (--retry-failed reruns them).")
        return
    counts = ", ".join(f"{n} {k}" for k, n in sorted(s.status_counts.items()))
    rescored = f", {s.rescored} given new metrics from stored predictions" if s.rescored else ""
    typer.echo(
        f"{name}: {s.total} jobs ({counts}); ran {s.executed} now, "
        f"{s.already_done} already done{rescored}; {s.elapsed_s:.1f}s -> {out}"
    )
    if s.n_failed:
        lines = [
            (
                f"{s.n_failed} of {s.total} jobs failed; see the 'error' column of "
                f"{out / 'results.csv'}"
            )
        ]
        if s.kept_failed:
            lines.append(
                f"{s.kept_failed} of them failed in an earlier run and were kept as they "
                "were: add --retry-failed to run them again (e.g. after fixing the "
                "config)."
            )
        typer.echo("\n".join(lines), err=True)
        raise typer.Exit(1)


@app.command()
@handle_errors
def validate(
    config: Annotated[Path, typer.Argument(help="Experiment config (YAML).")],
    plugin: PluginOption = None,
) -> None:
    """Validate CONFIG and every component's parameters without fitting; print the job count."""
    from climb_cli.api import validate as validate_api

    exp = validate_api(config, plugins=plugin or ())
    cv = exp.config.cv
    typer.echo(
        f"{config}: valid. {exp.n_jobs_total} jobs = {len(exp.datasets)} datasets x "
        f"{exp.n_methods} methods x {cv.n_splits} folds x {cv.n_repeats} repeats."
    )
    for note in exp.notes:
        typer.echo(f"note: {note}", err=True)


@app.command()
@handle_errors
def report(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="Output directories of `bench run` (several are reported together)."),
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Metric(s) to rank by [default: all]."),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Method to compare every method with [default: the same classifier "
            "with no resampling, no class weights, default threshold].",
        ),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by", help="Marginal view by resampler, class_weight, threshold or classifier."
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write to this file (html: default RUN_DIR/report/report.html)."
        ),
    ] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0.0001, max=0.5, help="Significance level of the tests.")
    ] = 0.05,
    rope: Annotated[
        float | None,
        typer.Option(
            "--rope",
            min=0.0,
            help="Add a Bayesian signed-rank test with this region of practical equivalence.",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option("--top", help="Methods shown per table [table: 20; other formats: all]."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Table format: every column, and the datasets x methods table."
        ),
    ] = False,
) -> None:
    """Leaderboards, statistical tests, marginal views and (html) plots of one or more runs."""
    from climb_cli.plugins import load_plugins
    from climb_cli.report.build import build_report

    load_plugins()  # a plugin metric's direction ranks it
    text = build_report(
        run_dirs,
        metric or None,
        fmt.value,
        out,
        baseline,
        group_by,
        alpha,
        rope,
        top=top,
        wide=wide,
    )
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
    latest: Annotated[
        Path | None,
        typer.Option("--latest", help="Compare the two newest runs under this directory."),
    ] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m")] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, help="Smallest mean change that counts.")
    ] = 0.01,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5)] = 0.05,
    fmt: Annotated[CompareFormat, typer.Option("--format", "-f")] = CompareFormat.md,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the report here.")] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 2 unless both runs hold exactly the same jobs [default: "
            "decide on the shared jobs, list what was added or removed].",
        ),
    ] = False,
    allow_different_settings: Annotated[
        bool,
        typer.Option(
            "--allow-different-settings",
            help="Compare runs that differ in seed, folds or "
            "preprocessing with a Wilcoxon test over datasets "
            "(Holm-corrected) [default: exit 2].",
        ),
    ] = False,
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
    result = run_compare(
        base,
        candidate,
        metric or None,
        tolerance,
        alpha,
        strict=strict,
        allow_different_settings=allow_different_settings,
    )
    text = json.dumps(result, indent=2) if fmt is CompareFormat.json else render_markdown(result)
    _echo_out(text, None)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    if result["regression"]:
        raise typer.Exit(1)


@app.command()
@handle_errors
def components(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            help="resampler, class_weight, threshold, classifier, metric, dataset_source or "
            "perturbation.",
        ),
    ] = None,
    fmt: Annotated[ComponentFormat, typer.Option("--format", "-f")] = ComponentFormat.table,
    check: Annotated[
        str | None,
        typer.Option(
            "--check", help="Run bench's conformance checks on this component; print what passed."
        ),
    ] = None,
    plugin: PluginOption = None,
) -> None:
    """Registered components with their tags, parameters (defaults), descriptions and origin."""
    from climb_cli.api import check_component
    from climb_cli.api import list_components as describe

    if check is not None:
        for what, passed in check_component(check, kind, plugins=plugin or ()).items():
            typer.echo(f"{what}: all {len(passed)} checks passed")
            typer.echo("\n".join(f"  ok  {line}" for line in passed))
        return
    recs = describe(kind, plugins=plugin or ())
    if fmt is ComponentFormat.json:
        typer.echo(json.dumps(recs, indent=2))
        return
    import pandas as pd

    df = pd.DataFrame(
        [
            {
                **r,
                "tags": ", ".join(r["tags"]),
                "parameters": ", ".join(f"{p}={v}" for p, v in r["parameters"].items()),
            }
            for r in recs
        ]
    )
    typer.echo(_rich_table(df))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="bench")


if __name__ == "__main__":  # pragma: no cover
    main()
