"""Nested tuning: parameters chosen inside each training fold, exactly as GridSearchCV would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

BASE: dict[str, Any] = {
    "datasets": ["keel/ecoli3"],
    "resamplers": ["none"],
    "class_weights": ["none"],
    "thresholds": ["default"],
    "metrics": ["f1", "roc_auc"],
}


def _run(
    cli: Any, write_config: Any, tmp_path: Path, name: str = "o", *extra: str, **over: Any
) -> pd.DataFrame:
    out = tmp_path / name
    r = cli("run", write_config({**BASE, **over}), "-o", out, "-q", *extra)
    assert r.exit_code == 0, r.output
    return pd.read_parquet(out / "results.parquet")


@pytest.mark.parametrize(
    "params, tuning, message",
    [
        (
            {"smote": {"k_nieghbors": {"tune": [1, 3]}}},
            {},
            "resampler 'smote': unknown parameter 'k_nieghbors'. Valid parameters are:",
        ),
        (
            {"smote": {"k_neighbors": {"tune": []}}},
            {},
            "resamplers.smote.k_neighbors: 'tune' needs at least one choice; got an empty list.",
        ),
        (
            {"smote": {"k_neighbors": {"tune": {"low": 9, "high": 3, "int": True}}}},
            {"search": "random"},
            "resamplers.smote.k_neighbors: 'tune.low' (9) is greater than 'tune.high' (3).",
        ),
        (
            {"smote": {"k_neighbors": {"tune": {"low": 0, "high": 3, "log": True}}}},
            {"search": "random"},
            "resamplers.smote.k_neighbors: 'tune.log' needs low > 0; got low=0.",
        ),
        (
            {"smote": {"k_neighbors": {"tune": [0, 3]}}},
            {},
            "The 'k_neighbors' parameter of SMOTE must be",
        ),
        (
            {"smote": {"k_neighbors": {"tune": {"low": 1, "high": 5, "int": True}}}},
            {},
            (
                "smote.k_neighbors: grid search needs a list of choices ({tune: [...]}); a range needs "
                "tuning.search: random or tpe."
            ),
        ),
        (
            {"smote": {"k_neighbors": {"tune": [1, 3]}}},
            {"objective": "f7"},
            "tuning.objective: unknown objective 'f7'. Valid objectives",
        ),
        ({"smote": {"k_neighbors": {"tune": [1, 3]}}}, {"n_trials": 0}, "tuning.n_trials"),
        (
            {"smote": {"k_neighbors": {"tune": [1, 3]}}},
            {"refit": False},
            (
                "'refit: false' keeps the model trained on the inner training part, so it needs one split: "
                "inner: {holdout: 0.1}"
            ),
        ),
        (
            {"smote": {"k_neighbors": {"tune": [1, 3]}}},
            {"serch": "grid"},
            "unknown key 'tuning.serch'",
        ),
    ],
)
def test_bad_tuning_input_is_one_message_and_exit_2(
    cli: Any, write_config: Any, params: Any, tuning: Any, message: str
) -> None:
    r = cli("validate", write_config({**BASE, "resamplers": params, "tuning": tuning}))
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.stderr


def test_thresholds_cannot_be_tuned(cli: Any, write_config: Any) -> None:
    r = cli(
        "validate", write_config({**BASE, "thresholds": {"fixed": {"threshold": {"tune": [0.3]}}}})
    )
    assert r.exit_code == 2
    assert "thresholds.fixed: a threshold strategy's parameters cannot be tuned" in r.stderr


def test_grid_says_it_ignores_n_trials(cli: Any, write_config: Any) -> None:
    r = cli(
        "validate",
        write_config(
            {
                **BASE,
                "classifiers": {"logreg": {"C": {"tune": [0.1, 1]}}},
                "tuning": {"n_trials": 5},
            }
        ),
    )
    assert r.exit_code == 0
    assert "note: tuning.n_trials (5) is ignored by grid search" in r.stderr


def test_a_tuned_parameter_does_not_multiply_methods(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(
        cli,
        write_config,
        tmp_path,
        resamplers={"smote": {"k_neighbors": {"tune": [1, 3, 5]}}},
        classifiers={"logreg": {"C": [0.1, {"tune": [0.1, 1.0]}]}},
    )
    assert sorted(df["method"].unique()) == [
        "smote[k_neighbors=tuned]+cw=none+thr=default+logreg[C=0.1]",
        "smote[k_neighbors=tuned]+cw=none+thr=default+logreg[C=tuned]",
    ]
    assert set(df["status"]) == {"ok"} and (df["n_trials"] == [3] * 3 + [6] * 3).all()
    chosen = df["tuned_params"].map(json.loads)
    assert all(c["resampler"]["k_neighbors"] in (1, 3, 5) for c in chosen)


def test_chosen_values_and_scores_equal_gridsearchcv_over_an_imblearn_pipeline(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.datasets.preprocess import build_preprocessor
    from climb_cli.engine.rows import RunContext
    from climb_cli.engine.split import component_seed, inner_splits, outer_split

    ks, cs = [1, 3, 5], [0.01, 0.1, 1.0]
    df = _run(
        cli,
        write_config,
        tmp_path,
        resamplers={"smote": {"k_neighbors": {"tune": ks}}},
        classifiers={"logreg": {"C": {"tune": cs}}},
    )
    ds = load_dataset(load_catalog()["keel/ecoli3"])
    ctx = RunContext(seed=0, n_splits=3, preprocessing={}, metrics=("f1",))
    label_rs, label_clf = "smote[k_neighbors=tuned]", "logreg[C=tuned]"
    for fold in range(3):
        train, test = outer_split(ds, ctx, 0, fold)
        X, y = ds.X.iloc[train], ds.y[train]
        splits = inner_splits(("cv", 3), y, component_seed(0, "inner", ds.name, 0, ["cv", 3]))
        pipe = Pipeline(
            [
                *build_preprocessor(X).steps,
                (
                    "resampler",
                    SMOTE(random_state=component_seed(0, "resampler", ds.name, 0, label_rs)),
                ),
                (
                    "classifier",
                    LogisticRegression(
                        max_iter=1000,
                        random_state=component_seed(0, "classifier", ds.name, 0, label_clf),
                    ),
                ),
            ]
        )
        search = GridSearchCV(
            pipe, {"resampler__k_neighbors": ks, "classifier__C": cs}, scoring="f1", cv=splits
        ).fit(X, y)
        row = df[df.fold == fold].iloc[0]
        assert json.loads(row.tuned_params) == {
            "classifier": {"C": search.best_params_["classifier__C"]},
            "resampler": {"k_neighbors": search.best_params_["resampler__k_neighbors"]},
        }
        assert row.tuning_score == pytest.approx(search.best_score_, abs=1e-12)
        proba = search.predict_proba(ds.X.iloc[test])[:, 1]
        assert row.f1 == pytest.approx(f1_score(ds.y[test], proba >= 0.5), abs=1e-12)


@pytest.mark.parametrize("name", ["rf", "gb", "lgbm"])
def test_one_fit_serves_every_n_estimators_candidate_exactly(name: str) -> None:
    from sklearn.datasets import make_classification

    from climb_cli.components import get
    from climb_cli.tuning.staged import staged_probas

    X, y = make_classification(300, 5, weights=[0.8], random_state=0)
    params = {"min_child_samples": 5} if name == "lgbm" else {}
    big = get("classifier", name).build({**params, "n_estimators": 40}, random_state=3).fit(X, y)
    staged = staged_probas(name, big, X, [5, 20, 40], 2)
    for n in (5, 20, 40):
        small = get("classifier", name).build({**params, "n_estimators": n}, random_state=3)
        np.testing.assert_array_equal(staged[n], small.fit(X, y).predict_proba(X))


def test_an_n_estimators_grid_costs_one_fit_per_inner_split(
    write_config: Any, tmp_path: Path
) -> None:
    from climb_cli.config import Choice, Tune, canonical
    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.engine.prepare import InnerData
    from climb_cli.engine.rows import RunContext
    from climb_cli.engine.search import TunedMethod, run_search
    from climb_cli.tuning.settings import SearchPlan
    from climb_cli.tuning.space import method_space

    ds = load_dataset(load_catalog()["keel/ecoli3"])
    ctx = RunContext(seed=0, n_splits=3, preprocessing={}, metrics=("f1",))
    clf = Choice("rf", (("n_estimators", Tune(canonical([10, 20, 40, 80, 160]))),))
    none, cw = Choice("none", ()), Choice("none", ())
    inner = InnerData(ds.X, ds.y, none, ctx, ds.name, 0, 0)
    plan = SearchPlan("grid", 0, "f1", ("cv", 3), True)
    method = TunedMethod(none, cw, clf, tuple(ds.class_names), 0)
    from climb_cli.engine import search as search_module

    fits = []
    original = search_module._Evaluator._probas

    def counting(self: Any, candidate: Any) -> Any:
        out = original(self, candidate)
        fits.append(self.fits)
        return out

    search_module._Evaluator._probas = counting  # type: ignore[method-assign]
    try:
        result = run_search(
            method, method_space(none, cw, clf), inner, plan, 2, Choice("default", ()), 0
        )
    finally:
        search_module._Evaluator._probas = original  # type: ignore[method-assign]
    assert result.n_trials == 5 and fits[-1] == 3  # 5 candidates, 3 inner splits, 3 fits


def test_failing_trials_are_recorded_and_all_failing_is_an_error_row(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    # ecoli3's inner training parts hold about 15 minority rows: k_neighbors=40 cannot run
    out = tmp_path / "t"
    r = cli(
        "run",
        write_config({**BASE, "resamplers": {"smote": {"k_neighbors": {"tune": [3, 40]}}}}),
        "-o",
        out,
        "-q",
        "--save-trials",
    )
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out / "results.parquet")
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 2 * 3 and set(trials["job_id"]) == set(df["job_id"])
    bad = trials[trials.params.str.contains('"resampler__k_neighbors":40')]
    assert bad["status"].str.startswith("error: ValueError").all()
    assert (df["tuned_params"] == '{"resampler":{"k_neighbors":3}}').all()
    r = cli(
        "run",
        write_config({**BASE, "resamplers": {"smote": {"k_neighbors": {"tune": [40]}}}}),
        "-o",
        tmp_path / "all",
        "-q",
    )
    assert r.exit_code == 1
    df = pd.read_parquet(tmp_path / "all" / "results.parquet")
    assert (
        df["error"]
        .str.startswith("SearchFailed: all 1 tuning trials failed; the first: error: ValueError")
        .all()
    )


def test_searches_are_reproducible_and_sharing_changes_nothing(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    over = {
        "resamplers": {"none": {}, "smote": {"k_neighbors": {"tune": [1, 3, 5]}}},
        "thresholds": {"default": {}, "tuned": {"cv": 3}},
        "classifiers": {
            "lgbm": {
                "n_estimators": {"tune": {"low": 10, "high": 60, "int": True}},
                "min_child_samples": 5,
            }
        },
        "tuning": {"search": "tpe", "n_trials": 4},
    }
    a = _run(cli, write_config, tmp_path, "a", **over)
    b = _run(cli, write_config, tmp_path, "b", "--no-share", **over)
    cols = ["job_id", "tuned_params", "tuning_score", "threshold_value", "f1", "roc_auc"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["status"].eq("ok").all() and a["n_trials"].eq(4).all()


def test_refit_false_keeps_the_model_of_the_inner_training_part(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(
        cli,
        write_config,
        tmp_path,
        classifiers={"logreg": {"C": {"tune": [0.1, 1.0]}}},
        tuning={"inner": {"holdout": 0.1, "stratify": False}, "refit": False},
    )
    outer_train = 336 - df["n_test"]
    assert (df["n_train"] == outer_train - np.ceil(0.1 * outer_train)).all()


def test_dry_run_describes_the_search_plan(cli: Any, write_config: Any, tmp_path: Path) -> None:
    r = cli(
        "run",
        write_config(
            {
                **BASE,
                "resamplers": {"smote": {"k_neighbors": {"tune": [1, 3]}}},
                "classifiers": {"rf": {"n_estimators": {"tune": [10, 20, 40]}}},
            }
        ),
        "-o",
        tmp_path / "d",
        "--dry-run",
    )
    # 3 searches of 6 trials; per search 2 fits per inner split (one per k: n_estimators staged)
    # x 3 splits + 1 final fit; 2 resamplings per split + 1 final
    assert (
        "plan: 3 groups, 21 model fits, 21 resamplings, 3 searches of 18 trials in all." in r.stdout
    )


def test_report_shows_how_often_each_value_was_chosen(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(cli, write_config, tmp_path, resamplers={"smote": {"k_neighbors": {"tune": [1, 3]}}})
    counts = (
        df["tuned_params"].map(lambda t: json.loads(t)["resampler"]["k_neighbors"]).value_counts()
    )
    r = cli("report", tmp_path / "o", "-f", "md")
    assert r.exit_code == 0
    assert "Chosen hyperparameters" in r.stdout
    for value, n in counts.items():
        assert (
            f"| smote\\[k_neighbors=tuned\\]+cw=none+thr=default+logreg\\[C=1.0\\] | "
            f"resampler.k_neighbors | {value} | {n} |"
        ) in r.stdout


def test_timeout_bounds_a_tuned_jobs_whole_search(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    cfg = write_config(
        {
            **BASE,
            "cv": {"n_splits": 2},
            "timeout_s": 1.5,
            "classifiers": {
                "rf": {"n_estimators": {"tune": [2000, 3000]}},
                "logreg": {"C": {"tune": [0.1, 1.0]}},
            },
        }
    )
    r = cli("run", cfg, "-o", tmp_path / "t", "-q")
    assert r.exit_code == 1
    df = pd.read_parquet(tmp_path / "t" / "results.parquet")
    slow = df[df.classifier == "rf"]
    assert set(slow["status"]) == {"timeout"}
    assert set(slow["error"]) == {"stopped after 1.5 s (timeout_s)"}
    assert set(df.loc[df.classifier == "logreg", "status"]) == {"ok"}


def test_a_tuned_value_inside_a_swept_list_is_tuned(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(
        cli, write_config, tmp_path, classifiers={"logreg": {"C": [0.1, {"tune": [0.1, 1.0]}]}}
    )
    assert set(df["status"]) == {"ok"}
    tuned = df[df.method.str.contains("C=tuned")]
    assert len(tuned) == 3 and tuned["n_trials"].eq(2).all()


def test_a_tuned_method_that_cannot_apply_is_skipped(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    r = cli(
        "run",
        write_config(
            {
                **BASE,
                "datasets": ["sklearn/iris"],
                "class_weights": {"factor": {"f": {"tune": [0.5, 1.0]}}},
                "thresholds": ["default", "tuned"],
            }
        ),
        "-o",
        tmp_path / "s",
        "-q",
    )
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(tmp_path / "s" / "results.parquet")
    assert set(df["status"]) == {"skipped"}
    assert df["error"].str.contains("binary-only").all()


def test_a_threshold_objective_needs_a_searched_threshold(cli: Any, write_config: Any) -> None:
    r = cli(
        "validate",
        write_config(
            {
                **BASE,
                "classifiers": {"logreg": {"C": {"tune": [0.1, 1]}}},
                "tuning": {"objective": "cost"},
            }
        ),
    )
    assert r.exit_code == 2
    assert (
        "tuning.objective: 'cost' is a threshold objective, not a metric; it can only score "
        "methods whose threshold is searched (tuned, holdout), and thresholds.default is "
        "not. Use a metric such as f1."
    ) in r.stderr


def test_models_without_predict_proba_are_scored_on_their_scores(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    df = _run(
        cli,
        write_config,
        tmp_path,
        metrics=["brier"],
        classifiers={"linear_svm": {"C": {"tune": [0.01, 1.0]}}},
        tuning={"objective": "brier"},
    )
    assert df["tuning_score"].between(0, 1).all()  # brier of sigmoid(decision), never NaN


def test_an_undefined_candidate_ranks_last(monkeypatch: pytest.MonkeyPatch) -> None:
    from climb_cli.config import Choice, Tune, canonical
    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.engine import search as search_module
    from climb_cli.engine.prepare import InnerData
    from climb_cli.engine.rows import RunContext
    from climb_cli.tuning.settings import SearchPlan
    from climb_cli.tuning.space import method_space

    ds = load_dataset(load_catalog()["keel/ecoli3"])
    ctx = RunContext(seed=0, n_splits=3, preprocessing={}, metrics=("f1",))
    clf = Choice("logreg", (("C", Tune(canonical([0.1, 1.0, 10.0]))),))
    none = Choice("none", ())
    fake = {0.1: float("nan"), 1.0: 0.7, 10.0: 0.9}
    monkeypatch.setattr(
        search_module._Evaluator,
        "score",
        lambda self, c: (fake[c["classifier__C"]], [], None, False),
    )
    result = search_module.run_search(
        search_module.TunedMethod(none, none, clf, tuple(ds.class_names), 0),
        method_space(none, none, clf),
        InnerData(ds.X, ds.y, none, ctx, ds.name, 0, 0),
        SearchPlan("grid", 0, "f1", ("cv", 3), True),
        2,
        Choice("default", ()),
        0,
    )
    assert result.params == {"classifier__C": 10.0} and result.score == 0.9
    assert result.trials[0]["status"] == "error: the objective is undefined (NaN) on an inner fold"


def test_a_required_parameter_can_be_tuned(cli: Any, write_config: Any) -> None:
    r = cli(
        "validate",
        write_config(
            {
                **BASE,
                "class_weights": {
                    "explicit": {"weights": {"tune": [{"positive": 2}, {"positive": 5}]}}
                },
            }
        ),
    )
    assert r.exit_code == 0, r.stderr


def test_refit_false_reuses_the_chosen_candidates_inner_model(
    cli: Any, write_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one inner split and refit: false, the chosen candidate's inner model IS the final
    model: no extra fit, and the same predictions as fitting it again."""
    from climb_cli.engine import search as search_module
    from climb_cli.engine import tuned as tuned_module
    from climb_cli.engine.fit import ModelSpec

    calls: list[int] = []
    original_fit = ModelSpec.fit

    def counting_fit(self: Any, *args: Any) -> Any:
        calls.append(1)
        return original_fit(self, *args)

    monkeypatch.setattr(ModelSpec, "fit", counting_fit)
    over = {
        "classifiers": {"logreg": {"C": {"tune": [0.1, 1.0, 10.0]}}},
        "tuning": {"inner": {"holdout": 0.1, "stratify": False}, "refit": False},
        "n_jobs": 1,
        "isolate": False,
    }
    reused = _run(cli, write_config, tmp_path, "reused", **over)
    assert len(calls) == 3 * len(reused)  # 3 candidates per job, nothing refitted

    original_search = search_module.run_search

    def without_model(*args: Any) -> Any:
        result = original_search(*args)
        result.inner_model = None  # force the refit on the same part
        return result

    monkeypatch.setattr(tuned_module, "run_search", without_model)
    calls.clear()
    refitted = _run(cli, write_config, tmp_path, "refitted", **over)
    assert len(calls) == 4 * len(refitted)
    cols = ["job_id", "f1", "roc_auc", "tuned_params", "n_train"]
    pd.testing.assert_frame_equal(
        reused[cols].sort_values("job_id").reset_index(drop=True),
        refitted[cols].sort_values("job_id").reset_index(drop=True),
    )
    assert (reused["fit_time_s"] > 0).all()
