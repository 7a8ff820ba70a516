"""Statistical tests over datasets (scipy, scikit-posthocs, baycomp do the work).

Tests need complete blocks: datasets where any compared method has no ok result are left out of
them (and the count is reported); leaderboard ranks use the worst-rank rule instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd


def complete_block(scores: pd.DataFrame) -> pd.DataFrame:
    """Datasets with a value for every method."""
    return scores.dropna(axis=0, how="any")


def friedman(scores: pd.DataFrame) -> dict[str, Any]:
    """Friedman test across methods (scipy.stats.friedmanchisquare)."""
    from scipy.stats import friedmanchisquare

    block = complete_block(scores)
    out: dict[str, Any] = {"n_datasets": int(len(block)), "n_methods": int(block.shape[1]),
                           "datasets_left_out": int(len(scores) - len(block))}
    if block.shape[1] < 3 or len(block) < 2:
        return {**out, "statistic": None, "p_value": None,
                "note": "needs at least 3 methods and 2 complete datasets"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, p = friedmanchisquare(*[block[c].to_numpy() for c in block.columns])
    return {**out, "statistic": float(stat), "p_value": float(p)}


def nemenyi_cd(n_methods: int, n_datasets: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks: q_alpha * sqrt(k (k + 1) / (6 N)), with q_alpha
    the studentized range quantile / sqrt(2) (scipy.stats.studentized_range)."""
    from scipy.stats import studentized_range

    q = studentized_range.ppf(1 - alpha, n_methods, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_methods * (n_methods + 1) / (6.0 * n_datasets)))


def nemenyi_pvalues(scores: pd.DataFrame, greater_is_better: bool) -> pd.DataFrame:
    """Pairwise Nemenyi p-values after Friedman (scikit-posthocs)."""
    import scikit_posthocs as sp

    block = complete_block(scores)
    data = block if greater_is_better else -block
    p = sp.posthoc_nemenyi_friedman(data.to_numpy())
    return p.set_axis(block.columns, axis=0).set_axis(block.columns, axis=1)


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    order = np.argsort(p_values)
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p_values[i])
        adjusted[i] = min(1.0, running)
    return adjusted.tolist()


def baseline_pairs(scores: pd.DataFrame, baseline_of: dict[str, str | None]
                   ) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(method, its baseline, their scores on datasets where both have a value) for every method
    that has a baseline other than itself."""
    for method in scores.columns:
        base = baseline_of.get(method)
        if base is None or base == method or base not in scores.columns:
            continue
        yield method, base, scores[[method, base]].dropna()


def wilcoxon_vs_baseline(scores: pd.DataFrame, baseline_of: dict[str, str | None],
                         greater_is_better: bool, alpha: float = 0.05) -> pd.DataFrame:
    """Paired Wilcoxon signed-rank of each method against its baseline over datasets where both have
    a value, Holm-corrected across methods (scipy.stats.wilcoxon)."""
    from scipy.stats import wilcoxon

    rows = []
    for method, base, pair in baseline_pairs(scores, baseline_of):
        diff = pair[method] - pair[base]
        if not greater_is_better:
            diff = -diff
        if len(pair) == 0 or np.allclose(diff, 0):
            p = 1.0
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = float(wilcoxon(diff).pvalue)
        rows.append({"method": method, "baseline": base, "n_datasets": int(len(pair)),
                     "median_diff": float(diff.median()) if len(pair) else float("nan"),
                     "wins": int((diff > 0).sum()), "ties": int((diff == 0).sum()),
                     "losses": int((diff < 0).sum()), "p_value": p})
    table = pd.DataFrame(rows, columns=["method", "baseline", "n_datasets", "median_diff", "wins",
                                        "ties", "losses", "p_value"])
    table["p_holm"] = holm(table["p_value"].tolist()) if len(table) else []
    table["significant"] = table["p_holm"] < alpha
    return table


def bayesian_signed_rank(scores: pd.DataFrame, baseline_of: dict[str, str | None],
                         greater_is_better: bool, rope: float) -> pd.DataFrame:
    """Bayesian signed-rank test against the baseline with a region of practical equivalence
    (baycomp.two_on_multiple): probabilities that the method is worse, equivalent, better."""
    import baycomp

    rows = []
    for method, base, pair in baseline_pairs(scores, baseline_of):
        if len(pair) < 2:
            continue
        a, b = pair[method].to_numpy(), pair[base].to_numpy()
        if not greater_is_better:
            a, b = -a, -b
        state = np.random.get_state()
        np.random.seed(0)  # baycomp samples with numpy's global generator: make reports repeatable
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # (P(method better), P(within rope), P(baseline better))
                p_method, p_rope, p_base = baycomp.two_on_multiple(a, b, rope=rope)
        finally:
            np.random.set_state(state)
        rows.append({"method": method, "baseline": base, "p_better": float(p_method),
                     "p_equivalent": float(p_rope), "p_worse": float(p_base)})
    return pd.DataFrame(rows, columns=["method", "baseline", "p_better", "p_equivalent", "p_worse"])
