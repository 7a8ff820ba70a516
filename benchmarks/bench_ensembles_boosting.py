"""Fit time of SMOTEBoost / OverBoost (100 members) against scikit-learn bagging of 100 trees.

    python benchmarks/bench_ensembles_boosting.py [--rows 20000] [--features 20] [--repeats 1]

Synthetic binary data (make_classification, 10% minority), single-threaded. Boosting is timed with
its default base learner (a stump) and with fully grown trees (``estimator_params={}``, CLIMB's
"decision tree" setting); over-sampling members train on about 1.8x the rows of a bagging member.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from climb_cli.components.resample_boosting import OverBoostClassifier, SMOTEBoostClassifier


def best_time(make: Callable[[], Any], X: Any, y: Any, repeats: int) -> float:
    """Shortest wall time of ``repeats`` fits of a fresh model."""
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print each method's fit time and its ratio to bagging."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=args.rows,
        n_features=args.features,
        n_informative=8,
        weights=[0.9],
        flip_y=0.02,
        random_state=0,
    )
    methods: dict[str, Callable[[], Any]] = {
        "bagging(dt, 100)": lambda: BaggingClassifier(
            DecisionTreeClassifier(), n_estimators=100, n_jobs=1, random_state=0
        ),
        "overboost(stump, 100)": lambda: OverBoostClassifier(n_estimators=100, random_state=0),
        "smoteboost(stump, 100)": lambda: SMOTEBoostClassifier(n_estimators=100, random_state=0),
        "overboost(dt, 100)": lambda: OverBoostClassifier(
            estimator_params={}, n_estimators=100, random_state=0
        ),
        "smoteboost(dt, 100)": lambda: SMOTEBoostClassifier(
            estimator_params={}, n_estimators=100, random_state=0
        ),
    }
    print(f"{args.rows} x {args.features}, minority {y.mean():.1%}, best of {args.repeats}")
    with threadpool_limits(1):
        base = None
        for name, make in methods.items():
            seconds = best_time(make, X, y, args.repeats)
            base = base or seconds
            print(f"{name:24s} {seconds:8.2f} s   {seconds / base:5.2f}x bagging")


if __name__ == "__main__":
    main()
