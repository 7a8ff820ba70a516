"""Explicit name -> component registries, one per kind, with tags and documented parameters.

Nothing here is imported from a string taken from YAML: every name a config may use is
registered in ``climb_cli.components`` (see ``bench components``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from climb_cli.errors import ConfigError, UnknownComponentError

KINDS = ("resampler", "class_weight", "threshold", "classifier", "metric")

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
        return self.build_fn(dict(params), **context)


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
