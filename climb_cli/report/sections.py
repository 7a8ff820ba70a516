"""The report's views, declared once as an ordered list (``VIEWS``); every format renders them.

Each view turns (context, metric) into blocks: a titled table or a paragraph. Every format (table,
md, json, html) renders every block in this order; csv is one table (the leaderboards, or the
``--group-by`` view). Figures are an HTML-only block. The terminal table shows compact columns of the
leaderboard and of the Wilcoxon table unless ``--wide``, the top ``--top`` methods of per-method
tables, and the datasets x methods table only with ``--wide``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.report.data import baselines, cell_matrix, identical_groups
from climb_cli.report.leaderboard import metric_direction
from climb_cli.report.views import (
    best_per_classifier,
    by_factor,
    by_imbalance_level,
    chosen_hyperparameters,
    dataset_table,
    factors_of,
)


@dataclass
class Block:
    """One rendered unit of a view: a table or a paragraph (or, in HTML, the figures)."""

    key: str
    title: str  # lower case, "" for none; formats add the metric or a colon
    table: pd.DataFrame | None = None
    text: str | None = None
    compact: pd.DataFrame | None = None  # terminal columns without --wide
    best: pd.DataFrame | None = None  # cells to mark (html)
    per_method: bool = False  # --top applies
    wide_only: bool = False  # terminal shows it only with --wide
    figures: bool = False


@dataclass
class Context:
    """Everything the views read."""

    results: pd.DataFrame
    facts: dict[str, Any]
    metrics: list[str]
    boards: dict[str, pd.DataFrame]
    alpha: float = 0.05
    rope: float | None = None
    baseline: str | None = None
    group_by: str | None = None
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)


def statistics(
    results: pd.DataFrame, metric: str, baseline: str | None, alpha: float, rope: float | None
) -> dict[str, Any]:
    """Friedman + Iman-Davenport, Nemenyi CD, Wilcoxon-Holm, optional Bayesian, identical methods."""
    from climb_cli.report import stats

    greater = metric_direction(metric)
    scores, failed = cell_matrix(results, metric)
    out: dict[str, Any] = {"alpha": alpha, "friedman": stats.friedman(scores, failed, greater)}
    f = out["friedman"]
    ran = f["p_value"] is not None
    out["nemenyi_cd"] = stats.nemenyi_cd(f["n_methods"], f["n_datasets"], alpha) if ran else None
    base_of = baselines(results, baseline)
    out["wilcoxon_holm"] = stats.wilcoxon_vs_baseline(scores, base_of, greater, alpha)
    if rope is not None:
        out["bayesian"] = stats.bayesian_signed_rank(scores, base_of, greater, rope)
    out["identical"] = identical_groups(results, metric)
    return out


def stats_text(st: dict[str, Any], alpha: float) -> str:
    """The tests' verdicts in words, with what was left out and which ranks were used."""
    f = st["friedman"]
    if f["p_value"] is None:
        head = f"Friedman test: not run ({f['note']}); no critical difference."
    else:
        p_ff = f["iman_davenport_p"]
        verdict = "differ" if p_ff < alpha else "do not differ significantly"
        head = (
            f"Friedman test over {f['n_datasets']} datasets x {f['n_methods']} methods: "
            f"chi2 = {f['statistic']:.3f}, p = {f['p_value']:.3g}; Iman-Davenport "
            f"F = {f['iman_davenport_f']:.3f}, p = {p_ff:.3g} -> methods {verdict} at "
            f"alpha={alpha}. Nemenyi critical difference of mean ranks: "
            f"{st['nemenyi_cd']:.3f} (k={f['n_methods']}, N={f['n_datasets']})"
            + (
                "."
                if p_ff < alpha
                else "; pairwise differences are not interpreted since "
                "the Friedman test does not reject."
            )
            + " Test ranks: mean ranks over these datasets (the CD diagram's); the "
            "leaderboard's mean_rank is over every dataset where a method applies."
        )
        if f["note"]:
            head += f" Note: {f['note']}."
    if f["methods_left_out"]:
        head += (
            f" Left out of the tests (no value on any dataset): {', '.join(f['methods_left_out'])}."
        )
    if f["datasets_left_out"]:
        head += (
            f" {f['datasets_left_out']} of {f['n_datasets_total']} datasets left out of the "
            "Friedman test (not every tested method applies there, or no method has a score)."
        )
    return head


def _by_board(table: pd.DataFrame, board: pd.DataFrame) -> pd.DataFrame:
    """Rows in leaderboard order (so --top keeps the same methods in every per-method table)."""
    order = {m: i for i, m in enumerate(board["method"])}
    keys = [order.get(m, len(order)) for m in table["method"]]
    return table.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def _leaderboard(ctx: Context, metric: str) -> list[Block]:
    b = ctx.boards[metric]
    ms = [
        "failed on some"
        if np.isnan(m) and nf
        else ""
        if np.isnan(m)
        else f"{m:.3f}" + ("" if np.isnan(s) else f" ± {s:.3f}")
        for m, s, nf in zip(b["mean"], b["std"], b["n_failed"])
    ]
    compact = pd.DataFrame(
        {
            "#": b["rank"],
            "method": b["method"],
            "mean ± std": ms,
            "mean rank": [f"{r:.2f}" for r in b["mean_rank"]],
            "n": b["n_datasets"],
        }
    )
    return [Block("leaderboard", "", table=b, compact=compact, per_method=True)]


def _tests(ctx: Context, metric: str) -> list[Block]:
    st = ctx.stats[metric]
    out = [Block("statistics", "statistical tests", text=stats_text(st, ctx.alpha))]
    if st["identical"]:
        groups = "; ".join(" = ".join(g) for g in st["identical"])
        out.append(
            Block(
                "identical",
                "identical methods",
                text=(
                    "Identical results, value for value on every fold (the options make no difference "
                    f"here, e.g. class weights after a fully balancing resampler): {groups}."
                ),
            )
        )
    board = ctx.boards[metric]
    w = st["wilcoxon_holm"]
    if len(w):
        w = _by_board(w, board)
        compact = pd.DataFrame(
            {
                "method": w["method"],
                "n": w["n_datasets"],
                "w/t/l": [f"{a}/{b}/{c}" for a, b, c in zip(w["wins"], w["ties"], w["losses"])],
                "p_holm": ["" if np.isnan(p) else f"{p:.3g}" for p in w["p_holm"]],
                "verdict": w["verdict"],
            }
        )
        out.append(
            Block(
                "wilcoxon",
                "against the baseline (Wilcoxon signed-rank, Holm-corrected)",
                table=w,
                compact=compact,
                per_method=True,
            )
        )
    if "bayesian" in st and len(st["bayesian"]):
        out.append(
            Block(
                "bayesian",
                "Bayesian signed-rank test against the baseline",
                table=_by_board(st["bayesian"], board),
                per_method=True,
            )
        )
    return out


def _figures(ctx: Context, metric: str) -> list[Block]:
    return [Block("figures", "figures", figures=True)]


def _factors(ctx: Context, metric: str) -> list[Block]:
    return [
        Block(f"by_{f}", f"by {f}", table=by_factor(ctx.results, metric, f))
        for f in ([ctx.group_by] if ctx.group_by else factors_of(ctx.results))
    ]


def _best(ctx: Context, metric: str) -> list[Block]:
    return [
        Block(
            "best_per_classifier",
            "best remedy per classifier",
            table=best_per_classifier(ctx.results, metric),
        )
    ]


def _levels(ctx: Context, metric: str) -> list[Block]:
    lv = by_imbalance_level(ctx.results, metric, ctx.facts)
    return [Block("by_imbalance_level", "by imbalance level", table=lv)] if len(lv) else []


def _efficiency(ctx: Context, metric: str) -> list[Block]:
    from climb_cli.report.efficiency import efficiency_table

    table = efficiency_table(ctx.results, metric)
    if not np.isfinite(table["train_time_s"].to_numpy(dtype=float)).any():
        return []
    table = _by_board(table, ctx.boards[metric])
    compact = table[["method", "train_time_s", "fit_time_s", "mean_score", "pareto"]]
    return [
        Block(
            "efficiency",
            "training time vs score (mean seconds per outer fold, train = resampling + fit; "
            "pareto: no method is both faster and better)",
            table=table,
            compact=compact,
            per_method=True,
        )
    ]


def _robustness(ctx: Context, metric: str) -> list[Block]:
    from climb_cli.report.robustness import view_parts

    return [
        Block(
            part["key"],
            part["title"],
            table=part.get("table"),
            text=part.get("text"),
            per_method="table" in part,
        )
        for part in view_parts(ctx.results, metric)
    ]


def _datasets(ctx: Context, metric: str) -> list[Block]:
    scores, best = dataset_table(ctx.results, metric)
    return [
        Block(
            "datasets",
            "datasets x methods (best per dataset marked)",
            table=scores.reset_index(),
            best=best.reset_index().assign(dataset=False),
            wide_only=True,
        )
    ]


def _chosen(ctx: Context, metric: str) -> list[Block]:
    # independent of the metric: shown once, with the first one
    table = chosen_hyperparameters(ctx.results) if metric == ctx.metrics[0] else None
    return (
        [
            Block(
                "chosen_hyperparameters",
                "chosen hyperparameters (values chosen inside the "
                "training folds, times chosen over outer folds)",
                table=table,
            )
        ]
        if table is not None and len(table)
        else []
    )


# The report, in order: add a view here and every format shows it.
VIEWS: list[tuple[str, Callable[[Context, str], list[Block]]]] = [
    ("leaderboard", _leaderboard),
    ("tests", _tests),
    ("figures", _figures),
    ("by_factor", _factors),
    ("best_per_classifier", _best),
    ("by_imbalance_level", _levels),
    ("efficiency", _efficiency),
    ("robustness", _robustness),
    ("datasets", _datasets),
    ("chosen_hyperparameters", _chosen),
]


def blocks(ctx: Context, metric: str) -> list[Block]:
    """Every view's blocks for one metric, in the declared order."""
    return [b for _, view in VIEWS for b in view(ctx, metric)]
