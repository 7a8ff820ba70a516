"""Report figures (matplotlib, Agg): PNG and SVG files, titled and labelled."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pandas as pd

from climb_cli.report.data import rank_matrix
from climb_cli.report.leaderboard import metric_direction


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, out_dir: Path, name: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    fig.savefig(paths[0], dpi=110, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    _plt().close(fig)
    return paths


def _safe(label: object) -> str:
    """A label matplotlib prints as is (``$`` would start mathtext)."""
    return str(label).replace("$", r"\$")


def _top(
    scores: pd.DataFrame, metric: str, n: int, failed: pd.DataFrame | None = None
) -> list[str]:
    ranks = rank_matrix(scores, metric_direction(metric), failed).mean(axis=0)
    return list(ranks.sort_values(kind="stable", na_position="last").index[:n])


def cd_diagram(
    scores: pd.DataFrame,
    metric: str,
    out_dir: Path,
    test: dict[str, Any] | None = None,
    failed: pd.DataFrame | None = None,
    max_methods: int = 20,
    alpha: float = 0.05,
) -> list[Path]:
    """Critical-difference diagram of the test ranks (scikit-posthocs) with the report's Nemenyi
    CD; the top ``max_methods`` are drawn, the CD and p-values are those of the full test."""
    import scikit_posthocs as sp

    from climb_cli.report.stats import friedman, nemenyi_cd, nemenyi_pvalues

    plt = _plt()
    greater = metric_direction(metric)
    f = (test or {}).get("friedman") or friedman(scores, failed, greater)
    ranks = pd.Series(f["mean_ranks"], dtype=float)
    shown = list(ranks.index[:max_methods])
    fig, ax = plt.subplots(figsize=(10, 2.5 + 0.25 * len(shown)))
    if f["p_value"] is not None:
        cd = (test or {}).get("nemenyi_cd") or nemenyi_cd(f["n_methods"], f["n_datasets"], alpha)
        p = nemenyi_pvalues(scores, greater, failed).loc[shown, shown]
        level: dict[str, float] = {"alpha": alpha}
        if "alpha" not in inspect.signature(sp.critical_difference_diagram).parameters:
            # scikit-posthocs < 0.10 draws crossbars at a fixed p < 0.05: scale the p-values so that
            # its test is p < alpha, the same verdicts as the newer keyword
            p, level = (p * (0.05 / alpha)).clip(upper=1.0), {}
        sp.critical_difference_diagram(
            ranks[shown].rename(index=_safe),
            p.rename(index=_safe, columns=_safe),
            ax=ax,
            label_fmt_left="{label} ({rank:.2f})  ",
            label_fmt_right="  ({rank:.2f}) {label}",
            text_h_margin=0.3,
            **level,
        )
        part = (
            f"top {len(shown)} of {f['n_methods']} methods shown; "
            if len(shown) < len(ranks)
            else ""
        )
        ax.set_title(
            f"Mean test ranks by {metric} over {f['n_datasets']} datasets (1 = best); "
            f"{part}Nemenyi CD = {cd:.2f} (k={f['n_methods']}) at alpha={alpha}\n"
            "bars join methods not significantly different",
            fontsize=9,
        )
    else:
        ax.text(
            0.5,
            0.5,
            f"No critical-difference diagram: {f['note']}",
            ha="center",
            va="center",
            wrap=True,
        )
        ax.set_axis_off()
        ax.set_title(f"Critical-difference diagram ({metric})")
    return _save(fig, out_dir, f"cd_{metric}")


def rank_heatmap(
    results: pd.DataFrame, scores: pd.DataFrame, metric: str, out_dir: Path, max_methods: int = 30
) -> list[Path]:
    """Heatmap of ranks, datasets x methods (best methods first)."""
    plt = _plt()
    from climb_cli.report.data import cell_matrix

    failed = cell_matrix(results, metric)[1]
    cols = _top(scores, metric, max_methods, failed)
    ranks = rank_matrix(scores, metric_direction(metric), failed)[cols]
    fig, ax = plt.subplots(figsize=(2 + 0.45 * len(cols), 1.5 + 0.35 * len(ranks)))
    im = ax.imshow(ranks.to_numpy(), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(cols)), [_safe(c) for c in cols], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(ranks)), [_safe(d) for d in ranks.index], fontsize=8)
    ax.set_xlabel("method (best mean rank first)")
    ax.set_ylabel("dataset")
    ax.set_title(f"Rank per dataset by {metric} (1 = best)")
    fig.colorbar(im, ax=ax, label="rank")
    return _save(fig, out_dir, f"ranks_{metric}")


def score_distribution(
    results: pd.DataFrame, metric: str, out_dir: Path, max_methods: int = 20
) -> list[Path]:
    """Distribution over datasets of per-dataset fold means, per method (box plot)."""
    from climb_cli.report.data import cell_matrix

    plt = _plt()
    scores, failed = cell_matrix(results, metric)
    cols = _top(scores, metric, max_methods, failed)
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.35 * len(cols)))
    data = [scores[c].dropna().to_numpy() for c in cols]
    ax.boxplot(data, orientation="horizontal", tick_labels=[_safe(c) for c in cols])
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel(f"{metric} (per-dataset mean over folds)")
    ax.set_title(f"{metric} across datasets, best mean rank at the top")
    return _save(fig, out_dir, f"distribution_{metric}")


def score_vs_imbalance(
    results: pd.DataFrame, metric: str, irs: pd.Series, out_dir: Path, max_methods: int = 6
) -> list[Path]:
    """Per-dataset score against the dataset's imbalance ratio (log scale) for the top methods."""
    from climb_cli.report.data import cell_matrix

    plt = _plt()
    scores, failed = cell_matrix(results, metric)
    fig, ax = plt.subplots(figsize=(8, 5))
    known = irs.dropna()
    for method in _top(scores, metric, max_methods, failed):
        s = scores.loc[known.index, method]
        ax.plot(known.to_numpy(), s.to_numpy(), "o", alpha=0.75, label=_safe(method))
    ax.set_xscale("log")
    ax.set_xlabel("imbalance ratio (majority / minority, log scale)")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs imbalance ratio ({len(known)} datasets)")
    if len(known):
        # outside the axes, so the legend never covers points
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return _save(fig, out_dir, f"vs_imbalance_{metric}")


def all_plots(
    results: pd.DataFrame,
    metric: str,
    irs: pd.Series,
    out_dir: Path,
    test: dict[str, Any] | None = None,
) -> list[Path]:
    """Every figure for one metric (``test``: the report's statistics, so the CD is the same)."""
    from climb_cli.report.data import cell_matrix

    scores, failed = cell_matrix(results, metric)
    alpha = (test or {}).get("alpha", 0.05)
    return [
        *cd_diagram(scores, metric, out_dir, test, failed, alpha=alpha),
        *rank_heatmap(results, scores, metric, out_dir),
        *score_distribution(results, metric, out_dir),
        *score_vs_imbalance(results, metric, irs, out_dir),
        *time_vs_score(results, metric, out_dir),
        *robustness_charts(results, metric, out_dir),
        *chosen_values(results, out_dir),
    ]


def chosen_values(results: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Bar charts of how often each value of each tuned parameter was chosen (none if untuned)."""
    from climb_cli.report.views import chosen_hyperparameters

    table = chosen_hyperparameters(results)
    if table.empty:
        return []
    plt = _plt()
    panels = list(table.groupby(["method", "parameter"], sort=True))[:12]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.6 + 1.4 * len(panels)), squeeze=False)
    for ax, ((method, param), g) in zip(axes[:, 0], panels):
        ax.barh(g["value"].astype(str), g["chosen"], color="#4c72b0")
        ax.set_title(f"{method}: {param}".replace("$", r"\$"), fontsize=8, loc="left")
        ax.set_xlabel("outer folds where chosen", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return _save(fig, out_dir, "chosen_hyperparameters")


def time_vs_score(results: pd.DataFrame, metric: str, out_dir: Path) -> list[Path]:
    """CLIMB's efficiency analysis: mean score against mean training time per method (log time)."""
    from climb_cli.report.efficiency import efficiency_figure, efficiency_table

    fig = efficiency_figure(efficiency_table(results, metric), metric)
    return [] if fig is None else _save(fig, out_dir, f"efficiency_{metric}")


def robustness_charts(results: pd.DataFrame, metric: str, out_dir: Path) -> list[Path]:
    """CLIMB's robustness study: score against perturbation level, one chart per kind (none
    unless the results hold more than one perturbation level)."""
    from climb_cli.report.robustness import chart_data

    plt, paths = _plt(), []
    for kind, _param, xlabel, xs, lines in chart_data(results, metric):
        fig, ax = plt.subplots(figsize=(8, 5))
        for method, ys in lines:
            ax.plot(xs, ys, "o-", label=_safe(method))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"{metric} (mean over datasets)")
        ax.set_title(f"{metric} vs {kind}: top {len(lines)} methods by clean score")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
        paths += _save(fig, out_dir, f"robustness_{kind}_{metric}")
    return paths
