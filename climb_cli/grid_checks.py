"""Checks of a config against the registries, before anything is fitted: each axis expanded and
every choice validated (tuned parameters at every candidate), the tuning block, refit rules, and notes
on valid but suspicious cells (``bench validate``)."""

from __future__ import annotations

from typing import Any

from climb_cli import components
from climb_cli.config import Choice, ExperimentConfig, expand_axis
from climb_cli.errors import ConfigError
from climb_cli.tuning.space import SECTIONS

__all__ = [
    "Cell",
    "check_choice",
    "check_kept_models",
    "check_tuning",
    "combination_notes",
    "expand_section",
]

Cell = tuple[Choice, Choice, Choice, Choice]  # resampler, class weight, threshold, classifier


def expand_section(section: str, kind: str, raw: Any, where: str) -> list[Choice]:
    """One axis of one scenario: names checked, sweeps expanded, every choice validated."""
    named = {name: {} for name in raw} if isinstance(raw, list) else raw
    for name, params in named.items():
        components.get(kind, name, where=where)  # raises on an unknown name
        for key, value in (params or {}).items():
            if isinstance(value, list) and not value:
                raise ConfigError(
                    f"{where}.{name}.{key}: an empty list sweeps nothing; "
                    "give a value or a non-empty list of values."
                )
    choices = _applicable(section, expand_axis(raw))
    for choice in choices:
        check_choice(section, kind, choice)
    return choices


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


def check_kept_models(config: ExperimentConfig, cells: list[Cell]) -> None:
    """A threshold with ``refit: false`` keeps its inner model as the final one; in a tuned method
    the search's own final model must then be that same model (``tuning.refit: false`` on the
    same one split), or the two rules would contradict each other."""
    inner = config.tuning.inner.key()
    for rs, cw, th, clf in cells:
        if not any(c.is_tuned for c in (rs, cw, clf)):
            continue
        strategy = components.get("threshold", th.name).build(th.params_dict)
        kept = strategy.inner is not None and not strategy.refit
        if kept and (config.tuning.refit or strategy.inner != inner):
            assert strategy.inner is not None
            raise ConfigError(
                f"thresholds.{th.name}: refit: false keeps the model trained on its inner "
                f"split, but {clf.label} with {rs.label} and {cw.label} is tuned, and the "
                "tuning's final model must be that same model: set tuning.refit: false and "
                f"tuning.inner to the threshold's split ({strategy.inner[0]} "
                f"{strategy.inner[1]}), or give the threshold refit: true."
            )


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


def combination_notes(cells: list[Cell]) -> list[str]:
    """Notes on valid but suspicious combinations of the grid (double corrections, cells that
    give identical results), each once."""
    from climb_cli.components import class_weights

    notes: list[str] = []
    for rs, cw, th, _ in cells:
        for note in class_weights.combination_warnings(rs.name, cw.name, th.name, rs.params_dict):
            if note not in notes:
                notes.append(note)
    return notes
