"""Self-paced Ensemble (Liu et al., ICDE 2020), implemented from the paper for current scikit-learn.

Each new base estimator is trained on all minority samples plus an under-sample of every larger
class. The under-sample is drawn by *hardness*: the larger class is cut into ``k_bins`` equal-width bins
of hardness (the absolute error of the current ensemble's probability for the true class); bin ``l``
with average hardness ``h_l`` gets weight ``1 / (h_l + alpha)`` (its share of the draw; shares are
rounded so that they sum to the target exactly) where the self-paced factor
``alpha = tan(i * pi / (2 * (n_estimators - 1)))`` grows from 0 to infinity, so early estimators focus
on hard samples (borderline) and later ones sample bins uniformly, keeping easy samples represented.
Multiclass: every class larger than the smallest is under-sampled to the smallest class's size in the
same way.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.tree import DecisionTreeClassifier

# private module, but no public route exists to declare parameter constraints that
# clone/set_params/_validate_params honour (scikit-learn's and imbalanced-learn's estimators use it)
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data


def _quotas(weights: np.ndarray, sizes: np.ndarray, n_target: int) -> np.ndarray:
    """Integer draws per bin, proportional to ``weights``, at most ``sizes``, summing to
    ``n_target`` exactly (largest remainder; a full bin's excess goes to the others)."""
    take = np.zeros(len(sizes), dtype=np.int64)
    open_ = (sizes > 0) & (weights > 0)
    if not open_.any():  # no weighted bin: draw uniformly over the non-empty ones
        open_ = sizes > 0
        weights = np.ones(len(sizes))
    while take.sum() < n_target and open_.any():
        left = n_target - take.sum()
        share = np.where(open_, weights, 0.0) / weights[open_].sum() * left
        full = open_ & (take + share >= sizes)
        if full.any():  # cap the bins that cannot hold their share, then share again
            take[full] = sizes[full]
            open_ &= ~full
            continue
        floor = np.floor(share).astype(np.int64)
        rest = left - floor.sum()
        order = np.argsort(-(share - floor), kind="stable")
        floor[order[:rest]] += 1  # rest < number of open bins, all of which have room
        take += floor
        break
    if take.sum() < n_target:  # only zero-weight bins have room left: fill them uniformly
        take += _quotas(np.ones(len(sizes)), sizes - take, n_target - int(take.sum()))
    return take


class SelfPacedEnsembleClassifier(ClassifierMixin, BaseEstimator):
    """Self-paced Ensemble: hardness-harmonised under-sampling with a self-paced factor."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "k_bins": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any = None,
        n_estimators: int = 50,
        k_bins: int = 5,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.k_bins = k_bins
        self.random_state = random_state

    def _hardness_sample(
        self,
        idx: np.ndarray,
        hardness: np.ndarray,
        n_target: int,
        alpha: float,
        rng: np.random.RandomState,
    ) -> np.ndarray:
        """Indices (from ``idx``) drawn by hardness bins with the self-paced factor ``alpha``."""
        if len(idx) <= n_target:
            return idx
        h = hardness[idx]
        lo, hi = h.min(), h.max()
        if hi - lo < 1e-12:  # all equally hard: uniform
            return rng.choice(idx, n_target, replace=False)
        edges = np.linspace(lo, hi, self.k_bins + 1)
        bins = np.clip(np.searchsorted(edges, h, side="right") - 1, 0, self.k_bins - 1)
        members = [idx[bins == b] for b in range(self.k_bins)]
        avg = np.array([hardness[m].mean() if len(m) else 0.0 for m in members])
        weights = np.where(
            [len(m) > 0 for m in members], 0.0 if np.isinf(alpha) else 1.0 / (avg + alpha), 0.0
        )
        if np.isinf(alpha) or not np.isfinite(weights).all() or weights.sum() == 0:
            weights = np.array([1.0 if len(m) else 0.0 for m in members])
        take = _quotas(weights, np.array([len(m) for m in members]), n_target)
        chosen = [rng.choice(m, t, replace=False) for m, t in zip(members, take) if t]
        return np.concatenate(chosen)

    def fit(self, X: Any, y: Any) -> SelfPacedEnsembleClassifier:
        """Fit ``n_estimators`` base estimators on self-paced under-samples."""
        self._validate_params()
        X, y = validate_data(self, X, y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("SelfPacedEnsembleClassifier needs at least two classes in y")
        rng = check_random_state(self.random_state)
        base = self.estimator if self.estimator is not None else DecisionTreeClassifier()
        counts = np.bincount(y_enc)
        n_min = int(counts.min())
        by_class = [np.flatnonzero(y_enc == k) for k in range(len(self.classes_))]
        self.estimators_: list[Any] = []
        proba_sum = np.zeros((len(y_enc), len(self.classes_)))
        for i in range(self.n_estimators):
            if i == 0:
                hardness = np.zeros(len(y_enc))
                alpha = np.inf  # first estimator: a random balanced under-sample
            else:
                current = proba_sum / i
                hardness = np.abs(1.0 - current[np.arange(len(y_enc)), y_enc])
                denom = max(self.n_estimators - 1, 1)
                alpha = np.tan(np.pi * 0.5 * i / denom) if i < denom else np.inf
            picked = np.concatenate(
                [self._hardness_sample(idx, hardness, n_min, alpha, rng) for idx in by_class]
            )
            est = clone(base)
            if "random_state" in est.get_params():
                est.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
            est.fit(X[picked], y_enc[picked])
            self.estimators_.append(est)
            proba_sum += self._estimator_proba(est, X)
        return self

    def _estimator_proba(self, est: Any, X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], len(self.classes_)))
        out[:, np.asarray(est.classes_, dtype=int)] = est.predict_proba(X)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean class probabilities of the base estimators."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.mean([self._estimator_proba(e, X) for e in self.estimators_], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """Class with the highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
