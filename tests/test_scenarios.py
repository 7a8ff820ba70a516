"""``scenarios:``: remedies that are never combined, each its own small grid; the union is run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from climb_cli.config import parse_config
from climb_cli.errors import ConfigError
from climb_cli.grid import resolve_experiment

BASE: dict[str, Any] = {
    "name": "s",
    "datasets": ["synthetic/ir10"],
    "classifiers": ["logreg", "dt"],
}


def _exp(**extra: Any) -> Any:
    return resolve_experiment(parse_config({**BASE, **extra}), Path("."))


def test_scenarios_are_the_union_of_their_own_grids() -> None:
    exp = _exp(
        scenarios=[
            {"name": "baseline"},
            {"name": "smote", "resamplers": {"smote": {"k_neighbors": [3, 5]}}},
            {"name": "weights", "class_weights": ["balanced"], "classifiers": ["logreg"]},
        ]
    )
    labels = [
        f"{rs.label}|{cw.label}|{th.label}|{clf.label}" for rs, cw, th, clf in exp.method_cells
    ]
    assert labels == [
        "none|none|default|logreg",
        "none|none|default|dt",
        "smote[k_neighbors=3]|none|default|logreg",
        "smote[k_neighbors=3]|none|default|dt",
        "smote[k_neighbors=5]|none|default|logreg",
        "smote[k_neighbors=5]|none|default|dt",
        "none|balanced|default|logreg",
    ]
    assert exp.n_methods == 7
    assert [j.scenario for j in exp.jobs()[::5]] == ["baseline"] * 2 + ["smote"] * 4 + ["weights"]
    unnamed = _exp(scenarios=[{}, {"resamplers": ["ros"]}])
    assert {j.scenario for j in unnamed.jobs()} == {"scenario1", "scenario2"}
    assert {j.scenario for j in _exp().jobs()} == {None}  # no scenarios: no scenario column
    assert len(exp.jobs()) == 7 * 5
    # never combined: no smote + balanced cell
    assert not any(rs.name == "smote" and cw.name == "balanced" for rs, cw, _, _ in exp.cells)


def test_a_cell_keeps_its_job_ids_whichever_way_it_is_listed() -> None:
    grid = _exp(resamplers=["none", "smote"])
    scen = _exp(scenarios=[{"resamplers": ["smote"]}, {}, {"resamplers": ["smote"]}])
    assert scen.n_methods == 4  # a cell two scenarios share is one method
    assert {j.job_id for j in grid.jobs()} == {j.job_id for j in scen.jobs()}


def test_scenario_errors_name_the_scenario() -> None:
    with pytest.raises(ConfigError, match=r"^scenarios\[1\]\.resamplers: unknown resampler 'smot'"):
        _exp(scenarios=[{}, {"resamplers": ["smot"]}])
    with pytest.raises(ConfigError, match="two scenarios have the same name"):
        _exp(scenarios=[{"name": "a"}, {"name": "a"}])
    with pytest.raises(ConfigError, match="needs at least one scenario"):
        _exp(scenarios=[])
    doc = {k: v for k, v in BASE.items() if k != "classifiers"}
    with pytest.raises(ConfigError) as exc:
        parse_config({**doc, "scenarios": [{"classifiers": ["dt"]}, {}]})
    assert str(exc.value) == (
        "config: missing required key 'classifiers': a scenario without its own classifiers "
        "takes the top-level ones; list them at the top level or in every scenario."
    )
    # every scenario with its own classifiers: no top-level list needed
    parse_config({**doc, "scenarios": [{"classifiers": ["dt"]}]})
    with pytest.raises(ConfigError, match=r"unknown key 'scenarios\.0\.foo'"):
        parse_config({**BASE, "scenarios": [{"foo": 1}]})


def test_a_kept_threshold_model_in_a_tuned_method_needs_the_same_split() -> None:
    thr = {"holdout": {"refit": False, "stratify": False}}
    tuned = {"logreg": {"C": {"tune": [0.1, 1.0]}}}
    with pytest.raises(ConfigError, match=r"^thresholds\.holdout: refit: false keeps the model"):
        _exp(thresholds=thr, classifiers=tuned)
    ok = _exp(
        thresholds=thr,
        classifiers=tuned,
        tuning={"inner": {"holdout": 0.1, "stratify": False}, "refit": False},
    )
    assert ok.n_methods == 1


def test_mapping_parameters_are_fine_in_cells() -> None:
    exp = _exp(
        class_weights={"explicit": {"weights": {"positive": 5}}},
        scenarios=[{}, {"class_weights": {"explicit": {"weights": {"positive": 5}}}}],
        classifiers={"knn": {"metric_params": {"p": 3}}},
    )
    assert exp.n_methods == 1
    assert exp.method_cells[0][3].label == 'knn[metric_params={"p":3}]'


# scikit-learn warns that `p` inside metric_params overrides the `p` parameter: that is the point
@pytest.mark.filterwarnings("ignore:Parameter p is found in metric_params")
def test_an_estimator_changing_its_mapping_parameter_does_not_change_the_config(
    cli: Any, tmp_path: Path
) -> None:
    """KNeighborsClassifier writes into metric_params; the job's label must stay as written."""
    import pandas as pd
    import yaml

    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "name": "knnp",
                "datasets": ["keel/ecoli3"],
                "classifiers": {"knn": {"metric_params": {"p": 3}}},
                "cv": {"n_splits": 2},
                "n_jobs": 1,
                "isolate": False,
            }
        )
    )
    assert cli("run", str(cfg), "-o", str(tmp_path / "o"), "-q").exit_code == 0
    r = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert set(r["classifier_params"]) == {'{"metric_params":{"p":3}}'}
