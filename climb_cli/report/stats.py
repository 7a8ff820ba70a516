"""Statistical tests over datasets (scipy, scikit-posthocs, baycomp do the work), with the minimum
each one needs stated and enforced: below it the report says so instead of giving a verdict.

Test block: methods with no score on any dataset (e.g. skipped everywhere by design) are left out
and named; so are datasets where no method has a score. The Friedman test and the Nemenyi critical
difference then use the datasets where every remaining method applies (a score, or a failure, which
takes the worst rank there as in the leaderboard); their mean ranks ("test ranks") are those of the
text and of the CD diagram. They equal the leaderboard's mean ranks when no dataset is left out.

Minimums (Demšar 2006, JMLR 7; García & Herrera 2008, JMLR 9):

- Friedman / Iman-Davenport and the Nemenyi CD: k >= 3 methods and N >= 5 datasets. Below that no
  verdict and no CD diagram ("too few datasets (N=2) ..."). The chi-square approximation is rough for
  N <= 10 or k <= 5, so the verdict uses the Iman-Davenport F statistic
  F = (N - 1) chi2 / (N (k - 1) - chi2), F((k - 1), (k - 1)(N - 1)); both are reported.
- Wilcoxon signed-rank (two-sided, exact): with n non-zero paired differences the smallest p-value
  is 2 / 2^n, so n < 6 cannot reach p < 0.05. Such rows say "too few datasets" and, like methods
  identical to their baseline on every dataset, are not tests: Holm's correction counts only the
  comparisons that can reach alpha.
- Bayesian signed-rank (baycomp): at least 2 paired datasets; seeded (random_state=0) so a report is
  repeatable.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

MIN_METHODS, MIN_DATASETS = 3, 5


def complete_block(scores: pd.DataFrame) -> pd.DataFrame:
    """Datasets with a value for every method."""
    return scores.dropna(axis=0, how="any")


def tested_block(
    scores: pd.DataFrame, failed: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The tested scores and failed mask (module rule) and what was left out."""
    failed = scores.isna() if failed is None else failed.reindex_like(scores).astype(bool)
    empty = [m for m in scores.columns if scores[m].isna().all()]
    s, f = scores.drop(columns=empty), failed.drop(columns=empty)
    applies = (s.notna() | f).all(axis=1) & s.notna().any(axis=1)
    info = {
        "methods_left_out": empty,
        "datasets_left_out": int((~applies).sum()),
        "n_datasets_total": len(scores),
    }
    return s[applies], f[applies], info


def friedman_from_ranks(ranks: pd.DataFrame) -> dict[str, Any]:
    """Friedman chi-square (scipy, tie-corrected) and Iman-Davenport F on a complete rank block."""
    from scipy.stats import f as f_dist
    from scipy.stats import friedmanchisquare

    n, k = ranks.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chi2, p = friedmanchisquare(*[ranks[c].to_numpy() for c in ranks.columns])
    denom = n * (k - 1) - chi2
    ff = float("inf") if denom <= 0 else (n - 1) * chi2 / denom
    p_ff = 0.0 if denom <= 0 else float(f_dist.sf(ff, k - 1, (k - 1) * (n - 1)))
    return {
        "statistic": float(chi2),
        "p_value": float(p),
        "iman_davenport_f": float(ff),
        "iman_davenport_p": p_ff,
    }


def friedman(
    scores: pd.DataFrame, failed: pd.DataFrame | None = None, greater_is_better: bool = True
) -> dict[str, Any]:
    """Friedman and Iman-Davenport over the test block, or why they were not run."""
    from climb_cli.report.data import rank_matrix

    block, bfailed, info = tested_block(scores, failed)
    n, k = len(block), int(block.shape[1])
    out: dict[str, Any] = {
        "n_datasets": n,
        "n_methods": k,
        **info,
        "statistic": None,
        "p_value": None,
        "iman_davenport_f": None,
        "iman_davenport_p": None,
        "mean_ranks": {},
        "note": None,
    }
    if k < MIN_METHODS:
        out["note"] = (
            f"needs at least {MIN_METHODS} methods and {MIN_DATASETS} datasets where "
            f"all apply; here k={k}, N={n}"
        )
        return out
    if n < MIN_DATASETS:
        out["note"] = (
            f"too few datasets (N={n}) for the Friedman test and the Nemenyi critical "
            f"difference: they need N >= {MIN_DATASETS} datasets where all {k} "
            "methods apply"
        )
        return out
    ranks = rank_matrix(block, greater_is_better, bfailed)
    out.update(friedman_from_ranks(ranks))
    out["mean_ranks"] = {m: float(r) for m, r in ranks.mean(axis=0).sort_values().items()}
    if n <= 10 or k <= 5:
        out["note"] = (
            f"small sample (N={n}, k={k}): the chi-square approximation is rough "
            "(Demšar 2006); the verdict uses the Iman-Davenport F"
        )
    return out


def nemenyi_cd(n_methods: int, n_datasets: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks: q_alpha * sqrt(k (k + 1) / (6 N)), with q_alpha
    the studentized range quantile / sqrt(2) (scipy.stats.studentized_range)."""
    from scipy.stats import studentized_range

    q = studentized_range.ppf(1 - alpha, n_methods, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_methods * (n_methods + 1) / (6.0 * n_datasets)))


def nemenyi_pvalues(
    scores: pd.DataFrame, greater_is_better: bool, failed: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Pairwise Nemenyi p-values after Friedman over the test block (scikit-posthocs)."""
    import scikit_posthocs as sp

    from climb_cli.report.data import rank_matrix

    block, bfailed, _ = tested_block(scores, failed)
    ranks = rank_matrix(block, greater_is_better, bfailed)
    p = sp.posthoc_nemenyi_friedman(-ranks.to_numpy())  # it ranks "greater is better"
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


def baseline_pairs(
    scores: pd.DataFrame, baseline_of: dict[str, str | None]
) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(method, its baseline, their scores on datasets where both have a value) for every method
    that has a baseline other than itself."""
    for method in scores.columns:
        base = baseline_of.get(method)
        if base is None or base == method or base not in scores.columns:
            continue
        yield method, base, scores[[method, base]].dropna()


def min_wilcoxon_p(n_nonzero: int) -> float:
    """The smallest two-sided exact Wilcoxon p-value with n non-zero differences."""
    return 1.0 if n_nonzero == 0 else min(1.0, 2.0 / 2**n_nonzero)


def wilcoxon_vs_baseline(
    scores: pd.DataFrame,
    baseline_of: dict[str, str | None],
    greater_is_better: bool,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Paired Wilcoxon signed-rank of each method against its baseline over datasets where both have
    a value, Holm-corrected across the comparisons that can reach alpha (scipy.stats.wilcoxon)."""
    from scipy.stats import wilcoxon

    rows = []
    for method, base, pair in baseline_pairs(scores, baseline_of):
        if len(pair) == 0:  # one of the two has no value anywhere: nothing to test
            continue
        diff = pair[method] - pair[base]
        if not greater_is_better:
            diff = -diff
        nz = int((diff != 0).sum())
        p, verdict = None, None
        if nz == 0:
            verdict = "identical on every paired dataset"
        elif min_wilcoxon_p(nz) >= alpha:
            verdict = (
                f"too few datasets (n={nz} non-zero differences): p < {alpha} is "
                "unreachable; no evidence either way"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if nz:
                p = float(wilcoxon(diff).pvalue)
        rows.append(
            {
                "method": method,
                "baseline": base,
                "n_datasets": len(pair),
                "median_diff": float(diff.median()),
                "wins": int((diff > 0).sum()),
                "ties": int((diff == 0).sum()),
                "losses": int((diff < 0).sum()),
                "p_value": p,
                "tested": verdict is None,
                "verdict": verdict,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "method",
            "baseline",
            "n_datasets",
            "median_diff",
            "wins",
            "ties",
            "losses",
            "p_value",
            "tested",
            "verdict",
        ],
    )
    tested = table["tested"].astype(bool)
    table["p_holm"] = np.nan
    if tested.any():
        table.loc[tested, "p_holm"] = holm(table.loc[tested, "p_value"].astype(float).tolist())
    table["significant"] = tested & (table["p_holm"] < alpha)
    sign = np.sign(table["median_diff"].astype(float))
    table.loc[tested, "verdict"] = [
        ("better" if s > 0 else "worse") + f" (Holm p = {ph:.3g})"
        if sig
        else f"no significant difference at alpha={alpha}"
        for s, ph, sig in zip(
            sign[tested], table.loc[tested, "p_holm"], table.loc[tested, "significant"]
        )
    ]
    return table.drop(columns="tested")[
        [
            "method",
            "baseline",
            "n_datasets",
            "median_diff",
            "wins",
            "ties",
            "losses",
            "p_value",
            "p_holm",
            "significant",
            "verdict",
        ]
    ]


def bayesian_signed_rank(
    scores: pd.DataFrame, baseline_of: dict[str, str | None], greater_is_better: bool, rope: float
) -> pd.DataFrame:
    """Bayesian signed-rank test against the baseline with a region of practical equivalence
    (baycomp.two_on_multiple, random_state=0): P(method worse, equivalent, better)."""
    import baycomp

    rows = []
    for method, base, pair in baseline_pairs(scores, baseline_of):
        if len(pair) < 2:
            continue
        a, b = pair[method].to_numpy(), pair[base].to_numpy()
        if not greater_is_better:
            a, b = -a, -b
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # p_left = P(a - b > rope) = P(method better); with rope == 0 there is no middle value
            probs = baycomp.two_on_multiple(a, b, rope=rope, random_state=0)
        p_method, p_rope, p_base = probs if len(probs) == 3 else (probs[0], 0.0, probs[1])
        rows.append(
            {
                "method": method,
                "baseline": base,
                "n_datasets": len(pair),
                "p_better": float(p_method),
                "p_equivalent": float(p_rope),
                "p_worse": float(p_base),
            }
        )
    return pd.DataFrame(
        rows, columns=["method", "baseline", "n_datasets", "p_better", "p_equivalent", "p_worse"]
    )
