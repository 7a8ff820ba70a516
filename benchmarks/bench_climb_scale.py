"""CLIMB's ensembles at CLIMB's sizes: fit time against a plain bagging of 100 decision trees.

Methods, built through bench's registry exactly as configs/climb.yaml builds them: SMOTEBoost
(``{estimator: dt, n_estimators: 100}``: 100 stump members, the boosting default CLIMB keeps),
SMOTEBagging, BalanceCascade (100 full trees each) and SPE (100 full trees). Baseline: scikit-learn's
``BaggingClassifier(DecisionTreeClassifier(), n_estimators=100)``. Everything single-threaded
(``n_jobs=1``, BLAS/OpenMP limited to one thread). Data:

- connect-4 (OpenML 40668, 67,557 x 42, 3 classes), the largest dataset of the offline seed, copied
  from ``$BENCH_SHARED_DATA/openml-seed`` (default ../shared/data) into a temporary bench cache and
  loaded and preprocessed by bench's own loader (skipped with a message when the seed is absent);
- a 284,807 x 30 ``make_classification`` set with 492 positives (0.17%, credit-card fraud's shape).

Members of bagging and SMOTEBagging are independent, so on the synthetic set (where one plain tree
takes tens of seconds) they are timed on ``--members`` of them and scaled to 100 (SMOTEBagging's
resampling rate cycles over 10 bags, so any multiple of 10 is a whole cycle); the others always fit
all 100. ``rows/member`` is what the method's definition makes a member fit on; ``row ratio`` is
that against bagging's bootstrap (n rows): over-sampling ensembles bring every class to the majority
size, so their members see about k x majority rows.

    python benchmarks/bench_climb_scale.py [--members 10] [--only connect-4|synthetic]
Writes benchmarks/results/bench_climb_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from climb_cli.components import get

N_MEMBERS = 100
METHODS: dict[str, dict[str, Any]] = {
    "smoteboost": {"estimator": "dt", "n_estimators": N_MEMBERS},
    "smote_bagging": {"estimator": "dt", "n_estimators": N_MEMBERS},
    "balance_cascade": {"estimator": "dt", "n_estimators": N_MEMBERS},
    "spe": {"n_estimators": N_MEMBERS},
}
SCALED = {"bagging", "smote_bagging"}  # independent members: timed on a subset when asked
OUT = Path(__file__).resolve().parent / "results" / "bench_climb_scale.json"


def connect4() -> tuple[np.ndarray, np.ndarray] | None:
    """connect-4 through bench's loader and preprocessing, or None (with a message) without the
    team's shared seed."""
    from climb_cli.datasets.catalog import DatasetSpec
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.datasets.openml_source import OpenMLOptions, import_cache
    from climb_cli.datasets.preprocess import build_preprocessor, fit_transform

    shared = Path(
        os.environ.get("BENCH_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared/data"
    )
    folder = shared / "openml-seed" / "org" / "openml" / "www" / "datasets" / "40668"
    if not folder.is_dir():
        print(f"connect-4 skipped: {folder} is absent (set BENCH_SHARED_DATA to the shared data)")
        return None
    cache = tempfile.mkdtemp(prefix="bench-climb-scale-")  # never the shared folder itself
    options = OpenMLOptions(cache_dir=cache, offline=True)
    import_cache(folder, options)
    ds = load_dataset(DatasetSpec(name="connect-4", openml=40668), options)
    return fit_transform(build_preprocessor(ds.X), ds.X), np.asarray(ds.y)


def synthetic() -> tuple[np.ndarray, np.ndarray]:
    """284,807 x 30 with 492 positives, like the credit-card fraud data."""
    n = 284_807
    X, y = make_classification(
        n_samples=n,
        n_features=30,
        n_informative=10,
        weights=[1 - 492 / n],
        flip_y=0.0,
        random_state=0,
    )
    return X, y


def _build(name: str, n_members: int) -> Any:
    if name == "bagging":
        return BaggingClassifier(
            DecisionTreeClassifier(), n_estimators=n_members, n_jobs=1, random_state=0
        )
    comp = get("classifier", name)
    params = {**METHODS[name], "n_estimators": n_members}
    comp.check(params)
    return comp.build(params, random_state=0)


def rows_per_member(name: str, model: Any, y: np.ndarray) -> float:
    """Mean training rows of one member, by the method's definition."""
    counts = np.bincount(y)
    if name in ("smote_bagging", "smoteboost"):  # every class brought to the majority size
        return float(len(counts) * counts.max())
    if name == "balance_cascade":
        return float(np.mean([len(s) for s in model.estimators_samples_]))
    if name == "spe":  # every class under-sampled to the smallest class
        return float(len(counts) * counts.min())
    return float(len(y))  # bagging: a bootstrap of n rows


def time_method(name: str, X: np.ndarray, y: np.ndarray, members: int) -> dict[str, Any]:
    """Fit seconds scaled to 100 members, with the members actually fitted."""
    n_fit = members if name in SCALED else N_MEMBERS
    model = _build(name, n_fit)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "fit_s": seconds * N_MEMBERS / n_fit,
        "members_fitted": n_fit,
        "rows_per_member": rows_per_member(name, model, y),
    }


def _write(doc: dict[str, Any]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n")


def run(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    members: int,
    doc: dict[str, Any],
    methods: list[str] | None = None,
) -> None:
    """Every method on one dataset into ``doc`` (written after each method); prints its table."""
    counts = np.bincount(y).tolist()
    print(f"\n{name}: {X.shape[0]} x {X.shape[1]}, classes {counts}")
    print(f"{'method':<16} {'fit s':>9} {'ratio':>7} {'rows/member':>12} {'row ratio':>9}  timed")
    result: dict[str, Any] = {"shape": list(X.shape), "class_counts": counts, "methods": {}}
    doc["datasets"][name] = result
    base = time_method("bagging", X, y, members)
    for method in ["bagging", *(methods or METHODS)]:
        r = base if method == "bagging" else time_method(method, X, y, members)
        r["ratio"] = r["fit_s"] / base["fit_s"]
        r["row_ratio"] = r["rows_per_member"] / len(y)
        result["methods"][method] = r
        timed = (
            f"{r['members_fitted']} members, scaled to {N_MEMBERS}"
            if r["members_fitted"] != N_MEMBERS
            else f"{N_MEMBERS} members"
        )
        print(
            f"{method:<16} {r['fit_s']:9.1f} {r['ratio']:7.2f} {r['rows_per_member']:12.0f} "
            f"{r['row_ratio']:9.2f}  {timed}",
            flush=True,
        )
        _write(doc)  # an interrupted run keeps what it measured


def main() -> None:
    """Time every method on both datasets; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--members",
        type=int,
        default=10,
        help="members of bagging / SMOTEBagging timed on the synthetic set (scaled to 100)",
    )
    parser.add_argument("--only", choices=["connect-4", "synthetic"], default=None)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=None)
    args = parser.parse_args()
    doc: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "n_members": N_MEMBERS,
        "load_average_at_start": list(os.getloadavg()),  # other work on the machine slows it
        "datasets": {},
    }
    if args.only and OUT.is_file():  # one dataset again: keep the other's figures
        doc["datasets"] = json.loads(OUT.read_text()).get("datasets", {})
    start = time.perf_counter()
    with threadpool_limits(1):
        if args.only in (None, "connect-4"):
            data = connect4()
            if data is not None:
                run("connect-4", *data, members=N_MEMBERS, doc=doc, methods=args.methods)
        if args.only in (None, "synthetic"):
            X, y = synthetic()
            run("synthetic-284807x30", X, y, args.members, doc, args.methods)
    doc["total_s"] = time.perf_counter() - start
    _write(doc)
    print(f"\n{doc['total_s']:.0f} s in all -> {OUT}")


if __name__ == "__main__":
    main()
