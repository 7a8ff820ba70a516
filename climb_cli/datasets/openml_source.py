"""OpenML datasets through openml-python, from a cache bench owns.

openml-python deletes a dataset's cache folder when a download inside ``get_dataset`` fails and writes
pickles beside the files, so bench points it only at its own cache (``$BENCH_CACHE_DIR``, default
``~/.cache/bench``); ``bench datasets import-cache`` copies other cache trees in. Offline mode checks the
cache *before* calling openml, so nothing ever reaches for the network. ``$BENCH_OPENML_SERVER`` points
bench at an OpenML mirror (the cache layout then follows that server's host name).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from climb_cli.errors import DatasetError

__all__ = [
    "DEFAULT_SERVER",
    "OpenMLOptions",
    "cached_files",
    "configure",
    "dataset_dir",
    "download",
    "import_cache",
    "is_cached",
    "load",
]

DEFAULT_SERVER = "https://www.openml.org/api/v1/xml"
NETWORK_TIMEOUT_S = 30.0
N_RETRIES = 2  # bounded: a dead network fails within seconds, not minutes


@dataclass(frozen=True)
class OpenMLOptions:
    """Where and how OpenML data is loaded (picklable; passed to every worker)."""

    cache_dir: str | None = None
    offline: bool = False
    server: str | None = None

    @classmethod
    def from_env(
        cls,
        cache_dir: str | Path | None = None,
        offline: bool | None = None,
        server: str | None = None,
    ) -> OpenMLOptions:
        """Explicit values win over $BENCH_CACHE_DIR, $BENCH_OFFLINE and $BENCH_OPENML_SERVER."""
        env_offline = os.environ.get("BENCH_OFFLINE", "").strip().lower() in ("1", "true", "yes")
        return cls(
            cache_dir=str(cache_dir) if cache_dir else os.environ.get("BENCH_CACHE_DIR") or None,
            offline=env_offline if offline is None else offline,
            server=server or os.environ.get("BENCH_OPENML_SERVER") or None,
        )

    @property
    def root(self) -> Path:
        """bench's cache root (openml's files live below it)."""
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg) if xdg else Path.home() / ".cache") / "bench"


def configure(options: OpenMLOptions) -> Any:
    """Point openml-python at bench's cache (and mirror, if any); return the openml module."""
    import openml

    root = options.root
    if root.exists() and not root.is_dir():
        raise DatasetError(
            f"bench's cache folder {root} is a file, not a folder; point "
            "--cache-dir or BENCH_CACHE_DIR at a folder"
        )
    # a mirror only when asked for; otherwise the public server (whose cache layout is org/openml/www)
    openml.config.server = options.server or DEFAULT_SERVER
    openml.config.set_root_cache_directory(str(options.root / "openml"))
    openml.config.set_retry_policy("human", N_RETRIES)
    return openml


def dataset_dir(options: OpenMLOptions, dataset_id: int) -> Path:
    """The cache folder openml uses for one dataset."""
    openml = configure(options)
    return Path(openml.config.get_cache_directory()) / "datasets" / str(dataset_id)


def cached_files(options: OpenMLOptions, dataset_id: int) -> dict[str, Path | None]:
    """The description and data file of a cached dataset (None where missing)."""
    d = dataset_dir(options, dataset_id)
    desc = d / "description.xml"
    data = next(
        (
            p
            for p in (d / f"dataset_{dataset_id}.pq", d / "dataset.pq", d / "dataset.arff")
            if p.is_file()
        ),
        None,
    )
    return {"description": desc if desc.is_file() else None, "data": data}


def is_cached(options: OpenMLOptions, dataset_id: int) -> bool:
    """Whether the dataset can be loaded without the network."""
    files = cached_files(options, dataset_id)
    return files["description"] is not None and files["data"] is not None


def _fill_hint(dataset_id: int) -> str:
    return (
        f"fill it with `bench datasets fetch openml:{dataset_id}` on a machine that reaches "
        "OpenML (and copy the cache), or `bench datasets import-cache PATH` from an openml "
        "cache tree"
    )


@contextmanager
def _network_guard(options: OpenMLOptions, dataset_id: int) -> Iterator[None]:
    """Bounded socket waits; parquet skipped when only the ARFF file is cached."""
    old_timeout = socket.getdefaulttimeout()
    old_skip = os.environ.get("OPENML_SKIP_PARQUET")
    files = cached_files(options, dataset_id)
    socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
    if files["data"] is not None and files["data"].suffix == ".arff":
        os.environ["OPENML_SKIP_PARQUET"] = "true"
    try:
        yield
    finally:
        socket.setdefaulttimeout(old_timeout)
        if old_skip is None:
            os.environ.pop("OPENML_SKIP_PARQUET", None)
        else:
            os.environ["OPENML_SKIP_PARQUET"] = old_skip


def _explain(
    exc: BaseException, name: str, dataset_id: int, options: OpenMLOptions
) -> DatasetError:
    from openml.exceptions import OpenMLHashException, OpenMLServerException

    openml = configure(options)
    where = f"dataset '{name}': OpenML dataset {dataset_id}"
    if isinstance(exc, OpenMLServerException):
        if exc.code == 111:
            return DatasetError(f"{where} does not exist (the server answered: {exc.message})")
        return DatasetError(f"{where}: the server answered error {exc.code}: {exc.message}")
    if isinstance(exc, OpenMLHashException):
        return DatasetError(f"{where}: the downloaded file failed its md5 check; try again later")
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    import requests

    if isinstance(
        exc, requests.exceptions.RequestException | OSError | ConnectionError
    ) and not isinstance(exc, FileNotFoundError):
        return DatasetError(
            f"{where} cannot be downloaded: {openml.config.server} is unreachable "
            f"({type(exc).__name__}); {_fill_hint(dataset_id)}"
        )
    return DatasetError(
        f"{where}: the cached files in {dataset_dir(options, dataset_id)} cannot be "
        f"read ({type(exc).__name__}: {text}); delete that folder and fetch again"
    )


def download(name: str, dataset_id: int, options: OpenMLOptions) -> Any:
    """Make sure the dataset is in the cache (downloading unless offline); return the OpenMLDataset."""
    if options.offline and not is_cached(options, dataset_id):
        raise DatasetError(
            f"dataset '{name}': OpenML dataset {dataset_id} is not in the cache "
            f"({dataset_dir(options, dataset_id)}) and offline mode forbids downloading; "
            f"{_fill_hint(dataset_id)}"
        )
    openml = configure(options)
    try:
        with _network_guard(options, dataset_id):
            return openml.datasets.get_dataset(
                dataset_id,
                download_data=True,
                download_qualities=False,
                download_features_meta_data=False,
            )
    except Exception as exc:  # noqa: BLE001 - each cause gets its own explanation
        raise _explain(exc, name, dataset_id, options) from None


def load(
    name: str, dataset_id: int, target: str | None, version: int | None, options: OpenMLOptions
) -> tuple[Any, Any]:
    """Features and target of an OpenML dataset (row-id and ignored attributes excluded)."""
    ds = download(name, dataset_id, options)
    if version is not None and ds.version != version:
        raise DatasetError(
            f"dataset '{name}': OpenML dataset {dataset_id} is version {ds.version}, "
            f"not version {version}"
        )
    target = target or ds.default_target_attribute
    if not target:
        raise DatasetError(
            f"dataset '{name}': OpenML dataset {dataset_id} has no default target; "
            "set 'target' in its catalog entry"
        )
    try:
        with _network_guard(options, dataset_id):
            X, y, _, _ = ds.get_data(
                target=target, include_row_id=False, include_ignore_attribute=False
            )
    except Exception as exc:  # noqa: BLE001
        if "target" in str(exc).lower() or isinstance(exc, KeyError):
            raise DatasetError(
                f"dataset '{name}': OpenML dataset {dataset_id} has no column {target!r}"
            ) from None
        raise _explain(exc, name, dataset_id, options) from None
    return X, y


def import_cache(source: Path, options: OpenMLOptions) -> list[int]:
    """Copy every dataset folder of an openml cache tree into bench's cache; return their ids.

    ``source`` may be a cache root (with org/openml/www/datasets/), a datasets/ folder, or one
    dataset's folder. Files are copied (never moved or linked), so the source is never touched again.
    """
    source = source.expanduser()
    if not source.is_dir():
        raise DatasetError(f"import-cache: {source} is not a folder")
    candidates = (
        [source]
        if (source / "description.xml").is_file()
        else sorted({p.parent for p in source.rglob("description.xml")})
    )
    imported = []
    for folder in candidates:
        if not folder.name.isdigit():
            continue
        dataset_id = int(folder.name)
        target = dataset_dir(options, dataset_id)
        try:
            target.mkdir(parents=True, exist_ok=True)
            for f in folder.iterdir():
                if f.is_file() and not f.name.endswith((".pkl.py3", ".pkl")):
                    shutil.copyfile(f, target / f.name)
        except OSError as exc:
            raise DatasetError(
                f"import-cache: cannot copy {folder} into {target}: {exc.strerror or exc}"
            ) from None
        imported.append(dataset_id)
    if not imported:
        raise DatasetError(
            f"import-cache: no OpenML dataset folders (<id>/description.xml) found under {source}"
        )
    return sorted(imported)
