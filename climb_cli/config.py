"""The experiment config: a YAML file validated by pydantic (unknown keys rejected)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from climb_cli.errors import ConfigError, format_validation_error
from climb_cli.tuning.settings import TuningConfig
from climb_cli.yamlio import load_yaml

__all__ = [
    "AXES",
    "DEFAULT_METRICS",
    "CVConfig",
    "Choice",
    "ComponentsField",
    "DatasetSelection",
    "ExperimentConfig",
    "PreprocessingConfig",
    "Scenario",
    "canonical",
    "expand_axis",
    "label",
    "load_config",
    "load_yaml",
    "parse_config",
]

DEFAULT_METRICS = ["f1", "balanced_accuracy", "roc_auc", "pr_auc", "mcc", "gmean", "brier"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CVConfig(_Strict):
    """Outer cross-validation: stratified k-fold (repeats reshuffle), expanding windows in a
    column's order (``temporal``) or stratified k-fold keeping each group on one side (``group``)."""

    kind: Literal["stratified", "temporal", "group"] = "stratified"
    n_splits: int = Field(5, ge=2, le=100)
    n_repeats: int = Field(1, ge=1, le=100)
    allow_fewer_splits: bool = False
    order_by: str | None = Field(None, min_length=1)  # temporal: the column giving the row order
    gap: int = Field(0, ge=0)  # temporal: rows left out between each training window and its test
    group_by: str | None = Field(None, min_length=1)  # group: rows sharing a value stay together

    @model_validator(mode="after")
    def _kind_keys(self) -> CVConfig:
        temporal = "cv: {kind: temporal, order_by: COLUMN, n_splits: 5, gap: 0}"
        group = "cv: {kind: group, group_by: COLUMN, n_splits: 5}"
        if self.kind == "temporal" and self.order_by is None:
            raise ValueError(f"kind: temporal needs order_by: COLUMN; write {temporal}")
        if self.kind == "group" and self.group_by is None:
            raise ValueError(f"kind: group needs group_by: COLUMN; write {group}")
        if self.kind != "temporal" and (
            self.order_by is not None or "gap" in self.model_fields_set
        ):
            raise ValueError(
                f"order_by and gap apply to kind: temporal only; write {temporal} or remove them"
            )
        if self.kind != "group" and self.group_by is not None:
            raise ValueError(f"group_by applies to kind: group only; write {group} or remove it")
        if self.kind == "temporal" and self.n_repeats > 1:
            raise ValueError(
                "kind: temporal splits the same way every time (expanding windows in the "
                f"order of '{self.order_by}'), so n_repeats must be 1; remove n_repeats"
            )
        if self.kind != "stratified" and self.allow_fewer_splits:
            raise ValueError(
                f"allow_fewer_splits applies to kind: stratified only; remove it from kind: "
                f"{self.kind}"
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # job ids hash this dump: the keys added for temporal/group cv are left out at their
        # defaults, so a stratified config keeps the job ids it had before they existed
        data: dict[str, Any] = handler(self)
        for key, default in (("kind", "stratified"), ("order_by", None), ("gap", 0)):
            if key in data and data[key] == default:
                del data[key]
        if data.get("group_by", 0) is None:
            del data["group_by"]
        return data

    @property
    def column(self) -> str | None:
        """The column the split reads (order_by or group_by); never a feature."""
        return self.order_by if self.kind == "temporal" else self.group_by


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
    # only the entries loadable without the network (OpenML ones whose files are in the cache)
    cached_only: bool = False

    def filters(self) -> dict[str, Any]:
        """The facts filters that are set."""
        return {
            k: v
            for k, v in self.model_dump().items()
            if k not in ("names", "tags", "exclude", "cached_only") and v is not None
        }


class Scenario(_Strict):
    """One named part of the grid: its own small cartesian product over the axes it sets (the others
    come from the top level). ``scenarios:`` lists remedies that are never combined."""

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    resamplers: ComponentsField | None = None
    class_weights: ComponentsField | None = None
    thresholds: ComponentsField | None = None
    classifiers: ComponentsField | None = None

    @field_validator("resamplers", "class_weights", "thresholds", "classifiers")
    @classmethod
    def _non_empty(cls, value: ComponentsField | None) -> ComponentsField | None:
        if value is not None and not value:
            raise ValueError("needs at least one entry")
        return value


class ExperimentConfig(_Strict):
    """A whole benchmark: datasets x resamplers x class weights x thresholds x classifiers x folds
    (or, with ``scenarios:``, the union of each scenario's own product)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    seed: int = 0
    datasets: list[str | dict[str, Any]] | DatasetSelection
    catalog: str | None = None
    cv: CVConfig = CVConfig()
    preprocessing: PreprocessingConfig = PreprocessingConfig()
    resamplers: ComponentsField = {"none": {}}
    class_weights: ComponentsField = {"none": {}}
    thresholds: ComponentsField = {"default": {}}
    classifiers: ComponentsField | None = None
    scenarios: list[Scenario] | None = None
    # CLIMB's robustness axis: levels applied to the outer training fold only (engine/perturb.py)
    perturbations: ComponentsField = {"none": {}}
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1)
    n_jobs: int = -1
    save_predictions: bool = False
    timeout_s: float | None = Field(None, gt=0)
    memory_mb: float | None = Field(None, gt=0)
    isolate: bool = True
    tuning: TuningConfig = TuningConfig()
    # plugins this config needs, by name: checked, never loaded (only the person running bench
    # chooses code to import: entry points, --plugin, BENCH_PLUGINS)
    requires: list[str] = []

    @field_validator("datasets")
    @classmethod
    def _some_datasets(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("needs at least one dataset")
        return value

    @field_validator("resamplers", "class_weights", "thresholds", "classifiers", "perturbations")
    @classmethod
    def _non_empty(cls, value: ComponentsField) -> ComponentsField:
        if not value:
            raise ValueError("needs at least one entry")
        return value

    @model_validator(mode="after")
    def _scenarios(self) -> ExperimentConfig:
        if self.scenarios is not None and not self.scenarios:
            raise ValueError("scenarios: needs at least one scenario (or leave the key out)")
        if self.classifiers is None and (
            self.scenarios is None or any(s.classifiers is None for s in self.scenarios)
        ):
            if self.scenarios is None:
                raise ValueError("missing required key 'classifiers'.")
            raise ValueError(
                "missing required key 'classifiers': a scenario without its own classifiers "
                "takes the top-level ones; list them at the top level or in every scenario."
            )
        names = [s.name for s in self.scenarios or [] if s.name]
        if len(set(names)) != len(names):
            raise ValueError("scenarios: two scenarios have the same name")
        return self

    def scenario_sections(self) -> list[tuple[str | None, dict[str, ComponentsField]]]:
        """Each scenario's axes (name, {section: components}), the top level filling what it omits;
        without ``scenarios:`` the whole grid is one unnamed scenario."""
        top = {section: getattr(self, section) for section in AXES}
        if not self.scenarios:
            return [(None, top)]
        return [
            (
                s.name,
                {k: getattr(s, k) if getattr(s, k) is not None else v for k, v in top.items()},
            )
            for s in self.scenarios
        ]

    @field_validator("n_jobs")
    @classmethod
    def _n_jobs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("n_jobs must be a positive number of processes or -1 (all cores)")
        return value

    @model_validator(mode="after")
    def _limits_need_isolation(self) -> ExperimentConfig:
        # the limits are enforced by running each job in a child process; without one they would
        # silently not apply
        limits = [k for k in ("timeout_s", "memory_mb") if getattr(self, k) is not None]
        if not self.isolate and limits:
            raise ValueError(
                f"isolate: false conflicts with {' and '.join(limits)}: the limits are enforced "
                "by running each job in its own process, which isolate: false switches off. "
                f"Remove {' and '.join(limits)} or set isolate: true."
            )
        return self


# config section -> registry kind
AXES = {
    "resamplers": "resampler",
    "class_weights": "class_weight",
    "thresholds": "threshold",
    "classifiers": "classifier",
}


def parse_config(doc: Any, source: str = "config") -> ExperimentConfig:
    """Validate a parsed YAML document into an ExperimentConfig (ConfigError on any problem)."""
    if doc is None:
        raise ConfigError(f"{source} is empty; it needs at least name, datasets and classifiers.")
    if not isinstance(doc, dict):
        raise ConfigError(
            f"{source}: expected a mapping of keys (name, datasets, classifiers, ...), "
            f"got {type(doc).__name__}."
        )
    try:
        return ExperimentConfig.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_validation_error(exc, ExperimentConfig)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the document nests too deeply to be a config.") from None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a YAML config file."""
    path = Path(path)
    return parse_config(load_yaml(path, ConfigError, "config file"), str(path))


@dataclass(frozen=True)
class Tune:
    """A parameter chosen by nested search (``{tune: [...]}`` or ``{tune: {low, high, ...}}``);
    hashable, so choices holding it can key caches. ``spec`` is the canonical JSON of the value."""

    spec: str

    @property
    def value(self) -> dict[str, Any]:
        """The ``{tune: ...}`` mapping as written in the config."""
        return {"tune": json.loads(self.spec)}


def is_tune_mapping(value: Any) -> bool:
    """Whether a raw config value is ``{tune: ...}``."""
    return isinstance(value, dict) and set(value) == {"tune"}


def _json_default(value: Any) -> Any:
    if isinstance(value, Tune):
        return value.value
    return str(value)


def canonical(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces): the basis of labels and job ids."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _fmt(value: Any) -> str:
    if isinstance(value, Tune) or is_tune_mapping(value):
        return "tuned"  # a tuned parameter does not multiply methods: its label says so
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
        """Readable label (a tuned parameter shows as ``tuned``)."""
        return label(self.name, self.params_dict)

    @property
    def ident(self) -> str:
        """Canonical identity, tuned parameters with their search space."""
        return canonical([self.name, self.params_dict])

    @property
    def is_tuned(self) -> bool:
        """Whether any parameter is tuned."""
        return any(isinstance(v, Tune) for _, v in self.params)


def _axis_value(value: Any) -> Any:
    """A raw parameter value on a grid axis: ``{tune: ...}`` becomes a hashable ``Tune``."""
    return Tune(canonical(value["tune"])) if is_tune_mapping(value) else value


def expand_axis(section: ComponentsField) -> list[Choice]:
    """Expand ``{name: {param: value | [values]}}`` into one Choice per parameter combination."""
    entries = {name: {} for name in section} if isinstance(section, list) else section
    choices = []
    for name, params in entries.items():
        params = params or {}
        keys = sorted(params)
        values = [
            [_axis_value(v) for v in params[k]]
            if isinstance(params[k], list)
            else [_axis_value(params[k])]
            for k in keys
        ]
        for combo in itertools.product(*values):
            choices.append(Choice(name, tuple(zip(keys, combo))))
    return choices
