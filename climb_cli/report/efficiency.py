"""CLIMB's efficiency analysis: each method's training time against its score.

A method's training time is what one outer training fold costs it: the resampling (``resample_time_s``,
0 without a resampler) plus the model fit (``fit_time_s``; a tuned job's includes its inner search),
averaged over the method's ``ok`` jobs -- every dataset, repeat and fold it finished. Its score is the
metric averaged over the same jobs (folds where the metric is undefined left out). Failed jobs count
in ``n_failed`` only: their times are those of an interrupted fit. A method is on the Pareto front
when no other method is at least as fast and at least as good, and strictly better in one of the two.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.report.leaderboard import metric_direction

__all__ = ["COLUMNS", "efficiency_figure", "efficiency_table", "pareto_front", "short_label"]

COLUMNS = [
    "method",
    "train_time_s",
    "fit_time_s",
    "resample_time_s",
    "mean_score",
    "n_jobs",
    "n_failed",
    "pareto",
]
MIN_SECONDS = 1e-4  # a log axis cannot show 0 s: faster points are drawn at this floor


def efficiency_table(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per method: mean training, fit and resampling seconds and mean ``metric`` over its ok jobs,
    jobs counted, failed jobs, and whether it is on the time/score Pareto front (fastest first)."""
    from climb_cli.store import FAILED_STATUSES

    methods = sorted(results["method"].unique())
    ok = results[results["status"] == "ok"]
    fit = ok["fit_time_s"].astype(float)
    resample = ok["resample_time_s"].astype(float).fillna(0.0)
    g = ok.assign(fit_time_s=fit, resample_time_s=resample, train_time_s=fit + resample).groupby(
        "method"
    )
    failed = results[results["status"].isin(FAILED_STATUSES)].groupby("method").size()
    table = pd.DataFrame(
        {
            "method": methods,
            "train_time_s": g["train_time_s"].mean().reindex(methods).to_numpy(dtype=float),
            "fit_time_s": g["fit_time_s"].mean().reindex(methods).to_numpy(dtype=float),
            "resample_time_s": g["resample_time_s"].mean().reindex(methods).to_numpy(dtype=float),
            "mean_score": g[metric].mean().reindex(methods).to_numpy(dtype=float),
            "n_jobs": g.size().reindex(methods, fill_value=0).to_numpy(dtype=int),
            "n_failed": failed.reindex(methods, fill_value=0).to_numpy(dtype=int),
        }
    )
    table["pareto"] = pareto_front(
        table["train_time_s"].to_numpy(), table["mean_score"].to_numpy(), metric_direction(metric)
    )
    return table.sort_values(
        ["train_time_s", "method"], kind="stable", na_position="last"
    ).reset_index(drop=True)[COLUMNS]


def pareto_front(seconds: np.ndarray, scores: np.ndarray, greater_is_better: bool) -> np.ndarray:
    """Boolean mask of the points no other point dominates (as fast or faster and as good or
    better, strictly better in one); points with a missing value are never on the front."""
    t = np.asarray(seconds, dtype=float)
    s = np.asarray(scores, dtype=float) * (1.0 if greater_is_better else -1.0)
    valid = np.isfinite(t) & np.isfinite(s)
    front = valid.copy()
    for i in np.flatnonzero(valid):
        others = valid & (t <= t[i]) & (s >= s[i]) & ((t < t[i]) | (s > s[i]))
        front[i] = not others.any()
    return front


def short_label(method: str) -> str:
    """A method label without its default parts (``none+``, ``cw=none``, ``thr=default``)."""
    out = re.sub(r"\+cw=none\+", "+", method)
    out = re.sub(r"\+thr=default\+", "+", out)
    return re.sub(r"^none\+", "", out) or method


def efficiency_figure(table: pd.DataFrame, metric: str) -> Any:
    """Scatter of mean score against mean training time (log scale), one labelled point per
    method, the Pareto front joined; None when no method has both values."""
    shown = table[np.isfinite(table["train_time_s"]) & np.isfinite(table["mean_score"])]
    if shown.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.maximum(shown["train_time_s"].to_numpy(dtype=float), MIN_SECONDS)
    y = shown["mean_score"].to_numpy(dtype=float)
    on_front = shown["pareto"].to_numpy(dtype=bool)
    fig, ax = plt.subplots(figsize=(10, 6.5))
    ax.scatter(x[~on_front], y[~on_front], color="#4c72b0", alpha=0.8, label="method")
    ax.scatter(x[on_front], y[on_front], color="#c44e52", label="Pareto front")
    order = np.argsort(x[on_front], kind="stable")
    ax.plot(x[on_front][order], y[on_front][order], color="#c44e52", lw=1, alpha=0.6)
    for xi, yi, method in zip(x, y, shown["method"]):
        # "$" would start matplotlib's mathtext
        text = short_label(str(method)).replace("$", r"\$")
        ax.annotate(text, (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("mean training time per outer fold, seconds (resampling + fit; log scale)")
    ax.set_ylabel(f"mean {metric} over datasets and folds")
    better = "higher" if metric_direction(metric) else "lower"
    ax.set_title(f"Training time vs {metric} ({len(shown)} methods; {better} is better)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
