"""CLIMB's protocol as configs (issue #11): the full grid, its TPE variant, the offline variant, and
the ``cached_only`` dataset selection that lets a partially cached catalog run without errors.
Every cache here is a small fake one built in tmp_path (no shared data needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.config import DatasetSelection, load_config
from climb_cli.datasets.catalog import load_catalog
from climb_cli.datasets.openml_source import OpenMLOptions, dataset_dir
from climb_cli.datasets.select import select_datasets, uncached
from climb_cli.errors import ConfigError
from climb_cli.grid import resolve_experiment

from .openml_fakes import write_cached_dataset

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# the CLIMB datasets of ../shared/data/openml-seed (by OpenML id) and three seed datasets that are
# not CLIMB's (CLIMB's adult is OpenML 45068, not the seed's 1590)
SEED_CLIMB_IDS = {43, 1489, 40713, 40671, 30, 40707, 46281, 45562, 310, 40900}
SEED_OTHER_IDS = {37, 1590, 40668}
RESAMPLERS = {
    *("rus", "cluster_centroids", "iht", "nearmiss"),
    *("tomek", "enn", "renn", "allknn", "oss", "ncr"),
    *("ros", "smote", "borderline_smote", "svm_smote", "adasyn"),
}
ENSEMBLES = {
    *("spe", "balance_cascade", "brf", "easy_ensemble", "rusboost", "underbagging"),
    *("overboost", "smoteboost", "overbagging", "smote_bagging"),
    *("cs", "adacost", "adauboost", "asymboost"),
}


def _frame(seed: int, n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["target"] = np.where(frame.x1 + rng.normal(0, 0.5, n) > 0.8, "pos", "neg")
    return frame


def _cache(root: Path, ids: set[int]) -> OpenMLOptions:
    for did in sorted(ids):
        write_cached_dataset(root, did, f"d{did}", _frame(did), "target")
    return OpenMLOptions(cache_dir=str(root), offline=True)


@pytest.fixture
def catalog() -> dict[str, Any]:
    return load_catalog()


def _climb_names(catalog: dict[str, Any], ids: set[int]) -> list[str]:
    return [n for n, s in catalog.items() if "climb" in s.tags and s.openml in ids]


def test_cached_only_keeps_the_cached_openml_entries_and_says_what_it_left_out(
    tmp_path: Path, catalog: dict[str, Any]
) -> None:
    options = _cache(tmp_path / "cache", {43, 1489, 40668})
    notes: list[str] = []
    picked = select_datasets(
        DatasetSelection(tags=["climb"], cached_only=True), catalog, options, notes
    )
    assert picked == _climb_names(catalog, {43, 1489})  # catalog order; 40668 is not CLIMB's
    where = tmp_path / "cache" / "openml"
    missing = [n for n in _climb_names(catalog, set(range(10**6))) if n not in picked]
    assert notes == [
        (
            f"datasets: cached_only left out 71 of 73 selected datasets whose OpenML files are "
            f"not in the cache under {where} ({', '.join(missing[:5])} and 66 more); fill it "
            "with `bench datasets fetch --tag climb` on a machine that reaches OpenML, or "
            "`bench datasets import-cache PATH`."
        )
    ]
    # without cached_only nothing is left out and nothing is noted
    notes.clear()
    assert len(select_datasets(DatasetSelection(tags=["climb"]), catalog, options, notes)) == 73
    assert notes == []


def test_a_description_without_its_data_file_is_not_cached(
    tmp_path: Path, catalog: dict[str, Any]
) -> None:
    options = _cache(tmp_path / "cache", {43, 1489})
    (dataset_dir(options, 1489) / "dataset_1489.pq").unlink()
    assert uncached(["climb/haberman", "climb/phoneme"], catalog, options) == [
        ("climb/phoneme", 1489)
    ]
    # an ARFF file is a data file too (openml falls back to it)
    (dataset_dir(options, 1489) / "dataset.arff").write_text("@relation x\n")
    assert uncached(["climb/haberman", "climb/phoneme"], catalog, options) == []


def test_cached_only_filters_explicit_names_and_keeps_bundled_data(
    tmp_path: Path, catalog: dict[str, Any]
) -> None:
    options = _cache(tmp_path / "cache", {43})
    selection = DatasetSelection(
        names=[
            "keel/ecoli3",
            "openml:43",
            "openml:424242",
            {"name": "mine", "openml": 424243},
            {"name": "inline-cached", "openml": 43},
            "sklearn/breast_cancer",
        ],
        cached_only=True,
    )
    notes: list[str] = []
    assert select_datasets(selection, catalog, options, notes) == [
        "keel/ecoli3",
        "openml:43",
        {"name": "inline-cached", "openml": 43},
        "sklearn/breast_cancer",
    ]
    assert notes[0].startswith(
        "datasets: cached_only left out 2 of 6 selected datasets whose OpenML files are not in "
        f"the cache under {tmp_path / 'cache' / 'openml'} (openml:424242, mine); fill it with "
        "`bench datasets fetch NAME...`"
    )


def test_nothing_cached_is_one_clear_error(tmp_path: Path, catalog: dict[str, Any]) -> None:
    options = _cache(tmp_path / "cache", set())
    with pytest.raises(ConfigError) as err:
        select_datasets(DatasetSelection(tags=["climb"], cached_only=True), catalog, options)
    assert str(err.value) == (
        "datasets: cached_only is set and none of the 73 selected datasets is in the OpenML "
        f"cache under {tmp_path / 'cache' / 'openml'}; fill it with `bench datasets fetch "
        "--tag climb` on a machine that reaches OpenML, or `bench datasets import-cache PATH`."
    )


def test_cached_only_is_not_a_fact_filter_and_must_be_a_boolean() -> None:
    assert DatasetSelection(tags=["climb"], cached_only=True).filters() == {}
    with pytest.raises(ValueError, match="cached_only"):
        DatasetSelection(tags=["climb"], cached_only="sometimes")


def test_validate_counts_only_the_cached_climb_datasets(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, catalog: dict[str, Any]
) -> None:
    """configs/climb_offline.yaml against a cache holding what the offline seed holds."""
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "seed-cache"))
    result = cli("validate", CONFIGS / "climb_offline.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: datasets: cached_only is set and none of the 73 selected datasets is in the "
        "OpenML cache under"
    )
    _cache(tmp_path / "seed", SEED_CLIMB_IDS | SEED_OTHER_IDS)
    assert cli("datasets", "import-cache", tmp_path / "seed").exit_code == 0
    result = cli("validate", CONFIGS / "climb_offline.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        f"{CONFIGS / 'climb_offline.yaml'}: valid. 1500 jobs = 10 datasets x 30 methods x "
        "5 folds x 1 repeats."
    )
    assert "note: datasets: cached_only left out 63 of 73 selected datasets" in result.stderr
    exp = resolve_experiment(load_config(CONFIGS / "climb_offline.yaml"), CONFIGS)
    assert sorted(exp.datasets) == sorted(_climb_names(catalog, SEED_CLIMB_IDS))


def test_run_cache_dir_reaches_cached_only(
    tmp_path: Path, cli: Any, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bench run --cache-dir` is the cache a cached_only selection looks in, not the env's."""
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "empty"))
    _cache(tmp_path / "mine", {43, 1489})
    cfg = write_config(
        {
            "datasets": {"tags": ["climb"], "max_ir": 3, "cached_only": True},
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"dt": {}},
            "metrics": ["pr_auc"],
        }
    )
    out = tmp_path / "out"
    result = cli("run", cfg, "-o", out, "--offline", "-q", "--cache-dir", tmp_path / "mine")
    assert result.exit_code == 0, result.stderr
    assert sorted(pd.read_parquet(out / "results.parquet")["dataset"].unique()) == [
        "climb/haberman",
        "climb/phoneme",
    ]


def test_a_partially_cached_catalog_runs_offline_without_errors(
    tmp_path: Path, cli: Any, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    _cache(tmp_path / "cache", {43, 1489})
    cfg = write_config(
        {
            "datasets": {"tags": ["climb"], "max_ir": 3, "cached_only": True},
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"dt": {}},
            "metrics": ["pr_auc", "f1_macro", "balanced_accuracy"],
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "out", "--offline", "-q")
    assert result.exit_code == 0, result.stderr
    df = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert sorted(df["dataset"].unique()) == ["climb/haberman", "climb/phoneme"]
    assert len(df) == 2 * 3 and set(df["status"]) == {"ok"}
    assert df.groupby("dataset")["n_test"].sum().eq(90).all()


def _cells(exp: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [(rs.name, clf.name, clf.params_dict) for rs, _, _, clf in exp.cells]


def test_climb_config_is_the_29_methods_with_100_tree_members() -> None:
    exp = resolve_experiment(load_config(CONFIGS / "climb.yaml"), CONFIGS)
    assert len(exp.datasets) == 73 and exp.n_jobs_total == 73 * 30 * 5
    assert exp.config.metrics == ["pr_auc", "f1_macro", "balanced_accuracy"]
    assert exp.config.cv.n_splits == 5 and exp.config.cv.n_repeats == 1
    cells = _cells(exp)
    assert {rs for rs, clf, _ in cells if clf == "dt"} == RESAMPLERS | {"none"}
    assert all(params == {} for _, clf, params in cells if clf == "dt")
    ensembles = {clf: params for rs, clf, params in cells if clf != "dt"}
    assert set(ensembles) == ENSEMBLES
    assert {rs for rs, clf, _ in cells if clf != "dt"} == {"none"}
    for name, params in ensembles.items():
        assert params.get("n_estimators", 100) == 100, name
        if name not in ("spe", "brf", "easy_ensemble", "rusboost"):  # trees by construction
            assert params["estimator"] == "dt", name
    assert {cw.name for _, cw, _, _ in exp.cells} == {"none"}
    assert {th.name for _, _, th, _ in exp.cells} == {"default"}


def test_climb_tpe_config_tunes_every_method_with_tpe() -> None:
    from climb_cli.tuning.space import is_tuned

    exp = resolve_experiment(load_config(CONFIGS / "climb_tpe.yaml"), CONFIGS)
    assert exp.n_jobs_total == 73 * 30 * 5
    assert exp.config.tuning.search == "tpe" and exp.config.tuning.objective == "pr_auc"
    assert exp.config.tuning.inner.cv == 3
    plain = _cells(resolve_experiment(load_config(CONFIGS / "climb.yaml"), CONFIGS))
    assert sorted((rs, clf) for rs, clf, _ in _cells(exp)) == sorted(
        (rs, clf) for rs, clf, _ in plain
    )
    for rs, _, _, clf in exp.cells:
        tuned = [v for c in (rs, clf) for v in c.params_dict.values() if is_tuned(v)]
        assert tuned, f"{rs.label}+{clf.label} tunes nothing"
        assert clf.params_dict.get("n_estimators", 100) == 100


def test_climb_robustness_config_runs_every_method_at_every_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "c"))
    _cache(tmp_path / "c", {43, 1489})  # haberman, phoneme: binary, under 6,000 rows
    exp = resolve_experiment(load_config(CONFIGS / "climb_robustness.yaml"), CONFIGS)
    assert sorted(exp.datasets) == ["climb/haberman", "climb/phoneme"]
    levels = [None if p is None else p.label for p in exp.perturbations]
    assert levels == [
        None,
        "label_noise[rate=0.1]",
        "label_noise[rate=0.2]",
        "label_noise[rate=0.3]",
        "missing[rate=0.1]",
        "missing[rate=0.2]",
        "missing[rate=0.3]",
        "extra_imbalance[factor=2]",
        "extra_imbalance[factor=3]",
        "extra_imbalance[factor=5]",
    ]
    assert exp.n_methods == 7 * 10 and len(exp.jobs()) == 2 * 70 * 5
