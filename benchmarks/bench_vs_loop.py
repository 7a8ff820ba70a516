"""bench vs the hand-written loop users write today, on the same grid and the same folds.

    python benchmarks/bench_vs_loop.py [--out benchmarks/results] [--quick]

1. ``bench run`` with its planner (2 worker processes, estimators single-threaded);
2. a hand-written loop: for every cell, an imbalanced-learn Pipeline (the same preprocessing,
   resampler, classifier), wrapped in TunedThresholdClassifierCV (tuned threshold) or
   FixedThresholdClassifier(0.5) (default threshold), evaluated with scikit-learn
   ``cross_validate(n_jobs=-1)`` on the same outer folds, inner folds, seeds and threshold grid, with
   estimators at their default threading.

Reports wall times and their ratio, bench's overhead ratio (wall time / (compute time summed over
groups / workers)), and the largest metric difference between the two where both produced a value.
Grid: 6 real imbalanced datasets x 4 resamplers x 3 classifiers x 2 class weights x 2 thresholds x 5
folds = 1,440 jobs. ``--quick`` uses 2 datasets and 2 folds (for a smoke test).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DATASETS = [
    "keel/ecoli3",
    "keel/pima",
    "sklearn/breast_cancer",
    "keel/yeast4",
    "keel/yeast6",
    "keel/abalone19",
]
RESAMPLERS = ["none", "ros", "smote", "rus"]
CLASSIFIERS = ["logreg", "dt", "lgbm"]
CLASS_WEIGHTS = ["none", "balanced"]
METRICS = {
    "f1": "f1",
    "balanced_accuracy": "balanced_accuracy",
    "roc_auc": "roc_auc",
    "pr_auc": "average_precision",
}
SEED, N_SPLITS, INNER = 0, 5, 5


def config(datasets: list[str], n_splits: int) -> dict:
    return {
        "name": "bench_vs_loop",
        "seed": SEED,
        "datasets": datasets,
        "cv": {"n_splits": n_splits},
        "resamplers": RESAMPLERS,
        "class_weights": CLASS_WEIGHTS,
        "thresholds": {"default": {}, "tuned": {"objective": "f1", "cv": INNER, "thresholds": 100}},
        "classifiers": CLASSIFIERS,
        "metrics": list(METRICS),
        "n_jobs": -1,
    }


def run_bench(cfg_path: Path, out: Path) -> tuple[float, pd.DataFrame, dict]:
    bench = Path(sys.executable).parent / "bench"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(bench), "run", str(cfg_path), "--output", str(out), "-q"],
        check=False,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    print(proc.stdout.strip(), proc.stderr.strip(), sep="\n", file=sys.stderr)
    manifest = json.loads((out / "manifest.json").read_text())
    return wall, pd.read_parquet(out / "results.parquet"), manifest


def hand_loop(datasets: list[str], n_splits: int) -> tuple[float, pd.DataFrame]:
    """What users write today (with bench's own data loading and preprocessing, for equal inputs)."""
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import Pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from lightgbm import LGBMClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import (
        FixedThresholdClassifier,
        StratifiedKFold,
        TunedThresholdClassifierCV,
        cross_validate,
    )
    from sklearn.tree import DecisionTreeClassifier

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.datasets.preprocess import build_preprocessor
    from climb_cli.engine.split import component_seed
    from climb_cli.grid import derive_seed

    samplers = {"ros": RandomOverSampler, "smote": SMOTE, "rus": RandomUnderSampler}
    catalog = load_catalog()
    records = []
    start = time.perf_counter()
    for name in datasets:
        ds = load_dataset(catalog[name])
        X, y = ds.X, ds.y
        outer = list(
            StratifiedKFold(
                n_splits, shuffle=True, random_state=derive_seed(SEED, "split", name, 0)
            ).split(X, y)
        )
        inner = StratifiedKFold(
            INNER, shuffle=True, random_state=component_seed(SEED, "inner", name, 0, ["cv", INNER])
        )
        for rs in RESAMPLERS:
            for clf_name in CLASSIFIERS:
                for cw in CLASS_WEIGHTS:
                    seed = component_seed(SEED, "classifier", name, 0, clf_name)
                    weight = "balanced" if cw == "balanced" else None
                    clf = {
                        "logreg": lambda w, s: LogisticRegression(
                            max_iter=1000, class_weight=w, random_state=s
                        ),
                        "dt": lambda w, s: DecisionTreeClassifier(class_weight=w, random_state=s),
                        "lgbm": lambda w, s: LGBMClassifier(
                            class_weight=w, random_state=s, verbose=-1
                        ),
                    }[clf_name](weight, seed)
                    # imblearn pipelines refuse nested pipelines: unpack the preprocessing steps
                    steps = list(build_preprocessor(X).steps)
                    if rs != "none":
                        steps.append(
                            (
                                "rs",
                                samplers[rs](
                                    random_state=component_seed(SEED, "resampler", name, 0, rs)
                                ),
                            )
                        )
                    pipe = Pipeline([*steps, ("clf", clf)])
                    for thr in ("default", "tuned"):
                        model = (
                            FixedThresholdClassifier(
                                pipe, threshold=0.5, response_method="predict_proba"
                            )
                            if thr == "default"
                            else TunedThresholdClassifierCV(
                                pipe, scoring="f1", cv=inner, thresholds=100
                            )
                        )
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            try:
                                scores = cross_validate(
                                    model,
                                    X,
                                    y,
                                    cv=outer,
                                    scoring=METRICS,
                                    n_jobs=-1,
                                    error_score=np.nan,
                                )
                            except ValueError:  # "All the fits failed": the cell is lost
                                scores = {f"test_{m}": [np.nan] * n_splits for m in METRICS}
                        for fold in range(n_splits):
                            records.append(
                                {
                                    "dataset": name,
                                    "resampler": rs,
                                    "classifier": clf_name,
                                    "class_weight": cw,
                                    "threshold": thr,
                                    "fold": fold,
                                    **{m: scores[f"test_{m}"][fold] for m in METRICS},
                                }
                            )
    return time.perf_counter() - start, pd.DataFrame(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--bench-only",
        action="store_true",
        help="time bench alone on the full grid (overhead ratio), skip the loop",
    )
    args = parser.parse_args()
    datasets = DATASETS[:2] if args.quick else DATASETS
    n_splits = 2 if args.quick else N_SPLITS
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "bench_vs_loop.yaml"
        cfg.write_text(yaml.safe_dump(config(datasets, n_splits)))
        bench_wall, bench_rows, manifest = run_bench(cfg, Path(tmp) / "run")
    workers = manifest.get("n_workers", os.cpu_count())
    if args.bench_only:
        only = {
            "jobs": len(bench_rows),
            "wall_s": round(bench_wall, 1),
            "engine_elapsed_s": manifest["elapsed_s"],
            "compute_s": manifest["compute_s"],
            "workers": workers,
            "overhead_ratio": round(manifest["elapsed_s"] / (manifest["compute_s"] / workers), 3),
            "failed_rows": int((bench_rows["status"] != "ok").sum()),
        }
        (args.out / "bench_only.json").write_text(json.dumps(only, indent=2))
        print(json.dumps(only, indent=2))
        return
    loop_wall, loop_rows = hand_loop(datasets, n_splits)
    keys = ["dataset", "resampler", "classifier", "class_weight", "threshold", "fold"]
    merged = bench_rows.merge(loop_rows, on=keys, suffixes=("_bench", "_loop"))
    diffs = {}
    for m in METRICS:
        both = merged[[f"{m}_bench", f"{m}_loop"]].dropna()
        d = (both[f"{m}_bench"] - both[f"{m}_loop"]).abs()
        diffs[m] = {
            "compared": len(both),
            "max_abs_diff": float(d.max()),
            "equal_within_1e-9": int((d <= 1e-9).sum()),
        }
    by_clf = {
        c: float(
            g[[f"{m}_bench" for m in METRICS]]
            .sub(g[[f"{m}_loop" for m in METRICS]].to_numpy())
            .abs()
            .max()
            .max()
        )
        for c, g in merged.groupby("classifier")
    }
    report = {
        "grid": {
            "datasets": datasets,
            "resamplers": RESAMPLERS,
            "classifiers": CLASSIFIERS,
            "class_weights": CLASS_WEIGHTS,
            "thresholds": ["default", "tuned(f1, cv=5)"],
            "folds": n_splits,
            "jobs": len(bench_rows),
        },
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "bench": {
            "wall_s": round(bench_wall, 1),
            "engine_elapsed_s": manifest["elapsed_s"],
            "compute_s": manifest["compute_s"],
            "workers": workers,
            "overhead_ratio": round(manifest["elapsed_s"] / (manifest["compute_s"] / workers), 3),
            "failed_rows": int((bench_rows["status"] != "ok").sum()),
            "failures": bench_rows.loc[bench_rows.status != "ok", "error"].value_counts().to_dict(),
        },
        "loop": {
            "wall_s": round(loop_wall, 1),
            "nan_jobs": int(loop_rows[list(METRICS)].isna().any(axis=1).sum()),
        },
        "speedup": round(loop_wall / bench_wall, 2),
        "agreement": diffs,
        "max_abs_diff_by_classifier": by_clf,
    }
    name = "bench_vs_loop_quick" if args.quick else "bench_vs_loop"
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
