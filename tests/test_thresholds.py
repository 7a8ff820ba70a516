"""The vectorised threshold sweep equals per-threshold scikit-learn computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, matthews_corrcoef
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

from climb_cli.components.thresholds import OBJECTIVES, confusion_at, tune_threshold


def test_confusion_counts_match_sklearn_at_every_threshold() -> None:
    rng = np.random.default_rng(1)
    y = (rng.uniform(size=300) < 0.1).astype(int)
    s = np.round(rng.uniform(size=300), 2)  # rounded: many ties
    grid = np.linspace(0, 1, 57)
    tp, fp, fn, tn = confusion_at(y, s, grid)
    for i, t in enumerate(grid):
        (tn_, fp_), (fn_, tp_) = confusion_matrix(y, (s >= t).astype(int), labels=[0, 1])
        assert (tp[i], fp[i], fn[i], tn[i]) == (tp_, fp_, fn_, tn_)
    f1 = OBJECTIVES["f1"](tp, fp, fn, tn)
    mcc = OBJECTIVES["mcc"](tp, fp, fn, tn)
    for i, t in enumerate(grid):
        pred = (s >= t).astype(int)
        assert f1[i] == pytest.approx(f1_score(y, pred, zero_division=0.0))
        assert mcc[i] == pytest.approx(matthews_corrcoef(y, pred))


@pytest.mark.parametrize("objective", ["f1", "balanced_accuracy"])
def test_tuned_threshold_equals_tunedthresholdclassifiercv(objective: str) -> None:
    X, y = make_classification(n_samples=600, weights=[0.9], random_state=3, flip_y=0.05)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ref = TunedThresholdClassifierCV(LogisticRegression(), scoring=objective, cv=cv,
                                     thresholds=100).fit(X, y)
    inner = []
    for tr, va in cv.split(X, y):
        model = LogisticRegression().fit(X[tr], y[tr])
        inner.append((y[va], model.predict_proba(X[va])[:, 1]))
    threshold, score = tune_threshold(inner, objective, 100)
    assert threshold == pytest.approx(ref.best_threshold_, abs=1e-12)
    assert score == pytest.approx(ref.best_score_, abs=1e-12)


def test_constant_scores_cannot_be_tuned() -> None:
    with pytest.raises(ValueError, match="constant predictions"):
        tune_threshold([(np.array([0, 1, 0]), np.array([0.3, 0.3, 0.3]))], "f1")
