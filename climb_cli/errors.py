"""Errors bench knows how to explain: the CLI prints their message and exits 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BenchError(Exception):
    """A problem with the user's input or environment, explained in one message."""


class ConfigError(BenchError):
    """The experiment configuration is invalid."""


class DatasetError(BenchError):
    """A dataset cannot be found, loaded or used."""


class ResultsError(BenchError):
    """A results directory is missing, incomplete or unreadable."""


class UnknownComponentError(ConfigError):
    """A name that is not registered for its kind."""

    def __init__(self, kind: str, name: str, available: Iterable[str], where: str = "") -> None:
        self.kind, self.name = kind, name
        self.available = sorted(available)
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}unknown {kind} '{name}'. Available {kind}s are: {', '.join(self.available)}."
        )


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ' Did you mean ...?' for close matches, or ''."""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
