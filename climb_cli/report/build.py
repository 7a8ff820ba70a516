"""``bench report``: every declared view (``report.sections.VIEWS``) of one or more runs, in the
requested format (table, md, csv, json, html). An incomplete run's note is the first line of every
format (csv: a ``# `` comment line)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from climb_cli.errors import ResultsError
from climb_cli.report import html as H
from climb_cli.report.data import load
from climb_cli.report.leaderboard import (
    COLUMNS,
    available_metrics,
    check_metric,
    leaderboards,
    to_long,
)
from climb_cli.report.sections import Context, blocks, statistics, stats_text
from climb_cli.report.views import FACTORS, by_factor, imbalance_ratios

__all__ = ["COLUMNS", "build_report", "check_group_by", "statistics", "stats_text"]


def check_group_by(group_by: str | None) -> None:
    """ResultsError naming the valid factors for an unknown --group-by."""
    if group_by is not None and group_by not in FACTORS:
        raise ResultsError(
            f"unknown --group-by '{group_by}'. Valid factors are: {', '.join(FACTORS)}."
        )


def check_top(top: int | None) -> None:
    """ResultsError for a --top that is not a positive number of methods."""
    if top is not None and top < 1:
        raise ResultsError(f"--top must be a positive number of methods, got {top}.")


def build_report(
    run_dirs: list[Path],
    metrics: list[str] | None,
    fmt: str,
    out: Path | None,
    baseline: str | None = None,
    group_by: str | None = None,
    alpha: float = 0.05,
    rope: float | None = None,
    top: int | None = None,
    wide: bool = False,
    width: int | None = None,
) -> str | None:
    """Render the report; returns the text to print (None when an HTML file was written).

    ``top``: methods per per-method table (terminal default 20; other formats all). ``wide``: every
    column in the terminal. ``width``: terminal columns (default: the terminal's, else 80).
    """
    from climb_cli.report import render

    check_group_by(group_by)
    check_top(top)
    loaded = load(run_dirs)
    results = loaded.results
    chosen = metrics or available_metrics(results)
    for m in chosen:
        check_metric(results, m)
    boards = leaderboards(results, chosen, baseline)
    if fmt == "csv":
        if group_by:
            table = pd.concat([by_factor(results, m, group_by).assign(metric=m) for m in chosen])
        else:
            table = to_long(boards)
        return "".join(f"# {n}\n" for n in loaded.notes) + table.to_csv(index=False)
    ctx = Context(
        results,
        loaded.facts,
        chosen,
        boards,
        alpha,
        rope,
        baseline,
        group_by,
        {m: statistics(results, m, baseline, alpha, rope) for m in chosen},
    )
    if fmt == "json":
        return render.as_json(ctx, loaded.notes, [str(d) for d in run_dirs])
    if fmt == "html":
        _html(ctx, loaded.notes, run_dirs, out, top)
        return None
    if fmt == "table":
        cols = width or shutil.get_terminal_size((80, 24)).columns
        return render.terminal(ctx, loaded.notes, top or render.DEFAULT_TOP, wide, cols)
    return render.markdown(ctx, loaded.notes, top)


def _html(
    ctx: Context, notes: list[str], run_dirs: list[Path], out: Path | None, top: int | None
) -> None:
    from climb_cli.report.plots import all_plots
    from climb_cli.report.render import heading

    target = out or (Path(run_dirs[0]) / "report" / "report.html")
    plot_dir = target.parent / "plots"
    irs = imbalance_ratios(ctx.results, ctx.facts)
    counts = ctx.results["status"].value_counts().to_dict()
    sections = [
        (
            "Runs",
            H.text(
                "Runs: "
                + ", ".join(str(d) for d in run_dirs)
                + ". Jobs: "
                + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                + ". Ranks: 1 = best; a method that failed on a dataset takes "
                "the worst rank there; a method skipped there by design is not "
                "ranked there."
            ),
        )
    ]
    for m in ctx.metrics:
        body: list[str] = []
        for b in blocks(ctx, m):
            if b.figures:
                pngs = [
                    p
                    for p in all_plots(ctx.results, m, irs, plot_dir, ctx.stats[m])
                    if p.suffix == ".png"
                ]
                body += [H.image(p, p.stem) for p in pngs]
                continue
            if b.title:
                body.append(f"<h3>{H.escape(b.title[:1].upper() + b.title[1:])}</h3>")
            if b.table is None:
                body.append(H.text(b.text or ""))
                continue
            df = b.table.head(top) if b.per_method and top else b.table
            best = b.best.head(len(df)) if b.best is not None else None
            body.append(H.table(df, best))
        sections.append((heading(m), "\n".join(body)))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(H.page("bench report", sections, notes))
