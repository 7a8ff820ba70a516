"""CLIMB's headline comparisons from a bench run of configs/climb*.yaml (docs/reproductions.md, 2).

    python benchmarks/climb_summary.py RUN_DIR [--metric pr_auc]

Per method (the 29 methods and the plain decision tree): its CLIMB family, mean score per CLIMB
imbalance level and overall, mean rank over datasets (1 = best), and mean training time per outer fold
(resampling + fit); then the family means per level. Datasets' levels come from the catalog's tags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

FAMILY = {
    "rus": "under-sampling",
    "cluster_centroids": "under-sampling",
    "iht": "under-sampling",
    "nearmiss": "under-sampling",
    "tomek": "cleaning",
    "enn": "cleaning",
    "renn": "cleaning",
    "allknn": "cleaning",
    "oss": "cleaning",
    "ncr": "cleaning",
    "ros": "over-sampling",
    "smote": "over-sampling",
    "borderline_smote": "over-sampling",
    "svm_smote": "over-sampling",
    "adasyn": "over-sampling",
    "spe": "under-sampling ensemble",
    "balance_cascade": "under-sampling ensemble",
    "brf": "under-sampling ensemble",
    "easy_ensemble": "under-sampling ensemble",
    "rusboost": "under-sampling ensemble",
    "underbagging": "under-sampling ensemble",
    "overboost": "over-sampling ensemble",
    "smoteboost": "over-sampling ensemble",
    "overbagging": "over-sampling ensemble",
    "smote_bagging": "over-sampling ensemble",
    "cs": "cost-sensitive",
    "adacost": "cost-sensitive",
    "adauboost": "cost-sensitive",
    "asymboost": "cost-sensitive",
}
LEVELS = ["ir-low", "ir-medium", "ir-high", "ir-extreme"]


def method_name(row: pd.Series) -> str:
    """The CLIMB method of a row: its resampler before a tree, or its ensemble."""
    return str(row["resampler"]) if row["resampler"] != "none" else str(row["classifier"])


def summarise(results: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-method table, family x level table)."""
    from climb_cli.datasets.catalog import load_catalog

    catalog = load_catalog()
    ok = results[results["status"] == "ok"].copy()
    ok["name"] = ok.apply(method_name, axis=1)
    ok["name"] = ok["name"].where(ok["name"] != "dt", "dt (no remedy)")
    ok["family"] = ok["name"].map(FAMILY).fillna("none")
    ok["level"] = [
        next((t for t in catalog[d].tags if t in LEVELS), "unknown") if d in catalog else "unknown"
        for d in ok["dataset"]
    ]
    ok["train_s"] = ok["fit_time_s"].fillna(0) + ok["resample_time_s"].fillna(0)
    cell = ok.groupby(["dataset", "name"])[metric].mean().unstack()
    ranks = cell.rank(axis=1, ascending=False).mean()
    level_of = ok.drop_duplicates("dataset").set_index("dataset")["level"]
    per_level = cell.groupby(level_of).mean().T
    table = pd.DataFrame(
        {
            "family": pd.Series(FAMILY).reindex(cell.columns).fillna("none"),
            **{lv: per_level.get(lv, pd.Series(np.nan, index=cell.columns)) for lv in LEVELS},
            "mean": cell.mean(),
            "mean_rank": ranks,
            "train_s": ok.groupby("name")["train_s"].mean(),
            "folds_failed": results.assign(name=results.apply(method_name, axis=1))
            .loc[lambda d: d["status"] != "ok"]
            .groupby("name")
            .size()
            .reindex(cell.columns)
            .fillna(0)
            .astype(int),
        }
    ).sort_values("mean_rank")
    families = table.groupby("family")[[*LEVELS, "mean", "mean_rank", "train_s"]].mean()
    return table, families.sort_values("mean_rank")


def main() -> None:
    """Print both tables."""
    from climb_cli.store import read_run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--metric", default="pr_auc")
    args = parser.parse_args()
    results, note = read_run(args.run_dir)
    if note:
        print(f"({note})")
    table, families = summarise(results, args.metric)
    counts = results.drop_duplicates("dataset")["dataset"].tolist()
    print(f"{args.metric}: {len(counts)} datasets\n")
    print(table.round(3).to_string())
    print()
    print(families.round(3).to_string())


if __name__ == "__main__":
    main()
