"""The dataset catalog: ``datasets.yaml`` maps a name to a source and its options."""

from __future__ import annotations

import codecs
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from climb_cli.errors import DatasetError, did_you_mean, format_validation_error

__all__ = [
    "SOURCES",
    "DatasetSpec",
    "check_name",
    "default_catalog_path",
    "load_catalog",
    "parse_entry",
    "resolve",
]

SOURCES = ("keel", "sklearn", "synthetic", "file", "openml", "bts", "plugin")


def check_name(name: Any) -> str:
    """A dataset name, or DatasetError: names reach tables, logs and reports, never paths."""
    if not isinstance(name, str) or not name.strip():
        raise DatasetError(f"dataset name {name!r}: a name must be a non-empty string.")
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise DatasetError(
            f"dataset name {name!r}: contains the control character {bad!r}; "
            "use printable characters only."
        )
    parts = name.replace("\\", "/").split("/")
    if (
        name != name.strip()
        or len(name) > 200
        or name.startswith(("/", "\\"))
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise DatasetError(
            f"dataset name {name!r}: use at most 200 characters without leading or "
            "trailing spaces, and '/' only between non-empty parts other than "
            "'.' and '..' (e.g. 'mine/credit')."
        )
    return name


class DatasetSpec(BaseModel):
    """One catalog entry: exactly one source key plus target options and descriptive facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    keel: str | None = None
    sklearn: str | None = None
    synthetic: dict[str, Any] | None = None
    file: str | None = None
    openml: int | None = Field(default=None, ge=1)
    bts: str | None = None  # a Balancing-the-Scales dataset read from $BENCH_BTS_DIR
    plugin: str | None = None  # a dataset source registered by a plugin, called with ``params``
    params: dict[str, Any] | None = None
    version: int | None = None
    target: str | None = None
    # YAML reads yes/no/true/false as booleans and 1 as a number: kept as given, matched to the
    # labels in loaders.match_pos_label
    pos_label: str | bool | int | float | None = None
    drop: tuple[str, ...] = ()
    id: str | None = None
    sep: str | None = None
    na_values: tuple[str, ...] = ()
    encoding: str | None = None
    tags: tuple[str, ...] = ()
    rows: int | None = None
    features: int | None = None
    classes: int | None = None
    minority: int | None = None
    imbalance_ratio: float | None = None
    description: str | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown text encoding {value!r}; e.g. utf-8, latin-1, cp1252, utf-16"
                ) from None
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(
                f"needs exactly one source key out of {', '.join(SOURCES)}; got "
                f"{', '.join(given) if given else 'none'}"
            )
        if self.params is not None and self.plugin is None:
            raise ValueError("'params' belongs to a 'plugin' dataset source")
        if self.file is not None and self.target is None:
            raise ValueError("a 'file' dataset needs 'target' (the name of the label column)")
        return self

    @property
    def source(self) -> str:
        """Which loader handles this entry."""
        return next(s for s in SOURCES if getattr(self, s) is not None)

    def locator(self) -> str:
        """A short human description of where the data comes from."""
        value = getattr(self, self.source)
        return f"{self.source}:{value}" if self.source != "synthetic" else "synthetic"


def default_catalog_path() -> Path:
    """``$BENCH_CATALOG``, else the catalog shipped with bench (the project's datasets.yaml)."""
    env = os.environ.get("BENCH_CATALOG")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "datasets.yaml"


def parse_entry(name: str, raw: Any, base_dir: Path) -> DatasetSpec:
    """Validate one raw entry; relative file paths are resolved against ``base_dir``."""
    check_name(name)
    if not isinstance(raw, dict):
        raise DatasetError(
            f"dataset '{name}': an entry must be a mapping with a source key "
            f"({', '.join(SOURCES)}); got {raw!r}"
        )
    data = dict(raw)
    data["name"] = name
    if isinstance(data.get("file"), str):
        path = Path(data["file"]).expanduser()
        data["file"] = str(path if path.is_absolute() else (base_dir / path).resolve())
    try:
        return DatasetSpec.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(
            f"dataset '{name}': {format_validation_error(exc, DatasetSpec)}"
        ) from None


@lru_cache(maxsize=8)
def _load_catalog(path_str: str) -> dict[str, DatasetSpec]:
    from climb_cli.config import load_yaml

    path = Path(path_str)
    doc = load_yaml(path, DatasetError, "dataset catalog")
    entries = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or set(doc) != {"datasets"}:
        raise DatasetError(
            f"dataset catalog {path}: expected one top-level 'datasets:' mapping of name -> entry"
        )
    out = {}
    for name, raw in entries.items():
        try:
            out[name] = parse_entry(name, raw, path.parent)
        except DatasetError as exc:
            raise DatasetError(f"dataset catalog {path}: {exc}") from None
    return out


def load_catalog(path: Path | None = None) -> dict[str, DatasetSpec]:
    """All catalog entries by name."""
    return dict(_load_catalog(str((path or default_catalog_path()).resolve())))


def resolve(name: str, catalog: dict[str, DatasetSpec]) -> DatasetSpec:
    """The spec for ``name``: a catalog name or an inline ``openml:<id>``."""
    if name in catalog:
        return catalog[name]
    if name.startswith("openml:") and name[7:].isdigit():
        return DatasetSpec(name=name, openml=int(name[7:]))
    raise DatasetError(
        f"unknown dataset '{name}'.{did_you_mean(name, catalog)} "
        "Run `bench datasets list` to see the catalog, or define it inline in the config "
        "(e.g. {name: mydata, file: data.csv, target: label})."
    )
