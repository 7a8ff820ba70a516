"""Time-ordered (``cv.kind: temporal``) and grouped (``cv.kind: group``) outer splits: the split
equals scikit-learn's on the same rows, the order/group column is never a feature, folds without a
class are skipped, and configs without ``kind`` keep their job ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedGroupKFold, TimeSeriesSplit

from climb_cli.config import CVConfig, ExperimentConfig, parse_config
from climb_cli.datasets.catalog import DatasetSpec, load_catalog
from climb_cli.datasets.loaders import Dataset, load_dataset
from climb_cli.datasets.synthetic import make_drift
from climb_cli.engine.group import collect
from climb_cli.engine.plan import plan
from climb_cli.engine.prepare import preprocess_part
from climb_cli.engine.rows import RunContext, SkipJob
from climb_cli.engine.split import features_only, outer_split
from climb_cli.errors import ConfigError, DatasetError
from climb_cli.grid import derive_seed, resolve_experiment


def _ctx(**cv: Any) -> RunContext:
    config = CVConfig(**cv)
    return RunContext(seed=0, n_splits=config.n_splits, preprocessing={}, metrics=(), cv=config)


def _dataset(n: int = 300, n_times: int = 12, seed: int = 0) -> Dataset:
    """Rows in random time order with many ties; a text group column; ~20% positives."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "t": rng.integers(0, n_times, n).astype(float),
            "g": [f"c{i}" for i in rng.integers(0, 30, n)],
            "x": rng.standard_normal(n),
        }
    )
    y = (rng.random(n) < 0.2).astype(np.int64)
    return Dataset("d", X, y, ["0", "1"], "1")


# ---- configuration ---------------------------------------------------------------------------


def _jobs(cv: dict[str, Any] | None, seed: int = 0) -> list[str]:
    doc: dict[str, Any] = {
        "name": "t",
        "seed": seed,
        "datasets": ["sklearn/breast_cancer"],
        "classifiers": {"logreg": {}},
    }
    if cv is not None:
        doc["cv"] = cv
    return [j.job_id for j in resolve_experiment(parse_config(doc)).jobs()]


def test_configs_without_kind_keep_their_job_ids() -> None:
    # ids observed before cv.kind existed
    assert _jobs(None) == [
        "9653e1526cffaa14",
        "860da42bb9fe1679",
        "610e3fc6688831b4",
        "5374cb046d2e4ac3",
        "97b1ee22290e09e8",
    ]
    old = [
        "b1d320b5bd67cf21",
        "e0ad7f27014bac83",
        "17bff2e1bb3cce1c",
        "122c4d2f3fc1ee60",
        "07d49b321c2fa936",
        "d0c2a808a633c75c",
    ]
    assert _jobs({"n_splits": 3, "n_repeats": 2}, seed=3) == old
    assert _jobs({"n_splits": 3, "n_repeats": 2, "kind": "stratified"}, seed=3) == old
    assert CVConfig().model_dump() == {"n_splits": 5, "n_repeats": 1, "allow_fewer_splits": False}


def test_temporal_and_group_configs_are_new_jobs() -> None:
    default = set(_jobs(None))
    temporal = _jobs({"kind": "temporal", "order_by": "mean radius"})
    gap = _jobs({"kind": "temporal", "order_by": "mean radius", "gap": 3})
    group = _jobs({"kind": "group", "group_by": "mean radius"})
    assert len({*default, *temporal, *gap, *group}) == 20
    dumped = CVConfig(kind="temporal", order_by="t", gap=2).model_dump()
    assert dumped == {
        "kind": "temporal",
        "n_splits": 5,
        "n_repeats": 1,
        "allow_fewer_splits": False,
        "order_by": "t",
        "gap": 2,
    }
    assert CVConfig.model_validate(dumped) == CVConfig(kind="temporal", order_by="t", gap=2)


TEMPORAL = "cv: {kind: temporal, order_by: COLUMN, n_splits: 5, gap: 0}"
GROUP = "cv: {kind: group, group_by: COLUMN, n_splits: 5}"
ORDER_ONLY = f"order_by and gap apply to kind: temporal only; write {TEMPORAL} or remove them"
WRONG_CV = [
    ({"kind": "temporal"}, f"kind: temporal needs order_by: COLUMN; write {TEMPORAL}"),
    ({"kind": "group"}, f"kind: group needs group_by: COLUMN; write {GROUP}"),
    ({"order_by": "t"}, ORDER_ONLY),
    ({"gap": 0}, ORDER_ONLY),
    ({"kind": "group", "group_by": "g", "gap": 1}, ORDER_ONLY),
    (
        {"kind": "temporal", "order_by": "t", "group_by": "g"},
        f"group_by applies to kind: group only; write {GROUP} or remove it",
    ),
    (
        {"kind": "temporal", "order_by": "t", "n_repeats": 3},
        (
            "kind: temporal splits the same way every time (expanding windows in the order of "
            "'t'), so n_repeats must be 1; remove n_repeats"
        ),
    ),
    (
        {"kind": "group", "group_by": "g", "allow_fewer_splits": True},
        "allow_fewer_splits applies to kind: stratified only; remove it from kind: group",
    ),
]


@pytest.mark.parametrize(("cv", "message"), WRONG_CV)
def test_wrong_cv_keys_are_config_errors(cv: dict[str, Any], message: str) -> None:
    doc = {"name": "t", "datasets": ["d"], "cv": cv, "classifiers": ["logreg"]}
    with pytest.raises(ConfigError) as exc:
        parse_config(doc)
    assert str(exc.value) == f"config: cv: {message} (got {cv!r})."


def test_bad_cv_values_are_config_errors() -> None:
    doc: dict[str, Any] = {"name": "t", "datasets": ["d"], "classifiers": ["logreg"]}
    with pytest.raises(ConfigError) as exc:
        parse_config({**doc, "cv": {"kind": "time"}})
    assert str(exc.value) == (
        "config: cv.kind: Input should be 'stratified', 'temporal' or 'group' (got 'time')."
    )
    with pytest.raises(ConfigError) as exc:
        parse_config({**doc, "cv": {"kind": "temporal", "order_by": "t", "gap": -1}})
    assert str(exc.value) == "config: cv.gap: Input should be greater than or equal to 0 (got -1)."


# ---- the splits ------------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [0, 7])
def test_temporal_split_is_time_series_split_on_the_stably_sorted_rows(gap: int) -> None:
    ds = _dataset()
    t = ds.X["t"].to_numpy()
    order = np.argsort(t, kind="stable")
    rank = np.empty(len(t), dtype=int)
    rank[order] = np.arange(len(t))
    ctx = _ctx(kind="temporal", order_by="t", n_splits=4, gap=gap)
    ref = list(TimeSeriesSplit(4, gap=gap).split(order))
    previous: np.ndarray = np.array([], dtype=int)
    for fold in range(4):
        train, test = outer_split(ds, ctx, 0, fold)
        np.testing.assert_array_equal(train, np.sort(order[ref[fold][0]]))
        np.testing.assert_array_equal(test, np.sort(order[ref[fold][1]]))
        # every training row comes before every test row in the column's order
        assert rank[train].max() < rank[test].min() and t[train].max() <= t[test].min()
        assert rank[test].min() - rank[train].max() - 1 == gap  # the gap rows are left out
        assert set(previous) < set(train)  # expanding window
        assert len(test) == len(t) // 5
        previous = train
    # ties keep the dataset's row order: the same split whatever the run
    assert [outer_split(ds, ctx, 0, 2)[1].tolist()] == [np.sort(order[ref[2][1]]).tolist()]


def test_temporal_split_sorts_text_columns_and_ignores_the_repeat() -> None:
    ds = _dataset()
    ds.X["t"] = [f"2024-{int(v) + 1:02d}" for v in ds.X["t"]]
    ctx = _ctx(kind="temporal", order_by="t", n_splits=3)
    train, test = outer_split(ds, ctx, 0, 1)
    assert max(ds.X["t"].iloc[train]) <= min(ds.X["t"].iloc[test])
    again = outer_split(ds, ctx, 1, 1)
    assert train.tolist() == again[0].tolist() and test.tolist() == again[1].tolist()


def test_group_split_never_puts_one_group_on_both_sides() -> None:
    ds = _dataset()
    ctx = _ctx(kind="group", group_by="g", n_splits=4)
    codes = pd.factorize(ds.X["g"].to_numpy())[0]
    tested: list[int] = []
    for repeat in (0, 1):
        ref = StratifiedGroupKFold(
            4, shuffle=True, random_state=derive_seed(0, "split", "d", repeat)
        ).split(np.zeros(len(ds.y)), ds.y, codes)
        for fold, (ref_train, ref_test) in enumerate(ref):
            train, test = outer_split(ds, ctx, repeat, fold)
            np.testing.assert_array_equal(train, ref_train)
            np.testing.assert_array_equal(test, ref_test)
            assert not set(ds.X["g"].iloc[train]) & set(ds.X["g"].iloc[test])
            if repeat == 0:
                tested += test.tolist()
    assert sorted(tested) == list(range(len(ds.y)))  # each row tested once per repeat
    assert outer_split(ds, ctx, 0, 0)[1].tolist() != outer_split(ds, ctx, 1, 0)[1].tolist()


def test_the_split_column_is_removed_from_the_features_only() -> None:
    ds = _dataset()
    view = features_only(ds, _ctx(kind="temporal", order_by="t"))
    assert list(view.X.columns) == ["g", "x"] and list(ds.X.columns) == ["t", "g", "x"]
    assert features_only(ds, _ctx(kind="temporal", order_by="t")) is view  # made once
    assert features_only(ds, _ctx()) is ds
    assert list(features_only(ds, _ctx(kind="group", group_by="g")).X.columns) == ["t", "x"]


def test_split_errors_name_the_problem_and_the_fix() -> None:
    ds = _dataset()
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="temporal", order_by="time"), 0, 0)
    assert (
        str(exc.value) == "dataset 'd' has no column 'time' (cv.order_by); its columns are: t, g, x"
    )
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="group", group_by="G"), 0, 0)
    assert str(exc.value) == "dataset 'd' has no column 'G' (cv.group_by); its columns are: t, g, x"
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="temporal", order_by="t", n_splits=12), 0, 0)
    assert str(exc.value) == (
        "dataset 'd': cv.order_by column 't' has 12 distinct values; temporal cv with "
        "n_splits=12 needs at least 13 (a first training window and one test window per fold); "
        "lower cv.n_splits"
    )
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="group", group_by="g", n_splits=31), 0, 0)
    assert str(exc.value) == (
        "dataset 'd': cv.group_by column 'g' has 30 distinct groups, fewer than "
        "cv.n_splits=31; lower cv.n_splits or group by a finer column"
    )
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="temporal", order_by="t", n_splits=5, gap=60), 0, 0)
    assert str(exc.value) == (
        "dataset 'd' has 300 rows: temporal cv with n_splits=5 and gap=60 leaves no training "
        "rows before the first test window (it needs more than 310); lower cv.n_splits or cv.gap"
    )
    ds.X.loc[[3, 5], "t"] = np.nan
    with pytest.raises(DatasetError) as exc:
        outer_split(ds, _ctx(kind="temporal", order_by="t"), 0, 0)
    assert str(exc.value) == (
        "dataset 'd': cv.order_by column 't' has 2 missing values; every row needs one to be "
        "placed in a fold"
    )


# ---- through the fold pipeline ---------------------------------------------------------------


def _run(
    tmp_path: Path, frame: pd.DataFrame, cv: dict[str, Any]
) -> tuple[list[dict[str, Any]], Any]:
    """Every group of a one-dataset experiment, run in this process with the cv given."""
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    config = ExperimentConfig.model_validate(
        {
            "name": "t",
            "datasets": [{"name": "d", "file": str(path), "target": "y"}],
            "cv": cv,
            "classifiers": ["logreg"],
            "metrics": ["f1", "pr_auc"],
        }
    )
    exp = resolve_experiment(config, tmp_path)
    ctx = RunContext(
        seed=0,
        n_splits=config.cv.n_splits,
        preprocessing=config.preprocessing.model_dump(),
        metrics=tuple(config.metrics),
        limit_threads=False,
        isolate=False,
        cv=config.cv,
    )
    rows = [r for g in plan(exp, exp.jobs()) for r in collect(g, ctx).rows]
    return sorted(rows, key=lambda r: r["fold"]), ctx


def _frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.standard_normal(n),
            "b": rng.standard_normal(n),
            "when": rng.permutation(np.arange(n) % 40),
            "who": rng.integers(0, 25, n),
            "y": (rng.random(n) < 0.15).astype(int),
        }
    )


@pytest.mark.parametrize(
    ("cv", "features"),
    [
        ({"kind": "temporal", "order_by": "when", "n_splits": 4}, 3),
        ({"kind": "group", "group_by": "who", "n_splits": 4}, 3),
        ({"n_splits": 4}, 4),
    ],
)
def test_the_split_column_never_reaches_preprocessing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cv: dict[str, Any], features: int
) -> None:
    seen: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = preprocess_part(*args, **kwargs)
        seen.append(out.X.shape[1])  # the preprocessed feature count
        return out

    monkeypatch.setattr("climb_cli.engine.pipeline.preprocess_part", spy)
    frame = _frame()
    rows, ctx = _run(tmp_path, frame, cv)
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert seen == [features] * 4
    # n_test_minority is the count of positives in each test fold
    ds = load_dataset(DatasetSpec(name="d", file=str(tmp_path / "d.csv"), target="y"))
    for fold, row in enumerate(rows):
        train, test = outer_split(ds, ctx, 0, fold)
        assert row["n_test"] == len(test) and row["n_train"] == len(train)
        assert row["n_test_minority"] == int(ds.y[test].sum()) == int(frame["y"].iloc[test].sum())


def test_a_test_fold_without_positives_is_skipped_saying_so(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[frame["when"] >= 30, "y"] = 0  # the positives stop: the last test window has none
    rows, _ = _run(tmp_path, frame, {"kind": "temporal", "order_by": "when", "n_splits": 4})
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "skipped"]
    assert rows[3]["error"] == (
        "fold 3's test part (80 rows) has no positive ('1') rows; its scores would be undefined"
    )
    assert rows[3]["n_test_minority"] == 0 and rows[3]["n_test"] == 80
    assert np.isnan(rows[3]["f1"])


def test_an_unknown_column_is_an_error_row_naming_the_columns(tmp_path: Path) -> None:
    rows, _ = _run(tmp_path, _frame(), {"kind": "temporal", "order_by": "time", "n_splits": 4})
    assert {r["status"] for r in rows} == {"error"}
    assert {r["error"] for r in rows} == {
        (
            "DatasetError: dataset 'd' has no column 'time' (cv.order_by); its columns are: "
            "a, b, when, who"
        )
    }


def test_skip_job_is_what_a_missing_class_raises() -> None:
    from climb_cli.engine.split import check_fold_classes

    ds = _dataset()
    with pytest.raises(SkipJob, match=r"^fold 2's training part \(3 rows\) has no class '0' rows"):
        check_fold_classes(ds, np.array([1, 1, 1]), np.array([0, 1]), 2)
    check_fold_classes(ds, np.array([0, 1]), np.array([0, 1]), 2)


# ---- the drift dataset -----------------------------------------------------------------------


def test_drift_dataset_is_seeded_binary_with_a_time_column() -> None:
    ds = load_dataset(load_catalog()["synthetic/drift"])
    assert ds.X.shape == (4000, 9) and list(ds.X.columns)[:2] == ["time", "x0"]
    assert ds.class_counts() == {"0": 3800, "1": 200}
    counts = ds.X["time"].value_counts()
    assert sorted(counts.index) == list(range(20)) and set(counts) == {200}
    X, y = make_drift()
    pd.testing.assert_frame_equal(ds.X, X.astype({"time": float}))
    assert (ds.y == y).all()
    with pytest.raises(DatasetError) as exc:
        load_dataset(
            load_catalog()["synthetic/drift"].model_copy(
                update={"synthetic": {"generator": "drfit"}}
            )
        )
    assert str(exc.value) == (
        "dataset 'synthetic/drift': unknown synthetic generator 'drfit'; valid generators are: "
        "drift, fraud (or no generator key: make_classification)"
    )


def test_bench_run_on_drift_temporal_scores_below_shuffled(cli: Any, tmp_path: Path) -> None:
    import yaml

    means = {}
    for kind, cv in {
        "stratified": {"n_splits": 5},
        "temporal": {"kind": "temporal", "order_by": "time", "n_splits": 5},
    }.items():
        config = tmp_path / f"{kind}.yaml"
        doc = {
            "name": kind,
            "datasets": ["synthetic/drift"],
            "cv": cv,
            "classifiers": {"logreg": {}},
            "metrics": ["roc_auc", "pr_auc", "f1"],
            "n_jobs": 1,
        }
        config.write_text(yaml.safe_dump(doc))
        out = tmp_path / kind
        result = cli("run", config, "--output", out, "--quiet")
        assert result.exit_code == 0, result.output
        df = pd.read_parquet(out / "results.parquet")
        assert list(df["status"]) == ["ok"] * 5
        assert df["n_test_minority"].sum() == (200 if kind == "stratified" else 164)
        if kind == "temporal":  # expanding windows: 4000 // 6 = 666 test rows each
            assert sorted(df["n_train"]) == [670, 1336, 2002, 2668, 3334]
            assert set(df["n_test"]) == {666}
        means[kind] = df[["roc_auc", "pr_auc", "f1"]].mean()
        assert cli("report", out).exit_code == 0
    # measured: pr_auc 0.60 shuffled vs 0.47 time-ordered (the data and splits are seeded)
    assert (means["temporal"] < means["stratified"]).all()
    assert means["stratified"]["pr_auc"] - means["temporal"]["pr_auc"] > 0.05


def test_fraud_generator_is_rare_wider_and_drifting() -> None:
    from climb_cli.datasets.synthetic import make_fraud

    X, y = make_fraud(n_samples=20000, positive_rate=0.01, random_state=3)
    assert list(X.columns[:2]) == ["time", "v1"] and X.columns[-1] == "amount"
    assert int(y.sum()) == 200 and X["time"].between(0, 47).all()
    v = X.filter(like="v").to_numpy()
    # frauds are spread wider than genuine rows (outside the direction they are shifted along)
    assert v[y == 1, 3:].std() > 1.5 * v[y == 0, 3:].std()
    # their mean direction turns with time: early and late frauds differ in (v1, v2)
    early, late = (y == 1) & (X["time"] < 16), (y == 1) & (X["time"] >= 32)
    assert np.linalg.norm(v[early, :2].mean(0) - v[late, :2].mean(0)) > 1.0
    assert (X["amount"] > 0).all()
    assert load_dataset(load_catalog()["synthetic/fraud"]).class_counts() == {"0": 9900, "1": 100}
