"""The dataset catalog: ``datasets.yaml`` maps a name to a source and its options."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from climb_cli.errors import DatasetError, did_you_mean

SOURCES = ("keel", "sklearn", "synthetic", "file", "openml")


class DatasetSpec(BaseModel):
    """One catalog entry: exactly one source key plus target options and descriptive facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    keel: str | None = None
    sklearn: str | None = None
    synthetic: dict[str, Any] | None = None
    file: str | None = None
    openml: int | None = Field(default=None, ge=1)
    version: int | None = None
    target: str | None = None
    pos_label: str | int | None = None
    drop: tuple[str, ...] = ()
    id: str | None = None
    sep: str | None = None
    na_values: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    rows: int | None = None
    features: int | None = None
    classes: int | None = None
    minority: int | None = None
    imbalance_ratio: float | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(
                f"needs exactly one source key out of {', '.join(SOURCES)}; got "
                f"{', '.join(given) if given else 'none'}"
            )
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


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def default_catalog_path() -> Path:
    """``$BENCH_CATALOG``, else the catalog shipped with bench (the project's datasets.yaml)."""
    env = os.environ.get("BENCH_CATALOG")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "datasets.yaml"


def parse_entry(name: str, raw: Any, base_dir: Path) -> DatasetSpec:
    """Validate one raw entry; relative file paths are resolved against ``base_dir``."""
    if not isinstance(raw, dict):
        raise DatasetError(f"dataset '{name}': an entry must be a mapping with a source key "
                           f"({', '.join(SOURCES)}); got {raw!r}")
    data = dict(raw)
    data["name"] = name
    if data.get("file") is not None:
        path = Path(str(data["file"])).expanduser()
        data["file"] = str(path if path.is_absolute() else (base_dir / path).resolve())
    try:
        return DatasetSpec(**data)
    except ValidationError as exc:
        raise DatasetError(f"dataset '{name}': {_format_validation(exc)}") from None


@lru_cache(maxsize=8)
def _load_catalog(path_str: str) -> dict[str, DatasetSpec]:
    import yaml

    path = Path(path_str)
    if not path.is_file():
        raise DatasetError(f"dataset catalog not found: {path}")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise DatasetError(f"dataset catalog {path} is not valid YAML: {exc}") from None
    entries = doc.get("datasets", {}) if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise DatasetError(f"dataset catalog {path}: expected a top-level 'datasets:' mapping")
    return {name: parse_entry(name, raw, path.parent) for name, raw in entries.items()}


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
