"""Choosing catalog entries: by tags and facts, listing them, fetching OpenML ones into the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from climb_cli.config import DatasetSelection, canonical
from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.errors import ConfigError, DatasetError

__all__ = ["LIST_COLUMNS", "catalog_records", "fetch", "select_datasets", "with_tags"]

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


def select_datasets(selection: DatasetSelection, catalog: dict[str, DatasetSpec]) -> list[Any]:
    """Catalog names matching every tag and fact filter, then the explicit names, minus excluded."""
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
    return picked
