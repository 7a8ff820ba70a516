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
from climb_cli.config import (AXES, Choice, DatasetSelection, ExperimentConfig, canonical,
                              expand_axis)
from climb_cli.datasets.catalog import DatasetSpec, load_catalog, parse_entry, resolve
from climb_cli.errors import ConfigError


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


def method_label(resampler: Choice, class_weight: Choice, threshold: Choice, classifier: Choice) -> str:
    """``resampler+cw=...+thr=...+classifier`` with parameters in sorted order."""
    return f"{resampler.label}+cw={class_weight.label}+thr={threshold.label}+{classifier.label}"


@dataclass
class Experiment:
    """A validated config with its datasets resolved and its axes expanded."""

    config: ExperimentConfig
    datasets: dict[str, DatasetSpec]
    axes: dict[str, list[Choice]]
    config_dir: Path = field(default=Path("."))

    @property
    def n_jobs_total(self) -> int:
        """Number of jobs in the grid."""
        n = len(self.datasets) * self.config.cv.n_splits * self.config.cv.n_repeats
        for choices in self.axes.values():
            n *= len(choices)
        return n

    def identity(self) -> dict[str, Any]:
        """Everything besides the job's own coordinates that changes its result."""
        return {"seed": self.config.seed, "cv": self.config.cv.model_dump(),
                "preprocessing": self.config.preprocessing.model_dump()}

    def jobs(self) -> list[JobSpec]:
        """Every job of the grid, in a deterministic order."""
        base = canonical(self.identity())
        out = []
        for ds in self.datasets:
            for rs in self.axes["resamplers"]:
                for cw in self.axes["class_weights"]:
                    for th in self.axes["thresholds"]:
                        for clf in self.axes["classifiers"]:
                            ident = canonical([base, ds, rs.label, cw.label, th.label, clf.label])
                            for repeat in range(self.config.cv.n_repeats):
                                for fold in range(self.config.cv.n_splits):
                                    key = f"{ident}|{repeat}|{fold}".encode()
                                    job_id = hashlib.sha256(key).hexdigest()[:16]
                                    out.append(JobSpec(job_id, ds, rs, cw, th, clf, repeat, fold))
        return out


def select_datasets(selection: DatasetSelection, catalog: dict[str, DatasetSpec]) -> list[Any]:
    """Catalog names matching every tag and fact filter, then the explicit names, minus excluded."""
    bounds = {"min_ir": ("imbalance_ratio", 1), "max_ir": ("imbalance_ratio", -1),
              "min_rows": ("rows", 1), "max_rows": ("rows", -1), "max_features": ("features", -1)}
    picked: list[Any] = []
    if selection.tags or selection.filters():
        for name, spec in catalog.items():
            if not set(selection.tags) <= set(spec.tags):
                continue
            if selection.classes is not None and selection.classes not in spec.tags:
                continue
            ok = True
            for key, limit in selection.filters().items():
                if key == "classes":
                    continue
                fact, sign = bounds[key]
                value = getattr(spec, fact)
                ok = ok and value is not None and sign * (value - limit) >= 0
            if ok:
                picked.append(name)
    for entry in selection.names:
        if entry not in picked:
            picked.append(entry)
    picked = [p for p in picked if not (isinstance(p, str) and p in selection.exclude)]
    if not picked:
        crit = {"tags": selection.tags, **selection.filters()}
        raise ConfigError(f"datasets: the selection {canonical(crit)} matches no catalog entry; "
                          "see `bench datasets list --tag ...`.")
    return picked


def resolve_experiment(config: ExperimentConfig, config_dir: Path = Path(".")) -> Experiment:
    """Check every dataset name and component (with each parameter combination) without fitting."""
    catalog = load_catalog()
    if config.catalog:
        extra = Path(config.catalog)
        catalog.update(load_catalog(extra if extra.is_absolute() else config_dir / extra))
    datasets: dict[str, DatasetSpec] = {}
    entries = (select_datasets(config.datasets, catalog) if isinstance(config.datasets,
                                                                       DatasetSelection)
               else config.datasets)
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
        entries = {name: {} for name in raw} if isinstance(raw, list) else raw
        for name, params in entries.items():
            component = components.get(kind, name, where=section)
            for key, value in (params or {}).items():
                if isinstance(value, list) and not value:
                    raise ConfigError(f"{section}.{name}.{key}: an empty list sweeps nothing; "
                                      "give a value or a non-empty list of values.")
        axes[section] = expand_axis(raw)
        for choice in axes[section]:
            components.get(kind, choice.name).check(choice.params_dict)
    for metric in config.metrics:
        components.get("metric", metric, where="metrics")
    if len(set(config.metrics)) != len(config.metrics):
        raise ConfigError("metrics: a metric is listed twice.")
    return Experiment(config, datasets, axes, config_dir)
