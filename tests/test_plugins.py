"""Plugins: registration API, conformance checks, loading (entry point, --plugin, BENCH_PLUGINS),
identity, manifest, compare, and workers (loky, dask) loading them the same way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from climb_cli import components, plugins
from climb_cli.plugins import PluginError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugin"
PLUGIN_FILE = EXAMPLE / "bench_example_plugin.py"
BENCH = str(Path(sys.executable).parent / "bench")


@pytest.fixture(autouse=True)
def _forget_plugins() -> Iterator[None]:
    yield
    plugins.unload_plugins()


def _example_config(tmp_path: Path, **overrides: Any) -> Path:
    doc = yaml.safe_load((EXAMPLE / "example.yaml").read_text())
    doc.update({"datasets": ["keel/ecoli3"], "n_jobs": 1, **overrides})
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class _Good(LogisticRegression):
    """A LogisticRegression under another name."""


def test_register_classifier_is_listed_with_its_origin_and_unload_forgets_it(cli: Any) -> None:
    plugins.register_classifier("good_lr", _Good, tags={"linear"})
    comp = components.get("classifier", "good_lr")
    assert comp.origin is not None and comp.origin.startswith(f"{__name__}==sha256:")
    assert {"linear", "supports_class_weight", "supports_sample_weight"} <= comp.tags
    assert comp.description == "A LogisticRegression under another name."
    recs = json.loads(cli("components", "--kind", "classifier", "--format", "json").stdout)
    rec = next(r for r in recs if r["name"] == "good_lr")
    assert rec["origin"] == comp.origin and rec["parameters"]["C"] == 1.0
    assert next(r for r in recs if r["name"] == "logreg")["origin"] == "built-in"
    plugins.unload_plugins()
    assert "good_lr" not in components.available("classifier")


def test_a_builtin_name_is_refused_unless_replace_and_restored_on_unload() -> None:
    with pytest.raises(PluginError) as err:
        plugins.register_classifier("logreg", _Good)
    assert str(err.value) == (
        f"plugin {__name__}: cannot register classifier 'logreg': the name is already registered "
        "by bench (built-in). Choose another name, or pass replace=True to replace it."
    )
    builtin = components.get("classifier", "logreg")
    plugins.register_classifier("logreg", _Good, replace=True)
    assert components.get("classifier", "logreg").origin is not None
    plugins.unload_plugins()
    assert components.get("classifier", "logreg") is builtin


class _Mutates(LogisticRegression):
    def __init__(self, C: float = 1.0) -> None:
        super().__init__(C=C * 2)  # breaks clone: the constructor changes its parameter


class _BadShape(LogisticRegression):
    def predict_proba(self, X: Any) -> Any:
        return super().predict_proba(X)[:, 1]


class _BadSampler:
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> _BadSampler:
        return self

    def fit_resample(self, X: Any, y: Any) -> Any:
        return X, y[:-1]


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (
            lambda: plugins.register_classifier("mutates", _Mutates),
            (
                "classifier 'mutates' failed the check 'cloneable (sklearn.base.clone)': RuntimeError: "
                "Cannot clone object"
            ),
        ),
        (
            lambda: plugins.register_classifier("bad_shape", _BadShape),
            (
                "classifier 'bad_shape' failed the check 'on a tiny dataset (60 rows, 45/15)': "
                "ValueError: predict_proba gave shape (60,); expected (60, 2), finite"
            ),
        ),
        (
            lambda: plugins.register_resampler("bad_sampler", _BadSampler),
            (
                "resampler 'bad_sampler' failed the check 'on a tiny dataset (60 rows, 45/15)': "
                "ValueError: fit_resample returned X of shape (60, 4) and y of length 59; expected "
                "(n, 4) and n"
            ),
        ),
        (
            lambda: plugins.register_metric("text", lambda y, p: "0.5"),
            (
                "metric 'text' failed the check 'returns a float on a tiny binary fold': TypeError: "
                "returned str '0.5', not a float"
            ),
        ),
        (
            lambda: plugins.register_classifier("bad name[x]", _Good),
            (
                "classifier name 'bad name[x]': use letters, digits, '_', '.' and '-' (it appears in "
                "labels)."
            ),
        ),
    ],
)
def test_registration_refuses_a_component_that_fails_a_check(register: Any, message: str) -> None:
    with pytest.raises(PluginError) as err:
        register()
    assert message in str(err.value)
    assert not any(i.how == "session" for i in plugins.loaded_plugins())


def test_plugin_metric_class_weight_and_threshold_are_usable() -> None:
    from sklearn.metrics import recall_score

    from climb_cli.components.metrics import get_metric

    plugins.register_metric("recall2", recall_score, greater_is_better=True)
    y, pred = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    assert get_metric("recall2")(y, pred, pred.astype(float), 2) == 0.5
    plugins.register_class_weight("pos3", lambda: lambda y_fit, y_train, names: {1: 3.0})
    assert components.get("class_weight", "pos3").build({})(y, y, ["a", "b"]) == {1: 3.0}
    from climb_cli.plugins import Decision, ThresholdStrategy

    plugins.register_threshold_strategy(
        "t03",
        lambda: ThresholdStrategy(True, None, lambda inner, prior, k: Decision(0.3)),
    )
    assert components.get("threshold", "t03").build({}).decide(None, None, 2).threshold == 0.3


def test_plugin_file_runs_end_to_end_and_is_in_the_manifest(cli: Any, tmp_path: Path) -> None:
    cfg = _example_config(tmp_path)
    res = cli("run", cfg, "-o", tmp_path / "a", "-q", "-j", "2", "--plugin", PLUGIN_FILE)
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "a" / "results.parquet")
    assert len(df) == 1 * 3 * 4 * 2 * 2 and set(df["status"]) == {"ok"}
    assert {"jitter_ros", "ros", "none"} == set(df["resampler"])
    (entry,) = json.loads((tmp_path / "a" / "manifest.json").read_text())["plugins"]
    assert entry["name"] == "bench_example_plugin" and entry["version"].startswith("sha256:")
    assert entry["origin"] == f"path:{PLUGIN_FILE}"
    assert entry["components"] == ["classifier:centroid", "resampler:jitter_ros"]
    # in-process (n_jobs=1) gives the same values as the loky workers that loaded the file
    res = cli("run", cfg, "-o", tmp_path / "b", "-q", "-j", "1", "--plugin", PLUGIN_FILE)
    b = pd.read_parquet(tmp_path / "b" / "results.parquet")
    cols = ["job_id", "f1", "balanced_accuracy", "roc_auc"]
    pd.testing.assert_frame_equal(df[cols], b[cols])


def test_plugin_code_change_is_a_new_job_and_builtin_ids_are_unchanged(tmp_path: Path) -> None:
    from climb_cli.api import validate

    builtin = {"name": "b", "datasets": ["keel/ecoli3"], "classifiers": ["logreg"]}
    before = [j.job_id for j in validate(builtin).jobs()]
    copy = tmp_path / "bench_example_plugin.py"
    shutil.copy(PLUGIN_FILE, copy)
    plugins.load_plugins([str(copy)])
    assert [j.job_id for j in validate(builtin).jobs()] == before
    cfg = {**builtin, "classifiers": ["centroid"]}
    first = [j.job_id for j in validate(cfg).jobs()]
    plugins.unload_plugins()
    copy.write_text(copy.read_text() + "\n# a change\n")
    plugins.load_plugins([str(copy)])
    assert set(first).isdisjoint(j.job_id for j in validate(cfg).jobs())


def test_parameters_are_validated_by_the_plugins_own_constraints(cli: Any, tmp_path: Path) -> None:
    cfg = _example_config(tmp_path, classifiers={"centroid": {"temperature": -1}})
    res = cli("validate", cfg, "--plugin", PLUGIN_FILE)
    assert res.exit_code == 2
    assert (
        "Error: classifier 'centroid': The 'temperature' parameter of "
        "CentroidClassifier must be a float in the range (0.0, inf). Got -1 instead.\n"
    ) == res.stderr


def test_requires_names_how_to_provide_a_missing_plugin(cli: Any, tmp_path: Path) -> None:
    res = cli("validate", _example_config(tmp_path))
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        "Error: requires: plugin 'bench-example-plugin' is not loaded (loaded plugins: none). "
        "Install a distribution that declares it as an entry point in the group "
        "'climb_cli.plugins' (pip install ...), or pass --plugin PATH_OR_MODULE, or set "
        "BENCH_PLUGINS."
    )
    ok = cli("validate", _example_config(tmp_path), "--plugin", PLUGIN_FILE)
    assert ok.exit_code == 0 and "valid. 48 jobs = 1 datasets x 16 methods" in ok.stdout


def test_components_check_prints_what_passed(cli: Any) -> None:
    res = cli("components", "--check", "centroid", "--plugin", PLUGIN_FILE)
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("classifier 'centroid' (bench_example_plugin==sha256:")
    assert lines[0].endswith("): all 5 checks passed")
    assert lines[1:] == [
        "  ok  builds with its default parameters: CentroidClassifier",
        "  ok  cloneable (sklearn.base.clone)",
        "  ok  get_params/set_params round-trip",
        "  ok  default parameters pass _parameter_constraints",
        "  ok  on a tiny dataset (60 rows, 45/15): fit, then predict_proba of shape (60, 2)",
    ]


def test_a_plugin_that_fails_to_import_is_one_message(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("1 / 0\n")
    res = cli("components", "--plugin", broken)
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: plugin broken sha256:") and res.stderr.strip().endswith(
        f"(file {broken}) failed to load: ZeroDivisionError: division by zero"
    )
    res = cli("components", "--plugin", "no_such_module_xyz")
    assert res.stderr.strip() == (
        "Error: --plugin no_such_module_xyz: no module named 'no_such_module_xyz' and no such "
        "file. Give the path of a .py file, or the name of an importable module."
    )


def test_compare_lists_plugin_version_changes() -> None:
    from climb_cli.report.compare import plugin_changes

    base = {"plugins": [{"name": "p", "version": "0.1.0"}, {"name": "gone", "version": "1"}]}
    cand = {"plugins": [{"name": "p", "version": "0.2.0"}, {"name": "new", "version": "2"}]}
    assert plugin_changes(base, cand) == [
        "plugin gone 1 -> -",
        "plugin new - -> 2",
        "plugin p 0.1.0 -> 0.2.0",
    ]
    assert plugin_changes({}, {}) == []


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/plugin installed with pip into a fresh directory (offline, no build isolation)."""
    tmp = tmp_path_factory.mktemp("plugin")
    shutil.copytree(EXAMPLE, tmp / "src")  # the build writes next to its sources
    site = tmp / "site"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*cmd, "--no-index", "--target", site, tmp / "src"], check=True)
    return site


def _bench(site: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    return subprocess.run(
        [BENCH, *map(str, args)], env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_installed_entry_point_runs_the_example_end_to_end(installed: Path, tmp_path: Path) -> None:
    cfg = _example_config(tmp_path)
    res = _bench(installed, "run", cfg, "-o", tmp_path / "out", "-q", "-j", "2")
    assert res.returncode == 0, res.stderr
    df = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert len(df) == 48 and set(df["status"]) == {"ok"}
    assert set(df["classifier"]) == {"logreg", "centroid"}
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text())["plugins"]
    assert (entry["name"], entry["version"], entry["distribution"]) == (
        "bench-example-plugin",
        "0.1.0",
        "bench-example-plugin",
    )
    assert entry["origin"] == "entry_point:bench-example-plugin"
    # the same code through --plugin FILE clashes with the installed one: one clear message
    clash = _bench(installed, "components", "--plugin", PLUGIN_FILE)
    assert clash.returncode == 2 and "already registered by plugin bench-example-plugin 0.1.0" in (
        clash.stderr
    )


def test_help_does_not_load_plugins(tmp_path: Path) -> None:
    # a broken plugin in BENCH_PLUGINS does not stop `bench --help` (plugins load lazily)
    env = {**os.environ, "BENCH_PLUGINS": str(tmp_path / "missing.py")}
    res = subprocess.run([BENCH, "--help"], env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "Usage:" in res.stdout
    res = subprocess.run(
        [BENCH, "components"], env=env, capture_output=True, text=True, check=False
    )
    assert res.returncode == 2
    assert (
        res.stderr.strip()
        == f"Error: --plugin {tmp_path / 'missing.py'}: no such file (give a .py file or a module name)."
    )


@pytest.mark.slow
def test_dask_workers_load_plugins_and_match_loky(cli: Any, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    cfg = _example_config(tmp_path, n_jobs=2)
    loky = cli("run", cfg, "-o", tmp_path / "loky", "-q", "--plugin", PLUGIN_FILE)
    dask = cli(
        "run", cfg, "-o", tmp_path / "dask", "-q", "--backend", "dask", "--plugin", PLUGIN_FILE
    )
    assert loky.exit_code == dask.exit_code == 0, dask.output
    a = pd.read_parquet(tmp_path / "loky" / "results.parquet")
    b = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    cols = ["job_id", "status", "f1", "balanced_accuracy", "roc_auc"]
    assert set(b["status"]) == {"ok"}
    pd.testing.assert_frame_equal(a[cols], b[cols])


def _toy_source(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two Gaussian blobs, 10% positives."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 10 == 0).astype(int)
    X = pd.DataFrame(rng.normal(size=(n, 3)) + y[:, None] * 1.5, columns=["a", "b", "c"])
    return X, y


def test_a_plugin_dataset_source_is_usable_from_a_config(cli: Any, tmp_path: Path) -> None:
    from climb_cli.api import validate

    plugins.register_dataset_source("toy_blobs", _toy_source, description="toy blobs")
    doc = {
        "name": "src",
        "datasets": [{"name": "mine/blobs", "plugin": "toy_blobs", "params": {"n": 200}}],
        "classifiers": ["logreg"],
        "cv": {"n_splits": 2},
        "n_jobs": 1,
        "isolate": False,
    }
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    res = cli("run", cfg, "-o", tmp_path / "o", "-q")
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert set(df["status"]) == {"ok"} and (df["n_test"] == 100).all()
    # the source's code version (its plugin's name and version) is part of the dataset's identity
    from climb_cli.grid import dataset_identity

    exp = validate(doc)
    origin = components.get("dataset_source", "toy_blobs").origin
    assert origin and dataset_identity(exp.datasets["mine/blobs"])["origin"] == origin
    bad = {**doc, "datasets": [{"name": "x", "plugin": "nope"}]}
    cfg.write_text(yaml.safe_dump(bad))
    out = cli("validate", cfg)
    assert out.exit_code == 2
    assert out.stderr.startswith("Error: datasets.x: unknown dataset_source 'nope'.")
