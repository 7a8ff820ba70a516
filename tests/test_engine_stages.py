"""The fold pipeline's stages on their own: thresholds of models without predict_proba, the prior
of the data a model was fitted on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.svm import LinearSVC

from climb_cli.config import Choice
from climb_cli.engine.decide import InnerScores, decide_labels
from climb_cli.engine.fit import ModelSpec, predict_scores
from climb_cli.engine.prepare import InnerData
from climb_cli.engine.rows import RunContext
from climb_cli.engine.split import component_seed, inner_splits

RAW = {"impute": False, "scale": False, "max_onehot_categories": 20}


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(600, 6, weights=[0.85], flip_y=0.05, random_state=3)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]), y


@pytest.mark.parametrize("objective", ["f1", "balanced_accuracy"])
def test_svm_threshold_equals_tuned_threshold_classifier_cv_on_decision_values(
    objective: str,
) -> None:
    X, y = _data()
    ctx = RunContext(seed=0, n_splits=5, preprocessing=RAW, metrics=("f1",))
    seed = component_seed(0, "classifier", "d", 0, "linear_svm")
    spec = ModelSpec(Choice("linear_svm", ()), Choice("none", ()), ("neg", "pos"), seed)
    inner = InnerScores(spec, InnerData(X, y, Choice("none", ()), ctx, "d", 0, 0), 2)
    fitted = spec.fit(X.to_numpy(), y, y)
    proba = predict_scores(fitted.estimator, X.to_numpy(), 2)
    raw = fitted.estimator.decision_function(X.to_numpy())
    th = Choice("tuned", (("cv", 3), ("objective", objective)))
    y_pred, threshold, _ = decide_labels(th, proba, np.array([0.5, 0.5]), 2, "d", inner, raw)

    splits = inner_splits(("cv", 3), y, component_seed(0, "inner", "d", 0, ["cv", 3]))
    ref = TunedThresholdClassifierCV(
        LinearSVC(random_state=seed), scoring=objective, cv=splits, thresholds=100
    ).fit(X, y)
    assert threshold is not None
    assert np.log(threshold / (1 - threshold)) == pytest.approx(ref.best_threshold_, abs=1e-9)
    assert (y_pred == ref.predict(X)).all()


def test_prior_threshold_uses_the_distribution_the_model_was_fitted_on() -> None:
    X, y = _data()
    ctx = RunContext(seed=0, n_splits=5, preprocessing=RAW, metrics=("f1",))
    spec = ModelSpec(Choice("logreg", ()), Choice("balanced", ()), ("neg", "pos"), 0)
    inner = InnerScores(spec, InnerData(X, y, Choice("none", ()), ctx, "d", 0, 0), 2)
    from climb_cli.components.class_weights import effective_prior

    fitted = spec.fit(X.to_numpy(), y, y)
    prior = effective_prior(fitted.y_fit, fitted.weights, 2)
    proba = predict_scores(fitted.estimator, X.to_numpy(), 2)
    _, threshold, _ = decide_labels(Choice("prior", ()), proba, prior, 2, "d", inner)
    assert threshold == 0.5  # balanced weights: the model saw equal class mass
    plain = ModelSpec(Choice("logreg", ()), Choice("none", ()), ("neg", "pos"), 0).fit(
        X.to_numpy(), y, y
    )
    _, t_plain, _ = decide_labels(
        Choice("prior", ()), proba, effective_prior(plain.y_fit, plain.weights, 2), 2, "d", inner
    )
    assert t_plain == pytest.approx(y.mean())
