"""Report formats (issues #14, #15, #17): views declared once, escaped data in every format, tables
that fit a terminal, the incomplete-run note first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from climb_cli.report.build import build_report
from climb_cli.store import BASE_COLUMNS

HOSTILE = "<script>alert(1)</script>|[x](javascript:alert(1))"
METRICS = ["f1", "balanced_accuracy", "roc_auc", "pr_auc", "mcc", "gmean", "brier", "recall"]


def _method(res: str, rp: dict, clf: str, cp: dict) -> dict:
    from climb_cli.config import label

    return {
        "resampler": res,
        "resampler_params": json.dumps(rp),
        "class_weight": "none",
        "class_weight_params": "{}",
        "threshold": "default",
        "threshold_params": "{}",
        "classifier": clf,
        "classifier_params": json.dumps(cp),
        "method": f"{label(res, rp)}+cw=none+thr=default+{label(clf, cp)}",
    }


METHODS = [
    _method("none", {}, "knn", {"n_neighbors": 3}),
    _method("smote", {"k_neighbors": 5}, "knn", {"n_neighbors": 3}),
    _method("smote", {"k_neighbors": 3}, "knn", {"n_neighbors": 3}),
]


def _run(
    tmp_path: Path,
    datasets: list[str],
    metrics: list[str] = ["f1"],  # noqa: B006 - never mutated
    parts_only: bool = False,
) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for ds in datasets:
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
                        **{k: float(rng.uniform(0.3, 0.9)) for k in metrics},
                    }
                )
    df = pd.DataFrame(rows)
    for col in BASE_COLUMNS:
        if col not in df:
            df[col] = None
    out = tmp_path / "run"
    if parts_only:
        (out / "parts").mkdir(parents=True)
        df.to_parquet(out / "parts" / "part-0001.parquet")
    else:
        out.mkdir()
        df.to_parquet(out / "results.parquet")
    return out


def test_terminal_table_keeps_brackets_and_fits_80_columns(tmp_path: Path) -> None:
    run = _run(tmp_path, ["a", "b", "c"])
    text = build_report([run], ["f1"], "table", None, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    flat = "".join(line.strip("│ ") for line in text.splitlines())
    for m in METHODS:  # two methods differing only by [k_neighbors=...] stay two labels
        assert "knn[n_neighbors=3]" in text and m["resampler_params"] is not None
    assert "smote[k_neighbors=5]" in flat and "smote[k_neighbors=3]" in flat
    assert "f1 by resampler" in text and "f1 by classifier" in text
    assert "vs_baseline" not in text  # compact leaderboard: rank, method, mean ± std, mean rank, n
    top = build_report([run], ["f1"], "table", None, top=1, width=80)
    assert "f1 (higher is better), top 1 of 3 methods shown (--top N)" in top
    wide = build_report([run], ["f1"], "table", None, wide=True, width=300)
    assert "vs_baseline" in wide and "n_skipped" in wide and "datasets x methods" in wide
    grouped = build_report([run], ["f1"], "table", None, group_by="classifier", width=80)
    assert "f1 by classifier" in grouped and "f1 by resampler" not in grouped


def test_every_format_renders_every_view(tmp_path: Path) -> None:
    run = _run(tmp_path, ["a", "b"])
    doc = json.loads(build_report([run], ["f1"], "json", None))
    titles = [v["title"] for v in doc["views"]["f1"] if v["title"]]
    md = build_report([run], ["f1"], "md", None)
    table = build_report([run], ["f1"], "table", None, wide=True, width=300)
    for t in titles:
        assert f"{t[0].upper()}{t[1:]}:" in md and f"f1 {t}" in table
    assert {"statistics", "best_per_classifier", "by_imbalance_level", "datasets"} <= {
        v["view"] for v in doc["views"]["f1"]
    }


def test_hostile_strings_are_escaped_in_markdown_and_html(tmp_path: Path) -> None:
    import re

    from climb_cli.report import html as H
    from climb_cli.report.leaderboard import markdown_table

    run = _run(tmp_path, [HOSTILE, "b"])
    md = build_report([run], ["f1"], "md", None)
    assert re.search(r"(?<!\\)<", md) is None and re.search(r"(?<!\\)\]\(", md) is None
    assert "\\<script>alert(1)\\</script>\\|\\[x\\](javascript:alert(1))" in md
    hostile_cols = pd.DataFrame({HOSTILE: [HOSTILE], "n": [1]})
    assert "<script>" not in H.table(hostile_cols)
    assert markdown_table(hostile_cols).startswith("| \\<script>alert(1)\\</script>\\|")
    page = tmp_path / "r.html"
    assert build_report([run], ["f1"], "html", page) is None
    html_text = page.read_text()
    assert "<script>alert" not in html_text and "&lt;script&gt;alert(1)" in html_text
    assert '<nav><a href="#s0">Runs</a>' in html_text and "th::after" in html_text


def test_incomplete_run_is_reported_from_its_parts_with_a_note(tmp_path: Path) -> None:
    run = _run(tmp_path, ["a", "b"], parts_only=True)
    note = "incomplete run: 12 jobs have results"
    assert build_report([run], ["f1"], "md", None).startswith(note)
    assert build_report([run], ["f1"], "table", None, width=80).startswith(note)
    assert build_report([run], ["f1"], "csv", None).startswith("# " + note)
    assert json.loads(build_report([run], ["f1"], "json", None))["notes"][0].startswith(note)
    build_report([run], ["f1"], "html", tmp_path / "p.html")
    assert f'<p class="incomplete">{note}' in (tmp_path / "p.html").read_text()


def test_more_than_seven_metrics_get_a_table_of_contents(tmp_path: Path) -> None:
    run = _run(tmp_path, ["a", "b"], metrics=METRICS)
    md = build_report([run], None, "md", None)
    assert md.startswith("Contents:\n\n1. f1 (higher is better)\n2. balanced_accuracy")
    assert "Contents: 1. f1 (higher is better); 2." in build_report(
        [run], None, "table", None, width=200
    )
    few = build_report([run], METRICS[:7], "md", None)
    assert "Contents:" not in few


def test_bad_top_is_a_clear_error(tmp_path: Path) -> None:
    from climb_cli.errors import ResultsError

    run = _run(tmp_path, ["a"])
    with pytest.raises(
        ResultsError, match=r"^--top must be a positive number of methods, got 0\.$"
    ):
        build_report([run], ["f1"], "table", None, top=0)
