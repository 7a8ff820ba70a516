"""Leaderboards: per method, its mean rank over datasets and the mean of its per-dataset scores.

Ranking rule (cells and ranks as defined in ``report.data``): within each dataset, methods that
apply to it are ranked by their score (1 = best, direction from the metric's ``greater_is_better``
registry tag, ties averaged). A method that failed on a dataset (any failed fold) takes the worst
rank there, tied with the other failures, so failing never improves a rank; a method skipped there by
design has no rank there. ``mean_rank`` is the mean over the datasets where the method applies;
``n_datasets`` counts those where it has a score. ``mean``/``std`` are over those scores and are
left empty when the method failed on any dataset (a mean over its successes only would reward
failing). ``wins`` counts datasets where it has the best score (ties included; datasets where no
method has a score count for nobody). ``vs_baseline`` is wins/ties/losses against the method's
baseline (default: the same classifier with no resampling, no class weights and the default
threshold) over datasets where both apply; a failure loses against a score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import ResultsError
from climb_cli.report.data import baselines, cell_matrix, rank_matrix

COLUMNS = [
    "rank",
    "method",
    "mean",
    "std",
    "mean_rank",
    "n_datasets",
    "wins",
    "vs_baseline",
    "n_ok",
    "n_failed",
    "n_skipped",
]


def metric_direction(metric: str) -> bool:
    """greater_is_better for a registered metric (unknown columns are assumed greater-is-better)."""
    from climb_cli import components

    comps = components.available("metric")
    return comps[metric].has("greater_is_better") if metric in comps else True


def available_metrics(results: pd.DataFrame) -> list[str]:
    """Metric columns present in a results table."""
    from climb_cli import components
    from climb_cli.store import BASE_COLUMNS

    registered = components.available("metric")
    return [c for c in results.columns if c not in BASE_COLUMNS and c in registered]


def check_metric(results: pd.DataFrame, metric: str) -> None:
    """ResultsError naming the available metrics when ``metric`` is not stored."""
    if metric not in results.columns or metric not in available_metrics(results):
        raise ResultsError(
            f"metric '{metric}' is not in these results. "
            f"Available metrics are: {', '.join(available_metrics(results))}."
        )


def pair_outcomes(
    scores: pd.DataFrame, failed: pd.DataFrame, method: str, base: str, greater: bool
) -> tuple[int, int, int]:
    """(wins, ties, losses) of ``method`` against ``base`` over datasets where both apply; a failure
    loses against a score (the worst-rank rule), two failures are a tie."""
    applies = (scores[[method, base]].notna() | failed[[method, base]]).all(axis=1)
    a, b = scores.loc[applies, method], scores.loc[applies, base]
    diff = (a - b) * (1 if greater else -1)
    fa, fb = failed.loc[applies, method], failed.loc[applies, base]
    wins = int((diff > 0).sum() + (fb & ~fa).sum())
    losses = int((diff < 0).sum() + (fa & ~fb).sum())
    return wins, int((diff == 0).sum() + (fa & fb).sum()), losses


def leaderboard(results: pd.DataFrame, metric: str, baseline: str | None = None) -> pd.DataFrame:
    """One row per method, best mean rank first (module docstring: the rules)."""
    check_metric(results, metric)
    from climb_cli.store import FAILED_STATUSES

    greater = metric_direction(metric)
    scores, failed = cell_matrix(results, metric)
    ranks = rank_matrix(scores, greater, failed)
    base_of = baselines(results, baseline)
    status = results.groupby("method")["status"]
    vs = dict.fromkeys(scores.columns, "")
    for m in scores.columns:
        b = base_of.get(m)
        if b is not None and b != m and b in scores.columns:
            vs[m] = "/".join(map(str, pair_outcomes(scores, failed, m, b, greater)))
    any_failed = failed.any(axis=0)
    board = pd.DataFrame(
        {
            "method": scores.columns,
            "mean": scores.mean(axis=0).mask(any_failed).to_numpy(),
            "std": scores.std(axis=0, ddof=1).mask(any_failed).to_numpy(),
            "mean_rank": ranks.mean(axis=0).to_numpy(),
            "n_datasets": scores.notna().sum(axis=0).to_numpy(),
            "wins": (ranks.eq(ranks.min(axis=1), axis=0) & scores.notna()).sum(axis=0).to_numpy(),
            "vs_baseline": [vs[m] for m in scores.columns],
            "n_ok": [int((status.get_group(m) == "ok").sum()) for m in scores.columns],
            "n_failed": [
                int(status.get_group(m).isin(FAILED_STATUSES).sum()) for m in scores.columns
            ],
            "n_skipped": [int((status.get_group(m) == "skipped").sum()) for m in scores.columns],
        }
    )
    board = board.sort_values(
        ["mean_rank", "mean", "method"],
        ascending=[True, not greater, True],
        kind="stable",
        na_position="last",
    )
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board.reset_index(drop=True)[COLUMNS]


def leaderboards(
    results: pd.DataFrame, metrics: list[str] | None = None, baseline: str | None = None
) -> dict[str, pd.DataFrame]:
    """A leaderboard per metric (all stored metrics when none are named)."""
    if results.empty:
        raise ResultsError("the results table is empty: no job has finished yet")
    chosen = metrics or available_metrics(results)
    return {m: leaderboard(results, m, baseline) for m in chosen}


def to_long(boards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All leaderboards in one table with a ``metric`` column."""
    return pd.concat([b.assign(metric=m) for m, b in boards.items()], ignore_index=True)[
        ["metric", *COLUMNS]
    ]


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table."""
    lines = [
        "| " + " | ".join(md_escape(str(c)) for c in df.columns) + " |",
        "|" + "---|" * len(df.columns),
    ]
    for rec in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in rec) + " |")
    return "\n".join(lines)


def render_markdown(boards: dict[str, pd.DataFrame]) -> str:
    """Markdown tables, one per metric."""
    parts = []
    for metric, board in boards.items():
        arrow = "higher is better" if metric_direction(metric) else "lower is better"
        parts += [f"### {md_escape(metric)} ({arrow})\n", markdown_table(board), ""]
    return "\n".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4f}"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return md_escape(str(value))


_MD_SPECIAL = set("\\`*[]<|&~")  # "_" is left: intraword, it is never emphasis


def md_escape(text: str) -> str:
    """Markdown-safe text: punctuation that could start markup or HTML is backslash-escaped."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in " ".join(text.splitlines()))
