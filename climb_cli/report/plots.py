"""Report figures (matplotlib, Agg): PNG and SVG files, titled and labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from climb_cli.report.data import rank_matrix
from climb_cli.report.leaderboard import metric_direction


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_dir: Path, name: str) -> list[Path]:  # type: ignore[no-untyped-def]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    fig.savefig(paths[0], dpi=110, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    _plt().close(fig)
    return paths


def _top(scores: pd.DataFrame, metric: str, n: int) -> list[str]:
    ranks = rank_matrix(scores, metric_direction(metric)).mean(axis=0).sort_values(kind="stable")
    return list(ranks.index[:n])


def cd_diagram(scores: pd.DataFrame, metric: str, out_dir: Path, max_methods: int = 20,
               alpha: float = 0.05) -> list[Path]:
    """Critical-difference diagram of mean ranks (scikit-posthocs), Nemenyi CD in the title."""
    import scikit_posthocs as sp

    from climb_cli.report.stats import complete_block, nemenyi_cd, nemenyi_pvalues

    plt = _plt()
    block = complete_block(scores[_top(scores, metric, max_methods)])
    greater = metric_direction(metric)
    fig, ax = plt.subplots(figsize=(10, 2.5 + 0.25 * block.shape[1]))
    if block.shape[1] >= 3 and len(block) >= 2:
        ranks = rank_matrix(block, greater).mean(axis=0)
        sp.critical_difference_diagram(ranks, nemenyi_pvalues(block, greater), ax=ax,
                                       alpha=alpha, label_fmt_left="{label} ({rank:.2f})  ",
                                       label_fmt_right="  ({rank:.2f}) {label}",
                                       text_h_margin=0.3)
        cd = nemenyi_cd(block.shape[1], len(block), alpha)
        ax.set_title(f"Mean ranks by {metric} over {len(block)} datasets (1 = best); Nemenyi "
                     f"CD = {cd:.2f} at alpha={alpha}; bars join methods not significantly different")
    else:
        ax.text(0.5, 0.5, "needs at least 3 methods and 2 datasets with complete results",
                ha="center", va="center")
        ax.set_axis_off()
        ax.set_title(f"Critical-difference diagram ({metric})")
    return _save(fig, out_dir, f"cd_{metric}")


def rank_heatmap(scores: pd.DataFrame, metric: str, out_dir: Path, max_methods: int = 30) -> list[Path]:
    """Heatmap of ranks, datasets x methods (best methods first)."""
    plt = _plt()
    cols = _top(scores, metric, max_methods)
    ranks = rank_matrix(scores, metric_direction(metric))[cols]
    fig, ax = plt.subplots(figsize=(2 + 0.45 * len(cols), 1.5 + 0.35 * len(ranks)))
    im = ax.imshow(ranks.to_numpy(), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(ranks)), ranks.index, fontsize=8)
    ax.set_xlabel("method (best mean rank first)")
    ax.set_ylabel("dataset")
    ax.set_title(f"Rank per dataset by {metric} (1 = best)")
    fig.colorbar(im, ax=ax, label="rank")
    return _save(fig, out_dir, f"ranks_{metric}")


def score_distribution(results: pd.DataFrame, metric: str, out_dir: Path,
                       max_methods: int = 20) -> list[Path]:
    """Distribution over datasets of per-dataset fold means, per method (box plot)."""
    from climb_cli.report.data import score_matrix

    plt = _plt()
    scores = score_matrix(results, metric)
    cols = _top(scores, metric, max_methods)
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.35 * len(cols)))
    data = [scores[c].dropna().to_numpy() for c in cols]
    ax.boxplot(data, vert=False, tick_labels=cols)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel(f"{metric} (per-dataset mean over folds)")
    ax.set_title(f"{metric} across datasets, best mean rank at the top")
    return _save(fig, out_dir, f"distribution_{metric}")


def score_vs_imbalance(results: pd.DataFrame, metric: str, irs: pd.Series, out_dir: Path,
                       max_methods: int = 6) -> list[Path]:
    """Per-dataset score against the dataset's imbalance ratio (log scale) for the top methods."""
    from climb_cli.report.data import score_matrix

    plt = _plt()
    scores = score_matrix(results, metric)
    fig, ax = plt.subplots(figsize=(8, 5))
    known = irs.dropna()
    for method in _top(scores, metric, max_methods):
        s = scores.loc[known.index, method]
        ax.plot(known.to_numpy(), s.to_numpy(), "o", alpha=0.75, label=method)
    ax.set_xscale("log")
    ax.set_xlabel("imbalance ratio (majority / minority, log scale)")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs imbalance ratio ({len(known)} datasets)")
    if len(known):
        ax.legend(fontsize=7, loc="best")
    return _save(fig, out_dir, f"vs_imbalance_{metric}")


def all_plots(results: pd.DataFrame, metric: str, irs: pd.Series, out_dir: Path) -> list[Path]:
    """Every figure for one metric."""
    from climb_cli.report.data import score_matrix

    scores = score_matrix(results, metric)
    return [*cd_diagram(scores, metric, out_dir), *rank_heatmap(scores, metric, out_dir),
            *score_distribution(results, metric, out_dir),
            *score_vs_imbalance(results, metric, irs, out_dir)]
