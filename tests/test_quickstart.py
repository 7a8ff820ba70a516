"""The front door: the README's `bench run configs/quickstart.yaml` through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quickstart_runs_offline_and_reports(tmp_path: Path) -> None:
    beside = Path(sys.executable).parent / "bench"
    bench = str(beside) if beside.exists() else shutil.which("bench")
    assert bench, "the `bench` console script is not installed"
    out = tmp_path / "quickstart"
    cfg = ROOT / "configs" / "quickstart.yaml"
    # sockets are not reachable from this subprocess anyway; the point is that nothing needs them
    run = subprocess.run(
        [bench, "run", str(cfg), "--output", str(out), "--quiet"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 1440 and set(df["status"]) == {"ok"}
    assert df["dataset"].nunique() == 6 and df["method"].nunique() == 48
    irs = json.loads((out / "manifest.json").read_text())["datasets"]
    assert min(d["imbalance_ratio"] for d in irs.values()) < 2
    assert max(d["imbalance_ratio"] for d in irs.values()) > 40
    report = subprocess.run(
        [bench, "report", str(out), "--metric", "f1", "--format", "csv"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0] == (
        "metric,rank,method,mean,std,mean_rank,n_datasets,wins,vs_baseline,n_ok,n_failed,n_skipped"
    )
    assert len(lines) == 49
