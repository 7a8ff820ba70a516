"""Marginal views of a leaderboard: by factor, best remedy per classifier, by imbalance level, and the
datasets x methods table. Ranks and cells follow ``report.data`` (failed = worst rank, skipped by
design = no rank); a mean that would include a failed cell's absence is left empty, as in the
leaderboard."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from climb_cli.facts import IR_LEVELS
from climb_cli.facts import ir_level as level_of_ratio
from climb_cli.report.data import cell_matrix, method_parts, rank_matrix
from climb_cli.report.leaderboard import metric_direction

FACTORS = ("resampler", "class_weight", "threshold", "classifier", "scenario", "perturbation")


def factors_of(results: pd.DataFrame) -> tuple[str, ...]:
    """The factors these results vary: ``scenario`` only for runs with ``scenarios:``,
    ``perturbation`` only for runs with more than one level."""
    scenario = results.get("scenario", pd.Series(dtype=object)).notna().any()
    levels = results.get("perturbation", pd.Series(dtype=object)).fillna("none").nunique()
    return tuple(
        f for f in FACTORS if (f != "scenario" or scenario) and (f != "perturbation" or levels > 1)
    )


def _mean(scores: pd.DataFrame, failed: pd.DataFrame) -> float:
    """Mean of the scored cells; NaN when any cell failed (failing must not raise a mean)."""
    values = scores.to_numpy(dtype=float)
    if failed.to_numpy().any() or np.isnan(values).all():
        return float("nan")
    return float(np.nanmean(values))


def by_factor(results: pd.DataFrame, metric: str, factor: str) -> pd.DataFrame:
    """Mean rank and mean score per level of ``factor`` (ranks of all methods within each dataset,
    averaged over every method with that level: e.g. a resampler averaged over classifiers)."""
    greater = metric_direction(metric)
    scores, failed = cell_matrix(results, metric)
    ranks = rank_matrix(scores, greater, failed)
    level = method_parts(results)[factor]
    rows = []
    for value, methods in level.groupby(level).groups.items():
        cols = [m for m in methods if m in scores.columns]
        r = ranks[cols].to_numpy(dtype=float)
        rows.append(
            {
                factor: value,
                "mean_rank": float(np.nanmean(r)) if np.isfinite(r).any() else np.nan,
                "mean": _mean(scores[cols], failed[cols]),
                "n_methods": len(cols),
            }
        )
    out = pd.DataFrame(rows).sort_values("mean_rank", kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def best_per_classifier(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Balancing the Scales' by-model view: for each classifier, its best remedy (by mean rank among
    that classifier's methods) and the gain over its plain baseline."""
    greater = metric_direction(metric)
    scores, failed = cell_matrix(results, metric)
    parts = method_parts(results)
    if (parts["perturbation"] != "none").any():  # the best remedy on clean training folds
        parts = parts[parts["perturbation"] == "none"]
    rows = []
    for clf, methods in parts.groupby("classifier").groups.items():
        cols = [m for m in methods if m in scores.columns]
        sub, fsub = scores[cols], failed[cols]
        ranks = rank_matrix(sub, greater, fsub).mean(axis=0).sort_values(kind="stable")
        best = ranks.index[0]
        plain = [
            m
            for m in cols
            if parts.loc[m, "resampler"] == "none"
            and parts.loc[m, "class_weight"] == "none"
            and parts.loc[m, "threshold"] == "default"
        ]
        best_mean = _mean(sub[[best]], fsub[[best]])
        base_mean = _mean(sub[plain[:1]], fsub[plain[:1]]) if plain else float("nan")
        rows.append(
            {
                "classifier": clf,
                "best_remedy": " + ".join(
                    f"{f}={parts.loc[best, f]}" for f in ("resampler", "class_weight", "threshold")
                ),
                "mean": best_mean,
                "baseline_mean": base_mean,
                "gain": best_mean - base_mean,
            }
        )
    return pd.DataFrame(rows)


def ir_level(facts: dict[str, Any] | None, fallback_ir: float | None = None) -> str:
    """CLIMB imbalance level from a dataset's tags or imbalance ratio (``climb_cli.facts``)."""
    tags = (facts or {}).get("tags") or []
    for t in tags:
        if t in IR_LEVELS:
            return t
    ir = (facts or {}).get("imbalance_ratio") or fallback_ir
    if ir is None:
        return "unknown"
    return level_of_ratio(float(ir))


def by_imbalance_level(
    results: pd.DataFrame, metric: str, facts: dict[str, Any], top: int = 3
) -> pd.DataFrame:
    """Per CLIMB imbalance level: the best methods by mean rank over that level's datasets."""
    greater = metric_direction(metric)
    scores, failed = cell_matrix(results, metric)
    levels = pd.Series({ds: ir_level(facts.get(ds)) for ds in scores.index}, dtype=object)
    rows = []
    for level in [*IR_LEVELS, "unknown"]:
        dss = levels[levels == level].index
        if len(dss) == 0:
            continue
        sub, fsub = scores.loc[dss], failed.loc[dss]
        ranks = rank_matrix(sub, greater, fsub).mean(axis=0).dropna().sort_values(kind="stable")
        for i, method in enumerate(ranks.index[:top], start=1):
            rows.append(
                {
                    "level": level,
                    "n_datasets": len(dss),
                    "place": i,
                    "method": method,
                    "mean_rank": float(ranks[method]),
                    "mean": _mean(sub[[method]], fsub[[method]]),
                }
            )
    return pd.DataFrame(
        rows, columns=["level", "n_datasets", "place", "method", "mean_rank", "mean"]
    )


def dataset_table(results: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """datasets x methods scores ("failed" where a fold failed, empty where not applicable) and a
    boolean mask of each dataset's best value(s)."""
    scores, failed = cell_matrix(results, metric)
    best = scores.max(axis=1) if metric_direction(metric) else scores.min(axis=1)
    mask = scores.eq(best, axis=0) & scores.notna()
    shown = scores.astype(object).where(~failed, "failed")
    return shown, mask


def imbalance_ratios(results: pd.DataFrame, facts: dict[str, Any]) -> pd.Series:
    """Imbalance ratio per dataset (from the run's manifest facts; NaN when unknown)."""
    return pd.Series(
        {
            ds: (facts.get(ds) or {}).get("imbalance_ratio", np.nan)
            for ds in sorted(results["dataset"].unique())
        },
        dtype=float,
    )


def chosen_hyperparameters(results: pd.DataFrame) -> pd.DataFrame:
    """For each tuned method: how often each value of each tuned parameter was chosen (over the
    folds where its search succeeded). Empty when nothing was tuned."""
    import json

    cols = ["method", "parameter", "value", "chosen", "share"]
    if "tuned_params" not in results.columns:
        return pd.DataFrame(columns=cols)
    tuned = results[(results["status"] == "ok") & results["tuned_params"].notna()]
    rows = []
    for method, g in tuned.groupby("method", sort=True):
        counts: dict[tuple[str, str], int] = {}
        for text in g["tuned_params"]:
            for section, params in json.loads(text).items():
                for name, value in params.items():
                    # continuous values to 3 significant digits, so nearby draws count together
                    shown = f"{value:.3g}" if isinstance(value, float) else json.dumps(value)
                    key = (f"{section}.{name}", shown)
                    counts[key] = counts.get(key, 0) + 1
        for (param, value), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
            rows.append(
                {
                    "method": method,
                    "parameter": param,
                    "value": value,
                    "chosen": n,
                    "share": n / len(g),
                }
            )
    return pd.DataFrame(rows, columns=cols)
