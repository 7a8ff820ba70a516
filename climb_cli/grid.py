"""Resolve a config against the catalog and registries, then expand it into jobs.

A job is dataset x resampler x class_weight x threshold x classifier x repeat x fold. Its id is a
content hash of its canonical identity (and of everything that changes its result: cv, seed,
preprocessing), so a rerun of the same config finds its finished jobs again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climb_cli import components
from climb_cli.config import (
    AXES,
    Choice,
    DatasetSelection,
    ExperimentConfig,
    canonical,
    expand_axis,
)
from climb_cli.datasets.catalog import DatasetSpec, load_catalog, parse_entry, resolve
from climb_cli.datasets.select import select_datasets
from climb_cli.errors import ConfigError
from climb_cli.tuning.space import SECTIONS


def derive_seed(*parts: Any) -> int:
    """A 31-bit seed derived from the config seed and a job's identity (stable across runs)."""
    digest = hashlib.sha256(canonical(list(parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class JobSpec:
    """One fit-and-evaluate unit of the grid."""

    job_id: str
    dataset: str
    resampler: Choice
    class_weight: Choice
    threshold: Choice
    classifier: Choice
    repeat: int
    fold: int

    @property
    def method(self) -> str:
        """Readable label of the full remedy + classifier."""
        return method_label(self.resampler, self.class_weight, self.threshold, self.classifier)

    @property
    def group_key(self) -> tuple[str, int, int, str]:
        """Jobs with the same key share the preprocessed and resampled training fold."""
        return (self.dataset, self.repeat, self.fold, self.resampler.label)

    @property
    def model_key(self) -> tuple[str, str]:
        """Within a group, jobs with the same key share one fitted model."""
        return (self.classifier.label, self.class_weight.label)

    @property
    def is_tuned(self) -> bool:
        """Whether a parameter of the job's resampler, class weight or classifier is tuned."""
        return self.resampler.is_tuned or self.class_weight.is_tuned or self.classifier.is_tuned

    @property
    def stage_key(self) -> tuple[str, ...]:
        """The unit of work a supervisor times: one shared model, or one tuned job's search."""
        return self.model_key if not self.is_tuned else (*self.model_key, self.threshold.label)


def method_label(
    resampler: Choice, class_weight: Choice, threshold: Choice, classifier: Choice
) -> str:
    """``resampler+cw=...+thr=...+classifier`` with parameters in sorted order."""
    return f"{resampler.label}+cw={class_weight.label}+thr={threshold.label}+{classifier.label}"


@dataclass
class Experiment:
    """A validated config with its datasets resolved and its axes expanded."""

    config: ExperimentConfig
    datasets: dict[str, DatasetSpec]
    axes: dict[str, list[Choice]]
    config_dir: Path = field(default=Path("."))
    notes: list[str] = field(default_factory=list)  # valid but worth knowing (bench validate)

    @property
    def n_methods(self) -> int:
        """Number of methods (resampler x class weight x threshold x classifier cells)."""
        n = 1
        for choices in self.axes.values():
            n *= len(choices)
        return n

    @property
    def n_jobs_total(self) -> int:
        """Number of jobs in the grid."""
        return (
            len(self.datasets) * self.config.cv.n_splits * self.config.cv.n_repeats * self.n_methods
        )

    def dataset(self, name: str) -> DatasetSpec:
        """The resolved dataset ``name`` of this experiment (DatasetError listing them if absent)."""
        if name not in self.datasets:
            from climb_cli.errors import DatasetError, did_you_mean

            raise DatasetError(
                f"dataset '{name}' is not in this config.{did_you_mean(name, self.datasets)}"
                f" Its datasets are: {', '.join(self.datasets)}."
            )
        return self.datasets[name]

    def identity(self) -> dict[str, Any]:
        """Everything besides the job's own coordinates that changes its result."""
        return {
            "seed": self.config.seed,
            "cv": self.config.cv.model_dump(),
            "preprocessing": self.config.preprocessing.model_dump(),
        }

    def jobs(self) -> list[JobSpec]:
        """Every job of the grid, in a deterministic order."""
        base = canonical(self.identity())
        # in tuned jobs' identities only; n_trials does not change a grid search
        tuning = self.config.tuning.model_dump(
            mode="json", exclude={"n_trials"} if self.config.tuning.search == "grid" else None
        )
        out = []
        for ds, spec in self.datasets.items():
            data = dataset_identity(spec)
            for rs in self.axes["resamplers"]:
                for cw in self.axes["class_weights"]:
                    for th in self.axes["thresholds"]:
                        for clf in self.axes["classifiers"]:
                            parts: list[Any] = [
                                c.ident if c.is_tuned else c.label for c in (rs, cw, th, clf)
                            ]
                            if any(c.is_tuned for c in (rs, cw, clf)):
                                parts.append(tuning)
                            ident = canonical([base, ds, data, *parts])
                            for repeat in range(self.config.cv.n_repeats):
                                for fold in range(self.config.cv.n_splits):
                                    key = f"{ident}|{repeat}|{fold}".encode()
                                    job_id = hashlib.sha256(key).hexdigest()[:16]
                                    out.append(JobSpec(job_id, ds, rs, cw, th, clf, repeat, fold))
        return out


# descriptive facts of a catalog entry: they describe the data, they do not change it
_FACTS = {
    "name",
    "tags",
    "rows",
    "features",
    "classes",
    "minority",
    "imbalance_ratio",
    "description",
}


def dataset_identity(spec: DatasetSpec) -> dict[str, Any]:
    """What defines a dataset's content: its source and every option (target, pos_label, drop,
    id, sep, na_values, ...), plus, for a file, its size and sha256. An OpenML id names one
    immutable dataset version on OpenML, so the id (and any pinned version) identifies it."""
    ident = {
        k: v
        for k, v in spec.model_dump(mode="json").items()
        if k not in _FACTS and v not in (None, [], ())
    }
    if spec.file is not None:
        ident["content"] = file_fingerprint(Path(spec.file))
    return ident


_FINGERPRINTS: dict[tuple[str, int, int], str] = {}


def file_fingerprint(path: Path) -> str:
    """``<size>:<sha256>`` of a file (memoised per path, size and modification time)."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _FINGERPRINTS:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _FINGERPRINTS[key] = f"{st.st_size}:{digest.hexdigest()}"
    return _FINGERPRINTS[key]


def resolve_experiment(config: ExperimentConfig, config_dir: Path = Path(".")) -> Experiment:
    """Check every dataset name and component (with each parameter combination) without fitting."""
    catalog = load_catalog()
    if config.catalog:
        extra = Path(config.catalog)
        catalog.update(load_catalog(extra if extra.is_absolute() else config_dir / extra))
    datasets: dict[str, DatasetSpec] = {}
    entries = (
        select_datasets(config.datasets, catalog)
        if isinstance(config.datasets, DatasetSelection)
        else config.datasets
    )
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                raise ConfigError(f"datasets[{i}]: an inline dataset needs a 'name'.")
            spec = parse_entry(name, {k: v for k, v in entry.items() if k != "name"}, config_dir)
        else:
            spec = resolve(entry, catalog)
        if spec.file is not None:
            from climb_cli.datasets.loaders import check_file

            check_file(spec)
        if spec.name in datasets:
            raise ConfigError(f"datasets: '{spec.name}' is listed twice.")
        datasets[spec.name] = spec
    axes: dict[str, list[Choice]] = {}
    for section, kind in AXES.items():
        raw = getattr(config, section)
        named = {name: {} for name in raw} if isinstance(raw, list) else raw
        for name, params in named.items():
            components.get(kind, name, where=section)  # raises on an unknown name
            for key, value in (params or {}).items():
                if isinstance(value, list) and not value:
                    raise ConfigError(
                        f"{section}.{name}.{key}: an empty list sweeps nothing; "
                        "give a value or a non-empty list of values."
                    )
        axes[section] = _applicable(section, expand_axis(raw))
        for choice in axes[section]:
            check_choice(section, kind, choice)
    for metric in config.metrics:
        components.get("metric", metric, where="metrics")
    if len(set(config.metrics)) != len(config.metrics):
        raise ConfigError("metrics: a metric is listed twice.")
    notes = combination_notes(axes) + check_tuning(config, axes)
    return Experiment(config, datasets, axes, config_dir, notes)


def check_choice(section: str, kind: str, choice: Choice) -> None:
    """Validate a choice's parameters with the component; a tuned parameter is checked at every
    choice (or both ends of its range), the other parameters fixed."""
    from climb_cli.tuning.space import split_params

    component = components.get(kind, choice.name)
    where = f"{section}.{choice.name}"
    try:
        fixed, dims = split_params(choice.params_dict, where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if dims and section not in SECTIONS:
        raise ConfigError(
            f"{where}: a threshold strategy's parameters cannot be tuned (the "
            "strategy already chooses its threshold inside the training fold); "
            "tune resampler, class-weight or classifier parameters."
        )
    for key in dims:
        if key not in component.parameters() and not component.accepts_any_params:
            component.check({**fixed, key: None})  # the unknown-parameter message
    # every tuned parameter at its first candidate, then each candidate of each in turn (a
    # required parameter may be tuned)
    first = {k: d.edge_values()[0] for k, d in dims.items()}
    component.check({**fixed, **first})
    for key, dim in dims.items():
        for value in dim.edge_values():
            try:
                component.check({**fixed, **first, key: value})
            except ConfigError as exc:
                raise ConfigError(f"{exc} (a candidate of the tuned parameter '{key}')") from None


def check_tuning(config: ExperimentConfig, axes: dict[str, list[Choice]]) -> list[str]:
    """Validate the tuning block against the grid; returns notes for `bench validate`."""
    from climb_cli.components.thresholds import OBJECTIVE_NAMES

    tuning = config.tuning
    tuned = [c for section in SECTIONS for c in axes[section] if c.is_tuned]
    objective = tuning.objective
    if objective not in OBJECTIVE_NAMES and objective not in components.available("metric"):
        valid = sorted(set(OBJECTIVE_NAMES) | set(components.available("metric")))
        raise ConfigError(
            f"tuning.objective: unknown objective '{objective}'. Valid objectives "
            f"(metrics and threshold objectives) are: {', '.join(valid)}."
        )
    notes: list[str] = []
    if not tuned:
        return notes
    if objective not in components.available("metric"):
        # a threshold objective scores a candidate at its searched threshold: only methods whose
        # threshold strategy searches one (tuned, holdout) can use it
        for th in axes["thresholds"]:
            if components.get("threshold", th.name).build(th.params_dict).inner is None:
                raise ConfigError(
                    f"tuning.objective: '{objective}' is a threshold objective, not a metric; it "
                    "can only score methods whose threshold is searched (tuned, holdout), and "
                    f"thresholds.{th.name} is not. Use a metric such as f1."
                )
    if tuning.search == "grid":
        from climb_cli.tuning.space import split_params

        for section in SECTIONS:
            for c in (c for c in axes[section] if c.is_tuned):
                for key, dim in split_params(c.params_dict, c.name)[1].items():
                    if dim.is_range:
                        raise ConfigError(
                            f"{section}.{c.name}.{key}: grid search needs a list of choices "
                            "({tune: [...]}); a range needs tuning.search: random or "
                            "tpe."
                        )
        if tuning.n_trials is not None:
            notes.append(
                f"tuning.n_trials ({tuning.n_trials}) is ignored by grid search: it "
                "tries every candidate"
            )
    if tuning.search == "tpe":
        try:
            import optuna  # noqa: F401
        except ImportError:
            raise ConfigError("tuning.search: tpe needs Optuna: pip install optuna") from None
    return notes


def _applicable(section: str, choices: list[Choice]) -> list[Choice]:
    """Choices with only the parameters that apply to them (a threshold objective's own), so
    labels and job ids carry no inert parameter; choices that then coincide are listed once."""
    if section != "thresholds":
        return choices
    from climb_cli.components.thresholds import applicable_params

    out: list[Choice] = []
    for choice in choices:
        kept = applicable_params(choice.name, choice.params_dict)
        new = Choice(choice.name, tuple(sorted(kept.items())))
        if new not in out:
            out.append(new)
    return out


def combination_notes(axes: dict[str, list[Choice]]) -> list[str]:
    """Notes on valid but suspicious combinations of the grid (double corrections, cells that
    give identical results), each once."""
    from climb_cli.components import class_weights

    notes: list[str] = []
    for rs in axes["resamplers"]:
        for cw in axes["class_weights"]:
            for th in axes["thresholds"]:
                for note in class_weights.combination_warnings(
                    rs.name, cw.name, th.name, rs.params_dict
                ):
                    if note not in notes:
                        notes.append(note)
    return notes
