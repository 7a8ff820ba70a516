"""Stage 4, decide: a threshold strategy turns a model's test-fold scores into labels.

Searched strategies (``tuned``, ``holdout``) get the model refitted on each inner split of the training
fold (``InnerScores``, computed once per (model, inner split) and shared by every strategy using it).
As scikit-learn's TunedThresholdClassifierCV does, the search runs on ``predict_proba`` when the model
has it and on the raw ``decision_function`` otherwise (SVMs): the chosen threshold is then applied to
the raw decision values and recorded on the stored score scale (``sigmoid(threshold)``).

A strategy with ``refit: false`` (``holdout``, as Balancing the Scales did) predicts the test fold with
the model fitted on its one inner training part (``kept_model_predictions``) instead of the model
fitted on the whole training fold: the inner fit that chose the threshold is the final model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from climb_cli.components import get
from climb_cli.config import Choice
from climb_cli.engine.fit import FittedModel, ModelSpec, positive_scores, predict_scores
from climb_cli.engine.prepare import InnerData
from climb_cli.engine.rows import SkipJob
from climb_cli.engine.split import InnerKey

__all__ = ["InnerScores", "KeptPredictions", "decide_labels", "kept_model_predictions"]


@dataclass
class InnerScores:
    """Validation scores of one model refitted on every inner split, computed on first use."""

    model: ModelSpec
    inner: InnerData
    n_classes: int
    resampler: Choice | None = None  # the inner parts' resampler (default: the group's)
    _cache: dict[InnerKey, tuple[list[tuple[np.ndarray, np.ndarray]], float, bool]] = field(
        default_factory=dict
    )
    _kept: dict[InnerKey, FittedModel] = field(default_factory=dict)  # one-split keys' models

    def get(self, key: InnerKey) -> tuple[list[tuple[np.ndarray, np.ndarray]], float, bool]:
        """[(y_val, positive scores), ...] for the inner split ``key``, the seconds it took, and
        whether the scores are raw decision values."""
        if key not in self._cache:
            start = time.perf_counter()
            out, raw = [], False
            sets = self.inner.get(key, self.resampler)
            for Xi, yi, yi_before, Xv, yv in sets:
                fitted = self.model.fit(Xi, yi, yi_before)
                scores, raw = positive_scores(fitted.estimator, Xv, self.n_classes)
                out.append((yv, scores))
                if len(sets) == 1:  # a holdout: the model may serve as the final one
                    self._kept[key] = fitted
            self._cache[key] = (out, time.perf_counter() - start, raw)
        return self._cache[key]

    def prefill(
        self, key: InnerKey, scores: list[tuple[np.ndarray, np.ndarray]], raw: bool
    ) -> None:
        """Scores already computed for ``key`` (a search's chosen candidate on the same inner
        splits, data and seeds: exactly what ``get`` would compute)."""
        self._cache[key] = (scores, 0.0, raw)


@dataclass
class KeptPredictions:
    """The test fold scored by the model of a one-split inner key (``refit: false``)."""

    proba: np.ndarray
    raw_test: np.ndarray | None
    fitted: FittedModel
    n_train: int  # rows of the inner training part, before resampling
    seconds: float  # the inner fit (the final model's fit) and the test predictions


def kept_model_predictions(
    inner: InnerScores, key: InnerKey, X_test_raw: object
) -> KeptPredictions:
    """Predictions of the model fitted on the inner training part of ``key`` (one split), on the
    test fold transformed by that part's own preprocessor."""
    from climb_cli.datasets import preprocess

    if key not in inner._kept:
        inner._cache.pop(key, None)  # prefilled scores come without a model: fit it here
    _, seconds, _ = inner.get(key)
    fitted = inner._kept[key]
    start = time.perf_counter()
    part, _ = inner.inner.parts(key)[0]
    X_test = preprocess.transform(part.preprocessor, X_test_raw)
    proba = predict_scores(fitted.estimator, X_test, inner.n_classes)
    raw_test = (
        positive_scores(fitted.estimator, X_test, inner.n_classes)[0]
        if inner.n_classes == 2 and not hasattr(fitted.estimator, "predict_proba")
        else None
    )
    return KeptPredictions(
        proba, raw_test, fitted, len(part.y), seconds + time.perf_counter() - start
    )


def decide_labels(
    threshold: Choice,
    proba: np.ndarray,
    fit_prior: np.ndarray,
    n_classes: int,
    dataset: str,
    inner: InnerScores,
    raw_test: np.ndarray | None = None,
) -> tuple[np.ndarray, float | None, float]:
    """Labels for the test fold, the threshold applied (None on multiclass) and the seconds the
    model's inner fits took (0 when the strategy needs none).

    ``fit_prior`` is the class distribution the model was fitted on (after resampling and
    weighting); ``raw_test`` the test fold's raw decision values of a model without
    ``predict_proba``."""
    from scipy.special import expit

    strategy = get("threshold", threshold.name).build(threshold.params_dict)
    if strategy.binary_only and n_classes != 2:
        raise SkipJob(
            f"threshold '{threshold.name}' is binary-only; dataset '{dataset}' has "
            f"{n_classes} classes"
        )
    if strategy.inner is None:
        decision = strategy.decide(None, fit_prior, n_classes)
        return decision.apply(proba), (decision.threshold if n_classes == 2 else None), 0.0
    scores, inner_time, raw = inner.get(strategy.inner)
    decision = strategy.decide(scores, fit_prior, n_classes)
    if raw and raw_test is not None:
        t = float(decision.threshold)  # in decision-function units, as the search ran
        return (raw_test >= t).astype(np.int64), float(expit(t)), inner_time
    return decision.apply(proba), decision.threshold, inner_time
