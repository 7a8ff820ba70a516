"""Stage 1b, perturb: CLIMB's robustness study -- the outer training fold made noisier, sparser or
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
The levels and their functions live in ``components/perturbations.py`` (kind ``perturbation``,
listed by ``bench components``); this stage seeds and applies them.
"""

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
