"""Search spaces: ``{tune: [choices]}`` or ``{tune: {low, high, log, int}}`` in place of a value.

A tuned parameter does not multiply methods (its label says ``k_neighbors=tuned``). The space of one
method is the joint space of every tuned parameter of its resampler, class weight and classifier,
keyed ``<section>__<param>`` (``classifier__num_leaves``, ``resampler__k_neighbors``) so that a grid
enumerates candidates in scikit-learn's ``ParameterGrid`` order, as ``GridSearchCV`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SECTIONS",
    "Dimension",
    "Space",
    "is_tuned",
    "method_space",
    "parse_dimension",
    "split_params",
]

# config section of the grid -> key prefix in a method's space
SECTIONS = {"resamplers": "resampler", "class_weights": "class_weight", "classifiers": "classifier"}


def is_tuned(value: Any) -> bool:
    """Whether a parameter value is tuned (a ``Tune`` or a raw ``{tune: ...}`` mapping)."""
    from climb_cli.config import Tune, is_tune_mapping

    return isinstance(value, Tune) or is_tune_mapping(value)


@dataclass(frozen=True)
class Dimension:
    """One tuned parameter: a list of choices, or a numeric range (``log``, ``integer``)."""

    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def is_range(self) -> bool:
        """A numeric range rather than a list of choices."""
        return self.choices is None

    def edge_values(self) -> list[Any]:
        """Values to validate against the component: every choice, or both ends of the range."""
        if self.choices is not None:
            return list(self.choices)
        assert self.low is not None and self.high is not None
        return [int(self.low), int(self.high)] if self.integer else [self.low, self.high]

    def sample(self, rng: Any) -> Any:
        """One random value (uniform over choices; uniform or log-uniform over the range)."""
        if self.choices is not None:
            return self.choices[int(rng.integers(len(self.choices)))]
        assert self.low is not None and self.high is not None
        if self.integer and not self.log:  # every integer equally likely, the ends included
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return int(round(value)) if self.integer else float(value)  # noqa: RUF046 - numpy floats

    def suggest(self, trial: Any, name: str) -> Any:
        """The value Optuna's ``trial`` suggests for this dimension."""
        if self.choices is not None:
            index = trial.suggest_categorical(name, list(range(len(self.choices))))
            return self.choices[index]
        if self.integer:
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)  # type: ignore[arg-type]
        return trial.suggest_float(name, self.low, self.high, log=self.log)


def parse_dimension(value: Any, where: str) -> Dimension:
    """A Dimension from ``{tune: ...}``; ValueError naming ``where`` and what is valid."""
    from climb_cli.config import Tune

    spec = (value.value if isinstance(value, Tune) else value)["tune"]
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"{where}: 'tune' needs at least one choice; got an empty list.")
        return Dimension(choices=tuple(spec))
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"low", "high", "log", "int"})
        if unknown:
            raise ValueError(
                f"{where}: unknown key '{unknown[0]}' in 'tune'. Valid keys are: "
                "high, int, log, low."
            )
        if "low" not in spec or "high" not in spec:
            raise ValueError(
                f"{where}: a 'tune' range needs 'low' and 'high', e.g. "
                "{tune: {low: 0.01, high: 0.3, log: true}}."
            )
        low, high = spec["low"], spec["high"]
        for key, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, int | float):
                # ValueError: the caller turns it into a ConfigError
                raise ValueError(f"{where}: 'tune.{key}' must be a number; got {v!r}.")  # noqa: TRY004
        log, integer = spec.get("log", False), spec.get("int", False)
        for key, v in (("log", log), ("int", integer)):
            if not isinstance(v, bool):
                raise ValueError(  # noqa: TRY004
                    f"{where}: 'tune.{key}' must be true or false; got {v!r}."
                )
        if low > high:
            raise ValueError(f"{where}: 'tune.low' ({low}) is greater than 'tune.high' ({high}).")
        if log and low <= 0:
            raise ValueError(f"{where}: 'tune.log' needs low > 0; got low={low}.")
        if integer and (low != int(low) or high != int(high)):
            raise ValueError(f"{where}: 'tune.int' needs whole-number bounds; got {low}..{high}.")
        return Dimension(low=float(low), high=float(high), log=log, integer=integer)
    raise ValueError(
        f"{where}: 'tune' takes a list of choices or a range {{low, high, log, int}}; got {spec!r}."
    )


def split_params(
    params: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], dict[str, Dimension]]:
    """(fixed parameters, tuned dimensions) of one component's parameters."""
    fixed, tuned = {}, {}
    for key, value in params.items():
        if is_tuned(value):
            tuned[key] = parse_dimension(value, f"{where}.{key}")
        else:
            fixed[key] = value
    return fixed, tuned


@dataclass(frozen=True)
class Space:
    """The joint space of one method: ``<section>__<param>`` -> Dimension, in sorted key order."""

    dims: tuple[tuple[str, Dimension], ...]

    @classmethod
    def of(cls, parts: Mapping[str, Mapping[str, Dimension]]) -> Space:
        """From {section prefix: {param: Dimension}}."""
        flat = {f"{prefix}__{p}": d for prefix, dims in parts.items() for p, d in dims.items()}
        return cls(tuple(sorted(flat.items())))

    def __bool__(self) -> bool:
        return bool(self.dims)

    @property
    def is_finite(self) -> bool:
        """Every dimension is a list of choices (a grid can enumerate it)."""
        return all(not d.is_range for _, d in self.dims)

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every candidate, in scikit-learn ParameterGrid order (sorted keys, last fastest)."""
        from sklearn.model_selection import ParameterGrid

        yield from ParameterGrid({k: list(d.choices or ()) for k, d in self.dims})

    def grid_size(self) -> int:
        """Number of grid candidates."""
        n = 1
        for _, d in self.dims:
            n *= len(d.choices or ())
        return n

    def values_of(self, key: str) -> list[Any] | None:
        """The candidate values of ``key`` when it is a choice dimension of this space."""
        for k, d in self.dims:
            if k == key:
                return list(d.choices) if d.choices is not None else None
        return None

    @staticmethod
    def section_params(candidate: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        """The parameters of one section (``resampler``, ...) in a candidate."""
        head = prefix + "__"
        return {k[len(head) :]: v for k, v in candidate.items() if k.startswith(head)}


def method_space(resampler: Any, class_weight: Any, classifier: Any) -> Space:
    """The joint space of a method's tuned resampler, class-weight and classifier parameters
    (each argument a ``config.Choice``)."""
    return Space.of(
        {
            prefix: split_params(choice.params_dict, prefix)[1]
            for prefix, choice in (
                ("resampler", resampler),
                ("class_weight", class_weight),
                ("classifier", classifier),
            )
        }
    )
