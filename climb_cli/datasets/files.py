"""Reading a ``file:`` dataset (CSV, TSV, parquet, ARFF): the file checked whole before any fit
(encoding, columns, ragged rows), one DatasetError naming the file and what to change."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.errors import DatasetError

__all__ = ["FILE_TYPES", "load_file"]

# file suffix -> reader
FILE_TYPES = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tsv.gz": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arff": "arff",
}


def _file_type(spec: DatasetSpec) -> tuple[Path, str]:
    path = Path(spec.file or "")
    if not path.is_file():
        raise DatasetError(f"dataset '{spec.name}': file not found: {path}")
    suffix = (
        "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    )
    if suffix not in FILE_TYPES:
        raise DatasetError(
            f"dataset '{spec.name}': unsupported file type '{suffix}' of {path} "
            f"(supported: {', '.join(FILE_TYPES)})"
        )
    return path, FILE_TYPES[suffix]


def _read(
    spec: DatasetSpec, columns: list[str] | None = None, header: bool = False
) -> pd.DataFrame:
    """The file's rows (only ``columns`` if given; no rows if ``header``); one message on failure."""
    path, kind = _file_type(spec)
    encoding = spec.encoding or "utf-8"
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            if header:
                return pd.DataFrame(columns=pq.read_schema(path).names)
            return pq.read_table(path, columns=columns).to_pandas()
        if kind == "arff":
            from scipy.io import arff

            with open(path, encoding=encoding) as fh:
                frame = pd.DataFrame(arff.loadarff(fh)[0])
            return frame.head(0) if header else frame[columns] if columns else frame
        sep = spec.sep or ("\t" if kind == "tsv" else ",")
        return pd.read_csv(
            path,
            sep=sep,
            na_values=list(spec.na_values) or None,
            encoding=encoding,
            usecols=columns,
            nrows=0 if header else None,
        )
    except pd.errors.EmptyDataError:
        raise DatasetError(
            f"dataset '{spec.name}': {path} is empty (no header line with column names)"
        ) from None
    except UnicodeError as exc:
        bad = (
            exc.object[exc.start : exc.start + 1].hex()
            if isinstance(exc, UnicodeDecodeError)
            else "?"
        )
        hint = (
            "set 'encoding' in its entry (e.g. encoding: latin-1)"
            if spec.encoding is None
            else "check its 'encoding'"
        )
        raise DatasetError(
            f"dataset '{spec.name}': {path} is not {encoding} text (byte 0x{bad}); {hint}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one clear message
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        # pyarrow names the file again, and only on some paths
        text = re.sub(r"^Could not open Parquet input source '.*?': ", "", text)
        raise DatasetError(
            f"dataset '{spec.name}': cannot read {path} as {kind.upper()}: {text}"
        ) from None


def _check_columns(spec: DatasetSpec, columns: list[Any]) -> None:
    names = [str(c) for c in columns]
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise DatasetError(
            f"dataset '{spec.name}': {spec.file} has several columns named "
            f"{', '.join(map(repr, dupes))}; column names must be unique"
        )
    named = [spec.target, *spec.drop, *([spec.id] if spec.id else [])]
    missing = [c for c in named if c not in names]
    if missing:
        hint = ""
        seps = [s for s in (";", "\t", "|", ",") if len(names) == 1 and s in names[0]]
        if seps:
            hint = f" (the header looks {seps[0]!r}-separated: set sep: {seps[0]!r} in its entry)"
        raise DatasetError(
            f"dataset '{spec.name}': column {missing[0]!r} not found in {spec.file}; "
            f"columns are: {', '.join(names)}{hint}"
        )


def _check_text(spec: DatasetSpec, path: Path) -> None:
    """Decode the whole text file once: pandas decodes lazily, so a bad byte in a column nobody read
    yet would surface only inside a run."""
    import codecs
    import gzip

    encoding = spec.encoding or "utf-8"
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 0
    try:
        with opener(path, "rb") as fh:
            for line, raw in enumerate(fh, start=1):
                decoder.decode(raw)
            line += 1
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex()
        hint = (
            "set 'encoding' in its entry (e.g. encoding: latin-1)"
            if spec.encoding is None
            else "check its 'encoding'"
        )
        raise DatasetError(
            f"dataset '{spec.name}': {path} is not {encoding} text (byte 0x{bad} "
            f"on line {line}); {hint}"
        ) from None
    except (OSError, EOFError, UnicodeError) as exc:
        raise DatasetError(f"dataset '{spec.name}': cannot read {path}: {exc}") from None


def _precheck(spec: DatasetSpec) -> None:
    path, kind = _file_type(spec)
    if kind in ("csv", "tsv"):
        _check_text(spec, path)
    _check_columns(spec, list(_read(spec, header=True).columns))  # before pyarrow trips on them


def load_file(spec: DatasetSpec) -> tuple[pd.DataFrame, Any]:
    _precheck(spec)
    frame = _read(spec)
    _check_columns(spec, list(frame.columns))
    y = frame[spec.target]
    # an identifier column is never a feature
    return frame.drop(columns=[spec.target, *spec.drop, *([spec.id] if spec.id else [])]), y
