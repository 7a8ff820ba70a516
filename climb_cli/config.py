"""The experiment config: a YAML file validated by pydantic (unknown keys rejected)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from climb_cli.errors import ConfigError

DEFAULT_METRICS = ["f1", "balanced_accuracy", "roc_auc", "pr_auc", "mcc", "gmean", "brier"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CVConfig(_Strict):
    """Outer cross-validation: stratified k-fold, repeated with fresh shuffles."""

    n_splits: int = Field(5, ge=2, le=100)
    n_repeats: int = Field(1, ge=1, le=100)
    allow_fewer_splits: bool = False


class PreprocessingConfig(_Strict):
    """Per-fold preprocessing, fitted on the training fold only."""

    impute: bool = True
    scale: bool = True
    max_onehot_categories: int = Field(20, ge=2)


ComponentsField = dict[str, dict[str, Any] | None] | list[str]


class DatasetSelection(_Strict):
    """Datasets chosen from the catalog by tags and facts, plus explicit names."""

    names: list[str | dict[str, Any]] = []
    tags: list[str] = []
    exclude: list[str] = []
    classes: Literal["binary", "multiclass"] | None = None
    min_ir: float | None = None
    max_ir: float | None = None
    min_rows: int | None = None
    max_rows: int | None = None
    max_features: int | None = None

    def filters(self) -> dict[str, Any]:
        """The facts filters that are set."""
        return {k: v for k, v in self.model_dump().items()
                if k not in ("names", "tags", "exclude") and v is not None}


class ExperimentConfig(_Strict):
    """A whole benchmark: datasets x resamplers x class weights x thresholds x classifiers x folds."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    seed: int = 0
    datasets: list[str | dict[str, Any]] | DatasetSelection
    catalog: str | None = None
    cv: CVConfig = CVConfig()
    preprocessing: PreprocessingConfig = PreprocessingConfig()
    resamplers: ComponentsField = {"none": {}}
    class_weights: ComponentsField = {"none": {}}
    thresholds: ComponentsField = {"default": {}}
    classifiers: ComponentsField
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1)
    n_jobs: int = -1
    save_predictions: bool = False
    timeout_s: float | None = Field(None, gt=0)
    memory_mb: float | None = Field(None, gt=0)
    isolate: bool = True

    @field_validator("datasets")
    @classmethod
    def _some_datasets(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("needs at least one dataset")
        return value

    @field_validator("resamplers", "class_weights", "thresholds", "classifiers")
    @classmethod
    def _non_empty(cls, value: ComponentsField) -> ComponentsField:
        if not value:
            raise ValueError("needs at least one entry")
        return value

    @field_validator("n_jobs")
    @classmethod
    def _n_jobs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("n_jobs must be a positive number of processes or -1 (all cores)")
        return value


# config section -> registry kind
AXES = {"resamplers": "resampler", "class_weights": "class_weight", "thresholds": "threshold",
        "classifiers": "classifier"}


def _format_error(err: dict[str, Any], model: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or "config"
    if err["type"] == "extra_forbidden":
        parent: Any = model
        for part in loc[:-1]:
            field = getattr(parent, "model_fields", {}).get(part)
            parent = field.annotation if field is not None else None
        valid = sorted(getattr(parent, "model_fields", {}))
        return f"unknown key '{where}'. Valid keys{' here' if len(loc) > 1 else ''} are: " \
               f"{', '.join(valid)}."
    if err["type"] == "missing":
        return f"missing required key '{where}'."
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg} (got {err.get('input')!r})."


def parse_config(doc: Any, source: str = "config") -> ExperimentConfig:
    """Validate a parsed YAML document into an ExperimentConfig (ConfigError on any problem)."""
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: expected a mapping of keys (name, datasets, classifiers, ...), "
                          f"got {type(doc).__name__}.")
    try:
        return ExperimentConfig(**doc)
    except ValidationError as exc:
        errors = exc.errors()
        # a union field reports one error per member; the first tells the user most
        seen, msgs = set(), []
        for err in errors:
            key = tuple(err["loc"][:1])
            if key in seen:
                continue
            seen.add(key)
            msgs.append(_format_error(err, ExperimentConfig))
        raise ConfigError(f"{source}: " + " ".join(msgs)) from None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a YAML config file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}.") from None
    return parse_config(doc, str(path))


def canonical(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces): the basis of labels and job ids."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    return canonical(value)


def label(name: str, params: dict[str, Any]) -> str:
    """Readable deterministic label, e.g. ``smote[k_neighbors=5]``."""
    if not params:
        return name
    inner = ",".join(f"{k}={_fmt(v)}" for k, v in sorted(params.items()))
    return f"{name}[{inner}]"


@dataclass(frozen=True)
class Choice:
    """One point on a grid axis: a component name with fixed parameters."""

    name: str
    params: tuple[tuple[str, Any], ...]

    @property
    def params_dict(self) -> dict[str, Any]:
        """Parameters as a dict."""
        return dict(self.params)

    @property
    def label(self) -> str:
        """Readable label."""
        return label(self.name, self.params_dict)


def expand_axis(section: ComponentsField) -> list[Choice]:
    """Expand ``{name: {param: value | [values]}}`` into one Choice per parameter combination."""
    entries = {name: {} for name in section} if isinstance(section, list) else section
    choices = []
    for name, params in entries.items():
        params = params or {}
        keys = sorted(params)
        values = [params[k] if isinstance(params[k], list) else [params[k]] for k in keys]
        for combo in itertools.product(*values):
            choices.append(Choice(name, tuple(zip(keys, combo))))
    return choices
