"""Choosing catalog entries: by tags and facts, listing them, fetching OpenML ones into the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from climb_cli.config import DatasetSelection, canonical
from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.errors import ConfigError, DatasetError

__all__ = [
    "LIST_COLUMNS",
    "catalog_records",
    "fetch",
    "select_datasets",
    "uncached",
    "with_tags",
]

LIST_COLUMNS = [
    "name",
    "rows",
    "features",
    "classes",
    "minority",
    "imbalance_ratio",
    "source",
    "tags",
]


def with_tags(
    catalog: dict[str, DatasetSpec], tags: Iterable[str] | None
) -> dict[str, DatasetSpec]:
    """The entries carrying every tag in ``tags`` (all entries when none are given)."""
    wanted = set(tags or ())
    return {n: s for n, s in catalog.items() if wanted <= set(s.tags)}


def catalog_records(
    catalog: dict[str, DatasetSpec], tags: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """One record per entry with ``tags``: the columns of `bench datasets list`."""
    return [
        {
            "name": name,
            "rows": spec.rows,
            "features": spec.features,
            "classes": spec.classes,
            "minority": spec.minority,
            "imbalance_ratio": spec.imbalance_ratio,
            "source": spec.locator(),
            "tags": ",".join(spec.tags),
        }
        for name, spec in with_tags(catalog, tags).items()
    ]


def fetch(
    specs: list[DatasetSpec],
    options: Any,
    on_each: Callable[[DatasetSpec, str | None, DatasetError | None], None],
) -> list[str]:
    """Download the OpenML entries of ``specs`` into the cache; ``on_each(spec, outcome, error)``
    is told "downloaded", "already cached", or None for entries with nothing to fetch. Returns the
    names that failed."""
    from climb_cli.datasets.openml_source import download, is_cached

    failed = []
    for spec in specs:
        if spec.openml is None:
            on_each(spec, None, None)
            continue
        try:
            was_cached = is_cached(options, spec.openml)
            download(spec.name, spec.openml, options)
            on_each(spec, "already cached" if was_cached else "downloaded", None)
        except DatasetError as exc:
            failed.append(spec.name)
            on_each(spec, None, exc)
    return failed


def select_datasets(
    selection: DatasetSelection,
    catalog: dict[str, DatasetSpec],
    options: Any = None,
    notes: list[str] | None = None,
) -> list[Any]:
    """Catalog names matching every tag and fact filter, then the explicit names, minus excluded;
    with ``cached_only``, minus the OpenML entries not in the cache of ``options`` (default: the
    environment's), each left out counted in ``notes``."""
    bounds = {
        "min_ir": ("imbalance_ratio", 1),
        "max_ir": ("imbalance_ratio", -1),
        "min_rows": ("rows", 1),
        "max_rows": ("rows", -1),
        "max_features": ("features", -1),
    }
    picked: list[Any] = []
    if selection.tags or selection.filters():
        for name, spec in with_tags(catalog, selection.tags).items():
            if selection.classes is not None and selection.classes not in spec.tags:
                continue
            ok = True
            for key, limit in selection.filters().items():
                if key == "classes":
                    continue
                fact, sign = bounds[key]
                value = getattr(spec, fact)
                ok = ok and value is not None and sign * (value - limit) >= 0
            if ok:
                picked.append(name)
    for entry in selection.names:
        if entry not in picked:
            picked.append(entry)
    picked = [p for p in picked if not (isinstance(p, str) and p in selection.exclude)]
    if not picked:
        crit = {"tags": selection.tags, **selection.filters()}
        raise ConfigError(
            f"datasets: the selection {canonical(crit)} matches no catalog entry; "
            "see `bench datasets list --tag ...`."
        )
    if selection.cached_only:
        picked = _cached_only(picked, selection, catalog, options, notes)
    return picked


def _openml_id(entry: Any, catalog: dict[str, DatasetSpec]) -> int | None:
    """The OpenML id an entry loads from (None: not an OpenML entry, or unknown -- resolving
    it later gives the usual message)."""
    if isinstance(entry, dict):
        value = entry.get("openml")
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if entry in catalog:
        return catalog[entry].openml
    if entry.startswith("openml:") and entry[7:].isdigit():
        return int(entry[7:])
    return None


def _name(entry: Any) -> str:
    return str(entry.get("name", "")) if isinstance(entry, dict) else str(entry)


def uncached(
    entries: list[Any], catalog: dict[str, DatasetSpec], options: Any = None
) -> list[tuple[str, int]]:
    """(name, id) of the OpenML entries whose description or data file is not in the cache."""
    from climb_cli.datasets.openml_source import OpenMLOptions, is_cached

    opts = options or OpenMLOptions.from_env()
    out = []
    for entry in entries:
        did = _openml_id(entry, catalog)
        if did is not None and not is_cached(opts, did):
            out.append((_name(entry), did))
    return out


def _cached_only(
    picked: list[Any],
    selection: DatasetSelection,
    catalog: dict[str, DatasetSpec],
    options: Any,
    notes: list[str] | None,
) -> list[Any]:
    """``picked`` without the uncached OpenML entries; a note says how many and why."""
    from climb_cli.datasets.openml_source import OpenMLOptions

    opts = options or OpenMLOptions.from_env()
    missing = uncached(picked, catalog, opts)
    if not missing:
        return picked
    gone = {name for name, _ in missing}
    kept = [p for p in picked if _name(p) not in gone]
    where = opts.root / "openml"
    what = " ".join(f"--tag {t}" for t in selection.tags) if selection.tags else "NAME..."
    hint = (
        f"fill it with `bench datasets fetch {what}` on a machine that reaches OpenML, or "
        "`bench datasets import-cache PATH`"
    )
    if not kept:
        raise ConfigError(
            f"datasets: cached_only is set and none of the {len(picked)} selected datasets is in "
            f"the OpenML cache under {where}; {hint}."
        )
    shown = ", ".join(name for name, _ in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    if notes is not None:
        notes.append(
            f"datasets: cached_only left out {len(missing)} of {len(picked)} selected datasets "
            f"whose OpenML files are not in the cache under {where} ({shown}{more}); {hint}."
        )
    return kept
