"""Stage 1b, perturb: CLIMB's robustness study. A ``perturbations:`` level is applied to the outer
training fold only, before preprocessing and resampling (the test fold is never touched), with a seed
derived from (dataset, repeat, fold, level) -- never from the method, so every method sees the same
perturbed fold. The levels and what each does are defined in ``components/perturbations.py``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from climb_cli.components.perturbations import PERTURBATIONS, CannotApply
from climb_cli.config import Choice
from climb_cli.engine.rows import SkipJob
from climb_cli.grid import derive_seed

__all__ = ["apply", "perturbation_seed"]


def perturbation_seed(seed: int, dataset: str, repeat: int, fold: int, level: Choice) -> int:
    """The random state of a level on one training fold: the same for every method."""
    return derive_seed(seed, "perturbation", dataset, repeat, fold, level.label)


def apply(
    X: pd.DataFrame,
    y: np.ndarray,
    perturbation: Choice | None,
    seed: int,
    classes: Sequence[str] = (),
) -> tuple[pd.DataFrame, np.ndarray]:
    """The training fold ``(X, y)`` perturbed (unchanged for None / ``none``); SkipJob with the
    reason when the level cannot apply to this fold."""
    if perturbation is None or perturbation.name == "none":
        return X, y
    spec = PERTURBATIONS[perturbation.name]
    value = perturbation.params_dict[spec.param]  # as written: messages show the label's value
    try:
        result: tuple[pd.DataFrame, np.ndarray] = spec.fn(
            X, y, value, np.random.default_rng(seed), classes
        )
    except CannotApply as exc:
        raise SkipJob(str(exc)) from None
    return result
