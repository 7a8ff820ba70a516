"""Text renderings of the declared views: markdown, JSON and the terminal table (rich).

Every string from data or configs is escaped: markdown punctuation is backslash-escaped
(``leaderboard.md_escape``); rich cells and titles are ``rich.text.Text`` objects, never markup, so
``logreg[C=1.0]`` prints as is.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.report.leaderboard import markdown_table, md_escape, metric_direction, to_long
from climb_cli.report.sections import Block, Context, blocks

TOC_OVER = 7  # reports with more metrics than this start with a table of contents
DEFAULT_TOP = 20  # methods shown per table in the terminal


def heading(metric: str) -> str:
    """'f1 (higher is better)'."""
    return f"{metric} ({'higher' if metric_direction(metric) else 'lower'} is better)"


def _top(df: pd.DataFrame, block: Block, top: int | None) -> tuple[pd.DataFrame, str]:
    if not block.per_method or top is None or len(df) <= top:
        return df, ""
    return df.head(top), f", top {top} of {len(df)} methods shown (--top N)"


def markdown(ctx: Context, notes: list[str], top: int | None = None) -> str:
    """The whole report as GitHub-flavoured markdown."""
    parts = [md_escape(n) for n in notes] + ([""] if notes else [])
    if len(ctx.metrics) > TOC_OVER:
        parts += (
            ["Contents:", ""]
            + [f"{i}. {md_escape(heading(m))}" for i, m in enumerate(ctx.metrics, 1)]
            + [""]
        )
    for m in ctx.metrics:
        parts += [f"## {md_escape(heading(m))}", ""]
        for b in blocks(ctx, m):
            if b.figures:
                continue
            df, more = _top(b.table, b, top) if b.table is not None else (None, "")
            title = (b.title[:1].upper() + b.title[1:] + more).strip(", ")
            parts += [f"{md_escape(title)}:", ""] if title else []
            parts += [markdown_table(df) if df is not None else md_escape(b.text or ""), ""]
    return "\n".join(parts)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records"))


def as_json(ctx: Context, notes: list[str], runs: list[str]) -> str:
    """The whole report as JSON: notes, leaderboards, statistics, by_factor and every view."""
    from climb_cli.report.views import by_factor, factors_of

    doc: dict[str, Any] = {
        "notes": notes,
        "runs": runs,
        "leaderboards": _records(to_long(ctx.boards)),
        "statistics": {},
        "by_factor": {},
        "views": {},
    }
    for m in ctx.metrics:
        s = ctx.stats[m]
        doc["statistics"][m] = {
            "friedman": s["friedman"],
            "nemenyi_cd": s["nemenyi_cd"],
            "wilcoxon_holm": _records(s["wilcoxon_holm"]),
            "identical": s["identical"],
            **({"bayesian": _records(s["bayesian"])} if "bayesian" in s else {}),
        }
        doc["by_factor"][m] = {
            f: _records(by_factor(ctx.results, m, f))
            for f in ([ctx.group_by] if ctx.group_by else factors_of(ctx.results))
        }
        doc["views"][m] = [
            {
                "view": b.key,
                "title": b.title,
                **({"rows": _records(b.table)} if b.table is not None else {"text": b.text}),
            }
            for b in blocks(ctx, m)
            if not b.figures
        ]
    return json.dumps(doc, indent=2)


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4f}"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return "" if value is None else str(value)


_NUMBERS = {"mean ± std", "mean rank", "p_holm"}  # preformatted numbers in compact tables


def rich_table(df: pd.DataFrame, title: str) -> Any:
    """A rich Table built from Text objects only (data is never read as markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), title_justify="left")
    cells = [[_cell(v) for v in rec] for rec in df.itertuples(index=False)]
    for j, col in enumerate(df.columns):
        longest = max([len(r[j]) for r in cells] or [0])
        numeric = (
            pd.api.types.is_numeric_dtype(df[col])
            and not pd.api.types.is_bool_dtype(df[col])
            or col in _NUMBERS
        )
        # long labels wrap (folded, never cut); short values keep their width
        flexible = not numeric and longest > 12
        table.add_column(
            Text(str(col)),
            overflow="fold",
            no_wrap=not flexible,
            min_width=None if flexible else max(longest, 1),
            justify="right" if numeric else "left",
        )
    for row in cells:
        table.add_row(*[Text(c) for c in row])
    return table


def terminal(
    ctx: Context,
    notes: list[str],
    top: int | None = DEFAULT_TOP,
    wide: bool = False,
    width: int = 80,
) -> str:
    """The report for a terminal of ``width`` columns (compact columns unless ``wide``)."""
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for n in notes:
        console.print(Text(n))
    if len(ctx.metrics) > TOC_OVER:
        console.print(
            Text(
                "Contents: " + "; ".join(f"{i}. {heading(m)}" for i, m in enumerate(ctx.metrics, 1))
            )
        )
    for m in ctx.metrics:
        for b in blocks(ctx, m):
            if b.figures or (b.wide_only and not wide):
                continue
            if b.table is None:
                console.print(Text(f"{m} {b.title}", style="italic"))
                console.print(Text(b.text or ""))
                console.print()
                continue
            df = b.table if wide or b.compact is None else b.compact
            df, more = _top(df, b, top)
            title = heading(m) if b.key == "leaderboard" else f"{m} {b.title}"
            console.print(rich_table(df, title + more))
    return buf.getvalue()
