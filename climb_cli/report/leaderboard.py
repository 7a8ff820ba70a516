"""Leaderboards: per method, the mean over datasets of per-dataset fold means, and the mean rank.

Ranking rule: within each dataset, methods are ranked by their fold-mean score (1 = best, direction
from the metric, ties averaged). A method with no ok result on a dataset (failed or skipped jobs)
takes the worst rank there (tied with any other missing method), so failing never improves a rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import ResultsError

COLUMNS = ["rank", "method", "mean", "std", "mean_rank", "n_datasets", "n_ok", "n_failed",
           "n_skipped"]


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


def leaderboard(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per method, best mean rank first."""
    if metric not in results.columns:
        raise ResultsError(f"metric '{metric}' is not in these results. "
                           f"Available metrics are: {', '.join(available_metrics(results))}.")
    greater = metric_direction(metric)
    counts = results.groupby("method")["status"].value_counts().unstack(fill_value=0)
    ok = results[(results["status"] == "ok") & results[metric].notna()]
    per_ds = ok.groupby(["method", "dataset"])[metric].mean().unstack("dataset")
    methods = sorted(results["method"].unique())
    datasets = sorted(results["dataset"].unique())
    per_ds = per_ds.reindex(index=methods, columns=datasets)
    ranks = per_ds.rank(axis=0, ascending=not greater, method="average")
    # missing cells share the worst ranks of their dataset
    for ds in datasets:
        missing = per_ds[ds].isna()
        if missing.any():
            n_present = int((~missing).sum())
            ranks.loc[missing, ds] = n_present + (missing.sum() + 1) / 2
    board = pd.DataFrame({
        "method": methods,
        "mean": per_ds.mean(axis=1).to_numpy(),
        "std": per_ds.std(axis=1, ddof=1).to_numpy(),
        "mean_rank": ranks.mean(axis=1).to_numpy(),
        "n_datasets": per_ds.notna().sum(axis=1).to_numpy(),
    })
    for status in ("ok", "error", "skipped"):
        col = {"ok": "n_ok", "error": "n_failed", "skipped": "n_skipped"}[status]
        board[col] = [int(counts.loc[m, status]) if status in counts.columns else 0 for m in methods]
    board = board.sort_values(["mean_rank", "mean", "method"],
                              ascending=[True, not greater, True], kind="stable")
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board.reset_index(drop=True)[COLUMNS]


def leaderboards(results: pd.DataFrame, metrics: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """A leaderboard per metric (all stored metrics when none are named)."""
    if results.empty:
        raise ResultsError("the results table is empty: no job has finished yet")
    chosen = metrics or available_metrics(results)
    return {m: leaderboard(results, m) for m in chosen}


def to_long(boards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All leaderboards in one table with a ``metric`` column."""
    return pd.concat([b.assign(metric=m) for m, b in boards.items()], ignore_index=True)[
        ["metric", *COLUMNS]]


def render_markdown(boards: dict[str, pd.DataFrame]) -> str:
    """GitHub-flavoured markdown tables, one per metric."""
    parts = []
    for metric, board in boards.items():
        arrow = "higher is better" if metric_direction(metric) else "lower is better"
        parts.append(f"### {metric} ({arrow})\n")
        header = "| " + " | ".join(COLUMNS) + " |"
        parts += [header, "|" + "---|" * len(COLUMNS)]
        for rec in board.itertuples(index=False):
            cells = [_fmt(v) for v in rec]
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4f}"
    return str(value).replace("|", "\\|")
