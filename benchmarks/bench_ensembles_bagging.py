"""Fit time of the bagging / cascade ensembles (100 decision trees) against plain bagging.

Data: ``make_classification`` 20,000 x 20, imbalance ratio 20 (19,048 : 952). Baseline:
scikit-learn's ``BaggingClassifier(DecisionTreeClassifier(), n_estimators=100)``, single-threaded.
Each method is built through the registry exactly as a config line would build it
(``{estimator: dt, n_estimators: 100}``). Prints fit seconds, the ratio to the baseline and the mean
number of rows each member is trained on (over-sampling ensembles train on ~2x the rows: each bag
holds the majority size for every class, so their ratio is above 2 by definition).

    python benchmarks/bench_ensembles_bagging.py [--rows 20000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

import climb_cli.components.bagging  # noqa: F401 - registers the components until __init__ does
from climb_cli.components import get

METHODS = ("balance_cascade", "underbagging", "overbagging", "smote_bagging", "cs")


def _fit_seconds(make: Any, X: np.ndarray, y: np.ndarray, repeats: int) -> tuple[float, Any]:
    """Best-of-``repeats`` fit time (the least disturbed by other work on the machine)."""
    best, model = np.inf, None
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best, model


def _rows_per_member(name: str, model: Any, y: np.ndarray) -> float:
    """Mean training rows of one member (what the method's definition makes it fit on)."""
    if name == "balance_cascade":
        return float(np.mean([len(s) for s in model.estimators_samples_]))
    if name == "smote_bagging":  # every class brought to the largest class's size
        return float(len(model.classes_) * np.bincount(y).max())
    if name in ("underbagging", "overbagging"):  # rows reaching the tree after the sampler
        return float(np.mean([e.steps[-1][1].tree_.n_node_samples[0] for e in model.estimators_]))
    return float(len(y))


def main() -> None:
    """Time every method and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=args.rows,
        n_features=20,
        n_informative=10,
        weights=[20 / 21],
        flip_y=0.0,
        random_state=0,
    )
    counts = np.bincount(y)
    print(
        f"data: {X.shape[0]} x {X.shape[1]}, classes {counts.tolist()}, "
        f"IR {counts.max() / counts.min():.1f}"
    )
    with threadpool_limits(1):

        def bagging() -> BaggingClassifier:
            return BaggingClassifier(
                DecisionTreeClassifier(), n_estimators=100, n_jobs=1, random_state=0
            )

        base_s, _ = _fit_seconds(bagging, X, y, args.repeats)
        print(f"{'method':<16} {'fit s':>8} {'ratio':>7} {'rows/member':>12}")
        print(f"{'bagging (dt)':<16} {base_s:8.2f} {1.0:7.2f} {X.shape[0]:12.0f}")
        for name in METHODS:
            params = {} if name == "cs" else {"estimator": "dt", "n_estimators": 100}
            comp = get("classifier", name)
            comp.check(params)
            secs, model = _fit_seconds(
                lambda c=comp, p=params: c.build(p, random_state=0), X, y, args.repeats
            )
            rows = _rows_per_member(name, model, y)
            print(f"{name:<16} {secs:8.2f} {secs / base_s:7.2f} {rows:12.0f}")


if __name__ == "__main__":
    main()
