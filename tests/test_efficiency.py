"""CLIMB's efficiency analysis (issue #11): per-method training time vs score, as a table in every
text format and a log-time scatter in the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from climb_cli.report.build import build_report
from climb_cli.report.efficiency import efficiency_table, pareto_front, short_label
from climb_cli.store import BASE_COLUMNS


def _method(res: str, clf: str) -> dict[str, str]:
    return {
        "resampler": res,
        "resampler_params": "{}",
        "class_weight": "none",
        "class_weight_params": "{}",
        "threshold": "default",
        "threshold_params": "{}",
        "classifier": clf,
        "classifier_params": "{}",
        "method": f"{res}+cw=none+thr=default+{clf}",
    }


METHODS = [_method("none", "dt"), _method("smote", "dt"), _method("none", "spe")]


def _results(seed: int = 0) -> pd.DataFrame:
    """3 methods x 5 datasets x 2 folds with known times; one failed job (smote), one skipped job
    (the plain tree), one ok job whose metric is undefined (NaN)."""
    rng = np.random.default_rng(seed)
    rows = []
    for ds in ["a", "b", "c", "d", "e"]:
        for i, m in enumerate(METHODS):
            for fold in range(2):
                rows.append(
                    {
                        **m,
                        "dataset": ds,
                        "fold": fold,
                        "repeat": 0,
                        "status": "ok",
                        "job_id": f"{m['method']}|{ds}|{fold}",
                        "finished_at": f"2024-01-01T00:00:{len(rows):02d}",
                        "fit_time_s": float(rng.uniform(0.01, 0.02) * 10**i),
                        "resample_time_s": float(rng.uniform(0.0, 0.5)) if i == 1 else 0.0,
                        "f1": float(rng.uniform(0.3, 0.9)),
                        "pr_auc": float(rng.uniform(0.3, 0.9)),
                    }
                )
    df = pd.DataFrame(rows)
    df.loc[3, ["status", "f1", "pr_auc"]] = ["error", np.nan, np.nan]
    df.loc[3, "fit_time_s"] = 99.0  # an interrupted fit's time must not count
    df.loc[7, ["status", "f1", "pr_auc", "fit_time_s"]] = ["skipped", np.nan, np.nan, np.nan]
    df.loc[8, "f1"] = np.nan  # ok, metric undefined on this fold
    df.loc[0, "resample_time_s"] = np.nan  # no resampling recorded: counts as 0 s
    for col in BASE_COLUMNS:
        if col not in df:
            df[col] = None
    return df


def _run(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    _results().to_parquet(out / "results.parquet")
    return out


def test_table_equals_a_hand_groupby() -> None:
    df = _results()
    table = efficiency_table(df, "f1").set_index("method")
    ok = df[df["status"] == "ok"].copy()
    ok["resample_time_s"] = ok["resample_time_s"].astype(float).fillna(0.0)
    ok["train"] = ok["fit_time_s"] + ok["resample_time_s"]
    hand = ok.groupby("method").agg(
        fit=("fit_time_s", "mean"),
        resample=("resample_time_s", "mean"),
        train=("train", "mean"),
        score=("f1", "mean"),
        n=("f1", "size"),
    )
    assert sorted(table.index) == sorted(hand.index)
    np.testing.assert_allclose(table.loc[hand.index, "fit_time_s"], hand["fit"], rtol=1e-12)
    np.testing.assert_allclose(
        table.loc[hand.index, "resample_time_s"], hand["resample"], rtol=1e-12
    )
    np.testing.assert_allclose(table.loc[hand.index, "train_time_s"], hand["train"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[hand.index, "mean_score"], hand["score"], rtol=1e-12)
    assert table.loc[hand.index, "n_jobs"].tolist() == hand["n"].tolist()
    # the failed job is counted but its 99 s are not; the skipped one is neither
    assert table["n_failed"].to_dict() == {m["method"]: int(i == 1) for i, m in enumerate(METHODS)}
    assert table.loc["smote+cw=none+thr=default+dt", "n_jobs"] == 9
    assert table.loc["none+cw=none+thr=default+dt", "n_jobs"] == 9
    assert table.loc["none+cw=none+thr=default+spe", "n_jobs"] == 10
    assert table.loc["smote+cw=none+thr=default+dt", "fit_time_s"] < 0.5
    # fastest first
    assert efficiency_table(df, "f1")["method"].tolist() == [m["method"] for m in METHODS]


def test_pareto_front_follows_the_metric_direction() -> None:
    seconds = np.array([1.0, 2.0, 3.0, 3.0, np.nan, 0.5])
    scores = np.array([0.5, 0.7, 0.6, 0.9, 1.0, 0.5])
    # 0.5 s / 0.5 dominates 1 s / 0.5; 3 s / 0.6 is dominated by 2 s / 0.7; NaN never on the front
    assert pareto_front(seconds, scores, True).tolist() == [False, True, False, True, False, True]
    # lower is better (brier): the fastest point with the lowest value dominates everything
    assert pareto_front(seconds, scores, False).tolist() == [
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    # equal points do not dominate each other
    assert pareto_front(np.array([1.0, 1.0]), np.array([0.5, 0.5]), True).tolist() == [True, True]


@pytest.mark.parametrize(
    ("method", "short"),
    [
        ("none+cw=none+thr=default+dt", "dt"),
        ("smote[k_neighbors=5]+cw=none+thr=default+dt", "smote[k_neighbors=5]+dt"),
        (
            "none+cw=balanced+thr=tuned[objective=f1]+lgbm",
            "cw=balanced+thr=tuned[objective=f1]+lgbm",
        ),
        ("nonex+cw=none+thr=default+dt", "nonex+dt"),
    ],
)
def test_short_labels_drop_only_the_default_parts(method: str, short: str) -> None:
    assert short_label(method) == short


def test_html_report_has_the_time_vs_score_plot_and_table(tmp_path: Path) -> None:
    run = _run(tmp_path)
    page = tmp_path / "report" / "r.html"
    assert build_report([run], ["f1", "pr_auc"], "html", page) is None
    text = page.read_text()
    for metric in ("f1", "pr_auc"):
        assert f'alt="efficiency_{metric}" src="data:image/png;base64,' in text
        assert (page.parent / "plots" / f"efficiency_{metric}.png").stat().st_size > 1000
        assert (page.parent / "plots" / f"efficiency_{metric}.svg").is_file()
    assert text.count("<h3>Training time vs score") == 2
    svg = (page.parent / "plots" / "efficiency_f1.svg").read_text()
    assert "log scale" in svg or "resampling + fit" in svg  # the labelled time axis


def test_text_formats_show_the_table_in_leaderboard_order(tmp_path: Path) -> None:
    run = _run(tmp_path)
    doc = json.loads(build_report([run], ["f1"], "json", None))
    view = next(v for v in doc["views"]["f1"] if v["view"] == "efficiency")
    expected = efficiency_table(_results(), "f1").set_index("method")
    board = [r["method"] for r in doc["leaderboards"]]
    assert [r["method"] for r in view["rows"]] == board
    for r in view["rows"]:
        assert r["train_time_s"] == pytest.approx(expected.loc[r["method"], "train_time_s"])
        assert r["mean_score"] == pytest.approx(expected.loc[r["method"], "mean_score"])
    md = build_report([run], ["f1"], "md", None)
    assert "Training time vs score (mean seconds per outer fold" in md
    table = build_report([run], ["f1"], "table", None, width=80)
    assert "f1 training time vs score" in table
    assert max(len(line) for line in table.splitlines()) <= 80


def test_runs_without_times_have_no_efficiency_view(tmp_path: Path) -> None:
    df = _results().assign(fit_time_s=None, resample_time_s=None)
    out = tmp_path / "old"
    out.mkdir()
    df.to_parquet(out / "results.parquet")
    doc = json.loads(build_report([out], ["f1"], "json", None))
    assert "efficiency" not in {v["view"] for v in doc["views"]["f1"]}
    page = tmp_path / "old.html"
    build_report([out], ["f1"], "html", page)
    assert "efficiency_f1" not in page.read_text()
