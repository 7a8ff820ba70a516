"""Marginal views of a leaderboard: by factor, best remedy per classifier, by imbalance level, and the
datasets x methods table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from climb_cli.report.data import method_parts, rank_matrix, score_matrix
from climb_cli.report.leaderboard import metric_direction

FACTORS = ("resampler", "class_weight", "threshold", "classifier")
IR_LEVELS = ("ir-low", "ir-medium", "ir-high", "ir-extreme")


def by_factor(results: pd.DataFrame, metric: str, factor: str) -> pd.DataFrame:
    """Mean rank and mean score per level of ``factor`` (ranks of all methods within each dataset,
    averaged over every method with that level: e.g. a resampler averaged over classifiers)."""
    greater = metric_direction(metric)
    scores = score_matrix(results, metric)
    ranks = rank_matrix(scores, greater)
    level = method_parts(results)[factor]
    rows = []
    for value, methods in level.groupby(level).groups.items():
        cols = [m for m in methods if m in scores.columns]
        rows.append({factor: value, "mean_rank": float(ranks[cols].to_numpy().mean()),
                     "mean": float(np.nanmean(scores[cols].to_numpy())),
                     "n_methods": len(cols)})
    out = pd.DataFrame(rows).sort_values("mean_rank").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def best_per_classifier(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Balancing the Scales' by-model view: for each classifier, its best remedy (by mean rank among
    that classifier's methods) and the gain over its plain baseline."""
    greater = metric_direction(metric)
    scores = score_matrix(results, metric)
    parts = method_parts(results)
    rows = []
    for clf, methods in parts.groupby("classifier").groups.items():
        cols = [m for m in methods if m in scores.columns]
        sub = scores[cols]
        ranks = rank_matrix(sub, greater).mean(axis=0).sort_values(kind="stable")
        best = ranks.index[0]
        plain = [m for m in cols if parts.loc[m, "resampler"] == "none"
                 and parts.loc[m, "class_weight"] == "none" and parts.loc[m, "threshold"] == "default"]
        base_mean = float(sub[plain[0]].mean()) if plain else float("nan")
        rows.append({"classifier": clf, "best_remedy": " + ".join(
            f"{f}={parts.loc[best, f]}" for f in ("resampler", "class_weight", "threshold")),
            "mean": float(sub[best].mean()), "baseline_mean": base_mean,
            "gain": float(sub[best].mean() - base_mean) if plain else float("nan")})
    return pd.DataFrame(rows)


def ir_level(facts: dict[str, Any] | None, fallback_ir: float | None = None) -> str:
    """CLIMB imbalance level from a dataset's tags or imbalance ratio."""
    tags = (facts or {}).get("tags") or []
    for t in tags:
        if t in IR_LEVELS:
            return t
    ir = (facts or {}).get("imbalance_ratio") or fallback_ir
    if ir is None:
        return "unknown"
    return "ir-low" if ir < 5 else "ir-medium" if ir < 10 else "ir-high" if ir < 50 else "ir-extreme"


def by_imbalance_level(results: pd.DataFrame, metric: str, facts: dict[str, Any],
                       top: int = 3) -> pd.DataFrame:
    """Per CLIMB imbalance level: the best methods by mean rank over that level's datasets."""
    greater = metric_direction(metric)
    scores = score_matrix(results, metric)
    levels = pd.Series({ds: ir_level(facts.get(ds)) for ds in scores.index})
    rows = []
    for level in [*IR_LEVELS, "unknown"]:
        dss = levels[levels == level].index
        if len(dss) == 0:
            continue
        sub = scores.loc[dss]
        ranks = rank_matrix(sub, greater).mean(axis=0).sort_values(kind="stable")
        for i, method in enumerate(ranks.index[:top], start=1):
            rows.append({"level": level, "n_datasets": len(dss), "place": i, "method": method,
                         "mean_rank": float(ranks[method]), "mean": float(sub[method].mean())})
    return pd.DataFrame(rows)


def dataset_table(results: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """datasets x methods fold means, and a boolean mask of each dataset's best value(s)."""
    scores = score_matrix(results, metric)
    best = scores.max(axis=1) if metric_direction(metric) else scores.min(axis=1)
    mask = scores.eq(best, axis=0) & scores.notna()
    return scores, mask


def imbalance_ratios(results: pd.DataFrame, facts: dict[str, Any]) -> pd.Series:
    """Imbalance ratio per dataset (from the run's manifest facts; NaN when unknown)."""
    return pd.Series({ds: (facts.get(ds) or {}).get("imbalance_ratio", np.nan)
                      for ds in sorted(results["dataset"].unique())}, dtype=float)
