"""bench: a command-line benchmark runner for class-imbalance methods on tabular data.

From Python: ``climb_cli.run(config, ...)`` -> ``RunResult``; ``climb_cli.report(run_dirs, ...)`` ->
``Report``; plugins register components through ``climb_cli.plugins``. Importing this package stays
light (``bench --help`` answers at once): the API is imported on first use.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from climb_cli.api import (
        Progress,
        Report,
        RunResult,
        TqdmProgress,
        check_component,
        list_components,
        run,
        validate,
    )
    from climb_cli.errors import BenchError, ConfigError, DatasetError, ResultsError
    from climb_cli.plugins import PluginError, load_plugins

__all__ = [
    "BenchError",
    "ConfigError",
    "DatasetError",
    "PluginError",
    "Progress",
    "Report",
    "ResultsError",
    "RunResult",
    "TqdmProgress",
    "__version__",
    "check_component",
    "list_components",
    "load_plugins",
    "report",
    "run",
    "validate",
]

_LAZY = {
    "api": ("Progress", "Report", "RunResult", "TqdmProgress", "check_component", "list_components")
    + ("run", "validate"),
    "errors": ("BenchError", "ConfigError", "DatasetError", "ResultsError"),
    "plugins": ("PluginError", "load_plugins"),
}


def __getattr__(name: str) -> Any:
    for module, names in _LAZY.items():
        if name in names:
            import importlib

            return getattr(importlib.import_module(f"climb_cli.{module}"), name)
    raise AttributeError(f"module 'climb_cli' has no attribute {name!r}")


class _CallableReport(types.ModuleType):
    """``climb_cli.report`` is the report package and, called, the API's ``report``: the
    subpackage's name would otherwise hide the function as soon as it is imported."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``climb_cli.api.report(run_dirs, metrics=..., ...)``."""
        from climb_cli.api import report as _report

        return _report(*args, **kwargs)


def _callable_report_package() -> None:
    from climb_cli import report as package  # light: its __init__ imports nothing

    package.__class__ = _CallableReport


_callable_report_package()
