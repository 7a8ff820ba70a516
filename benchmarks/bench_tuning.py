"""Nested tuning: bench against the grid-search loops users write, on the same folds.

    python benchmarks/bench_tuning.py [--out benchmarks/results] [--quick] [--skip-typical]

Grid: 3 KEEL datasets x SMOTE k_neighbors in {1,3,5,7,9} x LightGBM num_leaves in {7,15,31},
5 outer folds, inner StratifiedKFold(3) (bench's seeded inner splits), objective F1.

1. bench (``tuning: {search: grid}``, 2 worker processes, estimators single-threaded);
2. the careful loop: an imbalanced-learn Pipeline(preprocessing, SMOTE, LGBMClassifier(n_jobs=1))
   in GridSearchCV(cv=<the same inner splits>, scoring="f1", n_jobs=-1), refit on each outer
   training fold (bench's outer splits and seeds): chosen values and outer F1 are compared;
3. the typical loop: the same with LightGBM's default threads and the threshold tuned for F1 per
   candidate by TunedThresholdClassifierCV(cv=3) inside the search (bench: ``thr=tuned[cv=3]``);
4. staged fits: a random forest with n_estimators in {20,40,60,80,100} against one value (100);
5. TPE with 30 trials on a larger space (k, num_leaves, learning_rate, n_estimators) against the
   full grid of that space's choices.
Prints a JSON summary (also written to <out>/bench_tuning.json). Timings are ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ["keel/ecoli3", "keel/yeast4", "keel/pima"]
KS, LEAVES = [1, 3, 5, 7, 9], [7, 15, 31]
N_SPLITS, INNER = 5, 3


def run_bench(doc: dict[str, Any], out: Path) -> tuple[float, Any]:
    import pandas as pd

    from climb_cli.config import parse_config
    from climb_cli.engine.runner import run_experiment
    from climb_cli.grid import resolve_experiment

    exp = resolve_experiment(parse_config(doc))
    start = time.perf_counter()
    run_experiment(exp, out, resume=False)
    return time.perf_counter() - start, pd.read_parquet(out / "results.parquet")


def base_doc(name: str, datasets: list[str], threshold: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "seed": 0,
        "datasets": datasets,
        "cv": {"n_splits": N_SPLITS},
        "resamplers": {"smote": {"k_neighbors": {"tune": KS}}},
        "class_weights": ["none"],
        "thresholds": threshold,
        "metrics": ["f1"],
        "n_jobs": 2,
        "classifiers": {"lgbm": {"num_leaves": {"tune": LEAVES}, "min_child_samples": 5}},
        "tuning": {"search": "grid", "objective": "f1", "inner": {"cv": INNER}},
    }


def run_loop(datasets: list[str], typical: bool) -> tuple[float, dict[tuple[str, int], Any]]:
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline
    from lightgbm import LGBMClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.datasets.preprocess import build_preprocessor
    from climb_cli.engine.rows import RunContext
    from climb_cli.engine.split import component_seed, inner_splits, outer_split

    ctx = RunContext(seed=0, n_splits=N_SPLITS, preprocessing={}, metrics=("f1",))
    out: dict[tuple[str, int], Any] = {}
    start = time.perf_counter()
    for name in datasets:
        ds = load_dataset(load_catalog()[name])
        for fold in range(N_SPLITS):
            train, test = outer_split(ds, ctx, 0, fold)
            X, y = ds.X.iloc[train], ds.y[train]
            splits = inner_splits(
                ("cv", INNER), y, component_seed(0, "inner", ds.name, 0, ["cv", INNER])
            )
            lgbm = LGBMClassifier(
                min_child_samples=5,
                verbose=-1,
                n_estimators=100,
                random_state=component_seed(
                    0, "classifier", ds.name, 0, "lgbm[min_child_samples=5,num_leaves=tuned]"
                ),
                **({} if typical else {"n_jobs": 1}),
            )
            smote = SMOTE(
                random_state=component_seed(0, "resampler", ds.name, 0, "smote[k_neighbors=tuned]")
            )
            pipe: Any = Pipeline(
                [*build_preprocessor(X).steps, ("resampler", smote), ("classifier", lgbm)]
            )
            grid = {"classifier__num_leaves": LEAVES, "resampler__k_neighbors": KS}
            if typical:
                pipe = TunedThresholdClassifierCV(pipe, scoring="f1", cv=INNER)
                grid = {f"estimator__{k}": v for k, v in grid.items()}
            search = GridSearchCV(pipe, grid, scoring="f1", cv=splits, n_jobs=-1).fit(X, y)
            pred = (
                search.predict_proba(ds.X.iloc[test])[:, 1] >= 0.5
                if not typical
                else search.predict(ds.X.iloc[test])
            )
            chosen = {k.replace("estimator__", ""): v for k, v in search.best_params_.items()}
            out[(name, fold)] = (chosen, float(f1_score(ds.y[test], pred)))
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-typical", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    datasets = DATASETS[:1] if args.quick else DATASETS
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # 1 + 2: careful loop, same fits
        t_bench, df = run_bench(base_doc("tune_default", datasets, {"default": {}}), root / "a")
        t_loop, loop = run_loop(datasets, typical=False)
        same_choice = same_f1 = 0
        for rec in df.itertuples():
            chosen, f1 = loop[(rec.dataset, rec.fold)]
            tuned = json.loads(rec.tuned_params)
            mine = {
                "classifier__num_leaves": tuned["classifier"]["num_leaves"],
                "resampler__k_neighbors": tuned["resampler"]["k_neighbors"],
            }
            same_choice += mine == chosen
            same_f1 += abs(rec.f1 - f1) < 1e-12
        summary["careful_loop"] = {
            "bench_s": round(t_bench, 2),
            "loop_s": round(t_loop, 2),
            "loop_over_bench": round(t_loop / t_bench, 2),
            "jobs": len(df),
            "same_chosen_values": same_choice,
            "same_outer_f1": same_f1,
        }
        print(json.dumps(summary, indent=2), flush=True)
        # 3: typical loop, threshold tuned per candidate
        if not args.skip_typical:
            t_bench_t, df_t = run_bench(
                base_doc("tune_thr", datasets, {"tuned": {"cv": INNER, "objective": "f1"}}),
                root / "b",
            )
            t_typ, typ = run_loop(datasets, typical=True)
            summary["typical_loop"] = {
                "bench_s": round(t_bench_t, 2),
                "loop_s": round(t_typ, 2),
                "loop_over_bench": round(t_typ / t_bench_t, 2),
                "bench_mean_f1": round(float(df_t["f1"].mean()), 4),
                "loop_mean_f1": round(float(np.mean([v[1] for v in typ.values()])), 4),
            }
            print(json.dumps(summary, indent=2), flush=True)
        # 4: staged n_estimators
        rf = {
            "name": "staged",
            "seed": 0,
            "datasets": datasets,
            "cv": {"n_splits": N_SPLITS},
            "resamplers": ["none"],
            "class_weights": ["none"],
            "thresholds": ["default"],
            "metrics": ["f1"],
            "n_jobs": 2,
            "tuning": {"search": "grid"},
        }
        t_one, _ = run_bench(
            {**rf, "classifiers": {"rf": {"n_estimators": {"tune": [100]}}}}, root / "c"
        )
        t_five, _ = run_bench(
            {**rf, "classifiers": {"rf": {"n_estimators": {"tune": [20, 40, 60, 80, 100]}}}},
            root / "d",
        )
        summary["staged_rf"] = {
            "one_value_s": round(t_one, 2),
            "five_values_s": round(t_five, 2),
            "ratio": round(t_five / t_one, 2),
        }
        print(json.dumps(summary, indent=2), flush=True)
        # 5: TPE 30 trials vs the full grid of a larger space
        space = {"smote": {"k_neighbors": {"tune": [1, 3, 5, 7, 9]}}}
        clf = {
            "lgbm": {
                "num_leaves": {"tune": [7, 15, 31]},
                "min_child_samples": 5,
                "learning_rate": {"tune": [0.03, 0.1, 0.3]},
                "n_estimators": {"tune": [50, 100, 200]},
            }
        }
        big = {
            "name": "big",
            "seed": 0,
            "datasets": datasets,
            "cv": {"n_splits": N_SPLITS},
            "resamplers": space,
            "class_weights": ["none"],
            "thresholds": ["default"],
            "classifiers": clf,
            "metrics": ["f1"],
            "n_jobs": 2,
        }
        t_grid, g = run_bench({**big, "tuning": {"search": "grid"}}, root / "e")
        t_tpe, p = run_bench({**big, "tuning": {"search": "tpe", "n_trials": 30}}, root / "f")
        summary["tpe_vs_grid"] = {
            "grid_candidates": 135,
            "grid_s": round(t_grid, 2),
            "tpe30_s": round(t_tpe, 2),
            "grid_mean_f1": round(float(g["f1"].mean()), 4),
            "tpe_mean_f1": round(float(p["f1"].mean()), 4),
        }
    print(json.dumps(summary, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_tuning.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
