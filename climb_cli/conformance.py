"""Conformance checks of a component, run when a plugin registers it and by
``bench components --check NAME``: what scikit-learn's estimator checks would ask, on a tiny dataset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from climb_cli.registry import Component, PluginError, validate_constraints

__all__ = ["run_checks"]


def _tiny() -> tuple[Any, Any]:
    """60 rows, 4 features, 45/15 classes: enough for any sampler and classifier to run."""
    from sklearn.datasets import make_classification

    return make_classification(
        60, n_features=4, n_informative=2, n_redundant=0, weights=[0.75], random_state=0
    )


def _estimator_checks(comp: Component) -> list[tuple[str, Callable[[], Any]]]:
    """(description, check) pairs run in order; a check raises to refuse."""
    import numpy as np
    from sklearn.base import clone

    X, y = _tiny()
    box: dict[str, Any] = {}

    def built() -> str:
        box["est"] = comp.build({}, random_state=0)
        return type(box["est"]).__name__

    def round_trip() -> None:
        params = box["est"].get_params(deep=False)
        again = clone(box["est"]).set_params(**params).get_params(deep=False)
        if repr(sorted(again.items())) != repr(sorted(params.items())):
            raise ValueError(f"set_params(**get_params()) gave {again}, not {params}")

    def fitted() -> str:
        est = clone(box["est"])
        if comp.kind == "resampler":
            Xr, yr = est.fit_resample(X, y)
            if np.ndim(Xr) != 2 or np.shape(Xr)[1] != X.shape[1] or len(Xr) != len(yr):
                raise ValueError(
                    f"fit_resample returned X of shape {np.shape(Xr)} and y of length "
                    f"{len(yr)}; expected (n, {X.shape[1]}) and n"
                )
            return f"fit_resample: {len(yr)} rows from {len(y)}, X and y match"
        est.fit(X, y)
        if list(getattr(est, "classes_", [])) != [0, 1]:
            raise ValueError("after fit, classes_ must list the classes seen ([0, 1])")
        how = "predict_proba" if hasattr(est, "predict_proba") else "decision_function"
        out = np.asarray(getattr(est, how)(X))
        want = (len(X), 2) if how == "predict_proba" else (len(X),)
        if out.shape != want or not np.all(np.isfinite(out)):
            raise ValueError(f"{how} gave shape {out.shape}; expected {want}, finite")
        return f"fit, then {how} of shape {want}"

    checks: list[tuple[str, Callable[[], Any]]] = [("builds with its default parameters", built)]
    checks += [
        ("cloneable (sklearn.base.clone)", lambda: clone(box["est"])),
        ("get_params/set_params round-trip", round_trip),
    ]
    checks += [
        ("default parameters pass _parameter_constraints", lambda: validate_constraints(box["est"]))
    ]
    return [*checks, ("on a tiny dataset (60 rows, 45/15)", fitted)]


def _other_checks(comp: Component, load_data: bool) -> list[tuple[str, Callable[[], Any]]]:
    import numpy as np

    X, y = _tiny()
    if comp.kind == "metric":

        def value() -> str:
            pred = (X[:, 0] > 0).astype(int)
            v = comp.build({}).fn(y, pred, 1 / (1 + np.exp(-X[:, 0])), 2)
            if isinstance(v, bool) or not isinstance(v, float | int | np.floating | np.integer):
                raise TypeError(f"returned {type(v).__name__} {v!r}, not a float")
            return f"value {float(v):.4g}"

        return [("returns a float on a tiny binary fold", value)]
    if comp.kind == "class_weight":

        def weights() -> str:
            w = comp.build({})(y, y, ["negative", "positive"])
            ok = w is None or (
                isinstance(w, dict)
                and all(int(k) in (0, 1) and float(v) >= 0 for k, v in w.items())
            )
            if not ok:
                raise TypeError(f"returned {w!r}; expected None or {{class index: weight >= 0}}")
            return f"weights {w}"

        return [("returns class weights on tiny labels", weights)]
    if comp.kind == "threshold":

        def strategy() -> str:
            from climb_cli.components.thresholds import Decision, ThresholdStrategy

            s = comp.build({})
            if not isinstance(s, ThresholdStrategy):
                raise TypeError(f"returned {type(s).__name__}, not a ThresholdStrategy")
            if s.inner is None and not isinstance(
                s.decide(None, np.array([0.75, 0.25]), 2), Decision
            ):
                raise TypeError("decide(None, prior, 2) must return a Decision")
            return f"ThresholdStrategy(binary_only={s.binary_only}, inner={s.inner})"

        return [("returns a ThresholdStrategy with its default parameters", strategy)]
    if comp.kind == "dataset_source" and load_data:

        def loaded() -> str:
            Xd, yd = comp.build({})
            if np.ndim(Xd) != 2 or len(Xd) != len(yd) or len(set(np.asarray(yd).tolist())) < 2:
                raise ValueError("expected (X 2-D, y) of equal length with at least 2 classes")
            return f"{len(yd)} rows, {np.shape(Xd)[1]} features"

        return [("loads (X, y) with its default parameters", loaded)]
    return []


def run_checks(comp: Component, load_data: bool = False) -> list[str]:
    """bench's conformance checks of one component on a tiny dataset: what passed, in order, or
    PluginError naming the first check that failed and why."""
    if comp.kind in ("classifier", "resampler"):
        if comp.build({}, random_state=0) is None:
            return ["no sampler (the training fold is used as it is)"]
        checks = _estimator_checks(comp)
    else:
        checks = _other_checks(comp, load_data)
    passed = []
    for what, fn in checks:
        try:
            detail = fn()
        except Exception as exc:  # noqa: BLE001 - the user's code: one message
            raise PluginError(
                f"{comp.kind} '{comp.name}' failed the check '{what}': {type(exc).__name__}: {exc}"
            ) from None
        passed.append(f"{what}: {detail}" if isinstance(detail, str) else what)
    return passed
