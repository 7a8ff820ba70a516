"""No leakage: preprocessing and resampling see training rows only; the test fold is never resampled.

Spy components record exactly what reaches the resampler and the classifier. The dataset has a
column ``idx`` equal to the row index, so every recorded matrix tells which rows it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli import components, registry
from climb_cli.config import ExperimentConfig
from climb_cli.datasets.loaders import load_dataset
from climb_cli.engine.rows import RunContext
from climb_cli.engine.runner import run_experiment
from climb_cli.engine.split import outer_split
from climb_cli.grid import resolve_experiment

CALLS: dict[str, list[np.ndarray]] = {"resample": [], "fit": [], "predict": []}


class SpyResampler:
    def fit_resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        CALLS["resample"].append(X[:, 0].copy())
        # duplicate the minority rows, as random over-sampling would
        pos = y == 1
        return np.vstack([X, X[pos]]), np.concatenate([y, y[pos]])


class SpyClassifier:
    def __init__(self, random_state: int | None = None) -> None:
        from sklearn.linear_model import LogisticRegression

        self.model = LogisticRegression(random_state=random_state)

    def fit(self, X: np.ndarray, y: np.ndarray) -> SpyClassifier:
        CALLS["fit"].append(X[:, 0].copy())
        self.model.fit(X, y)
        self.classes_ = self.model.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        CALLS["predict"].append(X[:, 0].copy())
        return self.model.predict_proba(X)


@pytest.fixture
def spies() -> Any:
    for calls in CALLS.values():
        calls.clear()
    components.get("resampler", "none")  # load the built-ins first
    registry.register(
        registry.Component("resampler", "spy", "test spy", lambda params, **kw: SpyResampler())
    )
    registry.register(
        registry.Component(
            "classifier",
            "spy",
            "test spy",
            lambda params, random_state=None, **kw: SpyClassifier(random_state),
        )
    )
    yield CALLS
    registry.unregister("resampler", "spy")
    registry.unregister("classifier", "spy")


@pytest.fixture
def indexed_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "idx": np.arange(n, dtype=float),
            "noise": rng.normal(size=n),
            "label": (np.arange(n) % 5 == 0).astype(int),
        }
    )
    frame.loc[::7, "noise"] = np.nan  # the imputer must learn its median from training rows only
    path = tmp_path / "indexed.csv"
    frame.to_csv(path, index=False)
    return path


def _run(tmp_path: Path, csv: Path, scale: bool) -> Any:
    config = ExperimentConfig(
        name="leak",
        datasets=[{"name": "indexed", "file": str(csv), "target": "label"}],
        cv={"n_splits": 4},
        resamplers=["spy"],
        classifiers=["spy"],
        thresholds={"tuned": {"cv": 3}},
        preprocessing={"scale": scale},
        n_jobs=1,
        isolate=False,
    )  # in-process, so that the spies' records are visible here
    exp = resolve_experiment(config, tmp_path)
    summary = run_experiment(exp, tmp_path / "out", n_jobs=1)
    assert summary.status_counts == {"ok": 4}
    ds = load_dataset(exp.datasets["indexed"])
    ctx = RunContext(seed=0, n_splits=4, preprocessing={}, metrics=())
    return [outer_split(ds, ctx, 0, fold) for fold in range(4)]


def test_resampler_and_classifier_never_see_test_rows(
    spies: Any, tmp_path: Path, indexed_csv: Path
) -> None:
    splits = _run(tmp_path, indexed_csv, scale=False)
    # per outer fold: 1 outer resampling + 3 inner ones; 1 outer fit + 3 inner fits
    assert len(spies["resample"]) == 16 and len(spies["fit"]) == 16
    for fold, (train, test) in enumerate(splits):
        resampled = spies["resample"][fold * 4 : fold * 4 + 4]
        np.testing.assert_array_equal(np.sort(resampled[0]), np.sort(train))
        inner_union = np.concatenate(resampled[1:])
        assert set(inner_union) <= set(train)  # inner parts are subsets of the training fold
        for seen in spies["fit"][fold * 4 : fold * 4 + 4]:
            assert not set(seen) & set(test)
        # the outer model predicts the test fold as it is (never resampled, each row once);
        # the inner models predict inner validation parts, which together make the training fold
        predicted = spies["predict"][fold * 4 : fold * 4 + 4]
        np.testing.assert_array_equal(np.sort(predicted[0]), np.sort(test))
        np.testing.assert_array_equal(np.sort(np.concatenate(predicted[1:])), np.sort(train))


def test_scaler_is_fitted_on_the_training_fold_only(
    spies: Any, tmp_path: Path, indexed_csv: Path
) -> None:
    splits = _run(tmp_path, indexed_csv, scale=True)
    for fold, (train, test) in enumerate(splits):
        seen = spies["resample"][fold * 4]
        mean, std = train.mean(), train.std()
        np.testing.assert_allclose(np.sort(seen), np.sort((train - mean) / std), atol=1e-12)
        predicted = [
            p
            for p in spies["predict"]
            if len(p) == len(test)
            and np.allclose(np.sort(p), np.sort((test - mean) / std), atol=1e-12)
        ]
        assert len(predicted) == 1
