"""CLI latency: `bench --help` (lazy imports) and `bench validate` of a 10,000-job grid.

python benchmarks/cli_latency.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def timed(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    bench = str(Path(sys.executable).parent / "bench")
    grid = {
        "name": "big",
        "datasets": {"tags": ["keel"], "max_rows": 100000},
        "cv": {"n_splits": 5},
        "resamplers": ["none", "ros", "smote", "rus"],
        "class_weights": ["none", "balanced"],
        "thresholds": ["default"],
        "classifiers": {"logreg": {"C": [0.1, 1.0]}, "rf": {}},
    }
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "big.yaml"
        cfg.write_text(yaml.safe_dump(grid))
        out = subprocess.run(
            [bench, "validate", str(cfg)], check=False, capture_output=True, text=True
        )
        print(out.stdout.strip())
        print(f"bench --help: {timed([bench, '--help']):.3f} s (median of 5)")
        print(
            f"bench validate ({out.stdout.split()[2]} jobs): "
            f"{timed([bench, 'validate', str(cfg)]):.3f} s (median of 5)"
        )


if __name__ == "__main__":
    main()
