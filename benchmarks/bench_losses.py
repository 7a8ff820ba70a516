"""Fit time of lgbm_loss (custom focal / asl / ldam / logloss objectives) against LightGBM's built-in
objective at equal trees.

    python benchmarks/bench_losses.py [--rows 50000] [--trees 200] [--repeats 3]

Binary: built-in ``objective="binary"``; multiclass (3 classes): built-in ``objective="multiclass"``.
Every model is single-threaded (``n_jobs=1``, as inside a bench job) with the same tree settings.
The ratio custom / built-in is printed and written to benchmarks/results/bench_losses.json, together
with the time of the numpy gradient/Hessian computation alone (``objective_s``: the whole-array
call, an upper bound of what training spends in the blocked evaluation).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification

from climb_cli.components.losses import LGBMLossClassifier, Objective

LOSSES = ("focal", "asl", "ldam", "logloss")
TARGET = 1.5


def _best(model: Any, X: np.ndarray, y: np.ndarray, repeats: int) -> float:
    """Fastest of ``repeats`` fits, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times)


def _objective_time(loss: str, X: np.ndarray, y: np.ndarray, trees: int) -> float:
    """Seconds the numpy gradient/Hessian computation takes over ``trees`` boosting rounds."""
    k = len(np.unique(y))
    margins = np.full(k, 0.5) if loss == "ldam" else None
    obj = Objective(loss, k, margins=margins)
    raw = np.random.default_rng(0).normal(0, 1, len(y) if k == 2 else (len(y), k))
    start = time.perf_counter()
    for _ in range(trees):
        obj.grad_hess(y, raw)
    return time.perf_counter() - start


def run(rows: int, trees: int, repeats: int) -> dict[str, Any]:
    """Time every loss against the built-in objective on a binary and a 3-class set. The models are
    timed interleaved (built-in, focal, asl, ldam, logloss, then again): a change in machine load
    hits every model alike, and each keeps its fastest of ``repeats`` fits."""
    out: dict[str, Any] = {}
    for task, k in (("binary", 2), ("multiclass", 3)):
        weights = [0.9] if k == 2 else [0.8, 0.15]
        X, y = make_classification(
            rows, 30, n_informative=10, n_classes=k, weights=weights, random_state=0
        )
        common = {"n_estimators": trees, "random_state": 0, "n_jobs": 1}
        objective = "binary" if k == 2 else "multiclass"
        models: dict[str, Any] = {
            "builtin": partial(LGBMClassifier, objective=objective, verbose=-1, **common)
        }
        for loss in LOSSES:
            models[loss] = partial(LGBMLossClassifier, loss=loss, **common)
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(repeats):
            for name, make in models.items():
                times[name].append(_best(make(), X, y, 1))
        base = min(times["builtin"])
        rows_out: dict[str, Any] = {"builtin_s": round(base, 3)}
        for loss in LOSSES:
            secs = min(times[loss])
            rows_out[loss] = {
                "fit_s": round(secs, 3),
                "ratio": round(secs / base, 3),
                "objective_s": round(_objective_time(loss, X, y, trees), 3),
            }
            print(
                f"{task:10s} {loss:8s} {secs:7.2f}s  built-in {base:6.2f}s  ratio {secs / base:.2f}"
            )
        out[task] = rows_out
    return out


def main() -> None:
    """Run the benchmark and write the JSON next to the other results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = run(args.rows, args.trees, args.repeats)
    ratios = [v["ratio"] for task in results.values() for k, v in task.items() if k != "builtin_s"]
    doc = {
        "rows": args.rows,
        "features": 30,
        "trees": args.trees,
        "repeats": args.repeats,
        "threads": 1,
        "target_ratio": TARGET,
        "max_ratio": max(ratios),
        "within_target": max(ratios) <= TARGET,
        "machine": platform.platform(),
        "results": results,
    }
    path = Path(__file__).parent / "results" / "bench_losses.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"max ratio {max(ratios):.2f} (target <= {TARGET}); written to {path}")


if __name__ == "__main__":
    main()
