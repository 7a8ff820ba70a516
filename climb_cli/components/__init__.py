"""Every built-in component, and the lookup: ``get(kind, name)`` and ``available(kind)``.

The lookup lives here, above the component modules, so that nothing imports a package above it:
``registry`` (the ``Component`` type and the storage) knows nothing of this package; the component
modules register into it; importing this package registers them all before any lookup.
"""

from __future__ import annotations

from typing import Any

from climb_cli import registry
from climb_cli.components import (  # noqa: F401 - importing registers the built-ins
    bagging,
    boosting,
    class_weights,
    classifiers,
    detectors,
    metrics,
    named_base,
    perturbations,
    resample_boosting,
    resamplers,
    threshold_rules,
    thresholds,
)
from climb_cli.errors import UnknownComponentError
from climb_cli.registry import KINDS, Component

__all__ = ["KINDS", "Component", "available", "describe", "get"]


def available(kind: str) -> dict[str, Component]:
    """All registered components of ``kind`` by name."""
    return dict(sorted(registry.registered(kind).items()))


def get(kind: str, name: str, where: str = "") -> Component:
    """The component registered as ``name``, or UnknownComponentError listing what exists."""
    found = registry.registered(kind)
    try:
        return found[name]
    except KeyError:
        raise UnknownComponentError(kind, name, found, where) from None


def describe(kind: str | None = None) -> list[dict[str, Any]]:
    """Every registered component (of ``kind``, or all) as a JSON-ready record: kind, name,
    sorted tags, parameters with their defaults, description."""
    import json

    def jsonable(value: Any) -> Any:
        try:
            json.dumps(value)
            return value
        except TypeError:
            return repr(value)

    if kind is not None and kind not in KINDS:
        raise UnknownComponentError("component kind", kind, KINDS)
    return [
        {
            "kind": k,
            "name": name,
            "tags": sorted(comp.tags),
            "parameters": {p: jsonable(v) for p, v in comp.parameters().items()},
            "description": comp.description,
        }
        for k in KINDS
        if kind in (None, k)
        for name, comp in available(k).items()
    ]
