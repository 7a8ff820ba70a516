"""Property-based tests: random configs into `bench validate`, random files into the file loaders.

The promise under test: any input ends in exit 0 or 2 (a clean result or one message), a loaded
Dataset or a DatasetError, never a traceback or a hang.

Profiles (registered in tests/conftest.py): ``ci`` is the default, 30 examples per property and
derandomized, so the whole file stays within seconds in CI. For a local bug hunt run

    HYPOTHESIS_PROFILE=long pytest -q tests/test_fuzz.py -p no:cacheprovider

(2000 examples per property, several minutes). A failure prints the minimal input that broke it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.datasets.loaders import FILE_TYPES, Dataset, check_file, load_dataset
from climb_cli.errors import DatasetError

LIMIT_S = 30  # one example taking longer is a hang


@contextmanager
def time_limit(seconds: int = LIMIT_S) -> Iterator[None]:
    """Fail (instead of waiting forever) when the body runs longer than ``seconds``."""

    def expire(*_: Any) -> None:
        raise TimeoutError(f"no answer within {seconds}s: a hang")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _validate(cli: Any, path: Path) -> None:
    with time_limit():
        result = cli("validate", path)  # catch_exceptions=False: a traceback fails the test
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


# --- configs -------------------------------------------------------------------------------------

KEYS = [
    "name",
    "seed",
    "datasets",
    "cv",
    "n_splits",
    "n_repeats",
    "classifiers",
    "resamplers",
    "class_weights",
    "thresholds",
    "metrics",
    "n_jobs",
    "timeout_s",
    "memory_mb",
    "isolate",
    "catalog",
    "file",
    "target",
    "pos_label",
    "tags",
    "logreg",
    "smote",
    "C",
    "k_neighbors",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "x",
            "logreg",
            "smote",
            "sklearn/iris",
            "keel/yeast4",
            "openml:31",
            "f1",
            "../../etc/passwd",
            "a.csv",
            "none",
        ]
    ),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=12,
)

BASE: dict[str, Any] = {
    "name": "fuzz",
    "seed": 1,
    "datasets": ["sklearn/iris", "sklearn/breast_cancer"],
    "cv": {"n_splits": 3, "n_repeats": 1},
    "resamplers": {"none": {}, "smote": {"k_neighbors": [3, 5]}},
    "class_weights": ["none", "balanced"],
    "thresholds": {"default": {}},
    "classifiers": {"logreg": {"C": [0.5, 1.0]}, "dt": {"max_depth": 3}},
    "metrics": ["f1", "roc_auc"],
    "n_jobs": 1,
}


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_configs(draw: Any) -> str:
    """BASE with a few random edits: a value replaced, a key removed or added, a key repeated."""
    import copy

    doc: Any = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths[1:])) if len(paths) > 1 else ()
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            doc = draw(values)
        elif op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(values)
        else:
            parent.append(draw(values))
    text = yaml.safe_dump(doc, sort_keys=False)
    if draw(st.booleans()) and isinstance(doc, dict) and doc:
        key = draw(st.sampled_from(list(doc)))
        text += yaml.safe_dump({key: doc[key]})  # the same key again at the end
    return text


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    doc=st.one_of(
        values.map(lambda v: yaml.safe_dump(v).encode()),
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
    )
)
def test_random_documents_validate_cleanly(cli: Any, tmp_path: Path, doc: bytes) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(doc)
    _validate(cli, path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated_configs())
def test_mutated_configs_validate_cleanly(cli: Any, tmp_path: Path, text: str) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(text)
    _validate(cli, path)


# --- file datasets -------------------------------------------------------------------------------


def _assert_clean(ds: Dataset) -> None:
    """What every loader promises the engine."""
    assert len(ds.X) == len(ds.y) > 0 and ds.X.shape[1] > 0
    assert ds.y.dtype == np.int64 and ds.n_classes >= 2
    assert np.bincount(ds.y, minlength=ds.n_classes).min() >= 1
    assert ds.y.max() < ds.n_classes and len(set(ds.class_names)) == ds.n_classes
    assert list(ds.X.columns) == [str(c) for c in ds.X.columns]
    assert len(set(ds.X.columns)) == ds.X.shape[1]
    for col in ds.X.columns:
        s = ds.X[col]
        if s.dtype == np.float64:
            assert not np.isinf(s.to_numpy()).any()
        else:
            # object on pandas 2, object or str on pandas 3: text or missing, nothing else
            assert s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
            assert all(isinstance(v, str) or (isinstance(v, float) and v != v) for v in s), col  # noqa: PLR0124
    if ds.is_binary:
        assert ds.pos_label == ds.class_names[1]


def _load(spec: DatasetSpec) -> None:
    """Either both steps give the same clean answer or both raise a DatasetError."""
    with time_limit():
        try:
            check_file(spec)
        except DatasetError as exc:
            assert str(exc).startswith(f"dataset '{spec.name}': ") and "\n" not in str(exc)
            with pytest.raises(DatasetError):
                load_dataset(spec)
            return
        _assert_clean(load_dataset(spec))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300), suffix=st.sampled_from(sorted(FILE_TYPES)))
def test_random_bytes_into_file_loaders(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    path.write_bytes(content)
    _load(DatasetSpec(name="r", file=str(path), target="label"))


column_kinds = st.sampled_from(["int", "float", "text", "bool", "mixed"])
texts = st.text(st.characters(codec="latin-1"), max_size=6)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def frames(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    cols: dict[str, Any] = {}
    for i in range(draw(st.integers(0, 3))):
        kind = draw(column_kinds)
        elem = {
            "int": st.integers(-(10**6), 10**6),
            "float": floats,
            "text": texts,
            "bool": st.booleans(),
            "mixed": st.one_of(st.integers(), floats, texts, st.none()),
        }[kind]
        cols[draw(st.sampled_from([f"c{i}", "label ", "x", f"c{i}"]))] = draw(
            st.lists(elem, min_size=n, max_size=n)
        )
    labels = st.one_of(
        st.sampled_from(["yes", "no", "1", "0", 1, 0, 1.0, 0.0, True, None, "a,b"]), texts
    )
    cols["label"] = draw(st.lists(labels, min_size=n, max_size=n))
    return pd.DataFrame(cols)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    frame=frames(),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
    declare=st.booleans(),
    cut=st.one_of(st.none(), st.floats(0, 1)),
    pos_label=st.one_of(st.none(), st.sampled_from(["yes", True, False, 1, 0.0, "a"])),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_random_tables_into_file_loaders(
    tmp_path: Path,
    frame: pd.DataFrame,
    sep: str,
    encoding: str,
    declare: bool,
    cut: float | None,
    pos_label: Any,
    fmt: str,
) -> None:
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        try:
            data = frame.to_csv(sep=sep, index=False).encode(encoding)
        except UnicodeEncodeError:
            assume(False)
    else:
        import io

        buf = io.BytesIO()
        try:
            frame.astype({c: str for c in frame.columns if frame[c].dtype == object}).to_parquet(
                buf, index=False
            )
        except Exception:  # noqa: BLE001 - pandas cannot write this frame: not a loader question
            assume(False)
        data = buf.getvalue()
    if cut is not None:
        data = data[: int(len(data) * cut)]
    path.write_bytes(data)
    spec = DatasetSpec(
        name="t",
        file=str(path),
        target="label",
        pos_label=pos_label,
        sep=sep if declare else None,
        encoding=encoding if declare else None,
    )
    _load(spec)
