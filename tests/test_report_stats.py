"""Report statistics that are right and refuse to over-claim (issues #14, #16): cells, ranks and
the minimum each test needs, on small synthetic results tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.report.build import statistics
from climb_cli.report.leaderboard import leaderboard
from climb_cli.store import BASE_COLUMNS


def _results(rows: list[tuple[str, str, int, str, float]], metric: str = "f1") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["method", "dataset", "fold", "status", metric])
    df["repeat"] = 0
    df["job_id"] = df["method"] + "|" + df["dataset"] + "|" + df["fold"].astype(str)
    for col in BASE_COLUMNS:
        if col not in df:
            df[col] = None
    return df


def _grid(
    values: dict[str, list[float]], status: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """One fold per dataset: method -> its value on d0, d1, ... (NaN with a status)."""
    rows = []
    for m, vals in values.items():
        for i, v in enumerate(vals):
            st = (status or {}).get(m, ["ok"] * len(vals))[i]
            rows.append((m, f"d{i}", 0, st, v))
    return _results(rows)


def test_failed_fold_gives_no_score_and_the_worst_rank() -> None:
    # A is best on d1's fold 0 but fails fold 1: old code scored d1 by fold 0 alone (rank 1)
    df = _results(
        [
            ("A", "d0", 0, "ok", 0.5),
            ("A", "d0", 1, "ok", 0.5),
            ("A", "d1", 0, "ok", 0.99),
            ("A", "d1", 1, "error", np.nan),
            ("B", "d0", 0, "ok", 0.4),
            ("B", "d0", 1, "ok", 0.4),
            ("B", "d1", 0, "ok", 0.6),
            ("B", "d1", 1, "ok", 0.6),
        ]
    )
    board = leaderboard(df, "f1").set_index("method")
    assert board.loc["A", "mean_rank"] == pytest.approx((1 + 2) / 2)
    assert board.loc["B", "mean_rank"] == pytest.approx((2 + 1) / 2)
    assert board.loc["A", "n_datasets"] == 1 and board.loc["A", "wins"] == 1
    assert np.isnan(board.loc["A", "mean"])  # a mean over its successes only would reward failing
    assert board.loc["B", "mean"] == pytest.approx(0.5)


def test_skipped_by_design_is_not_ranked_where_it_does_not_apply() -> None:
    # 'tuned' is binary-only: skipped on the multiclass d2; it equals 'default' everywhere else
    df = _grid(
        {"default": [0.8, 0.6, 0.5], "tuned": [0.8, 0.6, np.nan], "other": [0.7, 0.7, 0.4]},
        {"tuned": ["ok", "ok", "skipped"]},
    )
    board = leaderboard(df, "f1").set_index("method")
    # d0: default/tuned 1.5, other 3; d1: other 1, default/tuned 2.5; d2 (no tuned): default 1
    assert board.loc["tuned", "mean_rank"] == pytest.approx((1.5 + 2.5) / 2)
    assert board.loc["default", "mean_rank"] == pytest.approx((1.5 + 2.5 + 1) / 3)
    assert board.loc["other", "mean_rank"] == pytest.approx((3 + 1 + 2) / 3)
    assert board.loc["tuned", "n_skipped"] == 1 and board.loc["tuned", "mean"] == pytest.approx(0.7)


def test_dataset_where_every_method_is_missing_is_nobodys_win() -> None:
    df = _grid(
        {"A": [0.9, np.nan], "B": [0.8, np.nan]}, {"A": ["ok", "error"], "B": ["ok", "error"]}
    )
    board = leaderboard(df, "f1").set_index("method")
    assert board.loc["A", "wins"] == 1 and board.loc["B", "wins"] == 0
    assert board.loc["A", "mean_rank"] == 1 and board.loc["B", "mean_rank"] == 2


def test_method_skipped_everywhere_is_left_out_of_the_tests() -> None:
    rng = np.random.default_rng(1)
    vals = {m: list(rng.uniform(0.5, 0.9, 8)) for m in "ABCD"}
    vals["knn_cw"] = [np.nan] * 8
    df = _grid(vals, {"knn_cw": ["skipped"] * 8})
    st = statistics(df, "f1", "A", 0.05, None)
    f = st["friedman"]
    assert f["n_datasets"] == 8 and f["n_methods"] == 4 and f["methods_left_out"] == ["knn_cw"]
    from scipy.stats import friedmanchisquare

    ref = friedmanchisquare(*[vals[m] for m in "ABCD"])
    assert f["statistic"] == pytest.approx(ref.statistic) and f["p_value"] == pytest.approx(
        ref.pvalue
    )
    w = st["wilcoxon_holm"]
    assert sorted(w["method"]) == ["B", "C", "D"]  # no p = 1 row for knn_cw inflating Holm
    from climb_cli.report.build import stats_text

    assert "Left out of the tests (no value on any dataset): knn_cw." in stats_text(st, 0.05)


def test_friedman_needs_five_datasets_and_reports_iman_davenport() -> None:
    from scipy.stats import f as f_dist

    from climb_cli.report.build import stats_text

    few = _grid({"A": [0.9, 0.8], "B": [0.7, 0.6], "C": [0.5, 0.4]})
    st = statistics(few, "f1", None, 0.05, None)
    assert st["friedman"]["p_value"] is None and st["nemenyi_cd"] is None
    text = stats_text(st, 0.05)
    assert "too few datasets (N=2) for the Friedman test" in text and "methods differ" not in text
    rng = np.random.default_rng(3)
    enough = _grid({m: list(rng.uniform(0.4, 0.9, 6) + i * 0.05) for i, m in enumerate("ABCD")})
    f = statistics(enough, "f1", None, 0.05, None)["friedman"]
    n, k, chi2 = 6, 4, f["statistic"]
    ff = (n - 1) * chi2 / (n * (k - 1) - chi2)
    assert f["iman_davenport_f"] == pytest.approx(ff)
    assert f["iman_davenport_p"] == pytest.approx(f_dist.sf(ff, k - 1, (k - 1) * (n - 1)))
    assert "small sample" in f["note"]


def test_wilcoxon_below_six_pairs_says_too_few_and_is_not_in_holm() -> None:
    from scipy.stats import wilcoxon

    from climb_cli.report import stats

    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.uniform(0.5, 0.9, size=(10, 3)), columns=["A", "B", "C"])
    scores.loc[5:, "C"] = np.nan  # C has 5 paired datasets: p >= 0.0625 whatever happens
    table = stats.wilcoxon_vs_baseline(scores, {"B": "A", "C": "A"}, True).set_index("method")
    assert table.loc["C", "verdict"].startswith("too few datasets (n=5 non-zero differences)")
    assert np.isnan(table.loc["C", "p_holm"]) and not table.loc["C", "significant"]
    # Holm over the one real test: its adjusted p is its raw p
    assert table.loc["B", "p_holm"] == pytest.approx(wilcoxon(scores["B"] - scores["A"]).pvalue)
    assert stats.min_wilcoxon_p(5) == pytest.approx(0.0625) and stats.min_wilcoxon_p(6) < 0.05


def test_bayesian_signed_rank_is_reproducible() -> None:
    import baycomp

    from climb_cli.report import stats

    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.uniform(0.5, 0.9, size=(10, 2)), columns=["A", "B"])
    scores["B"] += rng.normal(0.01, 0.02, 10)
    runs = [stats.bayesian_signed_rank(scores, {"B": "A"}, True, 0.01) for _ in range(3)]
    assert runs[0].equals(runs[1]) and runs[1].equals(runs[2])
    ref = baycomp.two_on_multiple(
        scores["B"].to_numpy(), scores["A"].to_numpy(), rope=0.01, random_state=0
    )
    assert runs[0].loc[0, "p_better"] == ref[0] and runs[0].loc[0, "p_worse"] == ref[2]
    zero = stats.bayesian_signed_rank(scores, {"B": "A"}, True, 0.0)  # two values, no crash
    assert zero.loc[0, "p_equivalent"] == 0.0


def test_identical_methods_are_grouped() -> None:
    from climb_cli.report.data import identical_groups

    df = _grid(
        {
            "smote+cw=balanced": [0.7, 0.6, 0.5],
            "smote+cw=none": [0.7, 0.6, 0.5],
            "none": [0.7, 0.5, 0.5],
            "skipped": [np.nan] * 3,
        },
        {"skipped": ["skipped"] * 3},
    )
    assert identical_groups(df, "f1") == [["smote+cw=balanced", "smote+cw=none"]]


def test_one_rank_set_for_text_and_cd() -> None:
    from climb_cli.report.data import cell_matrix, rank_matrix

    rng = np.random.default_rng(5)
    df = _grid({m: list(rng.uniform(0.4, 0.9, 7)) for m in "ABCDE"})
    st = statistics(df, "f1", None, 0.05, None)
    scores, failed = cell_matrix(df, "f1")
    expected = rank_matrix(scores, True, failed).mean(axis=0)
    assert st["friedman"]["mean_ranks"] == pytest.approx(expected.to_dict())
    board = leaderboard(df, "f1").set_index("method")["mean_rank"]
    assert board.to_dict() == pytest.approx(expected.to_dict())  # nothing left out: the same


def test_ir_level_is_one_definition() -> None:
    from climb_cli.facts import IR_LEVELS, ir_level
    from climb_cli.report import views

    assert [ir_level(x) for x in (4.9, 5, 9.9, 10, 49, 50)] == [
        "ir-low",
        "ir-medium",
        "ir-medium",
        "ir-high",
        "ir-high",
        "ir-extreme",
    ]
    assert views.IR_LEVELS is IR_LEVELS and views.ir_level({"imbalance_ratio": 12}) == "ir-high"


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_cd_diagram_uses_alpha_with_either_scikit_posthocs_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alpha: float
) -> None:
    """scikit-posthocs 0.9 (the dependency floor) has no `alpha` keyword and draws at p < 0.05:
    the p-values are scaled so its verdicts are those at `alpha`."""
    import scikit_posthocs as sp

    from climb_cli.report import plots

    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.random((8, 4)) + [0.0, 0.05, 0.1, 0.4], columns=["a", "b", "c", "d"])
    seen: dict[str, Any] = {}

    def old_signature(ranks: Any, sig_matrix: Any, *, ax: Any = None, **kw: Any) -> dict:
        seen["p"], seen["kw"] = sig_matrix, kw
        return {}

    monkeypatch.setattr(sp, "critical_difference_diagram", old_signature)
    plots.cd_diagram(scores, "f1", tmp_path, alpha=alpha)
    from climb_cli.report.stats import nemenyi_pvalues

    expected = (nemenyi_pvalues(scores, True, None) * (0.05 / alpha)).clip(upper=1.0)
    assert "alpha" not in seen["kw"]
    np.testing.assert_allclose(
        seen["p"].to_numpy(), expected.loc[seen["p"].index, seen["p"].columns].to_numpy()
    )
