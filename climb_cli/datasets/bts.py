"""The 30 datasets of "Balancing the Scales" (Abdelhamid & Desai, 2024), read from the user's copy.

The raw CSVs and their metadata are published in the repository
``readytensor/rt-datasets-binary-class-imbalance`` (code MIT; each dataset under its original licence).
bench does not ship them: ``bts/<name>`` catalog entries read from the directory in ``$BENCH_BTS_DIR``,
either a clone of that repository (``datasets/raw/<name>/<name>_raw.csv`` and
``src/config/smote_project_datasets.csv``) or a flat folder holding ``<name>_raw.csv`` and
``smote_project_datasets.csv``.

Cleaning follows the study's code: whitespace stripped from names and cells, byte-string reprs such as
``b'1'`` decoded in every column, ``?`` (and empty cells) missing, the id column dropped, constant
columns dropped; columns whose values all parse as numbers become numbers. The positive class is the
second class of the metadata's ``target_classes`` (``negative|positive``) -- on
``climate_simulation_crashes`` and ``thoracic_surgery`` that is the majority class.
"""

from __future__ import annotations

import csv
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import DatasetError

__all__ = ["ENV", "METADATA", "bts_dir", "check", "clean_frame", "load", "metadata", "raw_path"]

ENV = "BENCH_BTS_DIR"
METADATA = "smote_project_datasets.csv"
REPOSITORY = "https://github.com/readytensor/rt-datasets-binary-class-imbalance"
_BYTES = re.compile(r"""^b(['"])(.*)\1$""", re.DOTALL)


def bts_dir() -> Path:
    """The directory in ``$BENCH_BTS_DIR`` (DatasetError saying how to get one when unset)."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        raise DatasetError(
            f"the bts/* datasets are read from your copy of {REPOSITORY}: clone it and set "
            f"{ENV} to the clone (or to a folder holding the <name>_raw.csv files and {METADATA})."
        )
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DatasetError(f"{ENV}={value}: no such directory.")
    return path


def _metadata_path(root: Path) -> Path:
    for candidate in (root / METADATA, root / "src" / "config" / METADATA):
        if candidate.is_file():
            return candidate
    raise DatasetError(
        f"{ENV}={root}: {METADATA} not found there nor in src/config/ (the repository's metadata "
        "file names each dataset's target, id column and classes)."
    )


@lru_cache(maxsize=4)
def _read_metadata(path_str: str) -> dict[str, dict[str, str]]:
    with open(path_str, newline="", encoding="utf-8") as fh:
        return {row["name"].strip(): row for row in csv.DictReader(fh) if row.get("name")}


def metadata(name: str, root: Path | None = None) -> dict[str, str]:
    """The metadata row of dataset ``name`` (DatasetError listing the names if it is absent)."""
    root = root or bts_dir()
    rows = _read_metadata(str(_metadata_path(root)))
    if name not in rows:
        raise DatasetError(
            f"bts dataset '{name}' is not in {_metadata_path(root)}; it lists: "
            f"{', '.join(sorted(rows))}."
        )
    return rows[name]


def raw_path(name: str, root: Path | None = None) -> Path:
    """The raw CSV of ``name`` in a flat folder or in a clone's ``datasets/raw/<name>/``."""
    root = root or bts_dir()
    for candidate in (
        root / f"{name}_raw.csv",
        root / "datasets" / "raw" / name / f"{name}_raw.csv",
    ):
        if candidate.is_file():
            return candidate
    raise DatasetError(
        f"bts dataset '{name}': {name}_raw.csv not found in {root} nor in "
        f"{root / 'datasets' / 'raw' / name}."
    )


def check(name: str) -> None:
    """Everything a run needs before loading: the directory, the metadata row, the file."""
    root = bts_dir()
    metadata(name, root)
    raw_path(name, root)


def _clean_cell(value: str) -> str:
    value = value.strip()
    match = _BYTES.match(value)
    return match.group(2).strip() if match else value


def clean_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The study's cleaning of a frame read as strings: stripped, byte reprs decoded, ``?`` and
    empty cells missing; all-numeric columns as numbers."""
    out = {}
    for col in raw.columns:
        text = raw[col].astype(object).map(lambda v: _clean_cell(str(v)) if pd.notna(v) else "")
        text = text.where(~text.isin(["?", ""]), np.nan)
        numbers = pd.to_numeric(text, errors="coerce")
        # numeric when every present value parses; otherwise categories (as strings)
        if bool(numbers.notna().sum() == text.notna().sum()):
            out[_clean_cell(str(col))] = numbers.astype("float64")
        else:
            out[_clean_cell(str(col))] = text
    return pd.DataFrame(out, index=raw.index)


def _positive(name: str, meta: dict[str, str], labels: pd.Series) -> str:
    classes = [_clean_cell(c) for c in meta.get("target_classes", "").split("|")]
    if len(classes) != 2:
        raise DatasetError(
            f"bts dataset '{name}': target_classes {meta.get('target_classes')!r} is not "
            "'negative|positive'."
        )
    seen = sorted(set(labels.dropna().astype(str)))
    # the metadata writes True/False where the files hold true/false: compare case-insensitively
    found = [v for v in seen if v.lower() == classes[1].lower()]
    if not found:
        raise DatasetError(
            f"bts dataset '{name}': the positive class {classes[1]!r} (second of target_classes) "
            f"does not occur in the target; its values are: {', '.join(seen)}."
        )
    return found[0]


def load(name: str) -> tuple[pd.DataFrame, pd.Series, str]:
    """Cleaned features, target labels and the positive label of bts dataset ``name``."""
    root = bts_dir()
    meta = metadata(name, root)
    path = raw_path(name, root)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one clear message
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatasetError(f"bts dataset '{name}': cannot read {path}: {text}") from None
    frame = clean_frame(raw)
    target = _clean_cell(meta.get("target_name", ""))
    if target not in frame.columns:
        raise DatasetError(
            f"bts dataset '{name}': target column {target!r} (from {METADATA}) not in {path}; "
            f"columns are: {', '.join(map(str, frame.columns))}."
        )
    y = frame[target].astype(object).map(lambda v: v if isinstance(v, str) else _number_label(v))
    if y.isna().any():
        keep = y.notna().to_numpy()
        frame, y = frame.loc[keep], y.loc[keep]
    pos = _positive(name, meta, y)
    id_col = _clean_cell(meta.get("id_name", ""))
    X = frame.drop(columns=[c for c in (target, id_col) if c in frame.columns])
    constant = [c for c in X.columns if X[c].nunique(dropna=True) <= 1]
    X = X.drop(columns=constant)
    return X.reset_index(drop=True), y.reset_index(drop=True), pos


def _number_label(value: Any) -> Any:
    """A numeric target cell as the text the metadata uses (1.0 -> '1', -1.0 -> '-1')."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)
