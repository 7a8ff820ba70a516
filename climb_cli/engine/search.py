"""Stage 3a, search: one hyperparameter search per (method, outer fold), inside the training fold.

Candidates come from the method's joint space (``space.Space``): every grid point in scikit-learn's
``ParameterGrid`` order, ``n_trials`` random draws, or Optuna's TPE sampler. A candidate is scored on
the inner splits of the outer training fold; the inner parts are preprocessed once per group, resampled
once per distinct resampler configuration (``InnerData``), and a fit whose only tuned difference is
``n_estimators`` serves every candidate value at once (``staged``). The score is the tuning objective,
averaged over inner folds: a metric at the default decision rule, or, for a method whose threshold is
searched (``tuned``/``holdout``), the best mean objective over thresholds -- one inner fit serves every
threshold candidate. Ties keep the first candidate (as GridSearchCV does). A candidate that raises
scores as the worst and is recorded; a search whose candidates all raise fails its job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climb_cli.components import available, get
from climb_cli.config import Choice, canonical
from climb_cli.engine.fit import ModelSpec, positive_scores, predict_scores
from climb_cli.engine.prepare import InnerData
from climb_cli.engine.rows import SkipJob
from climb_cli.tuning.settings import SearchPlan
from climb_cli.tuning.space import Space, is_tuned
from climb_cli.tuning.staged import STAGED, staged_probas

__all__ = ["SearchFailed", "SearchResult", "TunedMethod", "run_search"]

WORST = -1e300  # a failed candidate's score (finite: Optuna rejects infinities)


class SearchFailed(Exception):
    """Every candidate of a search raised."""


@dataclass
class SearchResult:
    """The chosen candidate and everything a row and the trials table record."""

    params: dict[str, Any]
    score: float
    n_trials: int
    seconds: float
    trials: list[dict[str, Any]]
    inner_scores: list[tuple[np.ndarray, np.ndarray]] | None = None  # chosen candidate, binary
    inner_raw: bool = False
    inner_model: Any = None  # the chosen candidate's (fitted model, fit seconds), one-split key


@dataclass
class TunedMethod:
    """What one search varies: the method's components with their fixed parameters."""

    resampler: Choice
    class_weight: Choice
    classifier: Choice
    class_names: tuple[str, ...]
    clf_seed: int

    def with_candidate(self, candidate: dict[str, Any]) -> tuple[Choice, Choice, Choice]:
        """(resampler, class weight, classifier) choices with the candidate's values set."""

        def merge(choice: Choice, prefix: str) -> Choice:
            params = {k: v for k, v in choice.params if not is_tuned(v)}
            params.update(Space.section_params(candidate, prefix))
            return Choice(choice.name, tuple(sorted(params.items())))

        return (
            merge(self.resampler, "resampler"),
            merge(self.class_weight, "class_weight"),
            merge(self.classifier, "classifier"),
        )


@dataclass
class _Evaluator:
    """Scores candidates on the inner splits, sharing resamplings and staged fits."""

    method: TunedMethod
    space: Space
    inner: InnerData
    plan: SearchPlan
    n_classes: int
    threshold: Choice
    _staged: dict[tuple[Any, ...], dict[int, np.ndarray]] = field(default_factory=dict)
    _priors: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)
    fits: int = 0
    # the last candidate's (FittedModel, fit seconds) when the inner key has one split
    last_model: Any = None

    def __post_init__(self) -> None:
        from climb_cli.components.thresholds import HOLDOUT_DEFAULTS, TUNED_DEFAULTS

        values = self.space.values_of("classifier__n_estimators")
        self.staged_values = (
            sorted(int(v) for v in values)
            if values and self.method.classifier.name in STAGED
            else None
        )
        self.strategy = get("threshold", self.threshold.name).build(self.threshold.params_dict)
        # a searched threshold (tuned / holdout) on binary data: each candidate is scored at the
        # threshold its own strategy would choose, with the strategy's own objective and grid
        self.threshold_params: dict[str, Any] | None = None
        if self.strategy.inner is not None and self.n_classes == 2:
            defaults = HOLDOUT_DEFAULTS if self.threshold.name == "holdout" else TUNED_DEFAULTS
            self.threshold_params = {**defaults, **self.threshold.params_dict}
        metrics = available("metric")
        self.metric = self.plan.objective if self.plan.objective in metrics else None
        self.sign = (
            1.0 if self.metric is None or metrics[self.metric].has("greater_is_better") else -1.0
        )

    def _probas(self, candidate: dict[str, Any]) -> list[tuple[Any, ...]]:
        """[(y_val, probability matrix, raw decision values or None, fit prior), ...] per split."""
        from climb_cli.components.class_weights import effective_prior

        rs, cw, clf = self.method.with_candidate(candidate)
        sets = self.inner.get(self.plan.inner, rs)
        self.last_model = None
        out: list[tuple[Any, ...]] = []
        for i, (Xi, yi, y_before, Xv, yv) in enumerate(sets):
            if self.staged_values is not None:
                n = int(candidate["classifier__n_estimators"])
                fit_clf = Choice(
                    clf.name,
                    tuple(
                        sorted({**clf.params_dict, "n_estimators": self.staged_values[-1]}.items())
                    ),
                )
                key = (i, rs, cw, fit_clf)
                if key not in self._staged:
                    spec = ModelSpec(fit_clf, cw, self.method.class_names, self.method.clf_seed)
                    fitted = spec.fit(Xi, yi, y_before)
                    self.fits += 1
                    self._staged[key] = staged_probas(
                        clf.name, fitted.estimator, Xv, self.staged_values, self.n_classes
                    )
                    self._priors[key] = effective_prior(
                        fitted.y_fit, fitted.weights, self.n_classes
                    )
                out.append((yv, self._staged[key][n], None, self._priors[key]))
                continue
            spec = ModelSpec(clf, cw, self.method.class_names, self.method.clf_seed)
            start = time.perf_counter()
            fitted = spec.fit(Xi, yi, y_before)
            self.fits += 1
            if len(sets) == 1:  # refit: false serves this very model as the final one
                self.last_model = (fitted, time.perf_counter() - start)
            est = fitted.estimator
            raw = (
                positive_scores(est, Xv, 2)[0]
                if self.n_classes == 2 and not hasattr(est, "predict_proba")
                else None
            )
            out.append(
                (
                    yv,
                    predict_scores(est, Xv, self.n_classes),
                    raw,
                    effective_prior(fitted.y_fit, fitted.weights, self.n_classes),
                )
            )
        return out

    def score(self, candidate: dict[str, Any]) -> tuple[float, list[float], Any, bool]:
        """(objective to maximise, per-fold values, binary inner scores, raw?).

        The objective is evaluated at the decision rule the method applies: a searched threshold
        chosen (on these inner scores) by the strategy's own objective, else the strategy's rule
        (0.5 / argmax, or the fitted prior for ``prior``)."""
        from climb_cli.components.metrics import get_metric
        from climb_cli.components.thresholds import confusion_at, objective, tune_threshold

        probas = self._probas(candidate)
        raw = any(r is not None for _, _, r, _ in probas)
        binary = (
            [(y, r if r is not None else p[:, 1]) for y, p, r, _ in probas]
            if self.n_classes == 2
            else None
        )
        folds: list[float] = []
        if self.threshold_params is not None:
            tp = self.threshold_params
            t, _ = tune_threshold(binary or [], objective(tp["objective"], tp), tp["thresholds"])
            for y, s in binary or []:
                if self.metric is None:
                    fn = objective(self.plan.objective, tp)
                    folds.append(float(fn(*confusion_at(y, s, np.array([t])))[0]))
                else:
                    pred = (s >= t).astype(np.int64)
                    folds.append(float(get_metric(self.metric)(y, pred, s, 2)))
        else:
            assert self.metric is not None  # validation refuses threshold objectives here
            metric = get_metric(self.metric)
            for y, p, _, prior in probas:
                pred = self.strategy.decide(None, prior, self.n_classes).apply(p)
                scores = p[:, 1] if self.n_classes == 2 else p
                folds.append(float(metric(y, pred, scores, self.n_classes)))
        return self.sign * float(np.mean(folds)), folds, binary, raw


def run_search(
    method: TunedMethod,
    space: Space,
    inner: InnerData,
    plan: SearchPlan,
    n_classes: int,
    threshold: Choice,
    seed: int,
) -> SearchResult:
    """Search ``space`` for ``method``; the chosen candidate (SearchFailed if all fail)."""
    ev = _Evaluator(method, space, inner, plan, n_classes, threshold)
    start = time.perf_counter()
    trials: list[dict[str, Any]] = []
    best: tuple[float, int] | None = None
    kept: dict[int, tuple[dict[str, Any], Any, bool, Any]] = {}

    def evaluate(candidate: dict[str, Any]) -> float:
        nonlocal best
        index = len(trials)
        try:
            value, folds, binary, raw = ev.score(candidate)
            status = "ok"
            if not np.isfinite(value):  # ranked last, as GridSearchCV ranks NaN
                status, value = "error: the objective is undefined (NaN) on an inner fold", WORST
        except SkipJob:
            raise  # the method cannot apply to this data: 'skipped', as untuned jobs are
        except Exception as exc:  # noqa: BLE001 - a failing candidate is data, not a crash
            from climb_cli.engine.rows import short_error

            value, folds, binary, raw, status = WORST, [], None, False, f"error: {short_error(exc)}"
        trials.append(
            {
                "trial": index,
                "params": canonical(candidate),
                "score": value * ev_sign() if status == "ok" else float("nan"),
                "fold_scores": canonical(folds),
                "status": status,
            }
        )
        if status == "ok" and (best is None or value > best[0]):
            best = (value, index)
            kept.clear()
            kept[index] = (candidate, binary, raw, ev.last_model)
        return value

    def ev_sign() -> float:
        return getattr(ev, "sign", 1.0)

    if plan.search == "grid":
        for candidate in space.grid():
            evaluate(dict(candidate))
    elif plan.search == "random":
        rng = np.random.default_rng(seed)
        for _ in range(plan.n_trials):
            evaluate({k: d.sample(rng) for k, d in space.dims})
    else:
        _tpe(space, plan.n_trials, seed, evaluate)
    if best is None:
        first = trials[0]["status"] if trials else "no candidate"
        raise SearchFailed(f"all {len(trials)} tuning trials failed; the first: {first}")
    candidate, binary, raw, model = kept[best[1]]
    return SearchResult(
        candidate,
        best[0] * ev_sign(),
        len(trials),
        time.perf_counter() - start,
        trials,
        binary,
        raw,
        model,
    )


def _tpe(space: Space, n_trials: int, seed: int, evaluate: Any) -> None:
    """Optuna's TPE sampler, seeded; quiet."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))

    def objective(trial: Any) -> float:
        return evaluate({k: d.suggest(trial, k) for k, d in space.dims})

    study.optimize(objective, n_trials=n_trials)
