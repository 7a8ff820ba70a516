"""Leaderboards: per method, the mean over datasets of per-dataset fold means, and the mean rank.

Ranking rule: within each dataset, methods are ranked by their fold-mean score (1 = best, direction
from the metric, ties averaged). A method with no ok result on a dataset (failed or skipped jobs)
takes the worst rank there (tied with any other missing method), so failing never improves a rank.
``wins`` counts datasets where the method ranks first (ties included); ``vs_baseline`` is
win/tie/loss against the method's baseline (default: the same classifier with no resampling, no
class weights and the default threshold) over datasets where both have a value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import ResultsError
from climb_cli.report.data import baselines, rank_matrix, score_matrix

COLUMNS = ["rank", "method", "mean", "std", "mean_rank", "n_datasets", "wins", "vs_baseline",
           "n_ok", "n_failed", "n_skipped"]


def metric_direction(metric: str) -> bool:
    """greater_is_better for a registered metric (unknown columns are assumed greater-is-better)."""
    from climb_cli import registry

    comps = registry.available("metric")
    return comps[metric].has("greater_is_better") if metric in comps else True


def available_metrics(results: pd.DataFrame) -> list[str]:
    """Metric columns present in a results table."""
    from climb_cli import registry
    from climb_cli.store import BASE_COLUMNS

    registered = registry.available("metric")
    return [c for c in results.columns if c not in BASE_COLUMNS and c in registered]


def check_metric(results: pd.DataFrame, metric: str) -> None:
    """ResultsError naming the available metrics when ``metric`` is not stored."""
    if metric not in results.columns or metric not in available_metrics(results):
        raise ResultsError(f"metric '{metric}' is not in these results. "
                           f"Available metrics are: {', '.join(available_metrics(results))}.")


def leaderboard(results: pd.DataFrame, metric: str, baseline: str | None = None) -> pd.DataFrame:
    """One row per method, best mean rank first."""
    check_metric(results, metric)
    from climb_cli.store import FAILED_STATUSES

    greater = metric_direction(metric)
    scores = score_matrix(results, metric)
    ranks = rank_matrix(scores, greater)
    base_of = baselines(results, baseline) if "resampler_params" in results.columns and \
        results["resampler_params"].notna().all() else {m: baseline for m in scores.columns}
    status = results.groupby("method")["status"]
    from climb_cli.report.stats import baseline_pairs

    vs = dict.fromkeys(scores.columns, "")
    for m, b, pair in baseline_pairs(scores, base_of):
        diff = (pair[m] - pair[b]) * (1 if greater else -1)
        vs[m] = f"{int((diff > 0).sum())}/{int((diff == 0).sum())}/{int((diff < 0).sum())}"
    board = pd.DataFrame({
        "method": scores.columns,
        "mean": scores.mean(axis=0).to_numpy(),
        "std": scores.std(axis=0, ddof=1).to_numpy(),
        "mean_rank": ranks.mean(axis=0).to_numpy(),
        "n_datasets": scores.notna().sum(axis=0).to_numpy(),
        "wins": (ranks == ranks.min(axis=1).to_numpy()[:, None]).sum(axis=0).to_numpy(),
        "vs_baseline": [vs[m] for m in scores.columns],
        "n_ok": [int((status.get_group(m) == "ok").sum()) for m in scores.columns],
        "n_failed": [int(status.get_group(m).isin(FAILED_STATUSES).sum()) for m in scores.columns],
        "n_skipped": [int((status.get_group(m) == "skipped").sum()) for m in scores.columns],
    })
    board = board.sort_values(["mean_rank", "mean", "method"],
                              ascending=[True, not greater, True], kind="stable")
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board.reset_index(drop=True)[COLUMNS]


def leaderboards(results: pd.DataFrame, metrics: list[str] | None = None,
                 baseline: str | None = None) -> dict[str, pd.DataFrame]:
    """A leaderboard per metric (all stored metrics when none are named)."""
    if results.empty:
        raise ResultsError("the results table is empty: no job has finished yet")
    chosen = metrics or available_metrics(results)
    return {m: leaderboard(results, m, baseline) for m in chosen}


def to_long(boards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All leaderboards in one table with a ``metric`` column."""
    return pd.concat([b.assign(metric=m) for m, b in boards.items()], ignore_index=True)[
        ["metric", *COLUMNS]]


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    for rec in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in rec) + " |")
    return "\n".join(lines)


def render_markdown(boards: dict[str, pd.DataFrame]) -> str:
    """Markdown tables, one per metric."""
    parts = []
    for metric, board in boards.items():
        arrow = "higher is better" if metric_direction(metric) else "lower is better"
        parts += [f"### {metric} ({arrow})\n", markdown_table(board), ""]
    return "\n".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4f}"
    return str(value).replace("|", "\\|")
