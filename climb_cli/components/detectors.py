"""Anomaly-detector baselines as binary classifiers: ``iforest``, ``lof``, ``ocsvm``,
``elliptic_envelope`` (scikit-learn) and ``pyod`` (any of a list of PyOD detectors, extra
``climb-cli[pyod]``).

Fitting. ``fit_on: majority`` (default; novelty detection, the fraud setting) fits the detector on
the rows of the negative class only (bench's class 0, the majority of an imbalanced problem);
``fit_on: all`` fits it on every training row and ignores the labels (unsupervised). Either way the
labels of the training fold set the score map below.

Scores. The anomaly score is ``s = -score_samples(X)`` for scikit-learn detectors and PyOD's
``decision_function(X)`` (both: higher = more anomalous = the positive, minority class). On the
training fold, after fitting, bench computes ``s`` on every training row and stores ``q``, the
``1 - prevalence`` quantile of those scores (prevalence = share of positive training rows), and
``scale``, their interquartile range (else their standard deviation, else 1). Then

    P(positive) = expit(asinh((s - q) / scale))          predict_proba = [1 - p, p]

a strictly increasing map, so ranking metrics (ROC AUC, PR AUC) equal those of the raw anomaly
score, and ``p >= 0.5`` exactly when ``s >= q``: bench's ``default`` threshold flags about the
training prevalence of the training fold as positive (in-sample scores of the fitted rows are
slightly more normal than new rows', so slightly more on the test fold). ``asinh`` tempers the
logistic so that extreme scores stay distinct (a plain logistic rounds every score ~37 spreads above
``q`` to exactly 1.0, tying the most anomalous rows). ``p`` ranks rows; it is not a calibrated
probability (Brier and log-loss measure the map). The detector's ``contamination`` only moves its
own ``predict`` offset, unused here, so it is not a parameter.

What applies. Detectors are binary-only (multiclass data: ``skipped``) and carry the ``detector``
tag: the engine skips them for any resampler other than ``none`` and any class-weight strategy
other than ``none`` (they fit no resampled data and take no weights), with the reason in the row.
Every threshold strategy applies to their scores.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator, Mapping
from importlib.util import find_spec
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils._param_validation import HasMethods, StrOptions

from climb_cli.registry import RESERVED_PARAMS, Component, estimator_component, import_object
from climb_cli.registry import register as register_component

__all__ = ["PYOD_DETECTORS", "DetectorClassifier", "PyODClassifier"]

DETECTOR = "detector"
BINARY_ONLY = "binary_only"
FIT_ON = ("majority", "all")
# PyOD's classic tabular detectors (name -> module of pyod.models) that score new rows; deep-learning
# ones (torch), ensembles of detector lists (LSCP, SUOD, FeatureBagging: extra packages) and those
# that cannot score a few new rows (COF, SOD) or are cubic in the rows (LOCI) are left out
PYOD_DETECTORS = {
    "ABOD": "abod",
    "CBLOF": "cblof",
    "COPOD": "copod",
    "ECOD": "ecod",
    "GMM": "gmm",
    "HBOS": "hbos",
    "IForest": "iforest",
    "INNE": "inne",
    "KDE": "kde",
    "KNN": "knn",
    "KPCA": "kpca",
    "LODA": "loda",
    "LOF": "lof",
    "MCD": "mcd",
    "OCSVM": "ocsvm",
    "PCA": "pca",
    "QMCD": "qmcd",
    "Sampling": "sampling",
}
_NO_EFFECT = {
    "contamination": "it only moves the detector's own predict offset, which bench does not use"
}


class DetectorClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier from a scikit-learn anomaly detector (see the module docstring)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "detector": [HasMethods(["fit"])],
        "fit_on": [StrOptions(set(FIT_ON))],
    }

    def __init__(self, detector: Any = None, fit_on: str = "majority") -> None:
        self.detector = detector
        self.fit_on = fit_on

    def _anomaly_scores(self, X: Any) -> np.ndarray:
        """Higher = more anomalous (scikit-learn's score_samples is higher = more normal)."""
        return -np.asarray(self.detector_.score_samples(X), dtype=float)

    def fit(self, X: Any, y: Any) -> DetectorClassifier:
        """Fit the detector (negative rows only, or all rows) and the score map on this fold."""
        self._validate_params()
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                f"{type(self).__name__} is binary-only; got {len(self.classes_)} classes"
            )
        negative = y == self.classes_[0]
        rows = X[negative] if self.fit_on == "majority" else X
        self.detector_ = clone(self.detector).fit(rows)
        self.n_fit_rows_ = len(rows)
        scores = self._anomaly_scores(X)
        self.prevalence_ = float(np.mean(~negative))
        self.threshold_ = float(np.quantile(scores, 1.0 - self.prevalence_))
        q25, q75 = np.quantile(scores, [0.25, 0.75])
        scale = float(q75 - q25)
        if not (np.isfinite(scale) and scale > 0):  # many tied scores (e.g. histograms)
            scale = float(np.std(scores))
        self.scale_ = scale if np.isfinite(scale) and scale > 0 else 1.0
        return self

    def anomaly_score(self, X: Any) -> np.ndarray:
        """The raw anomaly score of each row (higher = more anomalous)."""
        return self._anomaly_scores(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[1 - p, p]`` with ``p = expit(asinh((s - q) / scale))``."""
        from scipy.special import expit

        z = (self._anomaly_scores(X) - self.threshold_) / self.scale_
        p = expit(np.arcsinh(z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Positive when ``P(positive) >= 0.5`` (bench's default rule)."""
        return np.asarray(self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)])


class PyODClassifier(DetectorClassifier):
    """Binary classifier from a PyOD detector (its decision_function is higher = more anomalous)."""

    def _anomaly_scores(self, X: Any) -> np.ndarray:
        return np.asarray(self.detector_.decision_function(X), dtype=float)


class _Defaults(Mapping[str, Any]):
    """``fit_on`` plus the detector's own lazily-read defaults (keeps `bench --help` fast)."""

    def __init__(self, detector_defaults: Mapping[str, Any]) -> None:
        self._detector = detector_defaults

    def _data(self) -> dict[str, Any]:
        return dict(sorted({"fit_on": "majority", **self._detector}.items()))

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def _split(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(the detector's own parameters, fit_on), fit_on checked."""
    rest = dict(params)
    fit_on = rest.pop("fit_on", "majority")
    if not isinstance(fit_on, str) or fit_on not in FIT_ON:
        raise ValueError(
            "The 'fit_on' parameter must be 'majority' (fit on the negative class only) or "
            f"'all' (every training row). Got {fit_on!r} instead."
        )
    return rest, fit_on


def _sklearn_detector(
    name: str,
    module: str,
    cls_name: str,
    description: str,
    tags: set[str],
    hidden: set[str],
    **defaults: Any,
) -> None:
    inner = estimator_component(
        "classifier",
        name,
        module,
        cls_name,
        description,
        bench_defaults=defaults,
        tags=frozenset(tags),
        hidden=frozenset(hidden | set(_NO_EFFECT)),
    )

    def build(params: dict[str, Any], random_state: int | None = None, **_: Any) -> Any:
        detector_params, fit_on = _split(params)
        # a copy: an estimator must never share (and possibly change) the config's own values
        own = copy.deepcopy(detector_params)
        return DetectorClassifier(inner.build(own, random_state=random_state), fit_on)

    def check(params: dict[str, Any]) -> None:
        detector_params, _ = _split(params)
        assert inner.check_fn is not None
        inner.check_fn(detector_params)  # the detector's own parameter constraints
        build(params, random_state=0)._validate_params()

    register_component(
        Component(
            "classifier",
            name,
            description,
            build,
            defaults=_Defaults(inner.defaults),
            tags=frozenset(tags | {DETECTOR, BINARY_ONLY}),
            check_fn=check,
        )
    )


_sklearn_detector(
    "iforest",
    "sklearn.ensemble",
    "IsolationForest",
    "Isolation forest anomaly detector; P(positive) = monotone map of -score_samples.",
    {"threaded"},
    set(),
)
_sklearn_detector(
    "lof",
    "sklearn.neighbors",
    "LocalOutlierFactor",
    "Local outlier factor (novelty=True) anomaly detector; P(positive) = monotone map.",
    {"threaded", "distance_based"},
    {"novelty"},
    novelty=True,
)
_sklearn_detector(
    "ocsvm",
    "sklearn.svm",
    "OneClassSVM",
    "One-class SVM anomaly detector; P(positive) = monotone map of -score_samples.",
    {"distance_based"},
    set(),
)
_sklearn_detector(
    "elliptic_envelope",
    "sklearn.covariance",
    "EllipticEnvelope",
    "Robust-covariance (MCD) anomaly detector; P(positive) = monotone map.",
    set(),
    set(),
)


def _pyod_class(name: Any) -> Any:
    """The PyOD detector class called ``name`` (ValueError naming the extra when PyOD is absent)."""
    try:
        import pyod  # noqa: F401 - imported here only: PyOD is an optional, slow import
    except ImportError:
        raise ValueError(
            "needs the optional package 'pyod': pip install 'climb-cli[pyod]'"
        ) from None
    if not isinstance(name, str) or name not in PYOD_DETECTORS:
        raise ValueError(
            f"unknown PyOD detector {name!r}. Valid detectors are: {', '.join(PYOD_DETECTORS)}."
        )
    return import_object(f"pyod.models.{PYOD_DETECTORS[name]}", name)


def _pyod_detector(params: dict[str, Any], random_state: int | None) -> Any:
    """The configured PyOD detector (bench sets random_state and n_jobs=1 where accepted)."""
    klass = _pyod_class(params.get("detector", "ECOD"))
    given = params.get("detector_params") or {}
    if not isinstance(given, Mapping):
        raise TypeError(
            f"detector_params must be a mapping of {klass.__name__} parameters; got {given!r}"
        )
    accepted = inspect.signature(klass).parameters
    for key in given:
        if key in RESERVED_PARAMS:
            raise ValueError(f"detector_params: '{key}' cannot be set ({RESERVED_PARAMS[key]})")
        if key in _NO_EFFECT:
            raise ValueError(
                f"detector_params: '{key}' is not a parameter here ({_NO_EFFECT[key]})"
            )
        if key not in accepted:
            valid = ", ".join(
                sorted(k for k in accepted if k not in RESERVED_PARAMS and k not in _NO_EFFECT)
            )
            raise ValueError(
                f"detector_params: unknown parameter '{key}' of PyOD {klass.__name__}. "
                f"Valid parameters are: {valid or '(none)'}."
            )
    kwargs = copy.deepcopy(dict(given))  # the detector never shares the config's values
    if "random_state" in accepted:
        kwargs["random_state"] = random_state
    if "n_jobs" in accepted:
        kwargs["n_jobs"] = 1
    return klass(**kwargs)


def _pyod_build(params: dict[str, Any], random_state: int | None = None, **_: Any) -> Any:
    own, fit_on = _split(params)
    return PyODClassifier(_pyod_detector(own, random_state), fit_on)


def _pyod_check(params: dict[str, Any]) -> None:
    _pyod_build(params, random_state=0)._validate_params()


register_component(
    Component(
        "classifier",
        "pyod",
        "A PyOD anomaly detector by name (detector, its detector_params); P(positive) = monotone "
        "map of decision_function (extra: climb-cli[pyod]).",
        _pyod_build,
        defaults={"detector": "ECOD", "detector_params": {}, "fit_on": "majority"},
        # "optional" when the extra is absent, as classifiers.py's optional components are (the
        # spec lookup imports nothing; validation then names the extra to install)
        tags=frozenset(
            {DETECTOR, BINARY_ONLY} | ({"optional"} if find_spec("pyod") is None else set())
        ),
        check_fn=_pyod_check,
    )
)
