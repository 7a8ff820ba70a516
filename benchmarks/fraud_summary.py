"""Shuffled vs time-ordered CV per dataset and model, from runs of configs/fraud_style.yaml and
configs/fraud_style_temporal.yaml (docs/reproductions.md, section 3).

    python benchmarks/fraud_summary.py SHUFFLED_RUN_DIR TEMPORAL_RUN_DIR [--metric pr_auc ...]

Per (dataset, model): the mean over the test folds under each CV kind and the drop (shuffled minus
temporal; positive = worse on the future).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

NAMES = {
    "lgbm": "LightGBM",
    "lgbm_loss": "LightGBM + focal",
    "iforest": "IsolationForest",
    "lof": "LOF (novelty)",
    "ocsvm": "OneClassSVM",
    "elliptic_envelope": "EllipticEnvelope",
}


def table(shuffled: pd.DataFrame, temporal: pd.DataFrame, metric: str) -> pd.DataFrame:
    """dataset x model rows; columns shuffled, temporal, drop."""
    parts = []
    for cv, df in (("shuffled", shuffled), ("temporal", temporal)):
        df = df[df["status"] == "ok"].copy()
        df["model"] = [
            NAMES.get(c, c) + ("" if w == "none" else f" + {w}")
            for c, w in zip(df["classifier"], df["class_weight"])
        ]
        parts.append(df.groupby(["dataset", "model"])[metric].mean().rename(cv))
    out = pd.concat(parts, axis=1)
    out["drop"] = out["shuffled"] - out["temporal"]
    return out


def main() -> None:
    """Print one table per metric."""
    from climb_cli.store import read_run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shuffled", type=Path)
    parser.add_argument("temporal", type=Path)
    parser.add_argument("--metric", action="append", default=None)
    args = parser.parse_args()
    a, b = read_run(args.shuffled)[0], read_run(args.temporal)[0]
    for metric in args.metric or ["pr_auc", "roc_auc", "f1", "brier"]:
        print(f"\n{metric}\n{table(a, b, metric).round(3).to_string()}")


if __name__ == "__main__":
    main()
