"""Over-sampling boosting (CLIMB's OverBoost and SMOTEBoost) on the SAMME core of ``boosting.py``:
the member of each round is fitted on a fresh over-sample of the training rows; the error and the
weight update use the original rows only."""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from climb_cli.components.boosting import _MAX_SEED, _TAGS, _Boost
from climb_cli.registry import estimator_component, register

__all__ = ["OverBoostClassifier", "SMOTEBoostClassifier"]


class _ResampleBoost(_Boost):
    """A boosting whose member of each round is fitted on a fresh over-sample of the training rows."""

    def _sampler(self, seed: int) -> Any:
        raise NotImplementedError

    def _resample(
        self, X: np.ndarray, y: np.ndarray, w: np.ndarray, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sampler = self._sampler(rng.randint(_MAX_SEED))
        X_res, y_res = sampler.fit_resample(X, y)
        # both samplers keep the original rows first, in order. Every added row (duplicate or
        # synthetic) weighs the mean current weight, as imbalanced-ensemble's samplers do: it adds a
        # fixed dose of the class each round; inheriting the boosted weights of the copied rows would
        # multiply the boosting emphasis by the imbalance ratio and stall the ensemble at chance level
        added = np.full(len(y_res) - len(y), w.mean())
        return X_res, y_res, np.concatenate([w, added])


class OverBoostClassifier(_ResampleBoost):
    """OverBoost: AdaBoost (SAMME) whose member of each round is fitted on a random over-sample.

    Every round, imbalanced-learn's ``RandomOverSampler`` (seeded per round) duplicates rows of each
    smaller class until it matches the largest; a duplicate carries its original's boosting weight.
    The error and weight update use the original rows. As imbalanced-ensemble's OverBoostClassifier
    (reference: Galar et al., "A review on ensembles for the class imbalance problem", IEEE TSMC-C
    42(4), 2012, which lists over-sampling inside boosting with SMOTEBoost).
    """

    def _sampler(self, seed: int) -> Any:
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(random_state=seed)


class SMOTEBoostClassifier(_ResampleBoost):
    """SMOTEBoost (Chawla, Lazarevic, Hall & Bowyer, PKDD 2003): SMOTE inside every boosting round.

    Every round, SMOTE (Chawla et al. 2002; ``k_neighbors`` same-class neighbours, computed once per
    fit since a class's rows never change) creates fresh synthetic rows until each smaller class
    matches the largest; the round's member is fitted on the
    original rows (current weights) plus those synthetic rows (each weighted with the mean current
    weight of its class); the error and weight update use the original rows only, and the synthetic
    rows are discarded, as in the paper. (imbalanced-ensemble instead keeps adding each round's
    synthetic rows to the training set.)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_Boost._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator: str = "dt",
        estimator_params: dict[str, Any] | None = None,
        n_estimators: int = 50,
        learning_rate: float = 1.0,
        k_neighbors: int = 5,
        early_termination: bool = False,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            estimator,
            estimator_params,
            n_estimators,
            learning_rate,
            early_termination,
            random_state,
        )
        self.k_neighbors = k_neighbors

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit by boosting; each smaller class's neighbour graph is computed once per fit."""
        self._graph_: list[tuple[int, np.ndarray, np.ndarray, int]] | None = None
        return super().fit(X, y, sample_weight)

    def _resample(
        self, X: np.ndarray, y: np.ndarray, w: np.ndarray, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # SMOTE's neighbours depend only on the class's rows, which never change between rounds:
        # one k-NN graph per fit (it was 70% of the fit time when imblearn's SMOTE recomputed it
        # every round); every round still draws fresh synthetic points from it
        from climb_cli.components.bagging import _smote

        if self._graph_ is None:
            from sklearn.neighbors import NearestNeighbors

            counts = np.bincount(y)
            n_max, graph = int(counts.max()), []
            for c in np.flatnonzero((counts > 0) & (counts < n_max)):
                X_c = X[y == c]
                if len(X_c) <= self.k_neighbors:
                    raise ValueError(
                        f"SMOTEBoost: class {self.classes_[c]!r} has {len(X_c)} training rows; "
                        f"k_neighbors={self.k_neighbors} needs at least {self.k_neighbors + 1}"
                    )
                nn = NearestNeighbors(n_neighbors=self.k_neighbors + 1).fit(X_c)
                neighbours = nn.kneighbors(X_c, return_distance=False)[:, 1:]
                graph.append((int(c), X_c, neighbours, n_max - int(counts[c])))
            self._graph_ = graph
        Xs = [X] + [_smote(X_c, nb, n, rng) for _, X_c, nb, n in self._graph_]
        ys = [y] + [np.full(n, c, dtype=y.dtype) for c, _, _, n in self._graph_]
        added = np.full(sum(n for *_, n in self._graph_), w.mean())
        return np.vstack(Xs), np.concatenate(ys), np.concatenate([w, added])


for _name, _cls, _text in [
    (
        "overboost",
        "OverBoostClassifier",
        "OverBoost: AdaBoost with random over-sampling at each round (base learner: estimator).",
    ),
    (
        "smoteboost",
        "SMOTEBoostClassifier",
        "SMOTEBoost (Chawla et al. 2003): AdaBoost with fresh SMOTE rows at each round.",
    ),
]:
    register(
        estimator_component(
            "classifier", _name, "climb_cli.components.resample_boosting", _cls, _text, tags=_TAGS
        )
    )
