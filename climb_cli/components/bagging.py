"""CLIMB's bagging, cascade and cost-sensitive imbalance methods, for current scikit-learn.

Registered classifiers (tag ``imbalance_ensemble``; none honours class or sample weights, so a
class-weight strategy other than ``none`` is skipped for them):

- ``balance_cascade``: :class:`BalanceCascadeClassifier` (Liu, Wu & Zhou 2009), written here.
- ``smote_bagging``: :class:`SMOTEBaggingClassifier` (Wang & Yao 2009), written here.
- ``underbagging`` / ``overbagging``: aliases of imbalanced-learn's ``BalancedBaggingClassifier``
  with ``RandomUnderSampler`` / ``RandomOverSampler`` (each bag is a bootstrap, then balanced).
- ``cs``: the base learner with ``class_weight="balanced"`` (inverse class frequency), i.e. the same
  model as that classifier with ``class_weights: [balanced]``.

Every one takes its base learner by registered classifier name, ``estimator: dt`` plus
``estimator_params: {max_depth: 5}``, built through the registry at fit time (the name and its
parameters are checked like a config entry, before any fit), and ``n_estimators``: CLIMB's
setting is ``{estimator: dt, n_estimators: 100}``.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

# scikit-learn's parameter validation is private API, but it is what its own estimators (and
# imbalanced-learn's) use, and what registry.estimator_component calls to check config values
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from climb_cli.components.classifiers import CW, ENSEMBLE
from climb_cli.errors import ConfigError
from climb_cli.registry import Component, estimator_component, register

__all__ = ["BalanceCascadeClassifier", "SMOTEBaggingClassifier", "build_base"]

_MAX_SEED = np.iinfo(np.int32).max


def _classifiers() -> dict[str, Component]:
    from climb_cli.registry import registered

    # the live registry (complete once climb_cli.components is imported, before any fit)
    return dict(sorted(registered("classifier").items()))


def build_base(
    name: Any,
    params: dict[str, Any] | None,
    owner: str,
    *,
    random_state: Any = None,
    need_proba: bool = False,
    **context: Any,
) -> Any:
    """The registered classifier ``name`` built with ``params``; InvalidParameterError naming
    ``owner`` and listing what is valid when the name, its parameters or its API do not fit."""
    comps = _classifiers()
    if not isinstance(name, str) or name not in comps:
        raise InvalidParameterError(
            f"The 'estimator' parameter of {owner} must be the name of a registered classifier. "
            f"Got {name!r} instead. Available classifiers are: {', '.join(comps)}."
        )
    try:
        comps[name].check(params or {})
    except ConfigError as exc:
        raise InvalidParameterError(
            f"The 'estimator_params' parameter of {owner} does not fit base learner '{name}': {exc}"
        ) from None
    est = comps[name].build(dict(params or {}), random_state=random_state, **context)
    if need_proba and not hasattr(est, "predict_proba"):
        raise InvalidParameterError(
            f"The 'estimator' parameter of {owner} must be a classifier with predict_proba; "
            f"'{name}' has none with these parameters (svm: set probability: true)."
        )
    return est


def _member(template: Any, rng: np.random.RandomState) -> Any:
    """A fresh copy of the base learner with its own seed drawn from ``rng``."""
    est = clone(template)
    seed = rng.randint(_MAX_SEED)
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=seed)
    return est


class _NamedBaseEnsemble(ClassifierMixin, BaseEstimator):
    """Shared parts: a base learner by name, class bookkeeping, mean-probability prediction."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [str],
        "estimator_params": [dict, None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _validate_params(self) -> None:
        """scikit-learn's checks, then the base learner's name and parameters (registry)."""
        super()._validate_params()
        build_base(
            self.estimator,
            self.estimator_params,
            type(self).__name__,
            random_state=0,
            need_proba=True,
        )

    def _start(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, Any, np.random.RandomState]:
        """Validate; encode y as 0..k-1; the base-learner template and the random state."""
        self._validate_params()
        X, y = validate_data(self, X, y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes in y; got "
                f"only {self.classes_.tolist()}"
            )
        template = build_base(
            self.estimator,
            self.estimator_params,
            type(self).__name__,
            random_state=0,
            need_proba=True,
        )
        return X, y_enc, template, check_random_state(self.random_state)

    def _member_proba(self, est: Any, X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], len(self.classes_)))
        out[:, np.asarray(est.classes_, dtype=int)] = est.predict_proba(X)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean class probabilities of the members."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        total = np.zeros((X.shape[0], len(self.classes_)))
        for est in self.estimators_:
            total += self._member_proba(est, X)
        return total / len(self.estimators_)

    def predict(self, X: Any) -> np.ndarray:
        """Class with the highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BalanceCascadeClassifier(_NamedBaseEnsemble):
    """BalanceCascade (Liu, Wu & Zhou, "Exploratory undersampling for class-imbalance learning",
    IEEE Trans. SMC-B 39(2), 2009), multiclass as imbalanced-ensemble extends it.

    Member ``i`` is trained on every sample of the smallest class plus, from every larger class
    ``c``, a random subset of the smallest class's size drawn from ``c``'s current pool. Then the
    cascade sets the false-positive rate ``f_c = (n_min / n_c) ** (1 / (T - 1))``: it keeps in the
    pool the ``round(n_c * f_c ** (i + 1))`` samples the ensemble so far (mean probability of
    members 0..i, as imbalanced-ensemble does) finds hardest (lowest probability of their own
    class; ties broken at random) and removes the rest, i.e. those classified correctly at the
    threshold giving false-positive rate ``f_c``. After ``T - 1`` rounds every pool has the
    smallest class's size. Prediction is the mean probability of the members (as
    imbalanced-ensemble, CLIMB's reference implementation; the paper's summed thresholds only
    decide what is removed here).

    Fitted attributes: ``estimators_``, ``estimators_samples_`` (training row indices of each
    member), ``pool_sizes_`` (``(n_estimators, n_classes)``: pool size of each class when each
    member was drawn), ``keep_ratios_`` (``f_c`` per class).
    """

    def __init__(
        self,
        estimator: str = "dt",
        estimator_params: dict[str, Any] | None = None,
        n_estimators: int = 50,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.n_estimators = n_estimators
        self.random_state = random_state

    @staticmethod
    def _drop_easiest(
        pool: np.ndarray, hardness: np.ndarray, keep: int, rng: np.random.RandomState
    ) -> np.ndarray:
        """The ``keep`` hardest indices of ``pool`` (sorted); equal hardness in random order."""
        order = rng.permutation(len(pool))  # trees give many ties: do not favour low indices
        ranked = order[np.argsort(-hardness[order], kind="stable")]
        return np.sort(pool[ranked[:keep]])

    def fit(self, X: Any, y: Any) -> BalanceCascadeClassifier:
        """Fit ``n_estimators`` members, shrinking each larger class's pool after each one."""
        X, y_enc, template, rng = self._start(X, y)
        counts = np.bincount(y_enc)
        n_min, T = int(counts.min()), self.n_estimators
        self.keep_ratios_ = (n_min / counts) ** (1.0 / (T - 1)) if T > 1 else np.ones(len(counts))
        pools = [np.flatnonzero(y_enc == c) for c in range(len(counts))]
        proba_sum = np.zeros((len(y_enc), len(counts)))  # valid on pool rows (pools are nested)
        self.estimators_: list[Any] = []
        self.estimators_samples_: list[np.ndarray] = []
        sizes = []
        for i in range(T):
            sizes.append([len(p) for p in pools])
            picked = np.concatenate(
                [p if len(p) <= n_min else rng.choice(p, n_min, replace=False) for p in pools]
            )
            est = _member(template, rng).fit(X[picked], y_enc[picked])
            self.estimators_.append(est)
            self.estimators_samples_.append(picked)
            if i == T - 1:
                break
            for c, pool in enumerate(pools):
                if len(pool) <= n_min:  # the smallest class is never under-sampled
                    continue
                proba_sum[pool] += self._member_proba(est, X[pool])
                hardness = 1.0 - proba_sum[pool, c] / (i + 1)
                keep = max(n_min, round(counts[c] * self.keep_ratios_[c] ** (i + 1)))
                pools[c] = self._drop_easiest(pool, hardness, keep, rng)
        self.pool_sizes_ = np.array(sizes)
        return self


def _smote(
    X_class: np.ndarray, neighbours: np.ndarray, n: int, rng: np.random.RandomState
) -> np.ndarray:
    """``n`` SMOTE points (Chawla et al. 2002): a random sample of the class moved a uniform
    random fraction of the way towards one of its k nearest neighbours of the same class."""
    base = rng.randint(len(X_class), size=n)
    other = neighbours[base, rng.randint(neighbours.shape[1], size=n)]
    gap = rng.uniform(size=(n, 1))
    return X_class[base] + gap * (X_class[other] - X_class[base])


class SMOTEBaggingClassifier(_NamedBaseEnsemble):
    """SMOTEBagging (Wang & Yao, "Diversity analysis on imbalanced data sets by using ensemble
    models", IEEE CIDM 2009), multiclass as the paper defines it.

    Every bag holds ``n_max`` samples of each class (``n_max`` = the largest class's size): the
    largest class is bootstrapped (``n_max`` draws with replacement); every other class gets
    ``round(a * n_max)`` samples bootstrapped from it and the remaining ``n_max - round(a * n_max)``
    generated by SMOTE from its own samples and their ``k_neighbors`` nearest neighbours of the same
    class. The resampling rate ``a`` cycles 10%, 20%, ..., 100% over the members (member ``i``:
    ``a = (i mod 10 + 1) / 10``; at 100% a bag is plain random over-sampling). Neighbours are
    computed once per fit on the class's distinct rows (a bootstrap's duplicates would be their own
    neighbours and make copies, not new points).

    Fitted attributes: ``estimators_``, ``resampling_rates_`` and ``n_synthetic_`` (synthetic rows
    per member, all classes together).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_NamedBaseEnsemble._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator: str = "dt",
        estimator_params: dict[str, Any] | None = None,
        n_estimators: int = 50,
        k_neighbors: int = 5,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.n_estimators = n_estimators
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> SMOTEBaggingClassifier:
        """Fit ``n_estimators`` members, each on a SMOTE-balanced bootstrap."""
        from sklearn.neighbors import NearestNeighbors

        X, y_enc, template, rng = self._start(X, y)
        counts = np.bincount(y_enc)
        n_max = int(counts.max())
        rows = [X[y_enc == c] for c in range(len(counts))]
        neighbours: dict[int, np.ndarray] = {}
        for c, X_c in enumerate(rows):
            if counts[c] == n_max:
                continue
            if counts[c] <= self.k_neighbors:
                raise ValueError(
                    f"SMOTEBagging: class {self.classes_.tolist()[c]!r} has {counts[c]} training "
                    f"samples; SMOTE needs more than k_neighbors={self.k_neighbors} "
                    "(lower k_neighbors)"
                )
            nn = NearestNeighbors(n_neighbors=self.k_neighbors + 1).fit(X_c)
            neighbours[c] = nn.kneighbors(X_c, return_distance=False)[:, 1:]
        self.estimators_: list[Any] = []
        self.resampling_rates_: list[float] = []
        self.n_synthetic_: list[int] = []
        for i in range(self.n_estimators):
            rate = (i % 10 + 1) / 10
            parts, n_syn = [], 0
            for c, X_c in enumerate(rows):
                if counts[c] == n_max:
                    parts.append(X_c[rng.randint(n_max, size=n_max)])
                    continue
                n_boot = round(rate * n_max)
                parts.append(X_c[rng.randint(counts[c], size=n_boot)])
                parts.append(_smote(X_c, neighbours[c], n_max - n_boot, rng))
                n_syn += n_max - n_boot
            y_bag = np.repeat(np.arange(len(counts)), n_max)
            est = _member(template, rng).fit(np.vstack(parts), y_bag)
            self.estimators_.append(est)
            self.resampling_rates_.append(rate)
            self.n_synthetic_.append(n_syn)
        return self


# --- aliases of imbalanced-learn's BalancedBaggingClassifier -----------------------------------

_BAGGING_DEFAULTS: dict[str, Any] = {
    "estimator": "dt",
    "estimator_params": None,
    "n_estimators": 50,
    "max_samples": 1.0,
    "max_features": 1.0,
    "bootstrap": True,
    "bootstrap_features": False,
    "sampling_strategy": "auto",
}


def _balanced_bagging(owner: str, sampler_module: str, sampler_cls: str) -> Component:
    """A component building BalancedBaggingClassifier(sampler=<sampler_cls>()) on a named base."""

    def build(params: dict[str, Any], random_state: int | None = None, **_: Any) -> Any:
        from imblearn.ensemble import BalancedBaggingClassifier

        from climb_cli.registry import import_object

        kwargs = {**_BAGGING_DEFAULTS, **params}
        base = build_base(
            kwargs.pop("estimator"),
            kwargs.pop("estimator_params"),
            owner,
            random_state=random_state,
        )
        sampler = import_object(sampler_module, sampler_cls)()
        return BalancedBaggingClassifier(
            estimator=base, sampler=sampler, n_jobs=1, random_state=random_state, **kwargs
        )

    def check(params: dict[str, Any]) -> None:
        build(params, random_state=0)._validate_params()

    kind = "under" if "Under" in sampler_cls else "over"
    return Component(
        "classifier",
        owner.lower(),
        f"{owner}: bagging, each bootstrap balanced by random {kind}-sampling "
        f"(imbalanced-learn BalancedBaggingClassifier + {sampler_cls}); base learner by name.",
        build,
        defaults=_BAGGING_DEFAULTS,
        tags=frozenset({ENSEMBLE}),
        check_fn=check,
    )


# --- CS: the base learner with inverse-frequency class weights ---------------------------------

_CS_DEFAULTS: dict[str, Any] = {"estimator": "dt", "estimator_params": None}


def _cs_base(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    kwargs = {**_CS_DEFAULTS, **params}
    name = kwargs["estimator"]
    weighted = sorted(n for n, c in _classifiers().items() if c.has(CW))
    if isinstance(name, str) and name in _classifiers() and name not in weighted:
        raise InvalidParameterError(
            f"The 'estimator' parameter of CS must be a classifier that supports class_weight. "
            f"Got {name!r} instead. Valid classifiers are: {', '.join(weighted)}."
        )
    return name, kwargs["estimator_params"]


def _cs_build(params: dict[str, Any], random_state: int | None = None, **_: Any) -> Any:
    name, base_params = _cs_base(params)
    est = build_base(name, base_params, "CS", random_state=random_state, class_weight="balanced")
    if est.get_params(deep=False).get("class_weight") != "balanced":  # accepted by name only
        raise InvalidParameterError(
            f"The 'estimator' parameter of CS: '{name}' does not take class_weight='balanced'."
        )
    return est


def _cs_check(params: dict[str, Any]) -> None:
    est = _cs_build(params, random_state=0)
    if hasattr(est, "_validate_params"):
        est._validate_params()


_MODULE = "climb_cli.components.bagging"
register(
    estimator_component(
        "classifier",
        "balance_cascade",
        _MODULE,
        "BalanceCascadeClassifier",
        "BalanceCascade (Liu et al. 2009): balanced members; each round drops the majority samples the "
        "ensemble already classifies correctly.",
        tags=frozenset({ENSEMBLE}),
    )
)
register(
    estimator_component(
        "classifier",
        "smote_bagging",
        _MODULE,
        "SMOTEBaggingClassifier",
        "SMOTEBagging (Wang & Yao 2009): bootstrap + SMOTE bags, resampling rate cycling 10%..100%.",
        tags=frozenset({ENSEMBLE}),
    )
)
register(_balanced_bagging("UnderBagging", "imblearn.under_sampling", "RandomUnderSampler"))
register(_balanced_bagging("OverBagging", "imblearn.over_sampling", "RandomOverSampler"))
register(
    Component(
        "classifier",
        "cs",
        "CS: the base learner with class_weight='balanced' (inverse class frequency); the same model "
        "as that classifier with class_weights: [balanced].",
        _cs_build,
        defaults=_CS_DEFAULTS,
        tags=frozenset({ENSEMBLE, "cost_sensitive"}),
        check_fn=_cs_check,
    )
)
