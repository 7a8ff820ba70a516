"""The perturbations of CLIMB's robustness study -- the outer training fold made noisier, sparser or
more imbalanced before it is preprocessed and resampled. The test fold is never touched.

Each level of the ``perturbations:`` axis is one of (``none`` = the clean fold):

- ``label_noise {rate}``: of every minority class (each class but the training fold's majority; on
  binary data the positive class, unless ``pos_label`` made it the larger one) that fraction of
  training rows, rounded half up, is relabelled as the majority class (CLIMB's protocol);
- ``missing {rate}``: that fraction of all training feature cells, rounded half up, is set missing
  completely at random (then imputed as ``preprocessing`` says);
- ``extra_imbalance {factor}``: every minority class keeps ``1/factor`` of its training rows,
  rounded half up, so the imbalance ratio is multiplied by the factor; a class with fewer than
  ``factor`` rows cannot keep one row and still reach it: the group's jobs are ``skipped``.

Which rows or cells change is drawn from a seed derived from (dataset, repeat, fold, perturbation),
never from the method: every method sees the same perturbed fold, so comparisons are paired.
The levels are registered as components of kind ``perturbation`` (``bench components``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from climb_cli import registry
from climb_cli.config import Choice, ComponentsField, PreprocessingConfig, expand_axis
from climb_cli.errors import ConfigError

__all__ = ["KIND", "PERTURBATIONS", "CannotApply", "expand", "minority_classes"]


class CannotApply(Exception):
    """A level that cannot apply to this training fold (the engine records ``skipped``)."""


KIND = "perturbation"
Fn = Callable[[pd.DataFrame, np.ndarray, float, np.random.Generator, Sequence[str]], Any]


def _half_up(x: float) -> int:
    """``x`` rounded half up (the 1e-9 absorbs float error: 0.7 * 45 is 31.499999999999996)."""
    return math.floor(x + 0.5 + 1e-9)


def minority_classes(y: np.ndarray) -> tuple[int, list[int]]:
    """(majority class, the other classes present) of training labels; ties: the lowest code."""
    counts = np.bincount(y)
    majority = int(np.argmax(counts))
    return majority, [c for c in range(len(counts)) if counts[c] > 0 and c != majority]


def _name(classes: Sequence[str], c: int) -> str:
    return repr(classes[c]) if c < len(classes) else str(c)


def label_noise(
    X: pd.DataFrame, y: np.ndarray, rate: float, rng: np.random.Generator, classes: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Relabel ``rate`` of each minority class's rows (rounded half up) as the majority class."""
    majority, minorities = minority_classes(y)
    out = y.copy()
    for c in minorities:
        rows = np.flatnonzero(y == c)
        k = _half_up(rate * len(rows))
        if k >= len(rows):
            raise CannotApply(
                f"label_noise[rate={rate}]: flipping {k} of the {len(rows)} training rows of class "
                f"{_name(classes, c)} leaves none of that class to learn from"
            )
        out[rng.choice(rows, size=k, replace=False)] = majority
    return X, out


def missing(
    X: pd.DataFrame, y: np.ndarray, rate: float, rng: np.random.Generator, classes: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Set ``rate`` of all feature cells (rounded half up) missing, completely at random."""
    n_cells = X.shape[0] * X.shape[1]
    mask = np.zeros(n_cells, dtype=bool)
    mask[rng.choice(n_cells, size=_half_up(rate * n_cells), replace=False)] = True
    return X.mask(mask.reshape(X.shape)), y


def extra_imbalance(
    X: pd.DataFrame, y: np.ndarray, factor: float, rng: np.random.Generator, classes: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Keep ``1/factor`` of each minority class's rows (rounded half up): IR times ``factor``."""
    majority, minorities = minority_classes(y)
    keep = np.ones(len(y), dtype=bool)
    for c in minorities:
        rows = np.flatnonzero(y == c)
        if len(rows) < factor:
            ir = np.sum(y == majority) / len(rows)
            raise CannotApply(
                f"extra_imbalance[factor={factor}]: class {_name(classes, c)} has {len(rows)} "
                f"training rows (imbalance ratio {ir:.3g}); multiplying the ratio by {factor} "
                f"needs at least {math.ceil(factor)} of them, so that one row remains"
            )
        n_drop = len(rows) - _half_up(len(rows) / factor)
        keep[rng.choice(rows, size=n_drop, replace=False)] = False
    return X.iloc[np.flatnonzero(keep)], y[keep]


@dataclass(frozen=True)
class Perturbation:
    """One kind of perturbation: its single parameter, the valid range and the function."""

    name: str
    param: str
    valid: str  # the range in words, for messages
    ok: Callable[[float], bool]
    fn: Fn
    description: str


PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        Perturbation(
            "label_noise",
            "rate",
            "a number in (0, 1), the fraction of each minority class relabelled",
            lambda v: 0 < v < 1,
            label_noise,
            "CLIMB's label noise: that fraction of each minority class's training rows "
            "relabelled as the majority class",
        ),
        Perturbation(
            "missing",
            "rate",
            "a number in (0, 1), the fraction of training feature cells set missing",
            lambda v: 0 < v < 1,
            missing,
            "that fraction of the training feature cells set missing completely at random "
            "(imputed as preprocessing says)",
        ),
        Perturbation(
            "extra_imbalance",
            "factor",
            "a number >= 1, what the training fold's imbalance ratio is multiplied by",
            lambda v: v >= 1,
            extra_imbalance,
            "minority training rows dropped at random until the imbalance ratio is multiplied "
            "by factor (skipped when a class cannot keep one row)",
        ),
    )
}


def _check(name: str, params: dict[str, Any]) -> None:
    """ConfigError naming the field when a perturbation's parameters are not valid."""
    where = f"perturbations.{name}"
    if name == "none":
        if params:
            raise ConfigError(f"{where}: takes no parameters (it is the clean training fold).")
        return
    spec = PERTURBATIONS[name]
    example = f"{{{name}: {{{spec.param}: [...]}}}}"
    for key in params:
        if key != spec.param:
            raise ConfigError(
                f"{where}: unknown parameter '{key}'. Valid parameters are: {spec.param}."
            )
    if spec.param not in params or params[spec.param] is None:
        raise ConfigError(f"{where}: needs '{spec.param}', {spec.valid}; write {example}.")
    value = params[spec.param]
    if isinstance(value, dict):
        raise ConfigError(
            f"{where}.{spec.param}: a perturbation level is a setting of the study, not a "
            f"hyperparameter; it cannot be tuned. List the levels instead: {example}."
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not spec.ok(value):
        raise ConfigError(f"{where}.{spec.param}: must be {spec.valid}; got {value!r}.")


def _register() -> None:
    def build(fn: Fn | None) -> Callable[..., Any]:
        return lambda params, **_: fn

    def check(name: str) -> Callable[[dict[str, Any]], None]:
        return lambda params: _check(name, params)  # ConfigError naming the field, as is

    registry.register(registry.Component(KIND, "none", "the clean training fold", build(None)))
    for p in PERTURBATIONS.values():
        registry.register(
            registry.Component(
                KIND,
                p.name,
                p.description,
                build(p.fn),
                defaults={p.param: None},  # required: a level has no default
                tags=frozenset({"training_fold_only"}),
                check_fn=check(p.name),
            )
        )


_register()


def expand(
    raw: ComponentsField, preprocessing: PreprocessingConfig
) -> tuple[list[Choice | None], list[str]]:
    """The axis's levels (None = clean; as listed, duplicates once) and notes for `bench validate`."""
    from climb_cli.errors import UnknownComponentError

    known = registry.registered(KIND)
    entries = {name: {} for name in raw} if isinstance(raw, list) else raw
    for name, params in entries.items():
        if name not in known:  # unknown names, with the list
            raise UnknownComponentError(KIND, name, known, where="perturbations")
        for key, value in (params or {}).items():
            if isinstance(value, list) and not value:
                raise ConfigError(
                    f"perturbations.{name}.{key}: an empty list sweeps nothing; "
                    "give a value or a non-empty list of values."
                )
            if isinstance(value, dict):  # {tune: ...}: the message of _check
                _check(name, {key: value})
    levels: list[Choice | None] = []
    for choice in expand_axis(raw):
        _check(choice.name, choice.params_dict)
        level = None if choice.name == "none" else choice
        if level not in levels:
            levels.append(level)
    notes = []
    if None not in levels:
        notes.append(
            "perturbations: no 'none' level, so the report cannot show each method's drop from "
            "its clean score; add none to the list to run the clean training fold too"
        )
    if not preprocessing.impute and any(p is not None and p.name == "missing" for p in levels):
        notes.append(
            "perturbations.missing with preprocessing.impute: false leaves the missing numeric "
            "cells as NaN: only resamplers and classifiers that accept NaN (e.g. none, ros, rus; "
            "hgb, lgbm) can use them, the others give error rows; set impute: true to impute them"
        )
    return levels, notes
