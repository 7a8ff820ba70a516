"""Registers every built-in component. Import order does not matter; names must be unique per kind."""

from climb_cli.components import (  # noqa: F401
    class_weights,
    classifiers,
    metrics,
    resamplers,
    thresholds,
)
