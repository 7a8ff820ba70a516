"""OpenML through the real openml-python client: an offline cache built here, a loopback server
imitating OpenML's routes, a generated seed cache run end to end, and (optional, when the team's
shared data is present) every dataset of the shared offline seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.datasets.loaders import load_dataset
from climb_cli.datasets.openml_source import OpenMLOptions, dataset_dir, import_cache, is_cached
from climb_cli.errors import DatasetError

from .conftest import shared_data
from .openml_fakes import FakeOpenML, write_cached_dataset


def _breast_cancer_frame() -> pd.DataFrame:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    frame["diagnosis"] = bunch.target.map({0: "malignant", 1: "benign"})
    return frame


@pytest.fixture
def offline_cache(tmp_path: Path) -> OpenMLOptions:
    """A pre-populated cache built from scikit-learn's bundled data; offline mode."""
    write_cached_dataset(
        tmp_path / "cache", 990001, "breast-cancer", _breast_cancer_frame(), "diagnosis"
    )
    return OpenMLOptions(cache_dir=str(tmp_path / "cache"), offline=True)


def test_offline_cache_loads_through_openml(offline_cache: OpenMLOptions) -> None:
    ds = load_dataset(DatasetSpec(name="bc", openml=990001), offline_cache)
    bunch = load_breast_cancer(as_frame=True)
    assert ds.X.shape == (569, 30)
    np.testing.assert_allclose(ds.X.to_numpy(), bunch.data.to_numpy())
    assert ds.pos_label == "malignant" and int(ds.y.sum()) == 212


def test_unknown_id_offline_fails_at_once(
    offline_cache: OpenMLOptions, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(offline_cache.cache_dir or "")
    folder = root / "openml" / "org" / "openml" / "www" / "datasets" / "424242"
    expected = (
        f"dataset 'openml:424242': OpenML dataset 424242 is not in the cache ({folder}) and "
        "offline mode forbids downloading; fill it with `bench datasets fetch "
        "openml:424242` on a machine that reaches OpenML (and copy the cache), or `bench "
        "datasets import-cache PATH` from an openml cache tree"
    )
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="openml:424242", openml=424242), offline_cache)
    assert str(err.value) == expected
    monkeypatch.setenv("BENCH_CACHE_DIR", str(root))
    result = cli("datasets", "info", "openml:424242", "--offline")
    assert result.exit_code == 2 and result.stderr.strip() == f"Error: {expected}"
    assert not folder.exists()  # nothing was created (or deleted) for it


def test_corrupt_cache_file_is_explained(offline_cache: OpenMLOptions) -> None:
    folder = Path(offline_cache.cache_dir or "") / "openml/org/openml/www/datasets/990001"
    (folder / "dataset_990001.pq").write_bytes(b"not a parquet file")
    with pytest.raises(
        DatasetError,
        match=r"^dataset 'bc': OpenML dataset 990001: the cached "
        r"files in .*990001 cannot be read \(",
    ):
        load_dataset(DatasetSpec(name="bc", openml=990001), offline_cache)


def test_run_with_a_missing_openml_dataset_records_error_rows(
    offline_cache: OpenMLOptions,
    cli: Any,
    write_config: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENCH_CACHE_DIR", offline_cache.cache_dir or "")
    cfg = write_config(
        {
            "datasets": ["openml:990001", "openml:424242"],
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "o", "--offline", "-q")
    assert result.exit_code == 1
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert set(df.loc[df.dataset == "openml:990001", "status"]) == {"ok"}
    bad = df[df.dataset == "openml:424242"]
    assert len(bad) == 3 and set(bad["status"]) == {"error"}
    assert (
        bad["error"]
        .str.startswith(
            "DatasetError: dataset 'openml:424242': OpenML dataset 424242 is not in the cache"
        )
        .all()
    )


@pytest.fixture
def fake_openml(tmp_path: Path) -> Any:
    iris = load_iris(as_frame=True)
    frame = iris.data.copy()
    frame["species"] = iris.target.map(dict(enumerate(iris.target_names)))
    frame.insert(0, "row_id", np.arange(len(frame)))
    with FakeOpenML(
        {
            990002: ("breast-cancer", _breast_cancer_frame(), "diagnosis"),
            990003: ("iris", frame, "species"),
            990004: ("tampered", _breast_cancer_frame(), "diagnosis"),
        },
        bad_md5={990004},
    ) as server:
        yield server, OpenMLOptions(cache_dir=str(tmp_path / "c"), server=server.server_url)


def test_first_download_then_cache(fake_openml: Any) -> None:
    server, options = fake_openml
    assert not is_cached(options, 990002)
    ds = load_dataset(DatasetSpec(name="bc", openml=990002), options)
    assert ds.X.shape == (569, 30) and int(ds.y.sum()) == 212
    assert server.requests == [
        "/api/v1/xml/data/990002",
        "/data/v1/download/990002/breast-cancer.arff",
    ]
    assert is_cached(options, 990002)
    # openml derives the cache layout from the server's netloc (127.0.0.1:port -> 1:port/0/0/127)
    folder = dataset_dir(options, 990002)
    assert folder.relative_to(Path(options.cache_dir) / "openml").parts[-3:] == (
        "127",
        "datasets",
        "990002",
    )
    assert (folder / "dataset.arff").is_file() and (folder / "description.xml").is_file()
    server.requests.clear()
    again = load_dataset(
        DatasetSpec(name="bc", openml=990002),
        OpenMLOptions(cache_dir=options.cache_dir, server=options.server, offline=True),
    )
    assert server.requests == []
    pd.testing.assert_frame_equal(ds.X, again.X)


def test_multiclass_and_row_id_from_the_server(fake_openml: Any) -> None:
    _server, options = fake_openml
    ds = load_dataset(DatasetSpec(name="iris", openml=990003), options)
    assert ds.n_classes == 3 and ds.class_counts() == {
        "setosa": 50,
        "versicolor": 50,
        "virginica": 50,
    }
    assert list(ds.X.columns) == [
        "row_id",
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ]


def test_unknown_id_on_the_server(fake_openml: Any) -> None:
    server, options = fake_openml
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="nope", openml=990999), options)
    assert str(err.value) == (
        "dataset 'nope': OpenML dataset 990999 does not exist (the server "
        "answered: Unknown dataset)"
    )
    assert server.requests == ["/api/v1/xml/data/990999"]


def test_md5_mismatch_is_refused(fake_openml: Any) -> None:
    _server, options = fake_openml
    with pytest.raises(DatasetError) as err:
        load_dataset(DatasetSpec(name="t", openml=990004), options)
    assert str(err.value) == (
        "dataset 't': OpenML dataset 990004: the downloaded file failed its "
        "md5 check; try again later"
    )
    assert not is_cached(options, 990004)


def test_unreachable_server_fails_fast(tmp_path: Path) -> None:
    # a closed loopback port: connection refused, retried a bounded number of times
    import socket
    import time

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    options = OpenMLOptions(
        cache_dir=str(tmp_path / "c"), server=f"http://127.0.0.1:{port}/api/v1/xml"
    )
    start = time.monotonic()
    with pytest.raises(
        DatasetError,
        match=r"^dataset 'x': OpenML dataset 5 cannot be downloaded: "
        r"http://127\.0\.0\.1:\d+/api/v1/xml is unreachable "
        r"\(ConnectionError\)",
    ):
        load_dataset(DatasetSpec(name="x", openml=5), options)
    assert time.monotonic() - start < 20


def _haberman_like(seed: int = 0, n: int = 306) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(30, 84, n).astype(float),
            "year": rng.integers(58, 70, n).astype(float),
            "nodes": rng.poisson(4, n).astype(float),
        }
    )
    frame["survival"] = np.where(np.arange(n) < 81, "died", "survived")
    return frame


def test_import_cache_copies_and_never_touches_the_source(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_cached_dataset(src, 43, "haberman", _haberman_like(), "survival")
    folder = src / "openml" / "org" / "openml" / "www" / "datasets" / "43"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    options = OpenMLOptions(cache_dir=str(tmp_path / "mine"), offline=True)
    assert import_cache(src, options) == [43]
    ds = load_dataset(DatasetSpec(name="haberman", openml=43), options)
    assert len(ds.y) == 306 and int(ds.y.sum()) == 81 and ds.pos_label == "died"
    # loading wrote openml's pickles into our cache only; the source is byte for byte the same
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert dataset_dir(options, 43).is_relative_to(tmp_path / "mine")


def _generated_seed(root: Path) -> pd.DataFrame:
    """A small seed cache like ../shared/data/openml-seed: binary and multiclass, numeric and
    string categoricals (``b'a'`` style, as seismic-bumps has), one heavily imbalanced."""
    rng = np.random.default_rng(1)
    n = 240
    multi = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    multi["cls"] = np.where(multi.x1 > 0.9, "c", np.where(multi.x2 > 0.4, "b", "a"))
    cat = pd.DataFrame({"shift": rng.choice(["b'W'", "b'N'"], n), "energy": rng.gamma(2.0, size=n)})
    cat["class"] = np.where(cat.energy + rng.normal(0, 0.3, n) > 4.0, "1", "0")
    skew = pd.DataFrame({"v": rng.normal(size=n)})
    skew["y"] = np.where(skew.v > 1.6, "pos", "neg")
    frames = {
        990101: ("haberman-like", _haberman_like(), "survival"),
        990102: ("multi", multi, "cls"),
        990103: ("bumps-like", cat, "class"),
        990104: ("skewed", skew, "y"),
    }
    for did, (name, frame, target) in frames.items():
        write_cached_dataset(root, did, name, frame, target)
    return pd.DataFrame(
        [
            {"openml_id": did, "rows": len(f), "classes": f[t].nunique()}
            for did, (_, f, t) in frames.items()
        ]
    )


def test_generated_seed_runs_offline(
    cli: Any, write_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed workflow with no shared data: import a cache tree, then run offline, all jobs ok."""
    seed = _generated_seed(tmp_path / "seed")
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    options = OpenMLOptions(cache_dir=str(tmp_path / "cache"))
    assert import_cache(tmp_path / "seed", options) == [990101, 990102, 990103, 990104]
    cfg = write_config(
        {
            "datasets": [f"openml:{i}" for i in seed["openml_id"]],
            "cv": {"n_splits": 3},
            "resamplers": ["none", "rus"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"lgbm": {"n_estimators": 10}},
            "metrics": ["balanced_accuracy", "roc_auc"],
            "n_jobs": 1,
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "out", "--offline", "-q")
    assert result.exit_code == 0, result.stderr
    df = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert len(df) == 4 * 2 * 3 and set(df["status"]) == {"ok"}
    sizes = dict(zip(seed["openml_id"].map(lambda i: f"openml:{i}"), seed["rows"]))
    for name, g in df.groupby("dataset"):
        assert g.groupby("resampler")["n_test"].sum().eq(sizes[name]).all()


@pytest.mark.slow
def test_every_seed_dataset_runs_offline(
    cli: Any, write_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All 16 real datasets of ../shared/data/openml-seed, copied to a cache of our own: a small
    grid runs with every job ok (multiclass ones and seismic-bumps' string categoricals too)."""
    seed_dir = shared_data("openml-seed")
    cache = tmp_path / "cache"
    monkeypatch.setenv("BENCH_CACHE_DIR", str(cache))
    assert cli("datasets", "import-cache", seed_dir).exit_code == 0
    seed = pd.read_csv(seed_dir / "datasets.csv")
    cfg = write_config(
        {
            "datasets": [f"openml:{i}" for i in seed["openml_id"]],
            "resamplers": ["none", "rus"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": {"lgbm": {"n_estimators": 20}},
            "metrics": ["balanced_accuracy", "roc_auc", "f1"],
            "n_jobs": 2,
        }
    )
    result = cli("run", cfg, "--output", tmp_path / "seed", "--offline", "-q")
    assert result.exit_code == 0, result.stderr
    df = pd.read_parquet(tmp_path / "seed" / "results.parquet")
    assert len(df) == 16 * 2 * 3 and set(df["status"]) == {"ok"}
    sizes = dict(zip(seed["openml_id"].map(lambda i: f"openml:{i}"), seed["rows"]))
    for name, g in df.groupby("dataset"):
        assert g.groupby("resampler")["n_test"].sum().eq(sizes[name]).all()
    # without resampling every model ranks well above chance (ROC AUC 0.5); at the default
    # threshold the most imbalanced binary ones predict almost all negative (balanced accuracy
    # near 1/k). With RUS, tiny multiclass minorities (5 rows in wine-quality-white) leave
    # LightGBM too few rows to split at all.
    plain = df[df.resampler == "none"].groupby("dataset")[["balanced_accuracy", "roc_auc"]].mean()
    chance = 1 / seed.set_index(seed["openml_id"].map(lambda i: f"openml:{i}"))["classes"]
    assert (plain["roc_auc"] > 0.65).all()
    assert (plain["balanced_accuracy"] >= chance[plain.index]).all()


def test_fetch_command_downloads_then_reports_cached(
    fake_openml: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, options = fake_openml
    monkeypatch.setenv("BENCH_OPENML_SERVER", server.server_url)
    monkeypatch.setenv("BENCH_CACHE_DIR", options.cache_dir)
    first = cli("datasets", "fetch", "openml:990002", "openml:990003", "-q")
    assert first.exit_code == 0
    assert first.stdout.splitlines() == [
        "openml:990002: downloaded (OpenML 990002)",
        "openml:990003: downloaded (OpenML 990003)",
        f"2 of 2 OpenML datasets in the cache ({Path(options.cache_dir) / 'openml'})",
    ]
    n_requests = len(server.requests)
    again = cli("datasets", "fetch", "openml:990002", "openml:990999", "-q")
    assert again.exit_code == 1
    assert again.stdout.splitlines()[0] == "openml:990002: already cached (OpenML 990002)"
    assert again.stderr.strip() == (
        "Error: dataset 'openml:990999': OpenML dataset 990999 does "
        "not exist (the server answered: Unknown dataset)"
    )
    assert server.requests[n_requests:] == ["/api/v1/xml/data/990999"]


def test_cache_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    write_cached_dataset(tmp_path / "src", 43, "haberman", _haberman_like(), "survival")
    options = OpenMLOptions(cache_dir=str(tmp_path / "file"), offline=True)
    expected = (
        f"bench's cache folder {tmp_path / 'file'} is a file, not a folder; point "
        "--cache-dir or BENCH_CACHE_DIR at a folder"
    )
    for call in (
        lambda: import_cache(tmp_path / "src", options),
        lambda: load_dataset(DatasetSpec(name="h", openml=43), options),
    ):
        with pytest.raises(DatasetError) as err:
            call()
        assert str(err.value) == expected
