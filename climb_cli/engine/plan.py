"""Group jobs so that shared work is done once.

A group is (dataset, repeat, fold, resampler, perturbation): its training fold is perturbed,
preprocessed and resampled once and serves every classifier, class weight and threshold strategy.
Inside a group, jobs with the same (classifier, class weight) share one fitted model, and all tuned
thresholds of that model with the same inner ``cv`` share one inner cross-validation (whose folds are
also resampled once per group).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from climb_cli.config import Choice
from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.grid import Experiment, JobSpec


@dataclass
class Group:
    """Jobs sharing one preprocessed, resampled training fold."""

    dataset: DatasetSpec
    repeat: int
    fold: int
    resampler: Choice
    jobs: list[JobSpec] = field(default_factory=list)
    tuning: Any = None  # the config's TuningConfig (for the plan of tuned jobs)
    perturbation: Choice | None = None  # applied to the training fold first (None: clean)

    def work(self) -> dict[str, int]:
        """Fits, resamplings, searches and trials this group will do (at most; skipped jobs do
        less; a staged n_estimators search fits once for all its values)."""
        from climb_cli.components import get

        models: dict[tuple[str, str], set[tuple[str, Any]]] = defaultdict(set)
        out = {"fits": 0, "resamplings": 0, "searches": 0, "trials": 0}
        inner: set[tuple[str, Any]] = set()
        for job in self.jobs:
            strategy = get("threshold", job.threshold.name).build(job.threshold.params_dict)
            if job.is_tuned:
                self._tuned_work(job, strategy.inner, out)
                continue
            keys = models[job.model_key]
            if strategy.inner is not None:
                keys.add(strategy.inner)
        inner = set().union(*models.values()) if models else set()
        out["fits"] += sum(1 + sum(_n_parts(k) for k in keys) for keys in models.values())
        out["resamplings"] += (0 if self.resampler.is_tuned else 1) + sum(
            _n_parts(k) for k in inner
        )
        return out

    def _tuned_work(self, job: JobSpec, threshold_inner: Any, out: dict[str, int]) -> None:
        from climb_cli.tuning.space import method_space
        from climb_cli.tuning.staged import STAGED

        space = method_space(job.resampler, job.class_weight, job.classifier)
        key = self.tuning.inner.key()
        trials = self.tuning.trials(space.grid_size() if space.is_finite else None)
        staged = space.values_of("classifier__n_estimators")
        per_fit = len(staged) if staged and job.classifier.name in STAGED else 1
        out["searches"] += 1
        out["trials"] += trials
        # refit: false on one split (unstaged) reuses the chosen candidate's inner model
        reused = not self.tuning.refit and _n_parts(key) == 1 and per_fit == 1
        out["fits"] += -(-trials // per_fit) * _n_parts(key) + (0 if reused else 1)
        if threshold_inner is not None and threshold_inner != key:
            out["fits"] += _n_parts(threshold_inner)
        rs_values = 1
        for k, d in space.dims:
            if k.startswith("resampler__"):
                rs_values *= len(d.choices) if d.choices is not None else trials
        out["resamplings"] += min(rs_values, trials) * _n_parts(key) + 1


def _n_parts(key: tuple[str, Any]) -> int:
    return int(key[1]) if key[0] == "cv" else 1


def weight(group: Group) -> float:
    """Planned work of a group for progress estimates: (fits + resamplings) x training rows."""
    work = group.work()
    return float((work["fits"] + work["resamplings"]) * max(group.dataset.rows or 1000, 1))


def plan(experiment: Experiment, jobs: list[JobSpec], share: bool = True) -> list[Group]:
    """Groups of ``jobs``, largest datasets first (long tasks start early; workers reuse data).

    ``share=False`` puts every job in a group of its own (nothing shared; results are identical,
    since every seed derives from the job's identity, never from execution order)."""
    groups: dict[tuple[Any, ...], Group] = {}
    for job in jobs:
        key = job.group_key if share else (*job.group_key, job.job_id)
        if key not in groups:
            groups[key] = Group(
                experiment.datasets[job.dataset],
                job.repeat,
                job.fold,
                job.resampler,
                tuning=experiment.config.tuning,
                perturbation=job.perturbation,
            )
        groups[key].jobs.append(job)
    order = {name: i for i, name in enumerate(experiment.datasets)}

    def cost(g: Group) -> tuple[Any, ...]:
        rows = g.dataset.rows or 0
        return (-rows, order[g.dataset.name], g.repeat, g.fold)

    return sorted(groups.values(), key=cost)


def summarize(groups: list[Group]) -> dict[str, int]:
    """Totals for ``--dry-run``: groups, jobs, fits and resamplings planned."""
    out = {
        "groups": len(groups),
        "jobs": sum(len(g.jobs) for g in groups),
        "fits": 0,
        "resamplings": 0,
        "searches": 0,
        "trials": 0,
    }
    for g in groups:
        for k, v in g.work().items():
            out[k] += v
    return out
