"""Every built-in component, and the lookup: ``get(kind, name)`` and ``available(kind)``.

The lookup lives here, above the component modules, so that nothing imports a package above it:
``registry`` (the ``Component`` type and the storage) knows nothing of this package; the component
modules register into it; importing this package registers them all before any lookup.
"""

from __future__ import annotations

from climb_cli import registry
from climb_cli.components import (  # noqa: F401 - importing registers the built-ins
    class_weights,
    classifiers,
    metrics,
    resamplers,
    thresholds,
)
from climb_cli.errors import UnknownComponentError
from climb_cli.registry import KINDS, Component

__all__ = ["KINDS", "Component", "available", "get"]


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
