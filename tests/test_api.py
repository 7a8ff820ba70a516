"""The Python API: run() / report() return DataFrames, the README example runs as written, errors
are BenchError (never SystemExit), progress reaches a callback and a tqdm bar."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import climb_cli
from climb_cli.api import Progress, RunResult

ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "name": "api",
    "datasets": ["keel/ecoli3"],
    "cv": {"n_splits": 3},
    "resamplers": ["none", "ros"],
    "classifiers": {"logreg": {}},
    "metrics": ["f1", "roc_auc"],
    "n_jobs": 1,
}


def test_readme_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = (ROOT / "docs" / "python_api_example.py").read_text()
    namespace: dict[str, Any] = {}
    exec(compile(code, "python_api_example.py", "exec"), namespace)  # noqa: S102 - our own doc
    result, report = namespace["result"], namespace["report"]
    assert result.summary["status_counts"] == {"ok": 12}
    assert len(result.results) == 12 and len(result.predictions) == result.results["n_test"].sum()
    assert list(report.leaderboards["f1"]["rank"]) == [1, 2, 3, 4]
    assert (tmp_path / "results" / "notebook-demo" / "report.html").is_file()


def test_run_accepts_a_dict_a_yaml_string_and_a_path_with_the_same_jobs(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    a = climb_cli.run(SMALL, tmp_path / "a")
    b = climb_cli.run(yaml.safe_dump(SMALL), tmp_path / "b")
    c = climb_cli.run(path, tmp_path / "c")
    assert isinstance(a, RunResult) and a.ok and a.summary["executed"] == 6
    cols = ["job_id", "f1", "roc_auc"]
    pd.testing.assert_frame_equal(a.results[cols], b.results[cols])
    pd.testing.assert_frame_equal(a.results[cols], c.results[cols])
    again = climb_cli.run(SMALL, tmp_path / "a")
    assert (again.summary["executed"], again.summary["already_done"]) == (0, 6)


def test_errors_are_bench_errors_with_the_cli_messages(tmp_path: Path) -> None:
    with pytest.raises(climb_cli.ConfigError) as err:
        climb_cli.run({**SMALL, "classifiers": {"nope": {}}}, tmp_path)
    assert str(err.value).startswith("classifiers: unknown classifier 'nope'. Available")
    with pytest.raises(climb_cli.ConfigError) as err:
        climb_cli.run("name: x\nname: y\n", tmp_path)
    assert str(err.value) == (
        "YAML string: key 'name' appears twice in one mapping (lines 1 and 2); YAML would keep "
        "only the last one, so merge or remove one of them."
    )
    with pytest.raises(climb_cli.ResultsError):
        _ = climb_cli.run(SMALL, tmp_path / "r").predictions


def test_progress_callback_and_tqdm_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Progress] = []
    climb_cli.run(SMALL, tmp_path / "p", callback=seen.append, progress=True)
    assert [p.done for p in seen] == [1, 2, 3, 4, 5, 6]  # 6 groups of one job
    assert seen[-1].total == 6 and seen[-1].failed == 0 and seen[-1].fraction == pytest.approx(1)
    assert seen[-1].dataset == "keel/ecoli3"
    assert "6/6 jobs, failed 0" in capsys.readouterr().err


def test_report_object_matches_the_cli_formats(tmp_path: Path, cli: Any) -> None:
    out = climb_cli.run(SMALL, tmp_path / "r").output
    rep = climb_cli.report([out], metrics=["f1"])
    board = rep.leaderboards["f1"]
    expected = json.loads(cli("report", out, "-m", "f1", "--format", "json").stdout)
    assert list(board["method"]) == [r["method"] for r in expected["leaderboards"]]
    assert expected["statistics"]["f1"]["friedman"]["n_methods"] == 2
    assert {"leaderboard", "by_resampler", "best_per_classifier", "datasets"} <= set(
        rep.views["f1"]
    )
    assert rep.statistics.loc[0, "metric"] == "f1" and rep.statistics.loc[0, "n_methods"] == 2
    assert rep.to_markdown().count("| ") > 0
    csv = cli("report", out, "-m", "f1", "--format", "csv").stdout
    cols = ["metric", "method", "rank", "mean", "mean_rank"]
    pd.testing.assert_frame_equal(
        rep.leaderboard.reset_index(drop=True)[cols],
        pd.read_csv(io.StringIO(csv))[cols],
        check_dtype=False,
    )


def test_public_names_are_explicit_and_import_is_light() -> None:
    import subprocess
    import sys

    assert set(climb_cli.__all__) >= {"run", "report", "RunResult", "Report", "BenchError"}
    code = "import climb_cli, sys; print('pandas' in sys.modules, callable(climb_cli.report))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
