"""Offline stand-ins for openml.org, at the network boundary only.

- ``write_cached_dataset``: lays out a dataset exactly as openml-python caches it
  (``<root>/openml/org/openml/www/datasets/<id>/description.xml`` + ``dataset_<id>.pq``).
- ``FakeOpenML``: a loopback HTTP server imitating OpenML's REST routes (dataset description,
  features, qualities, ARFF download, error responses), with a request log.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pandas as pd

OML = 'xmlns:oml="http://openml.org/openml"'


def description_xml(
    did: int,
    name: str,
    target: str,
    url: str,
    md5: str | None = None,
    parquet_url: str | None = None,
    row_id: str | None = None,
    ignore: str | None = None,
) -> str:
    """An OpenML data_set_description document."""
    parts = [
        f"<oml:id>{did}</oml:id>",
        f"<oml:name>{name}</oml:name>",
        "<oml:version>1</oml:version>",
        "<oml:format>ARFF</oml:format>",
        f"<oml:url>{url}</oml:url>",
    ]
    if parquet_url:
        parts.append(f"<oml:parquet_url>{parquet_url}</oml:parquet_url>")
    if md5:
        parts.append(f"<oml:md5_checksum>{md5}</oml:md5_checksum>")
    parts.append(f"<oml:default_target_attribute>{target}</oml:default_target_attribute>")
    if row_id:
        parts.append(f"<oml:row_id_attribute>{row_id}</oml:row_id_attribute>")
    if ignore:
        parts.append(f"<oml:ignore_attribute>{ignore}</oml:ignore_attribute>")
    parts.append("<oml:status>active</oml:status>")
    return f"<oml:data_set_description {OML}>{''.join(parts)}</oml:data_set_description>"


def features_xml(frame: pd.DataFrame, target: str) -> str:
    """An OpenML data_features document for ``frame``'s columns."""
    items = []
    for i, col in enumerate(frame.columns):
        nominal = not pd.api.types.is_numeric_dtype(frame[col])
        values = (
            "".join(
                f"<oml:nominal_value>{v}</oml:nominal_value>"
                for v in sorted(frame[col].astype(str).unique())
            )
            if nominal
            else ""
        )
        items.append(
            f"<oml:feature><oml:index>{i}</oml:index><oml:name>{col}</oml:name>"
            f"<oml:data_type>{'nominal' if nominal else 'numeric'}</oml:data_type>{values}"
            f"<oml:is_target>{'true' if col == target else 'false'}</oml:is_target>"
            "<oml:is_ignore>false</oml:is_ignore><oml:is_row_identifier>false"
            "</oml:is_row_identifier><oml:number_of_missing_values>0"
            "</oml:number_of_missing_values></oml:feature>"
        )
    return f"<oml:data_features {OML}>{''.join(items)}</oml:data_features>"


def qualities_xml() -> str:
    return (
        f"<oml:data_qualities {OML}><oml:quality><oml:name>NumberOfInstances</oml:name>"
        "<oml:value>0</oml:value></oml:quality></oml:data_qualities>"
    )


def error_xml(code: int, message: str) -> str:
    return f"<oml:error {OML}><oml:code>{code}</oml:code><oml:message>{message}</oml:message></oml:error>"


def to_arff(frame: pd.DataFrame, name: str) -> str:
    """The frame as an ARFF document (object columns nominal, others numeric)."""
    import arff  # liac-arff, an openml-python dependency

    attributes = []
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]):
            attributes.append((col, "REAL"))
        else:
            attributes.append((col, sorted(frame[col].astype(str).unique())))
    rows = [
        [v if isinstance(v, str) else float(v) for v in rec]
        for rec in frame.astype(object).itertuples(index=False)
    ]
    return arff.dumps({"relation": name, "attributes": attributes, "data": rows})


def write_cached_dataset(root: Path, did: int, name: str, frame: pd.DataFrame, target: str) -> Path:
    """Lay out ``frame`` as openml-python's cache does; returns the dataset's cache folder."""
    folder = root / "openml" / "org" / "openml" / "www" / "datasets" / str(did)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "description.xml").write_text(
        description_xml(
            did,
            name,
            target,
            f"https://api.openml.org/data/v1/download/0/{name}.arff",
            parquet_url=f"https://data.openml.org/datasets/0000/{did:04d}/dataset_{did}.pq",
        )
    )
    (folder / "features.xml").write_text(features_xml(frame, target))
    frame.to_parquet(folder / f"dataset_{did}.pq", index=False)
    return folder


class FakeOpenML:
    """A loopback OpenML: ``datasets`` maps id -> (name, frame, target); ``bad_md5`` ids announce a
    wrong checksum. ``requests`` logs every path asked for."""

    def __init__(
        self, datasets: dict[int, tuple[str, pd.DataFrame, str]], bad_md5: set[int] | None = None
    ) -> None:
        self.datasets = datasets
        self.bad_md5 = bad_md5 or set()
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                status, body = fake.route(self.path.split("?")[0])
                data = body.encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "text/xml" if body.startswith("<") else "text/plain"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.server_url = f"{self.base}/api/v1/xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def arff_text(self, did: int) -> str:
        name, frame, _ = self.datasets[did]
        return to_arff(frame, name)

    def route(self, path: str) -> tuple[int, str]:
        parts = path.strip("/").split("/")
        # /api/v1/xml/data/<id> , /api/v1/xml/data/features/<id>, /api/v1/xml/data/qualities/<id>
        if parts[:4] == ["api", "v1", "xml", "data"]:
            rest = parts[4:]
            kind, sid = (rest[0], rest[1]) if len(rest) == 2 else ("description", rest[0])
            did = int(sid) if sid.isdigit() else -1
            if did not in self.datasets:
                return 412, error_xml(111, "Unknown dataset")
            name, frame, target = self.datasets[did]
            if kind == "features":
                return 200, features_xml(frame, target)
            if kind == "qualities":
                return 200, qualities_xml()
            md5 = hashlib.md5(self.arff_text(did).encode()).hexdigest()
            if did in self.bad_md5:
                md5 = "0" * 32
            url = f"{self.base}/data/v1/download/{did}/{name}.arff"
            return 200, description_xml(did, name, target, url, md5=md5)
        # /data/v1/download/<id>/<name>.arff
        if parts[:3] == ["data", "v1", "download"] and parts[3].isdigit():
            return 200, self.arff_text(int(parts[3]))
        return 404, error_xml(0, "not found")

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
