# scenarios-ready
"""Resolve a config against the catalog and registries, then expand it into jobs.

A job is dataset x method cell x repeat x fold, a method cell being resampler x class_weight x
threshold x classifier: the full cartesian product of the axes, or with ``scenarios:`` the union of
each scenario's own product. Its id is a content hash of its canonical identity (and of everything
that changes its result: cv, seed, preprocessing), so a rerun of the same config finds its finished
jobs again -- whichever scenario listed the cell.
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
)
from climb_cli.datasets.catalog import DatasetSpec, load_catalog, parse_entry, resolve
from climb_cli.datasets.select import select_datasets
from climb_cli.errors import ConfigError
from climb_cli.grid_checks import (
    Cell,
    check_kept_models,
    check_tuning,
    combination_notes,
    expand_section,
)


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
    scenario: str | None = None  # the config scenario that listed the cell (not in the identity)
    perturbation: Choice | None = None  # the training fold's perturbation level (None: clean)

    @property
    def method(self) -> str:
        """Readable label of the full remedy + classifier (``@<perturbation>`` when perturbed)."""
        base = method_label(self.resampler, self.class_weight, self.threshold, self.classifier)
        return base if self.perturbation is None else f"{base}@{self.perturbation.label}"

    @property
    def perturbation_label(self) -> str:
        """The perturbation level's label, ``none`` for the clean training fold."""
        return "none" if self.perturbation is None else self.perturbation.label

    @property
    def group_key(self) -> tuple[str, int, int, str, str]:
        """Jobs with the same key share the (perturbed,) preprocessed and resampled training fold."""
        return (self.dataset, self.repeat, self.fold, self.resampler.label, self.perturbation_label)

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


def product_cells(axes: dict[str, list[Choice]]) -> list[Cell]:
    """Every combination of the axes, in the grid's deterministic order."""
    return [
        (rs, cw, th, clf)
        for rs in axes["resamplers"]
        for cw in axes["class_weights"]
        for th in axes["thresholds"]
        for clf in axes["classifiers"]
    ]


@dataclass
class Experiment:
    """A validated config with its datasets resolved and its axes expanded. ``axes`` holds every
    choice of each axis (over all scenarios); ``cells`` the method cells actually run."""

    config: ExperimentConfig
    datasets: dict[str, DatasetSpec]
    axes: dict[str, list[Choice]]
    config_dir: Path = field(default=Path("."))
    notes: list[str] = field(default_factory=list)  # valid but worth knowing (bench validate)
    cells: list[Cell] | None = None  # None: the full product of ``axes``
    scenarios: list[str | None] | None = None  # the scenario name of each cell
    # the perturbation levels every cell runs at (None: the clean training fold)
    perturbations: list[Choice | None] = field(default_factory=lambda: [None])

    def __post_init__(self) -> None:
        if self.cells is None:
            self.cells = product_cells(self.axes)

    @property
    def method_cells(self) -> list[Cell]:
        """The method cells of the grid, in order."""
        return self.cells if self.cells is not None else product_cells(self.axes)

    @property
    def n_methods(self) -> int:
        """Number of methods (resampler x class weight x threshold x classifier cells, at each
        perturbation level)."""
        return len(self.method_cells) * len(self.perturbations)

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
            names = self.scenarios or [None] * len(self.method_cells)
            for cell, scenario in zip(self.method_cells, names):
                rs, cw, th, clf = cell
                parts: list[Any] = [c.ident if c.is_tuned else c.label for c in (rs, cw, th, clf)]
                if any(c.is_tuned for c in (rs, cw, clf)):
                    parts.append(tuning)
                # a plugin component's name and version (built-ins add nothing: ids unchanged)
                origins = [components.get(k, c.name).origin for k, c in zip(AXES.values(), cell)]
                if any(origins):
                    parts.append({"plugins": [o for o in origins if o]})
                for level in self.perturbations:
                    # the clean level adds nothing: ids of runs without perturbations unchanged
                    extra = [] if level is None else [{"perturbation": level.ident}]
                    ident = canonical([base, ds, data, *parts, *extra])
                    for repeat in range(self.config.cv.n_repeats):
                        for fold in range(self.config.cv.n_splits):
                            key = f"{ident}|{repeat}|{fold}".encode()
                            job_id = hashlib.sha256(key).hexdigest()[:16]
                            out.append(
                                JobSpec(job_id, ds, rs, cw, th, clf, repeat, fold, scenario, level)
                            )
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
    if spec.plugin is not None:  # the plugin's code, by name and version
        ident["origin"] = components.get("dataset_source", spec.plugin).origin
    if spec.bts is not None:
        from climb_cli.datasets import bts
        from climb_cli.errors import DatasetError

        try:  # the user's copy: its content, not where it lives, identifies the data
            ident["content"] = file_fingerprint(bts.raw_path(spec.bts))
            meta = bts.metadata(spec.bts)
            ident["metadata"] = [meta.get(k) for k in ("target_name", "id_name", "target_classes")]
        except DatasetError:
            ident["content"] = "missing"
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


def resolve_experiment(
    config: ExperimentConfig, config_dir: Path = Path("."), openml: Any = None
) -> Experiment:
    """Check every dataset name and component (with each parameter combination) without fitting."""
    catalog = load_catalog()
    if config.catalog:
        extra = Path(config.catalog)
        catalog.update(load_catalog(extra if extra.is_absolute() else config_dir / extra))
    datasets: dict[str, DatasetSpec] = {}
    selection_notes: list[str] = []  # what a selection left out (cached_only), for validate
    entries = (
        select_datasets(config.datasets, catalog, openml, selection_notes)
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
        if spec.bts is not None:
            from climb_cli.datasets import bts

            bts.check(spec.bts)  # the directory, metadata row and file, before any job
        if spec.plugin is not None:
            where = f"datasets.{spec.name}"
            components.get("dataset_source", spec.plugin, where=where).check(spec.params or {})
        if spec.name in datasets:
            raise ConfigError(f"datasets: '{spec.name}' is listed twice.")
        datasets[spec.name] = spec
    axes: dict[str, list[Choice]] = {section: [] for section in AXES}
    cells: list[Cell] = []
    names: list[str | None] = []
    seen: set[str] = set()  # cells by canonical identity (parameters may be mappings)
    for i, (name, sections) in enumerate(config.scenario_sections()):
        own: dict[str, list[Choice]] = {}
        for section, kind in AXES.items():
            where = section if not config.scenarios else f"scenarios[{i}].{section}"
            own[section] = expand_section(section, kind, sections[section], where)
            known = {c.ident for c in axes[section]}
            axes[section] += [c for c in own[section] if c.ident not in known]
        for cell in product_cells(own):
            key = canonical([c.ident for c in cell])
            if key not in seen:  # a cell two scenarios share is one method (the first's)
                seen.add(key)
                cells.append(cell)
                names.append((name or f"scenario{i + 1}") if config.scenarios else None)
    for metric in config.metrics:
        components.get("metric", metric, where="metrics")
    if len(set(config.metrics)) != len(config.metrics):
        raise ConfigError("metrics: a metric is listed twice.")
    check_kept_models(config, cells)
    notes = selection_notes + combination_notes(cells) + check_tuning(config, axes)
    from climb_cli.components import perturbations as perturb

    levels, perturb_notes = perturb.expand(config.perturbations, config.preprocessing)
    return Experiment(
        config, datasets, axes, config_dir, notes + perturb_notes, cells, names, levels
    )
