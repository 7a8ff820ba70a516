"""The ``perturbations:`` axis (CLIMB's robustness study): the outer training fold perturbed, the test
fold never; identity, seeds, rows and the report's robustness view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.config import Choice, parse_config
from climb_cli.engine import perturb
from climb_cli.engine.group import collect
from climb_cli.engine.plan import plan
from climb_cli.engine.rows import RunContext, SkipJob, base_row
from climb_cli.grid import resolve_experiment

BASE: dict[str, Any] = {
    "name": "p",
    "seed": 0,
    "datasets": ["sklearn/breast_cancer"],
    "cv": {"n_splits": 3},
    "classifiers": ["logreg"],
    "metrics": ["f1"],
}


def _exp(**extra: Any) -> Any:
    return resolve_experiment(parse_config({**BASE, **extra}), Path("."))


def _run(exp: Any, share: bool = True, **ctx: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every group of ``exp`` run in this process: rows and prediction columns."""
    context = RunContext(
        seed=exp.config.seed,
        n_splits=exp.config.cv.n_splits,
        preprocessing=exp.config.preprocessing.model_dump(),
        metrics=tuple(exp.config.metrics),
        limit_threads=False,
        isolate=False,
        **ctx,
    )
    rows, preds = [], []
    for group in plan(exp, exp.jobs(), share=share):
        result = collect(group, context)
        rows += result.rows
        preds.append(result.predictions)
    return rows, preds


def _level(name: str, **params: Any) -> Choice:
    return Choice(name, tuple(sorted(params.items())))


def _frame(n: int, p: int = 4) -> pd.DataFrame:
    return pd.DataFrame(np.arange(n * p, dtype=float).reshape(n, p), columns=list("abcd")[:p])


def test_label_noise_flips_exactly_that_many_minority_labels_to_the_majority() -> None:
    y = np.array([0] * 80 + [1] * 25)
    X = _frame(len(y))
    Xp, yp = perturb.apply(X, y, _level("label_noise", rate=0.3), seed=1)
    changed = np.flatnonzero(yp != y)
    assert len(changed) == 8  # 0.3 * 25 = 7.5, rounded half up
    assert set(y[changed]) == {1} and set(yp[changed]) == {0}
    assert Xp is X and np.bincount(yp).tolist() == [88, 17]
    # multiclass: that fraction of every class but the majority, to the majority
    y3 = np.array([2] * 50 + [0] * 20 + [1] * 10)
    _, y3p = perturb.apply(_frame(80), y3, _level("label_noise", rate=0.2), seed=1)
    assert np.bincount(y3p).tolist() == [16, 8, 56]
    assert set(y3[y3p != y3]) == {0, 1} and set(y3p[y3p != y3]) == {2}
    # the same seed, the same flips; none is the clean fold itself
    assert np.array_equal(perturb.apply(X, y, _level("label_noise", rate=0.3), seed=1)[1], yp)
    assert perturb.apply(X, y, None, seed=1)[1] is y
    with pytest.raises(SkipJob, match=r"^label_noise\[rate=0.6\]: flipping 1 of the 1 training"):
        perturb.apply(_frame(5), np.array([0, 0, 0, 0, 1]), _level("label_noise", rate=0.6), 0)


def test_missing_sets_exactly_that_many_cells_missing_at_random() -> None:
    X = _frame(50).assign(cat=["x", "y"] * 25)
    Xp, _ = perturb.apply(X, np.zeros(50, dtype=int), _level("missing", rate=0.15), seed=3)
    assert int(Xp.isna().to_numpy().sum()) == 38  # 0.15 * 250 = 37.5, rounded half up
    assert not X.isna().to_numpy().any()  # the input is not modified
    kept = Xp.notna().to_numpy()
    assert (Xp.to_numpy()[kept] == X.to_numpy()[kept]).all()
    assert Xp.isna().sum().gt(0).sum() > 1  # spread over columns, not one column emptied


def test_extra_imbalance_multiplies_the_imbalance_ratio_and_skips_when_it_cannot() -> None:
    y = np.array([0] * 90 + [1] * 30)
    X = _frame(len(y))
    for factor, kept in ((2, 15), (3, 10), (4, 8)):
        Xp, yp = perturb.apply(X, y, _level("extra_imbalance", factor=factor), seed=0)
        assert np.bincount(yp).tolist() == [90, kept]
        assert abs(kept - 30 / factor) <= 0.5  # IR 3 -> 3 * factor within rounding
        ratio = (90 / kept) / (90 / 30)
        assert ratio == pytest.approx(factor, rel=0.5 / kept)  # the imbalance ratio, multiplied
        # rows stay aligned and in order; every majority row is kept
        assert np.array_equal(y[Xp.index], yp) and Xp.index.is_monotonic_increasing
        assert set(np.flatnonzero(y == 0)) <= set(Xp.index)
    with pytest.raises(SkipJob) as exc:
        perturb.apply(
            _frame(33), np.array([0] * 30 + [1] * 3), _level("extra_imbalance", factor=5), 0
        )
    assert str(exc.value) == (
        "extra_imbalance[factor=5]: class 1 has 3 training rows (imbalance ratio 10); multiplying "
        "the ratio by 5 needs at least 5 of them, so that one row remains"
    )


def test_clean_job_ids_and_labels_are_those_of_runs_without_perturbations() -> None:
    cfg = {**BASE, "datasets": ["synthetic/ir10"], "resamplers": ["none", "ros"]}
    cfg["cv"] = {"n_splits": 2}
    # observed before the perturbations axis existed
    before = {
        "4de0b6babe906555": "none+cw=none+thr=default+logreg",
        "6bce32bc4e04ad15": "none+cw=none+thr=default+logreg",
        "2d3ccf42bc306177": "ros+cw=none+thr=default+logreg",
        "e855fabcd9a42e4b": "ros+cw=none+thr=default+logreg",
    }
    for extra in ({}, {"perturbations": ["none"]}, {"perturbations": {"none": None}}):
        exp = resolve_experiment(parse_config({**cfg, **extra}), Path("."))
        assert {j.job_id: j.method for j in exp.jobs()} == before
    exp = resolve_experiment(
        parse_config({**cfg, "perturbations": {"none": {}, "label_noise": {"rate": [0.1, 0.2]}}}),
        Path("."),
    )
    jobs = exp.jobs()
    assert exp.n_methods == 6 and len(jobs) == exp.n_jobs_total == 12
    clean = {j.job_id: j.method for j in jobs if j.perturbation is None}
    assert clean == before
    noisy = [j for j in jobs if j.perturbation is not None]
    assert noisy[0].method == "none+cw=none+thr=default+logreg@label_noise[rate=0.1]"
    assert len({j.job_id for j in jobs}) == 12
    # each level its own group: no shared training fold across levels
    assert len({j.group_key for j in jobs}) == 12 and len(plan(exp, jobs)) == 12


def test_the_test_fold_is_never_touched_and_rows_record_the_level() -> None:
    exp = _exp(perturbations={"none": {}, "label_noise": {"rate": 0.3}}, save_predictions=True)
    rows, preds = _run(exp, save_predictions=True)
    assert {r["status"] for r in rows} == {"ok"}
    assert sorted({r["perturbation"] for r in rows}) == ["label_noise[rate=0.3]", "none"]
    by = {(r["perturbation"], r["fold"]): r for r in rows}
    p = pd.DataFrame({k: v for k, v in pd.concat(map(pd.DataFrame, preds)).items()})
    from sklearn.datasets import load_breast_cancer

    y_all = load_breast_cancer().target
    for fold in range(3):
        clean, noisy = by[("none", fold)], by[("label_noise[rate=0.3]", fold)]
        assert noisy["n_test"] == clean["n_test"] and noisy["n_train"] == clean["n_train"]
        assert noisy["n_test_minority"] == clean["n_test_minority"]
        a = p[p.job_id == clean["job_id"]].sort_values("row")
        b = p[p.job_id == noisy["job_id"]].sort_values("row")
        assert a["row"].tolist() == b["row"].tolist() and len(a) == clean["n_test"]
        assert a["y_true"].tolist() == b["y_true"].tolist()
        # minority (malignant, 212 of 569) is the positive class
        assert (b["y_true"].to_numpy() == (y_all[b["row"]] == 0)).all()
        assert not np.array_equal(a["y_pred"], b["y_pred"])  # the training fold did change


def test_missing_reaches_preprocessing_in_the_training_fold_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from climb_cli.engine import pipeline

    seen: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    real = pipeline.preprocess_part

    def spy(X: pd.DataFrame, y: np.ndarray, others: list[Any], ctx: Any) -> Any:
        seen.append((X, others[0]))
        return real(X, y, others, ctx)

    monkeypatch.setattr(pipeline, "preprocess_part", spy)
    rows, _ = _run(_exp(perturbations={"missing": {"rate": 0.2}}))
    assert {r["status"] for r in rows} == {"ok"} and len(seen) == 3
    for X_train, X_test in seen:
        assert int(X_train.isna().to_numpy().sum()) == round(0.2 * X_train.size)
        assert not X_test.isna().to_numpy().any()


def test_every_method_sees_the_same_perturbed_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    from climb_cli.engine import pipeline

    calls: list[tuple[int, int, bytes]] = []
    real = pipeline.perturb

    def spy(X: Any, y: Any, level: Any, seed: int, classes: Any = ()) -> Any:
        Xp, yp = real(X, y, level, seed, classes)
        calls.append((seed, len(yp), yp.tobytes()))
        return Xp, yp

    monkeypatch.setattr(pipeline, "perturb", spy)
    exp = _exp(
        classifiers=["logreg", "dt"],
        resamplers=["none", "ros"],
        perturbations={"extra_imbalance": {"factor": 2}},
        cv={"n_splits": 2},
    )
    rows, _ = _run(exp, share=False)  # every job perturbs its own copy of the fold
    assert len(rows) == len(calls) == 8
    for fold in range(2):
        mine = {c for c, r in zip(calls, rows) if r["fold"] == fold}
        assert len(mine) == 1  # four methods, one seed, one perturbed fold
    seed = perturb.perturbation_seed(0, "sklearn/breast_cancer", 0, 1, exp.jobs()[1].perturbation)
    assert seed in {c[0] for c in calls}


def test_an_impossible_extra_imbalance_is_a_skipped_row_saying_why() -> None:
    rows, _ = _run(_exp(perturbations={"extra_imbalance": {"factor": 1000}}))
    assert [r["status"] for r in rows] == ["skipped"] * 3
    assert rows[0]["error"].startswith(
        "extra_imbalance[factor=1000]: class 'malignant' has 14"
    ) and rows[0]["error"].endswith("needs at least 1000 of them, so that one row remains")


def test_base_row_records_the_perturbation_column() -> None:
    exp = _exp(perturbations={"none": {}, "missing": {"rate": 0.1}})
    ctx = RunContext(seed=0, n_splits=3, preprocessing={}, metrics=("f1",))
    labels = {base_row(j, ctx)["perturbation"] for j in exp.jobs()}
    assert labels == {"none", "missing[rate=0.1]"}


def test_a_run_writes_the_perturbation_column(cli: Any, write_config: Any, tmp_path: Path) -> None:
    from climb_cli.store import BASE_COLUMNS

    if "perturbation" not in BASE_COLUMNS:
        pytest.skip("store.BASE_COLUMNS has no 'perturbation' column yet (a change for the lead)")
    cfg = write_config(
        {
            **BASE,
            "isolate": False,
            "n_jobs": 1,
            "perturbations": {"none": {}, "label_noise": {"rate": 0.2}},
        }
    )
    assert cli("run", cfg, "--output", tmp_path / "out").exit_code == 0
    df = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert sorted(df["perturbation"].unique()) == ["label_noise[rate=0.2]", "none"]
    report = cli("report", tmp_path / "out", "-f", "md")
    assert "Robustness to label_noise" in report.stdout


def _results() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    levels = ["none", "label_noise[rate=0.1]", "label_noise[rate=0.2]", "missing[rate=0.1]"]
    for base in ("a+cw=none+thr=default+dt", "b+cw=none+thr=default+dt"):
        for level in levels:
            for ds in ("d1", "d2", "d3"):
                for fold in range(2):
                    method = base if level == "none" else f"{base}@{level}"
                    rows.append(
                        {
                            "dataset": ds,
                            "method": method,
                            "perturbation": level,
                            "fold": fold,
                            "status": "ok",
                            "f1": float(rng.uniform()),
                        }
                    )
    df = pd.DataFrame(rows)
    # a skipped job does not count; a metric that is undefined is left out
    df.loc[(df.dataset == "d3") & (df.perturbation == "missing[rate=0.1]"), "status"] = "skipped"
    return df


def test_the_robustness_view_equals_a_hand_computed_groupby() -> None:
    from climb_cli.report import robustness
    from climb_cli.report.sections import VIEWS, Context

    df = _results()
    ok = df[df.status == "ok"]
    cell = ok.groupby(["dataset", "method"])["f1"].mean()
    expected = cell.groupby("method").mean()
    long = robustness.robustness_table(df, "f1")
    for rec in long.itertuples():
        method = rec.method if rec.perturbation == "none" else f"{rec.method}@{rec.perturbation}"
        assert rec.mean == pytest.approx(expected[method], abs=1e-12)
        clean = cell.xs(rec.method, level="method")
        here = cell.xs(method, level="method")
        assert rec.drop == pytest.approx((clean - here).dropna().mean(), abs=1e-12)
    assert long.loc[long.perturbation == "missing[rate=0.1]", "n_datasets"].tolist() == [2, 2]
    assert "robustness" in dict(VIEWS)
    blocks = dict(VIEWS)["robustness"](Context(df, {}, ["f1"], {}), "f1")
    assert [b.key for b in blocks] == ["robustness_label_noise", "robustness_missing"]
    table = blocks[0].table
    assert list(table.columns) == [
        "method",
        "clean",
        "rate=0.1",
        "rate=0.2",
        "drop rate=0.1",
        "drop rate=0.2",
    ]
    a = "a+cw=none+thr=default+dt"
    row = table.set_index("method").loc[a]
    assert row["rate=0.2"] == pytest.approx(expected[f"{a}@label_noise[rate=0.2]"], abs=1e-12)
    assert row["drop rate=0.1"] == pytest.approx(
        expected[a] - expected[f"{a}@label_noise[rate=0.1]"], abs=1e-12
    )
    # one level only: no view
    assert robustness.view_parts(df[df.perturbation == "none"], "f1") == []
    assert robustness.view_parts(df.drop(columns="perturbation"), "f1") == []
    charts = robustness.chart_data(df, "f1")
    assert [(kind, xs[0]) for kind, _, _, xs, _ in charts] == [
        ("label_noise", 0.0),
        ("missing", 0.0),
    ]


@pytest.mark.parametrize(
    ("perturbations", "message"),
    [
        (
            ["noise"],
            (
                "perturbations: unknown perturbation 'noise'. Available perturbations are: "
                "extra_imbalance, label_noise, missing, none."
            ),
        ),
        (
            {"label_noise": {"rate": [0.1, 1.5]}},
            (
                "perturbations.label_noise.rate: must be a number in (0, 1), the fraction of each "
                "minority class relabelled; got 1.5."
            ),
        ),
        (
            {"missing": {"rate": 0}},
            (
                "perturbations.missing.rate: must be a number in (0, 1), the fraction of training "
                "feature cells set missing; got 0."
            ),
        ),
        (
            {"extra_imbalance": {"factor": 0.5}},
            (
                "perturbations.extra_imbalance.factor: must be a number >= 1, what the training "
                "fold's imbalance ratio is multiplied by; got 0.5."
            ),
        ),
        (
            ["label_noise"],
            (
                "perturbations.label_noise: needs 'rate', a number in (0, 1), the fraction of each "
                "minority class relabelled; write {label_noise: {rate: [...]}}."
            ),
        ),
        (
            {"label_noise": {"rate": {"tune": [0.1, 0.2]}}},
            (
                "perturbations.label_noise.rate: a perturbation level is a setting of the study, not "
                "a hyperparameter; it cannot be tuned. List the levels instead: "
                "{label_noise: {rate: [...]}}."
            ),
        ),
        (
            {"missing": {"fraction": 0.1}},
            "perturbations.missing: unknown parameter 'fraction'. Valid parameters are: rate.",
        ),
        (
            {"none": {"rate": 0.1}},
            "perturbations.none: takes no parameters (it is the clean training fold).",
        ),
        ([], "cfg.yaml: perturbations: needs at least one entry (got [])."),
    ],
)
def test_bad_perturbations_exit_2_naming_the_problem(
    cli: Any, write_config: Any, perturbations: Any, message: str
) -> None:
    result = cli("validate", write_config({"perturbations": perturbations}))
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    # one line: the message itself (a parse error is prefixed with the config's path)
    assert "\n" not in err and err.startswith("Error: ")
    assert err == f"Error: {message}" or err.endswith(f"/{message}")
    assert "Traceback" not in result.output


def test_validate_notes_a_missing_clean_level_and_missing_without_imputation(
    cli: Any, write_config: Any
) -> None:
    cfg = write_config(
        {"perturbations": {"missing": {"rate": 0.1}}, "preprocessing": {"impute": False}}
    )
    result = cli("validate", cfg)
    assert result.exit_code == 0, result.output
    assert "no 'none' level" in result.output
    assert "preprocessing.impute: false leaves the missing numeric cells as NaN" in result.output
    listed = json.loads(cli("components", "--kind", "perturbation", "--format", "json").stdout)
    assert [r["name"] for r in listed] == ["extra_imbalance", "label_noise", "missing", "none"]
