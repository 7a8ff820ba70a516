"""The engine: per-job limits and crash containment, shared vs unshared work, the output lock,
kill -9 durability, the run log, and the dask backend."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli import components, registry

METRICS = ["f1", "roc_auc", "pr_auc", "brier"]


class Segfaulting:
    """A classifier whose fit kills its own process, as a crashing native library would."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> Segfaulting:
        os.kill(os.getpid(), signal.SIGSEGV)
        return self


@pytest.fixture
def segfaulting() -> Any:
    components.get("classifier", "logreg")
    registry.register(
        registry.Component(
            "classifier", "segfault", "test", lambda p, **kw: Segfaulting(kw.get("random_state"))
        )
    )
    yield
    registry.unregister("classifier", "segfault")


def test_a_crashing_job_is_recorded_and_the_rest_carries_on(
    cli: Any, write_config: Any, tmp_path: Path, segfaulting: Any
) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": ["logreg", "segfault", "dt"],
            "metrics": METRICS,
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "o", "-q")
    assert result.exit_code == 1
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    crashed = df[df.classifier == "segfault"]
    assert len(crashed) == 3 and set(crashed["status"]) == {"crashed"}
    assert set(crashed["error"]) == {"the process running this job died with SIGSEGV"}
    # the models fitted after the crash in the same fold ran in a fresh process
    assert set(df.loc[df.classifier != "segfault", "status"]) == {"ok"}
    assert df.loc[df.status == "ok", "peak_rss_mb"].gt(50).all()
    assert result.stderr.strip() == (
        f"3 of 9 jobs failed; see the 'error' column of {tmp_path / 'o' / 'results.csv'}"
    )


def test_timeout_and_memory_limits_with_loky(cli: Any, write_config: Any, tmp_path: Path) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "cv": {"n_splits": 2},
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "metrics": METRICS,
            "classifiers": {
                "logreg": {},
                "rf": {"n_estimators": 100000},
                "mlp": {"hidden_layer_sizes": [[20000, 20000]], "max_iter": 1},
            },
            "n_jobs": 2,
            "timeout_s": 4,
            "memory_mb": 700,
        }
    )
    start = time.monotonic()
    result = cli("run", cfg, "--output", tmp_path / "lim", "-q")
    assert time.monotonic() - start < 60
    assert result.exit_code == 1
    df = pd.read_parquet(tmp_path / "lim" / "results.parquet").set_index("classifier")
    assert set(df.loc["logreg", "status"]) == {"ok"}
    assert set(df.loc["rf", "status"]) == {"timeout"}
    assert set(df.loc["rf", "error"]) == {"stopped after 4 s (timeout_s)"}
    assert set(df.loc["mlp", "status"]) == {"memory"}
    assert (
        df.loc["mlp", "error"].str.fullmatch(r"stopped at \d+ MB resident \(memory_mb=700\)").all()
    )


def test_failed_jobs_are_retried_only_when_asked(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    base = {
        "datasets": ["keel/ecoli3"],
        "cv": {"n_splits": 2},
        "resamplers": ["none"],
        "class_weights": ["none"],
        "thresholds": ["default"],
        "metrics": METRICS,
        "classifiers": {"logreg": {}, "rf": {"n_estimators": 3000}},
    }
    out = tmp_path / "retry"
    assert cli("run", write_config(base), "--output", out, "-q", "--timeout", "1").exit_code == 1
    again = cli("run", write_config(base), "--output", out, "-q")
    assert "ran 0 now, 4 already done" in again.stdout and again.exit_code == 1
    fixed = cli("run", write_config(base), "--output", out, "-q", "--retry-failed")
    assert "ran 2 now, 2 already done" in fixed.stdout and fixed.exit_code == 0
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 4 and set(df["status"]) == {"ok"}  # the first run's ok rows are kept


def test_sharing_does_not_change_any_result(cli: Any, write_config: Any, tmp_path: Path) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3", "sklearn/wine"],
            "resamplers": {"none": {}, "smote": {"k_neighbors": 3}, "rus": {}},
            "class_weights": ["none", "balanced"],
            "thresholds": {
                "default": {},
                "prior": {},
                "tuned": {"objective": ["f1", "mcc"], "cv": 3},
            },
            "classifiers": {"logreg": {}, "lgbm": {"n_estimators": 20, "min_child_samples": 5}},
            "metrics": METRICS,
            "n_jobs": 2,
        }
    )
    shared = cli("run", cfg, "--output", tmp_path / "shared", "-q")
    unshared = cli("run", cfg, "--output", tmp_path / "unshared", "-q", "--no-share")
    assert shared.exit_code == unshared.exit_code == 0
    a = pd.read_parquet(tmp_path / "shared" / "results.parquet")
    b = pd.read_parquet(tmp_path / "unshared" / "results.parquet")
    cols = ["job_id", "status", "threshold_value", "n_train_resampled", *METRICS]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    plan_shared = cli("run", cfg, "--output", tmp_path / "x", "--dry-run").stdout.splitlines()[1]
    plan_alone = cli(
        "run", cfg, "--output", tmp_path / "x", "--dry-run", "--no-share"
    ).stdout.splitlines()[1]
    # 2 datasets x 3 folds x 3 resamplers = 18 groups, each with 4 models (2 classifiers x 2 class
    # weights) fitted once plus 3 inner fits; alone, each of the 288 jobs does its own work
    assert plan_shared == (
        "plan: 18 groups, 288 model fits, 72 resamplings. Nothing was fitted (--dry-run)."
    )
    assert plan_alone == (
        "plan: 288 groups, 720 model fits, 720 resamplings. Nothing was fitted (--dry-run)."
    )


def test_a_second_run_on_the_same_output_is_refused(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    import fcntl

    out = tmp_path / "locked"
    out.mkdir()
    fd = os.open(out / ".bench.lock", os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242")
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        result = cli("run", write_config(), "--output", out, "-q")
    finally:
        os.close(fd)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: another `bench run` (pid 4242) is writing to {out}; "
        "wait for it to finish or choose another --output"
    )


def test_run_log_has_a_line_per_job(cli: Any, write_config: Any, tmp_path: Path) -> None:
    cfg = write_config(
        {
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "metrics": METRICS,
        }
    )
    assert cli("run", cfg, "--output", tmp_path / "log", "-q").exit_code == 0
    lines = (tmp_path / "log" / "run.log").read_text().splitlines()
    assert "start tiny: 6 jobs, 0 done, 6 pending, 6 groups, backend=loky, workers=1" in lines[0]
    jobs = [line for line in lines if " ok " in line]
    assert len(jobs) == 6 and all("fit=" in line and "fold=" in line for line in jobs)
    assert "stop after" in lines[-1]


def _bench() -> str:
    beside = Path(sys.executable).parent / "bench"
    return str(beside) if beside.exists() else "bench"


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_results(
    write_config: Any, tmp_path: Path
) -> None:
    cfg = write_config(
        {
            "datasets": ["keel/yeast4", "keel/ecoli3", "sklearn/breast_cancer"],
            "cv": {"n_splits": 5},
            "resamplers": ["none", "smote", "rus"],
            "class_weights": ["none", "balanced"],
            "thresholds": {"default": {}, "tuned": {"cv": 3}},
            "classifiers": {"logreg": {}, "lgbm": {"n_estimators": 30, "min_child_samples": 5}},
            "metrics": METRICS,
            "n_jobs": 2,
        }
    )
    reference = tmp_path / "reference"
    assert (
        subprocess.run(
            [_bench(), "run", str(cfg), "--output", str(reference), "-q"],
            check=False,
            capture_output=True,
            timeout=600,
        ).returncode
        == 0
    )
    out = tmp_path / "killed"
    kills = 0
    for _ in range(3):  # kill it a few times at different moments
        proc = subprocess.Popen(
            [_bench(), "run", str(cfg), "--output", str(out), "-q"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        start_parts = len(list((out / "parts").glob("part-*"))) if (out / "parts").exists() else 0
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "parts").exists() and len(list((out / "parts").glob("part-*"))) > start_parts:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # bench and its workers, mid-run
            proc.wait()
            kills += 1
    assert kills >= 1
    final = subprocess.run(
        [_bench(), "run", str(cfg), "--output", str(out), "-q"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert final.returncode == 0, final.stderr
    a = pd.read_parquet(reference / "results.parquet")
    b = pd.read_parquet(out / "results.parquet")
    assert len(b) == len(a) == 3 * 5 * 3 * 2 * 2 * 2 and b["job_id"].is_unique
    cols = ["job_id", "status", "threshold_value", *METRICS]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    # every part file is complete and readable; no partial file is left under a real name
    import pyarrow.parquet as pq

    for part in (out / "parts").iterdir():
        assert part.name.startswith("part-") and pq.read_table(part).num_rows > 0


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results_as_loky(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    cfg = write_config(
        {
            "resamplers": ["none", "smote"],
            "class_weights": ["none", "balanced"],
            "classifiers": {"logreg": {}, "lgbm": {"n_estimators": 20, "min_child_samples": 5}},
            "metrics": METRICS,
            "n_jobs": 2,
            "timeout_s": 60,
        }
    )
    loky = cli("run", cfg, "--output", tmp_path / "loky", "-q")
    dask = cli("run", cfg, "--output", tmp_path / "dask", "-q", "--backend", "dask")
    assert loky.exit_code == dask.exit_code == 0
    a = pd.read_parquet(tmp_path / "loky" / "results.parquet")
    b = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    cols = ["job_id", "status", "threshold_value", *METRICS]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assb = '"backend": "dask"' in (tmp_path / "dask" / "manifest.json").read_text()
    assert assb


@pytest.mark.slow
def test_creditcard_sized_dataset_runs_with_bounded_memory(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    """CLIMB's largest dataset is 284,807 x 30: a synthetic one of that size runs, and the peak
    resident memory of the processes that ran its jobs stays bounded."""
    cfg = write_config(
        {
            "datasets": [
                {
                    "name": "big",
                    "synthetic": {
                        "n_samples": 284807,
                        "n_features": 30,
                        "n_informative": 10,
                        "weights": [0.998],
                        "random_state": 0,
                    },
                }
            ],
            "cv": {"n_splits": 2},
            "resamplers": ["none", "rus"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"lgbm": {"n_estimators": 20}},
            "metrics": ["pr_auc", "roc_auc"],
            "n_jobs": 2,
            "save_predictions": True,
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "big", "-q")
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(tmp_path / "big" / "results.parquet")
    assert len(df) == 4 and df["n_test"].sum() == 2 * 284807
    assert df["roc_auc"].gt(0.55).all()  # a real model was fitted (chance is 0.5)
    # data ~68 MB as float64; preprocessing copies it a few times: well under 1.5 GB per process
    assert df["peak_rss_mb"].max() < 1500
    preds = pd.read_parquet(tmp_path / "big" / "predictions.parquet")
    assert len(preds) == 2 * 284807
