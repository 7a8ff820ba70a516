"""Imbalance-aware boosting (CLIMB's OverBoost, SMOTEBoost, AdaCost, AdaUBoost, AsymBoost), written
from the original papers for current scikit-learn. The over-sampling boosts (OverBoost, SMOTEBoost)
live in ``resample_boosting.py`` on the same core.

One discrete AdaBoost core, ``_Boost``: SAMME (Zhu, Zou, Rosset & Hastie, "Multi-class AdaBoost",
2009; for two classes this is AdaBoost.M1 with the member weight doubled, which changes neither the
vote nor the normalised sample weights). Each method changes one hook:

- ``_resample``: what the member of round t is fitted on (OverBoost, SMOTEBoost). The error and the
  weight update are always computed on the original training rows; resampled rows exist for one round.
- ``_initial_weights`` / ``_round_factor`` / ``_step``: the weight rule (AdaCost, AdaUBoost, AsymBoost).

Shared behaviour (scikit-learn's ``AdaBoostClassifier`` SAMME, which plain settings reproduce
exactly): member weight ``learning_rate * (log((1 - e) / e) + log(K - 1))`` with ``e`` the weighted
error on the original rows; ``predict_proba`` is the softmax of the normalised SAMME decision.
Departures, both as imbalanced-ensemble (CLIMB's reference): a member no better than chance
(``e > 1 - 1/K``, common once the member was fitted on a re-balanced sample) is kept with its
negative weight (for two classes: the flipped member) instead of ending the ensemble after a few
rounds, as scikit-learn and imbalanced-learn's RUSBoost do; a member with zero training error gets
weight 1 and boosting stops only with ``early_termination=True`` (default False, so fully grown trees
give ``n_estimators`` members rather than one). The decision is normalised by the sum of ``|alpha|``. SAMME.R (imbalanced-ensemble's default) was removed from scikit-learn 1.6 and
is not offered.

Base learner by name: ``estimator`` is any registered classifier that accepts ``sample_weight``
(``bench components --kind classifier``), built with ``estimator_params`` and a per-round seed. With
``estimator_params`` left unset, ``dt`` is a stump (``max_depth=1``), the default base learner of
scikit-learn's AdaBoost and of imbalanced-ensemble; ``estimator_params: {}`` gives a fully grown tree.
``n_estimators`` defaults to 50, as in both libraries.

Class costs (AdaCost, AdaUBoost, AsymBoost), parameter ``cost``: ``"inverse"`` (default, as
imbalanced-ensemble: ``n_max / n_c`` per class, so the imbalance ratio for the minority class of a
binary problem), ``"log1p-inverse"`` (``log(1 + n_max / n_c)``), ``"uniform"`` (1 everywhere: the
method is then plain SAMME), a number (the smallest class's cost, others 1) or a mapping
``{class label: cost}`` (unlisted classes 1).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import softmax
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    validate_data,
)

from climb_cli.registry import estimator_component, register

_MAX_SEED = np.iinfo(np.int32).max
_COST = [
    StrOptions({"inverse", "log1p-inverse", "uniform"}),
    Interval(Real, 0, None, closed="neither"),
    dict,
]


class _Boost(ClassifierMixin, BaseEstimator):
    """Discrete SAMME boosting with hooks; not registered (the methods below are its subclasses)."""

    # sklearn.utils._param_validation is private, but there is no public route to declare constraints
    # that `_validate_params` (and bench's config check) enforce; spe.py uses it the same way
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [str],
        "estimator_params": [dict, None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "early_termination": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: str = "dt",
        estimator_params: dict[str, Any] | None = None,
        n_estimators: int = 50,
        learning_rate: float = 1.0,
        early_termination: bool = False,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.early_termination = early_termination
        self.random_state = random_state

    # -- parameters and the base learner ---------------------------------------------------------
    def _validate_params(self) -> None:
        """scikit-learn's checks, then the base learner: registered, weighted, valid parameters."""
        super()._validate_params()
        self._base_component()

    def _base_params(self) -> dict[str, Any]:
        if self.estimator_params is None:
            return {"max_depth": 1} if self.estimator == "dt" else {}
        return dict(self.estimator_params)

    def _base_component(self) -> Any:
        from climb_cli.errors import ConfigError
        from climb_cli.registry import registered

        # the live registry (complete once climb_cli.components is imported, before any fit)
        found = dict(sorted(registered("classifier").items()))
        usable = sorted(n for n, c in found.items() if c.has("supports_sample_weight"))
        hint = f"Available base learners (classifiers that take sample_weight) are: {', '.join(usable)}."
        if self.estimator not in found:
            raise ValueError(f"unknown base learner estimator={self.estimator!r}. {hint}")
        if self.estimator not in usable:
            raise ValueError(
                f"base learner {self.estimator!r} does not take sample_weight, which "
                f"boosting needs. {hint}"
            )
        component = found[self.estimator]
        try:
            component.check(self._base_params())
        except ConfigError as exc:  # ValueError: bench's check names the ensemble in front of it
            raise ValueError(f"estimator_params: {exc}") from None
        return component

    # -- hooks (defaults: plain SAMME) -----------------------------------------------------------
    def _initial_weights(self, w: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return w

    def _round_factor(self, y: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
        """Per-sample multiplier applied before every round (None: none)."""
        return None

    def _resample(
        self, X: np.ndarray, y: np.ndarray, w: np.ndarray, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return X, y, w

    def _step(
        self, w: np.ndarray, incorrect: np.ndarray, y: np.ndarray, error: float
    ) -> tuple[float, np.ndarray]:
        """(member weight, updated sample weights) for a member with weighted ``error`` > 0."""
        k = len(self.classes_)
        alpha = self.learning_rate * (np.log((1.0 - error) / error) + np.log(k - 1.0))
        return alpha, self._grow(w, alpha * incorrect)

    @staticmethod
    def _grow(w: np.ndarray, exponent: np.ndarray) -> np.ndarray:
        # scikit-learn's form (log space, zero weights stay zero), so plain SAMME equals it exactly
        with np.errstate(divide="ignore"):
            return np.exp(np.log(w) + exponent * (w > 0))

    # -- fit / predict ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit up to ``n_estimators`` members by boosting; ``sample_weight`` scales the start weights."""
        self._validate_params()
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two classes in y")
        counts = np.bincount(y_enc)
        w = _check_sample_weight(
            sample_weight, X, dtype=np.float64, copy=True, ensure_non_negative=True
        )
        w = self._initial_weights(w, y_enc, counts)
        w = w / w.sum()
        factor = self._round_factor(y_enc, counts)
        component, params = self._base_component(), self._base_params()
        rng = check_random_state(self.random_state)
        eps, zero = np.finfo(np.float64).eps, w == 0.0
        self.estimators_: list[Any] = []
        weights: list[float] = []
        errors: list[float] = []
        for t in range(self.n_estimators):
            w = np.clip(w, eps, None)  # as scikit-learn: no weight underflows to zero
            w[zero] = 0.0
            if factor is not None:
                w = w * factor
                w /= w.sum()
            member = component.build(params, random_state=rng.randint(_MAX_SEED))
            X_fit, y_fit, w_fit = self._resample(X, y_enc, w, rng)
            member.fit(X_fit, y_fit, sample_weight=w_fit)
            incorrect = member.predict(X) != y_enc
            error = float(np.average(incorrect, weights=w))
            if error <= 0:  # perfect on the training rows: weight 1, weights unchanged
                self.estimators_.append(member)
                weights.append(1.0)
                errors.append(0.0)
                if self.early_termination:
                    break
                continue
            step = self._step(w, incorrect, y_enc, error)
            self.estimators_.append(member)
            weights.append(step[0])
            errors.append(error)
            total = step[1].sum()
            if not np.isfinite(total) or total <= 0:
                warnings.warn(
                    f"{type(self).__name__}: sample weights overflowed at round {t}; "
                    "stopped early (lower learning_rate)",
                    stacklevel=2,
                )
                break
            w = step[1] / total
        self.estimator_weights_ = np.array(weights)
        self.estimator_errors_ = np.array(errors)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """SAMME decision (scikit-learn's): weighted votes coded 1 / -1/(K-1), normalised."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        k = len(self.classes_)
        codes = np.arange(k)[:, None]
        pred = sum(
            np.where((m.predict(X) == codes).T, a, -a / (k - 1))
            for m, a in zip(self.estimators_, self.estimator_weights_)
        )
        total = np.abs(self.estimator_weights_).sum()
        pred = np.asarray(pred, dtype=np.float64) / (total if total > 0 else 1.0)
        if k == 2:
            return pred[:, 1] - pred[:, 0]
        return pred

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the decision, as scikit-learn's AdaBoostClassifier (rows sum to 1)."""
        decision = self.decision_function(X)
        if len(self.classes_) == 2:
            return softmax(np.vstack([-decision, decision]).T / 2)
        return softmax(decision / (len(self.classes_) - 1))

    def predict(self, X: Any) -> np.ndarray:
        """Class with the largest decision (binary: decision > 0)."""
        decision = self.decision_function(X)
        if len(self.classes_) == 2:
            return self.classes_[(decision > 0).astype(int)]
        return self.classes_[np.argmax(decision, axis=1)]


class _CostBoost(_Boost):
    """A boosting whose weight rule uses per-class costs (parameter ``cost``)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_Boost._parameter_constraints,
        "cost": _COST,
    }

    def __init__(
        self,
        estimator: str = "dt",
        estimator_params: dict[str, Any] | None = None,
        n_estimators: int = 50,
        learning_rate: float = 1.0,
        cost: Any = "inverse",
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
        self.cost = cost

    def _validate_params(self) -> None:
        super()._validate_params()
        if isinstance(self.cost, dict):
            bad = {
                k: v
                for k, v in self.cost.items()
                if isinstance(v, bool) or not isinstance(v, Real) or not 0 < float(v) < np.inf
            }
            if bad:
                raise ValueError(f"cost: every class cost must be a positive number; got {bad}")

    def _class_costs(self, counts: np.ndarray) -> np.ndarray:
        """Cost per encoded class."""
        if self.cost == "uniform":
            return np.ones(len(counts))
        if self.cost in ("inverse", "log1p-inverse"):
            ratio = counts.max() / counts
            return ratio if self.cost == "inverse" else np.log1p(ratio)
        costs = np.ones(len(counts))
        if isinstance(self.cost, dict):
            index = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(self.classes_)}
            unknown = [k for k in self.cost if k not in index]
            if unknown:
                raise ValueError(
                    f"cost names classes {unknown} that are not in y; classes are {list(index)}"
                )
            for label, value in self.cost.items():
                costs[index[label]] = float(value)
        else:  # a number: the smallest class's cost
            costs[int(np.argmin(counts))] = float(self.cost)
        return costs


class AdaCostClassifier(_CostBoost):
    """AdaCost (Fan, Stolfo, Zhang & Chan, ICML 1999): AdaBoost with a cost-adjustment function.

    Sample i has cost ``c_i`` = its class cost divided by the largest (so ``c`` is in (0, 1]).
    Start weights are uniform (times ``sample_weight``): the paper offers ``D_1(i) = c_i / sum(c)`` as
    one choice, but with the minority at ``c = 1`` that makes ``r`` negative from the first round
    (every member then votes inverted; measured). With ``u_i = +1`` if the member is right on i, else -1,
    and the cost adjustment ``beta_+ = -0.5 c_i + 0.5`` (right), ``beta_- = 0.5 c_i + 0.5`` (wrong):
    ``r = sum_i D(i) u_i beta_i``, member weight ``alpha = learning_rate * 0.5 * ln((1 + r) / (1 - r))``,
    update ``D(i) <- D(i) exp(-alpha u_i beta_i) / Z`` (``r <= 0`` gives ``alpha <= 0``, kept like any
    member no better than chance). Several classes: ``u`` is right (+1) or wrong (-1).
    """

    def _sample_costs(self, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
        costs = self._class_costs(counts)
        return (costs / costs.max())[y]

    def _initial_weights(self, w: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
        self._c = self._sample_costs(y, counts)
        return w

    def _step(
        self, w: np.ndarray, incorrect: np.ndarray, y: np.ndarray, error: float
    ) -> tuple[float, np.ndarray]:
        u = np.where(incorrect, -1.0, 1.0)
        beta = np.where(incorrect, 0.5 * self._c + 0.5, -0.5 * self._c + 0.5)
        r = float(np.sum(w * u * beta) / w.sum())
        alpha = self.learning_rate * 0.5 * np.log((1.0 + r) / (1.0 - r))
        return alpha, self._grow(w, -alpha * u * beta)


class AdaUBoostClassifier(_CostBoost):
    """AdaUBoost (Karakoulas & Shawe-Taylor, "Optimizing classifiers for imbalanced training sets",
    NIPS 11, 1999): AdaBoost for an unequal loss.

    With class loss ``beta_c`` (the ``cost``): start weights ``D_1(i)`` proportional to
    ``beta_{y_i}`` (Algorithm 1, step 1); each round, SAMME's member weight and the update
    ``D(i) <- D(i) exp(alpha * [wrong on i] * beta_{y_i} ** (-1 / n_estimators)) / Z`` (step 2, as
    imbalanced-ensemble reads it).
    """

    def _initial_weights(self, w: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
        beta = self._class_costs(counts)
        self._shrink = (beta ** (-1.0 / self.n_estimators))[y]
        return w * beta[y]

    def _step(
        self, w: np.ndarray, incorrect: np.ndarray, y: np.ndarray, error: float
    ) -> tuple[float, np.ndarray]:
        alpha = super()._step(w, incorrect, y, error)[0]
        return alpha, self._grow(w, alpha * incorrect * self._shrink)


class AsymBoostClassifier(_CostBoost):
    """Asymmetric AdaBoost (Viola & Jones, "Fast and robust classification using asymmetric AdaBoost
    and a detector cascade", NIPS 14, 2001).

    The asymmetric loss is spread evenly over the rounds: before every round each weight is multiplied
    by ``exp(y_i log(sqrt(k)) / T)`` (positives ``sqrt(k) ** (1/T)``, negatives ``sqrt(k) ** (-1/T)``,
    T = ``n_estimators``), k = cost of the positive (by default the imbalance ratio), then normalised;
    the rest is SAMME. Several classes: class c's multiplier is ``(cost_c / g) ** (1/T)`` with g the
    geometric mean of the class costs, which is the rule above for two classes.
    """

    def _round_factor(self, y: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
        log_cost = np.log(self._class_costs(counts))
        return np.exp((log_cost - log_cost.mean()) / self.n_estimators)[y]


_TAGS = frozenset({"imbalance_ensemble", "supports_sample_weight"})
for _name, _cls, _text in [
    (
        "adacost",
        "AdaCostClassifier",
        "AdaCost (Fan et al. 1999): cost-adjusted AdaBoost weight updates (cost: class costs).",
    ),
    (
        "adauboost",
        "AdaUBoostClassifier",
        "AdaUBoost (Karakoulas & Shawe-Taylor 1999): AdaBoost for an unequal class loss.",
    ),
    (
        "asymboost",
        "AsymBoostClassifier",
        "Asymmetric AdaBoost (Viola & Jones 2001): class cost spread over the rounds.",
    ),
]:
    register(
        estimator_component(
            "classifier", _name, "climb_cli.components.boosting", _cls, _text, tags=_TAGS
        )
    )
