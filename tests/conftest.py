"""Shared fixtures: sockets blocked (openml.org is never reached), small configs on real data.

The suite needs nothing outside the repository. The team's shared data folder (default
``../shared/data`` next to the repository, or ``$BENCH_SHARED_DATA``) only enables extra checks, which
skip with a reason when it is absent. Hypothesis profiles: ``ci`` (default, quick) and ``long``
(``HYPOTHESIS_PROFILE=long``), see tests/test_fuzz.py.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from climb_cli.cli import app

_real_connect = socket.socket.connect


def shared_data_dir() -> Path:
    """The team's optional shared data folder: ``$BENCH_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get("BENCH_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path in the shared data folder, or skip the test (with the reason) when it is absent."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"optional shared data {path} is absent (set BENCH_SHARED_DATA to the folder "
            "holding openml-seed/ and climb-openml-datasets.csv to run this check)"
        )
    return path


try:
    from hypothesis import HealthCheck, settings

    # quick enough for CI (a few seconds per property); `long` for local bug hunts
    settings.register_profile(
        "ci",
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile(
        "long",
        max_examples=2000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # the property tests skip themselves without hypothesis
    pass


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"network access blocked in tests (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def cli() -> Any:
    """Invoke `bench` in-process; returns the click Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def write_config(tmp_path: Path) -> Any:
    """Write a config dict (merged over a small real-data default) to a YAML file."""

    def write(
        overrides: dict[str, Any] | None = None, name: str = "cfg.yaml", raw: str | None = None
    ) -> Path:
        path = tmp_path / name
        if raw is not None:
            path.write_text(raw)
            return path
        doc: dict[str, Any] = {
            "name": "tiny",
            "seed": 0,
            "datasets": ["sklearn/breast_cancer", "keel/ecoli3"],
            "cv": {"n_splits": 3},
            "resamplers": {"none": {}, "smote": {"k_neighbors": 3}},
            "class_weights": ["none", "balanced"],
            "thresholds": {"default": {}, "tuned": {"objective": "f1", "cv": 3}},
            "classifiers": {"logreg": {"C": 1.0}},
            "metrics": ["f1", "balanced_accuracy", "roc_auc", "pr_auc", "mcc", "gmean", "brier"],
            "n_jobs": 1,
        }
        doc.update(overrides or {})
        path.write_text(yaml.safe_dump(doc))
        return path

    return write
