"""Wall time of the README's quickstart (a fresh run and a resume) on this machine.

    python benchmarks/quickstart_time.py [--out benchmarks/results]

Writes <out>/quickstart_time.json; the README's set-up figures come from it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    bench = str(Path(sys.executable).parent / "bench")
    config = str(Path(__file__).resolve().parents[1] / "configs" / "quickstart.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        run = [bench, "run", config, "--output", str(Path(tmp) / "qs"), "-q"]
        fresh = timed(run)
        resume = timed(run)
    result = {"quickstart_fresh_s": round(fresh, 1), "quickstart_resume_s": round(resume, 1)}
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quickstart_time.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
