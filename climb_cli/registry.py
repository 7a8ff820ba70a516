"""Explicit name -> component registries, one per kind, with tags and documented parameters.

Nothing here is imported from a string taken from YAML: every name a config may use is
registered in ``climb_cli.components`` (see ``bench components``).
"""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from climb_cli.errors import ConfigError, UnknownComponentError

KINDS = (
    "resampler",
    "class_weight",
    "threshold",
    "classifier",
    "metric",
    "dataset_source",
    "perturbation",  # registered by climb_cli.engine.perturb (the robustness axis)
)

# Parameters bench sets itself; a config may not set them.
RESERVED_PARAMS = {
    "random_state": "derived from the config seed and the job identity",
    "n_jobs": "bench parallelises across jobs; estimators run single-threaded",
    "class_weight": "set through the class_weights axis of the grid",
    "verbose": "bench controls logging",
}


@dataclass(frozen=True)
class Component:
    """One registered component: how to build it, what it accepts, what it needs."""

    kind: str
    name: str
    description: str
    build_fn: Callable[..., Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    check_fn: Callable[[dict[str, Any]], None] | None = None
    accepts_any_params: bool = False
    # "<plugin>==<version>" for a component a plugin registered (None: built-in); part of the
    # identity of every job using it, so two versions of a user's code never share results
    origin: str | None = None

    def has(self, tag: str) -> bool:
        """Whether this component carries ``tag``."""
        return tag in self.tags

    def parameters(self) -> dict[str, Any]:
        """User-settable parameters with their defaults."""
        return dict(self.defaults)

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise ConfigError if ``params`` are not valid for this component (nothing is fitted)."""
        where = f"{self.kind} '{self.name}'"
        for key in params:
            if key in RESERVED_PARAMS and key not in self.defaults:
                raise ConfigError(
                    f"{where}: parameter '{key}' cannot be set in the config "
                    f"({RESERVED_PARAMS[key]})."
                )
            if not self.accepts_any_params and key not in self.defaults:
                valid = ", ".join(sorted(self.defaults)) or "(none)"
                raise ConfigError(
                    f"{where}: unknown parameter '{key}'. Valid parameters are: {valid}."
                )
        if self.check_fn is not None:
            try:
                self.check_fn(dict(params))
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{where}: {exc}") from None

    def build(self, params: Mapping[str, Any], **context: Any) -> Any:
        """Build the component object from user params and bench's context (random_state...)."""
        # a deep copy: estimators may change the mappings they are given (KNeighborsClassifier
        # writes into metric_params), and the config's values must stay as written
        return self.build_fn(copy.deepcopy(dict(params)), **context)


_REGISTRY: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}


def register(component: Component) -> Component:
    """Add ``component`` to its kind's registry (a later registration with the same name wins)."""
    if component.kind not in _REGISTRY:
        raise ValueError(f"unknown component kind {component.kind!r}")
    _REGISTRY[component.kind][component.name] = component
    return component


def unregister(kind: str, name: str) -> None:
    """Remove a component (used by tests that register spies)."""
    _REGISTRY[kind].pop(name, None)


def registered(kind: str) -> dict[str, Component]:
    """The live mapping of ``kind``'s components (look-ups go through ``climb_cli.components``,
    which registers the built-ins first)."""
    if kind not in _REGISTRY:
        raise UnknownComponentError("component kind", kind, _REGISTRY)
    return _REGISTRY[kind]


def import_object(module: str, attr: str) -> Any:
    """Import ``module.attr`` lazily (module and attr are bench's own literals, never YAML)."""
    return getattr(importlib.import_module(module), attr)


def estimator_component(
    kind: str,
    name: str,
    module: str,
    cls_name: str,
    description: str,
    *,
    bench_defaults: Mapping[str, Any] | None = None,
    tags: frozenset[str] = frozenset(),
    hidden: frozenset[str] = frozenset(),
    check_context: Mapping[str, Any] | None = None,
) -> Component:
    """A component wrapping a scikit-learn-compatible estimator class.

    Its parameters are the estimator's own (minus those bench sets and ``hidden`` ones that take
    Python objects), so a wrong name is caught before any fit, and values are checked by the
    estimator's own parameter constraints. Context values (``class_weight``,
    ``categorical_features``...) are passed only to estimators that accept them.
    """
    bench_defaults = dict(bench_defaults or {})
    cache: dict[str, Any] = {}

    def cls() -> Any:
        if "cls" not in cache:
            cache["cls"] = import_object(module, cls_name)
        return cache["cls"]

    def build(params: dict[str, Any], random_state: int | None = None, **context: Any) -> Any:
        klass = cls()
        accepted = inspect.signature(klass).parameters
        kwargs = {**bench_defaults, **params}
        if "random_state" in accepted:
            kwargs["random_state"] = random_state
        if "n_jobs" in accepted and "threaded" in tags:
            kwargs["n_jobs"] = 1
        for key, value in context.items():
            if key in accepted and value is not None:
                kwargs[key] = value
        return klass(**kwargs)

    def check(params: dict[str, Any]) -> None:
        est = build(params, random_state=0, **dict(check_context or {}))
        # scikit-learn and imbalanced-learn estimators declare constraints for every parameter
        if hasattr(est, "_parameter_constraints") and hasattr(est, "_validate_params"):
            est._validate_params()

    class _LazyDefaults(Mapping[str, Any]):
        """Estimator defaults, read only when someone asks (keeps `bench --help` import-free)."""

        def _data(self) -> dict[str, Any]:
            if "defaults" not in cache:
                params = cls()(**dict(check_context or {})).get_params(deep=False)
                params.update(bench_defaults)
                cache["defaults"] = {
                    k: v
                    for k, v in sorted(params.items())
                    if k not in RESERVED_PARAMS and k not in hidden
                }
            return cache["defaults"]

        def __getitem__(self, key: str) -> Any:
            return self._data()[key]

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(self._data())

        def __len__(self) -> int:
            return len(self._data())

    return Component(
        kind=kind,
        name=name,
        description=description,
        build_fn=build,
        defaults=_LazyDefaults(),
        tags=tags,
        check_fn=check,
    )


class PluginError(ConfigError):
    """A plugin cannot be loaded, or a component it registers fails bench's checks."""


_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _accepts(target: Any) -> tuple[dict[str, Any], set[str], bool]:
    """(parameter defaults, accepted names, accepts **kwargs) of a class or function."""
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return {}, set(), True
    named = {
        k: (p.default if p.default is not p.empty else None)
        for k, p in sig.parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    any_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    return named, set(named), any_kw


def validate_constraints(obj: Any) -> None:
    """Check ``obj``'s parameters against its own ``_parameter_constraints`` (scikit-learn's
    rules), when it declares them; InvalidParameterError (a ValueError) otherwise."""
    constraints = getattr(obj, "_parameter_constraints", None)
    if isinstance(constraints, dict) and hasattr(obj, "get_params"):
        from sklearn.utils._param_validation import validate_parameter_constraints

        validate_parameter_constraints(
            constraints, obj.get_params(deep=False), caller_name=type(obj).__name__
        )


def callable_component(
    kind: str,
    name: str,
    target: Any,
    description: str,
    tags: Iterable[str] = (),
    wrap: Callable[[Any], Any] | None = None,
) -> Component:
    """A component built by calling ``target`` (a class or a factory) with the user's parameters
    plus the context it accepts (``random_state``, ``n_jobs=1``, ``class_weight``...)."""
    if not isinstance(name, str) or not name or not set(name) <= _NAME_CHARS:
        raise PluginError(
            f"{kind} name {name!r}: use letters, digits, '_', '.' and '-' (it appears in labels)."
        )
    if not callable(target):
        raise PluginError(
            f"{kind} '{name}': expected a class or a function, got {type(target).__name__}."
        )
    defaults, accepted, any_kw = _accepts(target)
    # n_jobs=None already means one thread in scikit-learn (and is deprecated on some estimators)
    threaded = "n_jobs" in accepted and defaults.get("n_jobs") is not None

    def build(params: dict[str, Any], random_state: int | None = None, **context: Any) -> Any:
        kwargs = dict(params)
        if "random_state" in accepted:
            kwargs["random_state"] = random_state
        if threaded:
            kwargs["n_jobs"] = 1  # bench parallelises across jobs
        kwargs.update({k: v for k, v in context.items() if k in accepted and v is not None})
        obj = target(**kwargs)
        return wrap(obj) if wrap is not None else obj

    def check(params: dict[str, Any]) -> None:
        validate_constraints(build(params, random_state=0))

    auto: set[str] = set()
    if kind in ("classifier", "resampler"):
        auto |= {"threaded"} if threaded else set()
    if kind == "classifier":
        auto |= {"supports_class_weight"} if "class_weight" in accepted else set()
        try:
            from sklearn.utils.validation import has_fit_parameter

            est = build({}, random_state=0)
            auto |= {"supports_sample_weight"} if has_fit_parameter(est, "sample_weight") else set()
            if not hasattr(est, "predict_proba") and hasattr(est, "decision_function"):
                auto.add("decision_function_scores")
        except Exception as exc:  # noqa: BLE001 - the user's constructor: one message
            raise PluginError(
                f"classifier '{name}' failed the check 'builds with its default parameters': "
                f"{type(exc).__name__}: {exc}"
            ) from None
    doc = (inspect.getdoc(target) or "").strip().splitlines()
    return Component(
        kind=kind,
        name=name,
        description=description or (doc[0] if doc else ""),
        build_fn=build,
        defaults={k: v for k, v in sorted(defaults.items()) if k not in RESERVED_PARAMS},
        tags=frozenset(set(tags) | auto),
        check_fn=check,
        accepts_any_params=any_kw,
    )
