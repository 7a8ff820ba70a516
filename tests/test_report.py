"""Leaderboards computed from the stored table: means over datasets of fold means, mean ranks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.report.leaderboard import leaderboard
from climb_cli.store import BASE_COLUMNS


def _results(rows: list[tuple[str, str, int, str, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["method", "dataset", "fold", "status", "f1"])
    for col in BASE_COLUMNS:
        if col not in df:
            df[col] = None
    return df


def test_leaderboard_values_and_missing_cell_rule() -> None:
    df = _results(
        [
            ("A", "d1", 0, "ok", 0.8),
            ("A", "d1", 1, "ok", 0.6),  # d1 mean 0.7
            ("A", "d2", 0, "ok", 0.2),
            ("A", "d2", 1, "ok", 0.4),  # d2 mean 0.3
            ("B", "d1", 0, "ok", 0.9),
            ("B", "d1", 1, "ok", 0.9),  # d1 0.9
            ("B", "d2", 0, "error", np.nan),
            ("B", "d2", 1, "error", np.nan),  # d2 missing
            ("C", "d1", 0, "ok", 0.7),
            ("C", "d1", 1, "ok", 0.7),  # ties A on d1
            ("C", "d2", 0, "ok", 0.5),
            ("C", "d2", 1, "skipped", np.nan),  # d2 0.5 (ok folds only)
        ]
    )
    board = leaderboard(df, "f1").set_index("method")
    assert board.loc["A", "mean"] == pytest.approx(0.5)
    assert board.loc["A", "std"] == pytest.approx(np.std([0.7, 0.3], ddof=1))
    # d1: B=1, A and C tie for 2.5 ; d2: C=1, A=2, B missing -> worst rank 3
    assert board.loc["A", "mean_rank"] == pytest.approx((2.5 + 2) / 2)
    assert board.loc["B", "mean_rank"] == pytest.approx((1 + 3) / 2)
    assert board.loc["C", "mean_rank"] == pytest.approx((2.5 + 1) / 2)
    assert board.loc["B", "n_datasets"] == 1 and board.loc["B", "n_failed"] == 2
    assert board.loc["C", "n_skipped"] == 1 and board.loc["C", "n_ok"] == 3
    assert list(board.index) == ["C", "B", "A"]
    assert list(board["rank"]) == [1, 2, 3]


def test_lower_is_better_metric_ranks_ascending() -> None:
    df = _results([("A", "d1", 0, "ok", 0.0), ("B", "d1", 0, "ok", 0.0)])
    df["brier"] = [0.3, 0.1]
    board = leaderboard(df, "brier")
    assert list(board["method"]) == ["B", "A"]


def test_report_cli_formats(cli: Any, write_config: Any, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = write_config({"thresholds": ["default"], "class_weights": ["none"]})
    assert cli("run", cfg, "--output", out, "-q").exit_code == 0
    stored = pd.read_parquet(out / "results.parquet")
    per_ds = stored.groupby(["method", "dataset"])["roc_auc"].mean().unstack()
    expected_mean = per_ds.mean(axis=1)

    result = cli("report", out, "--metric", "roc_auc", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    records = doc["leaderboards"]
    friedman = doc["statistics"]["roc_auc"]["friedman"]
    assert friedman["n_datasets"] == 2 and friedman["n_methods"] == 2
    assert set(doc["by_factor"]["roc_auc"]) == {
        "resampler",
        "class_weight",
        "threshold",
        "classifier",
    }
    assert {r["method"] for r in records} == set(expected_mean.index)
    for r in records:
        assert r["metric"] == "roc_auc"
        assert r["mean"] == pytest.approx(expected_mean[r["method"]])
        assert r["n_datasets"] == 2

    csv_path = tmp_path / "board.csv"
    assert (
        cli("report", out, "-m", "f1", "-m", "brier", "-f", "csv", "--out", csv_path).exit_code == 0
    )
    board = pd.read_csv(csv_path)
    assert list(board["metric"].unique()) == ["f1", "brier"] and len(board) == 4

    md = cli("report", out, "-m", "pr_auc", "-f", "md").stdout
    assert md.startswith("## pr_auc (higher is better)\n\n| rank | method | mean |")
    assert "Friedman test: not run (needs at least 3 methods" in md and "By resampler:" in md
    table = cli("report", out, "-m", "pr_auc").stdout
    assert (
        "pr_auc (higher is better)" in table and "none+cw=none+thr=default+logreg[C=1.0]" in table
    )

    bad = cli("report", out, "--metric", "auc")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "Error: metric 'auc' is not in these results. Available metrics "
        "are: f1, balanced_accuracy, roc_auc, pr_auc, mcc, gmean, brier."
    )


def test_statistics_match_scipy() -> None:
    from scipy.stats import friedmanchisquare, studentized_range, wilcoxon

    from climb_cli.report import stats

    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.uniform(0.5, 0.9, size=(12, 4)), columns=list("ABCD"))
    scores["B"] += 0.05
    f = stats.friedman(scores)
    ref = friedmanchisquare(*[scores[c] for c in scores.columns])
    assert f["statistic"] == pytest.approx(ref.statistic) and f["p_value"] == pytest.approx(
        ref.pvalue
    )
    cd = stats.nemenyi_cd(4, 12, 0.05)
    assert cd == pytest.approx(
        studentized_range.ppf(0.95, 4, np.inf) / np.sqrt(2) * np.sqrt(4 * 5 / (6 * 12))
    )
    assert cd == pytest.approx(
        2.569 * np.sqrt(20 / 72), abs=1e-3
    )  # Demsar (2006): q_0.05 = 2.569, k = 4
    table = stats.wilcoxon_vs_baseline(scores, {"A": None, "B": "A", "C": "A", "D": "A"}, True)
    raw = [wilcoxon(scores[m] - scores["A"]).pvalue for m in "BCD"]
    assert table["p_value"].tolist() == pytest.approx(raw)
    order = np.argsort(raw)
    expected = np.minimum(1, np.maximum.accumulate(np.array(raw)[order] * [3, 2, 1]))
    assert table["p_holm"].to_numpy()[order] == pytest.approx(expected)
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_html_report_escapes_data(cli: Any, write_config: Any, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "run"
    cfg = write_config({"thresholds": ["default"], "resamplers": ["none", "rus"]})
    assert cli("run", cfg, "--output", out, "-q").exit_code == 0
    df = pd.read_parquet(out / "results.parquet")
    df["dataset"] = df["dataset"].str.replace("keel/ecoli3", "<script>alert(1)</script>")
    df.to_parquet(out / "results.parquet")
    result = cli("report", out, "-m", "f1", "-f", "html", "--out", tmp_path / "r" / "report.html")
    assert result.exit_code == 0
    page = (tmp_path / "r" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<img ") == 5 and page.count('class="sortable"') >= 8
    assert sorted(p.name for p in (tmp_path / "r" / "plots").iterdir()) == [
        f"{kind}_f1.{ext}"
        for kind in ("cd", "distribution", "efficiency", "ranks", "vs_imbalance")
        for ext in ("png", "svg")
    ]
    shutil.copy(tmp_path / "r" / "report.html", tmp_path / "escaped.html")


def test_group_by_view_and_unknown_factor(cli: Any, write_config: Any, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = write_config({"thresholds": ["default"], "class_weights": ["none"]})
    assert cli("run", cfg, "--output", out, "-q").exit_code == 0
    shown = cli("report", out, "-m", "f1", "--group-by", "resampler")
    assert shown.exit_code == 0 and "f1 by resampler" in shown.stdout
    bad = cli("report", out, "-m", "f1", "--group-by", "colour")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "Error: unknown --group-by 'colour'. Valid factors are: "
        "resampler, class_weight, threshold, classifier, scenario, perturbation."
    )
