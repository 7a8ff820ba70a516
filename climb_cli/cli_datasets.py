"""`bench datasets ...`: list, describe, fetch and import catalog datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from climb_cli.cli_common import (
    CACHE_HELP,
    OFFLINE_HELP,
    ComponentFormat,
    TableFormat,
    _bar,
    _openml_options,
    _rich_table,
    handle_errors,
)
from climb_cli.errors import BenchError

datasets_app = typer.Typer(help="The dataset catalog (datasets.yaml).", no_args_is_help=True)


@datasets_app.command("list")
@handle_errors
def datasets_list(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.table,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only entries with this tag.")
    ] = None,
) -> None:
    """The dataset catalog: rows, features, classes, imbalance ratio, source."""
    import pandas as pd

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.select import LIST_COLUMNS, catalog_records

    df = pd.DataFrame(catalog_records(load_catalog(), tag), columns=LIST_COLUMNS)
    if fmt is TableFormat.csv:
        typer.echo(df.to_csv(index=False), nl=False)
    elif fmt is TableFormat.json:
        typer.echo(df.to_json(orient="records", indent=2))
    else:
        typer.echo(_rich_table(df.astype(object).where(df.notna(), ""), f"{len(df)} datasets"))


@datasets_app.command("info")
@handle_errors
def datasets_info(
    name: Annotated[
        str,
        typer.Argument(
            help="Catalog name, openml:<id>, or (with --config) a dataset of that config."
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Describe NAME as this config defines it (inline entries included).",
        ),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    fmt: Annotated[ComponentFormat, typer.Option("--format", "-f")] = ComponentFormat.table,
) -> None:
    """Load one dataset and describe it: rows, features, categoricals, missing %, classes, IR."""
    from climb_cli.datasets.catalog import load_catalog, resolve
    from climb_cli.datasets.loaders import describe

    if config is not None:
        from climb_cli.engine.runner import load_experiment

        spec = load_experiment(config).dataset(name)
    else:
        spec = resolve(name, load_catalog())
    info = describe(spec, _openml_options(offline, cache_dir))
    if fmt is ComponentFormat.json:
        typer.echo(json.dumps(info, indent=2))
        return
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        typer.echo(f"{key:<{width}}  {value}")


@datasets_app.command("fetch")
@handle_errors
def datasets_fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Catalog names or openml:<id>.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Every catalog entry with these tags.")
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download OpenML datasets into the cache, so later runs can be --offline."""
    from climb_cli.datasets.catalog import load_catalog, resolve
    from climb_cli.datasets.select import fetch, with_tags

    catalog = load_catalog()
    specs = [resolve(n, catalog) for n in names or []]
    if tag:
        specs += list(with_tags(catalog, tag).values())
    if not specs:
        raise BenchError("datasets fetch: name at least one dataset or --tag.")
    options = _openml_options(False, cache_dir)
    n_openml = sum(s.openml is not None for s in specs)
    bar = _bar(n_openml, "fetch", quiet)

    def on_each(spec: Any, outcome: str | None, error: Exception | None) -> None:
        if spec.openml is None:
            typer.echo(f"{spec.name}: nothing to fetch ({spec.source} data is bundled or local)")
            return
        if error is not None:
            typer.echo(f"Error: {error}", err=True)
        else:
            typer.echo(f"{spec.name}: {outcome} (OpenML {spec.openml})", err=bar is not None)
        if bar is not None:
            bar.advance(bar.task_ids[0])

    failed = fetch(specs, options, on_each)
    if bar is not None:
        bar.stop()
    typer.echo(
        f"{n_openml - len(failed)} of {n_openml} OpenML datasets in the cache "
        f"({options.root / 'openml'})"
    )
    if failed:
        raise typer.Exit(1)


@datasets_app.command("import-cache")
@handle_errors
def datasets_import_cache(
    path: Annotated[
        Path, typer.Argument(help="An openml cache tree (e.g. a copy of org/openml/www/datasets).")
    ],
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_HELP)] = None,
) -> None:
    """Copy OpenML datasets from a cache tree into bench's cache (the source is only read)."""
    from climb_cli.datasets.openml_source import import_cache

    options = _openml_options(False, cache_dir)
    ids = import_cache(path, options)
    typer.echo(
        f"imported {len(ids)} OpenML datasets into {options.root / 'openml'}: "
        f"{', '.join(map(str, ids))}"
    )
