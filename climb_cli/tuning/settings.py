"""The ``tuning:`` block of a config (validated like the rest: unknown keys rejected)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["InnerConfig", "SearchPlan", "TuningConfig"]


class InnerConfig(BaseModel):
    """Inner validation of a search: ``{cv: 3}`` (stratified k-fold) or ``{holdout: 0.1}``."""

    model_config = ConfigDict(extra="forbid")

    cv: int | None = Field(None, ge=2, le=20)
    holdout: float | None = Field(None, gt=0, lt=1)
    stratify: bool = True

    @model_validator(mode="after")
    def _one(self) -> InnerConfig:
        if self.cv is not None and self.holdout is not None:
            raise ValueError("give either 'cv' or 'holdout', not both")
        if self.cv is None and self.holdout is None:
            self.cv = 3
        if self.cv is not None and not self.stratify:
            raise ValueError(
                "'stratify: false' applies to 'holdout' only (inner cv folds are stratified)"
            )
        return self

    def key(self) -> tuple[str, Any]:
        """The inner-split key the engine uses (shared with threshold strategies)."""
        if self.cv is not None:
            return ("cv", int(self.cv))
        return ("holdout" if self.stratify else "shuffle", float(self.holdout or 0.0))


class TuningConfig(BaseModel):
    """How tuned parameters are chosen inside each outer training fold."""

    model_config = ConfigDict(extra="forbid")

    search: Literal["grid", "random", "tpe"] = "grid"
    n_trials: int | None = Field(None, ge=1, le=100_000)
    objective: str = "f1"
    inner: InnerConfig = InnerConfig()
    refit: bool = True

    @model_validator(mode="after")
    def _refit_needs_holdout(self) -> TuningConfig:
        if not self.refit and self.inner.holdout is None:
            raise ValueError(
                "'refit: false' keeps the model trained on the inner training part, "
                "so it needs one split: inner: {holdout: 0.1}"
            )
        return self

    def trials(self, grid_size: int | None) -> int:
        """Trials a search makes: the grid's size, else n_trials (default 20)."""
        if self.search == "grid":
            return int(grid_size or 0)
        return int(self.n_trials or 20)


@dataclass(frozen=True)
class SearchPlan:
    """The ``tuning:`` block as the engine needs it (small and picklable)."""

    search: str
    n_trials: int
    objective: str
    inner: tuple[str, Any]
    refit: bool
    save_trials: bool = False


def search_plan(tuning: TuningConfig, save_trials: bool = False) -> SearchPlan:
    """The engine's view of a ``tuning:`` block."""
    return SearchPlan(
        tuning.search,
        tuning.trials(None) if tuning.search != "grid" else 0,
        tuning.objective,
        tuning.inner.key(),
        tuning.refit,
        save_trials,
    )
