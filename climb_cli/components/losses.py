"""Loss-based remedies: gradient-boosting classifiers trained on an imbalance-aware loss.

Losses (exact gradient and diagonal Hessian with respect to the raw score; binary: one raw score z,
p = sigmoid(z); multiclass: K raw scores, p = softmax(z), the layout of LightGBM's and XGBoost's
multiclass custom objectives, whose Hessian is the diagonal d2L/dz_k2):

- ``logloss``: the reference, -log p_y.
- ``focal`` (Lin et al., ICCV 2017): -alpha_t (1 - p_t)^gamma log p_t; ``alpha`` (binary only) weighs
  the positive class, 1 - alpha the negative; None = no weighting. gamma = 0 is log loss.
- ``asl`` (asymmetric loss, Ridnik et al., ICCV 2021): positives -(1 - p)^gamma_pos log p, negatives
  -p_m^gamma_neg log(1 - p_m) with the shifted probability p_m = max(p - clip, 0) (negatives with
  p <= clip cost nothing). ASL is a multi-label loss on per-label sigmoids; on multiclass data it is
  applied one-vs-rest to the K raw scores exactly as the paper does for one-hot labels, and the K
  sigmoids are normalised to probabilities (not a softmax).
- ``ldam`` (Cao et al., NeurIPS 2019): cross-entropy of scale * (z - Delta_y e_y) with per-class margins
  Delta_c proportional to n_c^(-1/4), the smallest class getting ``max_margin``; no margin at
  prediction, probabilities softmax(scale * z). The paper's s = 30 applies to cosine logits in
  [-1, 1]; boosting raw scores are unbounded, so what changes the model is the margin in logit units,
  scale * max_margin (Newton steps in scale * z do not depend on scale). Default scale 1.

Focal and ASL Hessians can be small or negative for badly misclassified rows (p_t below about
1 / (1 + gamma)). A Newton step needs positive curvature: where the exact Hessian falls below
w * p(1 - p) (w the loss's modulating weight, alpha_t (1 - p_t)^gamma or p_m^gamma_neg: the log-loss
curvature under the same weight), the Hessian used is w / 4, the largest logistic curvature
(Boehning's bound), so steps on hard rows stay bounded; elsewhere the exact Hessian is used (tests
compare it with finite differences). The weaker floor w * p(1 - p) made 1%-positive data diverge.

The classifiers start from the log-odds of the (weighted) training prior (multiclass: log prior;
ASL one-vs-rest: per-class log-odds; LDAM: divided by scale) and add it back at prediction (the
libraries do not store an init score). No early stopping. Sample weights multiply gradients and
Hessians.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state

# private module, but the only route to constraints that clone/set_params/_validate_params honour
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

LOSSES = ("asl", "focal", "ldam", "logloss")
LOSS_PARAMS = ("loss", "gamma", "alpha", "gamma_pos", "gamma_neg", "clip", "max_margin", "scale")
GradHess = tuple[np.ndarray, np.ndarray]
_TINY = 1e-300
_BLOCK = 16384


def ldam_margins(counts: np.ndarray, max_margin: float) -> np.ndarray:
    """Per-class LDAM margins: proportional to n_c^(-1/4), the largest equal to ``max_margin``."""
    c = np.asarray(counts, dtype=float)
    return max_margin * (c.min() / c) ** 0.25


def _sigmoid(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sigmoid(z), sigmoid(-z) and log sigmoid(z) from one exp and one log1p (numpy's exp is
    several times faster than scipy's expit / log_expit: the objective runs every boosting round)."""
    e = np.exp(-np.abs(z))
    d = 1.0 / (1.0 + e)
    ed = e * d
    pos = z >= 0
    return np.where(pos, d, ed), np.where(pos, ed, d), np.minimum(z, 0.0) - np.log1p(e)


def _pow(x: np.ndarray, gamma: float) -> np.ndarray:
    """x**gamma with the common focusing exponents done by multiplication."""
    if gamma == 0:
        return np.ones_like(x)
    return x if gamma == 1 else x * x if gamma == 2 else x**gamma


def _curvature(h: np.ndarray, weighted_logloss: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The Hessian a Newton step may use: the exact one where it is at least the log-loss
    curvature under the same weight (``weighted_logloss`` = w p(1 - p)), else w / 4, the largest
    logistic curvature (Boehning's bound). Below that point -- badly misclassified rows -- the
    focal and ASL losses are flat or concave; a floor of w p(1 - p) there lets one tree push a
    leaf of rare positives (and the easy negatives that share it, which weigh ~p^gamma) by ~1/p,
    and the next trees oscillate (seen on 1%-positive data at learning rate 0.1); w / 4 keeps
    those steps to a few logits per tree."""
    return np.where(h >= weighted_logloss, h, 0.25 * w)


def _focal_t(zt: np.ndarray, gamma: float, exact: bool) -> GradHess:
    """d/dz_t and d2/dz_t2 of -(1 - q)^gamma log q, q = sigmoid(z_t)."""
    q, u, lq = _sigmoid(zt)
    ug = _pow(u, gamma)
    if gamma == 0:  # log loss: p - y and p (1 - p) in the z_t direction
        return -u, q * u
    g = ug * (gamma * q * lq - u)
    h = q * ug * (u * (2 * gamma + 1) + gamma * lq * (u - gamma * q))
    return g, h if exact else _curvature(h, q * u * ug, ug)


def _asl_neg(z: np.ndarray, gamma: float, clip: float, exact: bool) -> GradHess:
    """d/dz and d2/dz2 of -p_m^gamma log(1 - p_m), p_m = max(sigmoid(z) - clip, 0)."""
    p, one_p, _ = _sigmoid(z)
    a = np.maximum(p - clip, 0.0)
    live = a > 0
    a1 = np.where(live, a, 1.0)  # placeholder where the loss is flat (gradient 0)
    b = one_p + clip  # 1 - p_m, accurate when p is near 1
    lb = np.log(b)
    ag = _pow(a1, gamma)
    ag1 = ag / a1  # a^(gamma - 1)
    d1 = -gamma * ag1 * lb + ag / b
    d2 = -gamma * (gamma - 1) * (ag1 / a1) * lb + 2 * gamma * ag1 / b + ag / (b * b)
    s = p * one_p
    g = np.where(live, d1 * s, 0.0)
    h = np.where(live, d2 * s * s + d1 * s * (one_p - p), 0.0)
    return g, h if exact else np.where(live, _curvature(h, ag * s, ag), 0.0)


def _softmax(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softmax(z) by rows and log softmax (scipy's are several times slower)."""
    zs = z - z.max(axis=1, keepdims=True)
    e = np.exp(zs)
    total = e.sum(axis=1, keepdims=True)
    return e / total, zs - np.log(total)


def grad_hess_blocked(obj: Objective, y: np.ndarray, raw: np.ndarray) -> GradHess:
    """``obj.grad_hess`` over blocks of about 16k values: temporaries then stay below glibc's
    mmap threshold and in cache (whole-array temporaries are mapped and page-faulted afresh at
    every boosting round, which made the objective 2-3 times slower)."""
    g, h = np.empty_like(raw), np.empty_like(raw)
    step = max(1, _BLOCK // (1 if raw.ndim == 1 else raw.shape[1]))
    for start in range(0, len(y), step):
        part = slice(start, start + step)
        g[part], h[part] = obj.grad_hess(y[part], raw[part])
    return g, h


def _store(est: BaseEstimator, values: dict[str, Any]) -> None:
    """Set every ``__init__`` argument unchanged, as scikit-learn's get_params/clone require."""
    for key, value in values.items():
        if key not in ("self", "__class__"):
            setattr(est, key, value)


@dataclass(frozen=True)
class Objective:
    """One loss with its parameters on ``n_classes`` classes: values, gradients, Hessians, links."""

    loss: str
    n_classes: int
    gamma: float = 2.0
    alpha: float | None = None
    gamma_pos: float = 0.0
    gamma_neg: float = 4.0
    clip: float = 0.05
    margins: np.ndarray | None = None
    scale: float = 1.0

    @property
    def binary(self) -> bool:
        """Whether the raw score is one column (two classes)."""
        return self.n_classes == 2

    def _alpha_t(self, y: np.ndarray) -> np.ndarray | float:
        return 1.0 if self.alpha is None else np.where(y == 1, self.alpha, 1 - self.alpha)

    def value(self, y: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Per-row loss (unweighted) at raw scores (n,) binary or (n, K) multiclass."""
        y = np.asarray(y, dtype=np.int64)
        if self.loss == "asl":
            z = raw[:, None] if self.binary else raw
            cols = [1] if self.binary else range(self.n_classes)
            out = np.zeros(len(y))
            for j, k in enumerate(cols):
                zk, pos = z[:, j], y == k
                pm = np.maximum(expit(zk) - self.clip, 0.0)
                lpos = -(expit(-zk) ** self.gamma_pos) * log_expit(zk)
                lneg = -(pm**self.gamma_neg) * np.log1p(-pm)
                out += np.where(pos, lpos, lneg)
            return out
        if self.binary:
            zt = np.where(y == 1, raw, -raw)
            if self.loss == "ldam":
                m = self.margins if self.margins is not None else np.zeros(2)
                zt = self.scale * (zt - m[y])
                return -log_expit(zt)
            gamma = self.gamma if self.loss == "focal" else 0.0
            return -self._alpha_t(y) * expit(-zt) ** gamma * log_expit(zt)
        rows = np.arange(len(y))
        if self.loss == "ldam":
            m = self.margins if self.margins is not None else np.zeros(self.n_classes)
            shifted = raw.astype(float).copy()
            shifted[rows, y] -= m[y]
            return -log_softmax(self.scale * shifted, axis=1)[rows, y]
        lq = log_softmax(raw, axis=1)[rows, y]
        gamma = self.gamma if self.loss == "focal" else 0.0
        return -((-np.expm1(lq)) ** gamma) * lq

    def grad_hess(self, y: np.ndarray, raw: np.ndarray, exact: bool = False) -> GradHess:
        """Gradient and (diagonal) Hessian per raw score; ``exact`` skips the curvature floor."""
        y = np.asarray(y, dtype=np.int64)
        raw = np.asarray(raw, dtype=float)
        if self.loss == "asl":
            if self.binary:
                return self._asl_column(y == 1, raw, exact)
            # one-vs-rest: every (row, class) pair is one binary term
            return self._asl_column(y[:, None] == np.arange(self.n_classes), raw, exact)
        return self._binary(y, raw, exact) if self.binary else self._multi(y, raw, exact)

    def _asl_column(self, pos: np.ndarray, z: np.ndarray, exact: bool) -> GradHess:
        g, h = np.empty_like(z), np.empty_like(z)
        g[pos], h[pos] = _focal_t(z[pos], self.gamma_pos, exact)
        g[~pos], h[~pos] = _asl_neg(z[~pos], self.gamma_neg, self.clip, exact)
        return g, h

    def _binary(self, y: np.ndarray, z: np.ndarray, exact: bool) -> GradHess:
        sign = np.where(y == 1, 1.0, -1.0)
        if self.loss == "ldam":
            m = self.margins if self.margins is not None else np.zeros(2)
            p = expit(self.scale * (z - sign * m[y]))
            return self.scale * (p - y), self.scale**2 * p * (1 - p)
        gamma = self.gamma if self.loss == "focal" else 0.0
        g, h = _focal_t(sign * z, gamma, exact)
        a = self._alpha_t(y)
        return a * sign * g, a * h

    def _multi(self, y: np.ndarray, z: np.ndarray, exact: bool) -> GradHess:
        onehot = (y[:, None] == np.arange(self.n_classes)).astype(float)
        if self.loss == "ldam":
            m = self.margins if self.margins is not None else np.zeros(self.n_classes)
            p = _softmax(self.scale * (z - onehot * m))[0]
            return self.scale * (p - onehot), self.scale**2 * p * (1 - p)
        p, logp = _softmax(z)
        if self.loss == "logloss":
            return p - onehot, p * (1 - p)
        gm, rows = self.gamma, np.arange(len(y))
        lq = logp[rows, y]
        q = p[rows, y]
        u = np.maximum((p * (1 - onehot)).sum(axis=1), 0.0)  # 1 - q, accurate when q is near 1
        us = np.maximum(u, _TINY)
        lq_u = np.where(u > 0, lq / us, -1.0)  # log q / u -> -1 as q -> 1
        ug = _pow(u, gm)
        a = ug * (gm * q * lq_u - 1)  # A(q) = q dL/dq: g_k = A (e_yk - p_k)
        x_u = -(gm - 1) * q * lq_u + lq + 2  # A'(q) = gamma u^(gamma - 2) x
        d = onehot - p
        g = a[:, None] * d
        h = (gm * ug * x_u * q)[:, None] * d * d / us[:, None] - a[:, None] * p * (1 - p)
        return g, h if exact else _curvature(h, ug[:, None] * p * (1 - p), ug[:, None])

    def init_raw(self, prior: np.ndarray) -> np.ndarray:
        """Raw score(s) whose probabilities are ``prior`` (length 1 binary, K multiclass)."""
        pr = np.clip(np.asarray(prior, dtype=float), 1e-12, 1 - 1e-12)
        if self.binary:
            out = np.log(pr[1:] / pr[0])
        elif self.loss == "asl":
            out = np.log(pr / (1 - pr))
        else:
            out = np.log(pr)
        return out / self.scale if self.loss == "ldam" else out

    def proba(self, raw: np.ndarray) -> np.ndarray:
        """Class-probability matrix (n, K) from raw scores (including the init score)."""
        s = self.scale if self.loss == "ldam" else 1.0
        if self.binary:
            p1 = expit(s * np.ravel(raw))
            return np.column_stack([1 - p1, p1])
        if self.loss == "asl":
            sig = expit(raw)
            return sig / sig.sum(axis=1, keepdims=True)
        return softmax(s * raw, axis=1)


class _LossBoosting(ClassifierMixin, BaseEstimator):
    """Shared fit/predict: label encoding, prior init score, objective closure, probabilities."""

    _loss_constraints: ClassVar[dict[str, list[Any]]] = {
        "loss": [StrOptions(set(LOSSES))],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="both"), None],
        "gamma_pos": [Interval(Real, 0, None, closed="left")],
        "gamma_neg": [Interval(Real, 0, None, closed="left")],
        "clip": [Interval(Real, 0, 1, closed="left")],
        "max_margin": [Interval(Real, 0, None, closed="left")],
        "scale": [Interval(Real, 0, None, closed="neither")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "reg_alpha": [Interval(Real, 0, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }
    loss: str
    alpha: float | None
    max_margin: float

    def _booster_params(self) -> dict[str, Any]:
        """The parameters passed on to the library's classifier (all but the loss's)."""
        return {k: v for k, v in self.get_params().items() if k not in LOSS_PARAMS}

    def _validate_params(self) -> None:
        # scikit-learn's StrOptions lists a set (order varies between runs): name the losses sorted
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(
                f"The 'loss' parameter of {type(self).__name__} must be one of "
                f"{', '.join(LOSSES)}. Got {self.loss!r} instead."
            )
        super()._validate_params()

    def _booster_fit(self, X: np.ndarray, y: np.ndarray, fobj: Any, init: np.ndarray) -> Any:
        raise NotImplementedError

    def _booster_raw(self, X: np.ndarray, init: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _LossBoosting:
        """Fit the booster on the loss; ``sample_weight`` multiplies gradients and Hessians."""
        self._validate_params()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        k = len(self.classes_)
        if k < 2:
            raise ValueError("the training labels have one class; at least two are needed")
        if self.alpha is not None and k > 2:
            raise ValueError(
                f"alpha applies to binary data only (positive weight alpha, negative 1 - alpha); "
                f"this data has {k} classes: leave alpha unset and use a class-weight strategy"
            )
        w = _check_sample_weight(sample_weight, X)
        counts = np.bincount(y_enc, minlength=k)
        self.margins_ = ldam_margins(counts, self.max_margin) if self.loss == "ldam" else None
        given = {p: getattr(self, p) for p in LOSS_PARAMS if p not in ("loss", "max_margin")}
        self.objective_ = Objective(self.loss, k, margins=self.margins_, **given)
        prior = np.bincount(y_enc, weights=w, minlength=k) / w.sum()
        self.init_score_ = self.objective_.init_raw(prior)
        obj, wcol = self.objective_, (w if k == 2 else w[:, None])

        def fobj(y_true: np.ndarray, y_pred: np.ndarray) -> GradHess:
            raw = np.asarray(y_pred, dtype=float)
            shape = raw.shape
            raw = raw.reshape(len(y_true), -1)
            g, h = grad_hess_blocked(obj, y_enc, raw[:, 0] if k == 2 else raw)
            return (g * wcol).reshape(shape), (h * wcol).reshape(shape)

        init = np.tile(self.init_score_, (X.shape[0], 1))
        self.booster_ = self._booster_fit(X, y_enc, fobj, init[:, 0] if k == 2 else init)
        return self

    def raw_score(self, X: Any) -> np.ndarray:
        """Raw scores including the init score: (n,) binary, (n, K) multiclass."""
        check_is_fitted(self, "booster_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        init = np.tile(self.init_score_, (X.shape[0], 1))
        init = init[:, 0] if len(self.classes_) == 2 else init
        raw = np.asarray(self._booster_raw(X, init), dtype=float)
        return raw.reshape(init.shape)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: sigmoid (binary) / softmax (multiclass) of the raw scores."""
        return self.objective_.proba(self.raw_score(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])


class LGBMLossClassifier(_LossBoosting):
    """LightGBM (lightgbm.LGBMClassifier) trained on focal, asl, ldam or logloss."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_LossBoosting._loss_constraints,
        "num_leaves": [Interval(Integral, 2, None, closed="left")],
        "max_depth": [Integral],
        "min_child_samples": [Interval(Integral, 0, None, closed="left")],
        "min_child_weight": [Interval(Real, 0, None, closed="left")],
        "subsample_freq": [Interval(Integral, 0, None, closed="left")],
        "min_split_gain": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        loss: str = "focal",
        gamma: float = 2.0,
        alpha: float | None = None,
        gamma_pos: float = 0.0,
        gamma_neg: float = 4.0,
        clip: float = 0.05,
        max_margin: float = 0.5,
        scale: float = 1.0,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_child_weight: float = 1e-3,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        min_split_gain: float = 0.0,
        random_state: Any = None,
        n_jobs: int | None = None,
    ) -> None:
        _store(self, locals())

    def _booster_fit(self, X: np.ndarray, y: np.ndarray, fobj: Any, init: np.ndarray) -> Any:
        from lightgbm import LGBMClassifier

        model = LGBMClassifier(objective=fobj, verbose=-1, **self._booster_params())
        return model.fit(X, y, init_score=init)

    def _booster_raw(self, X: np.ndarray, init: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster_.predict(X, raw_score=True)) + init


class XGBLossClassifier(_LossBoosting):
    """XGBoost (xgboost.XGBClassifier) trained on focal, asl, ldam or logloss."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_LossBoosting._loss_constraints,
        "max_depth": [Interval(Integral, 0, None, closed="left")],
        "min_child_weight": [Interval(Real, 0, None, closed="left")],
        "min_split_loss": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        loss: str = "focal",
        gamma: float = 2.0,
        alpha: float | None = None,
        gamma_pos: float = 0.0,
        gamma_neg: float = 4.0,
        clip: float = 0.05,
        max_margin: float = 0.5,
        scale: float = 1.0,
        n_estimators: int = 100,
        learning_rate: float = 0.3,
        max_depth: int = 6,
        min_child_weight: float = 1.0,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 1.0,
        min_split_loss: float = 0.0,
        random_state: Any = None,
        n_jobs: int | None = None,
    ) -> None:
        _store(self, locals())

    def _booster_fit(self, X: np.ndarray, y: np.ndarray, fobj: Any, init: np.ndarray) -> Any:
        from xgboost import XGBClassifier

        kwargs = self._booster_params()
        seed = kwargs.pop("random_state")
        if not isinstance(seed, Integral):  # XGBoost takes an integer seed only
            seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
        model = XGBClassifier(objective=fobj, verbosity=0, random_state=int(seed), **kwargs)
        return model.fit(X, y, base_margin=init)

    def _booster_raw(self, X: np.ndarray, init: np.ndarray) -> np.ndarray:
        # base_margin replaces XGBoost's base_score, as in fit
        return np.asarray(self.booster_.predict(X, output_margin=True, base_margin=init))
