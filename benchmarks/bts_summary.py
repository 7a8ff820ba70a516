"""Balancing the Scales' three summary tables from a bench run of configs/balancing_the_scales.yaml.

    python benchmarks/bts_summary.py RUN_DIR [--metric f1] [--json OUT]

1. the mean of each metric per scenario over every model and dataset (fold means first);
2. how many datasets each scenario wins (its mean over models and folds is the highest; a tie
   shares the win);
3. the best scenario per model (mean over datasets).
Only (dataset, model) pairs where all four scenarios finished are compared, so a scenario that
cannot apply to a model (class weights on KNN) does not tilt the means; the script says how many
pairs that leaves.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd

SCENARIOS = ["baseline", "smote", "class_weights", "threshold"]
# the publication's mean F1 per scenario (all models and datasets)
PUBLISHED_F1 = {"baseline": 0.556, "smote": 0.605, "class_weights": 0.594, "threshold": 0.617}


def scenario_of(results: pd.DataFrame) -> pd.Series:
    """The scenario of each row: the ``scenario`` column, else read from its remedy columns."""
    if "scenario" in results.columns and results["scenario"].notna().all():
        return results["scenario"]
    return pd.Series(
        [
            "smote"
            if r.resampler == "smote"
            else "class_weights"
            if r.class_weight == "factor"
            else "threshold"
            if r.threshold == "holdout"
            else "baseline"
            for r in results.itertuples()
        ],
        index=results.index,
    )


def summarise(results: pd.DataFrame, metrics: list[str]) -> dict[str, Any]:
    """The three tables (as plain dicts) and the counts behind them."""
    ok = results[results["status"] == "ok"].copy()
    ok["scenario"] = scenario_of(ok)
    cells = ok.groupby(["dataset", "classifier", "scenario"])[metrics].mean().reset_index()
    complete = cells.groupby(["dataset", "classifier"])["scenario"].transform("nunique") == 4
    cells = cells[complete]
    out: dict[str, Any] = {
        "pairs": int(cells.groupby(["dataset", "classifier"]).ngroups),
        "datasets": int(cells["dataset"].nunique()),
        "classifiers": sorted(cells["classifier"].unique()),
        "status": results["status"].value_counts().to_dict(),
    }
    out["mean"] = {
        m: cells.groupby("scenario")[m].mean().reindex(SCENARIOS).round(4).to_dict()
        for m in metrics
    }
    per_ds = cells.groupby(["dataset", "scenario"])[metrics[0]].mean().unstack()[SCENARIOS]
    best = per_ds.max(axis=1)
    wins = {s: 0.0 for s in SCENARIOS}
    for ds, row in per_ds.iterrows():
        top = [s for s in SCENARIOS if row[s] == best[ds]]
        for s in top:
            wins[s] += 1 / len(top)
    out["dataset_wins"] = {s: round(w, 2) for s, w in wins.items()}
    per_model = cells.groupby(["classifier", "scenario"])[metrics[0]].mean().unstack()[SCENARIOS]
    out["best_per_model"] = {
        clf: {"best": str(row.idxmax()), **{s: round(float(row[s]), 4) for s in SCENARIOS}}
        for clf, row in per_model.iterrows()
    }
    return out


def markdown(summary: dict[str, Any], metric: str) -> str:
    """The tables as Markdown."""
    head = (
        f"{summary['pairs']} (dataset, model) pairs with all four scenarios finished "
        f"({summary['datasets']} datasets x {len(summary['classifiers'])} models)."
    )
    lines = [
        head,
        "",
        "| metric | " + " | ".join(SCENARIOS) + " |",
        "| --- |" + " ---: |" * len(SCENARIOS),
    ]
    for m, values in summary["mean"].items():
        lines.append(f"| {m} | " + " | ".join(f"{values[s]:.3f}" for s in SCENARIOS) + " |")
    if metric == "f1":
        lines.append(
            "| f1 (publication) | " + " | ".join(f"{PUBLISHED_F1[s]:.3f}" for s in SCENARIOS) + " |"
        )
    lines += [
        "",
        f"Datasets won ({metric}): "
        + ", ".join(f"{s} {w:g}" for s, w in summary["dataset_wins"].items()),
        "",
        f"| model | best ({metric}) | " + " | ".join(SCENARIOS) + " |",
        "| --- | --- |" + " ---: |" * len(SCENARIOS),
    ]
    for clf, row in summary["best_per_model"].items():
        lines.append(
            f"| {clf} | {row['best']} | " + " | ".join(f"{row[s]:.3f}" for s in SCENARIOS) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    """Print the tables (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--metric", default="f1")
    parser.add_argument(
        "--also", default="f2,pr_auc_trapz,roc_auc,balanced_accuracy,mcc,brier", help="more"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from climb_cli.store import read_run

    results, note = read_run(args.run_dir)  # a finished run, or the parts of a running one
    if note:
        print(f"({note})\n")
    metrics = [args.metric] + [m for m in args.also.split(",") if m and m in results.columns]
    summary = summarise(results, metrics)
    print(markdown(summary, args.metric))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
