"""Errors bench knows how to explain: the CLI prints their message and exits 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BenchError",
    "ConfigError",
    "DatasetError",
    "ResultsError",
    "UnknownComponentError",
    "did_you_mean",
    "format_validation_error",
    "printable",
]


def printable(text: str) -> str:
    """``text`` with unprintable characters (newlines, controls) escaped, so it stays one line."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


class BenchError(Exception):
    """A problem with the user's input or environment, explained in one message."""

    def __init__(self, *args: object) -> None:
        # messages quote names and keys from configs and data files: a control character in them
        # must not break the one-line message (or a terminal)
        super().__init__(*(printable(a) if isinstance(a, str) else a for a in args))


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


def _valid_keys(model: Any, loc: list[str]) -> list[str]:
    """The keys allowed at ``loc`` in a (nested) pydantic model."""
    parent: Any = model
    for part in loc:
        field = getattr(parent, "model_fields", {}).get(part)
        parent = field.annotation if field is not None else None
    return sorted(getattr(parent, "model_fields", {}))


def _describe(err: dict[str, Any], model: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    if err["type"] == "extra_forbidden":
        valid = _valid_keys(model, loc[:-1])
        return (
            f"unknown key '{where}'. Valid keys{' here' if len(loc) > 1 else ''} are: "
            f"{', '.join(valid)}."
        )
    if err["type"] == "missing":
        return f"missing required key '{where}'."
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:  # a whole-model check: its message is a full sentence already
        return msg
    shown = repr(err.get("input"))
    if len(shown) > 80:  # a whole mapping pasted into the message helps nobody
        shown = shown[:77] + "..."
    return f"{where}: {msg} (got {shown})."


def format_validation_error(exc: Any, model: Any) -> str:
    """One message for a pydantic ValidationError: each bad top-level field once, first error first."""
    # a union field reports one error per member; the first tells the user most
    seen: set[tuple[Any, ...]] = set()
    msgs = []
    for err in exc.errors():
        key = tuple(err["loc"][:1])
        if key in seen:
            continue
        seen.add(key)
        msgs.append(_describe(err, model))
    return " ".join(msgs)
