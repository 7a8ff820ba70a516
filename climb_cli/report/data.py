"""The tables every report view starts from, built only from stored results.

Cell rule (one dataset x one method, for one metric):

- **score**: the mean over the folds and repeats whose job is ``ok`` and whose metric is defined.
  Jobs ``skipped`` by design (a fold that does not exist with ``allow_fewer_splits``, a binary-only
  strategy on a multiclass dataset, a classifier with no class-weight support) and folds where the
  metric is undefined (NaN) are left out of the mean: they are not failures.
- **failed**: any job of that dataset and method failed (error, timeout, memory, crashed). The cell
  has no score, even when other folds succeeded: a mean over the easy folds would reward failing.
- **not applicable**: no ok value and no failure (every job skipped, or not in the grid).

Ranks (``rank_matrix``): within each dataset, among the methods that apply to it, 1 = best, ties
averaged, direction from the metric's ``greater_is_better`` tag. Failed cells share the worst ranks
after every scored method; not-applicable cells have no rank (the method is compared only on the
datasets where it applies). A dataset where no method has a score is left out of the ranking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import ResultsError


@dataclass
class Loaded:
    """Results of one or more runs, their datasets' facts and notes to show first."""

    results: pd.DataFrame
    facts: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def load(run_dirs: list[Path]) -> Loaded:
    """Results of one or more run directories (latest row per job), facts and incomplete notes."""
    from climb_cli.store import latest_rows, read_run

    frames, facts, notes = [], {}, []
    for d in run_dirs:
        df, note = read_run(Path(d))
        frames.append(df.assign(run=str(d)))
        if note:
            notes.append(f"{d}: {note}" if len(run_dirs) > 1 else note)
        manifest = Path(d) / "manifest.json"
        if manifest.is_file():
            try:
                facts.update(json.loads(manifest.read_text()).get("datasets", {}))
            except json.JSONDecodeError:
                pass
    results = pd.concat(frames, ignore_index=True)
    if results.empty:
        raise ResultsError("the results table is empty: no job has finished yet")
    return Loaded(latest_rows(results), facts, notes)


def load_runs(run_dirs: list[Path]) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Results of one or more run directories (latest row per job) and the datasets' facts."""
    loaded = load(run_dirs)
    return loaded.results, loaded.facts


def cell_matrix(results: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """datasets x methods scores (NaN when failed or not applicable) and a boolean failed mask."""
    from climb_cli.store import FAILED_STATUSES

    methods = sorted(results["method"].unique())
    datasets = sorted(results["dataset"].unique())
    ok = results[(results["status"] == "ok") & results[metric].notna()]
    scores = (
        ok.groupby(["dataset", "method"])[metric]
        .mean()
        .unstack("method")
        .reindex(index=datasets, columns=methods)
        .astype(float)
    )
    bad = results[results["status"].isin(FAILED_STATUSES)]
    failed = (
        bad.groupby(["dataset", "method"])
        .size()
        .unstack("method")
        .reindex(index=datasets, columns=methods)
        .notna()
    )
    scores = scores.mask(failed)
    scores.columns.name = failed.columns.name = "method"
    return scores, failed


def score_matrix(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """datasets x methods scores under the cell rule (NaN when failed or not applicable)."""
    return cell_matrix(results, metric)[0]


def rank_matrix(
    scores: pd.DataFrame, greater_is_better: bool, failed: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Ranks within each dataset (module rule); without ``failed`` every missing cell is failed."""
    if failed is None:
        failed = scores.isna()
    failed = failed.reindex_like(scores).fillna(False).astype(bool) & scores.isna()
    ranks = scores.rank(axis=1, ascending=not greater_is_better, method="average")
    n_scored = scores.notna().sum(axis=1)
    worst = n_scored + (failed.sum(axis=1) + 1) / 2
    ranks = ranks.mask(failed, pd.DataFrame({c: worst for c in scores.columns}))
    ranks.loc[n_scored == 0] = np.nan
    return ranks


def identical_groups(results: pd.DataFrame, metric: str) -> list[list[str]]:
    """Groups of methods with the same status and value on every (dataset, repeat, fold)."""
    rows = results.assign(value=results[metric].where(results["status"] == "ok").round(12))
    key = rows["status"].astype(str) + ":" + rows["value"].astype(str)
    table = rows.assign(key=key).pivot_table(
        index=["dataset", "repeat", "fold"], columns="method", values="key", aggfunc="first"
    )
    has_value = rows[rows["value"].notna()]["method"].unique()
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in sorted(has_value):
        groups.setdefault(tuple(table[m].fillna("absent")), []).append(m)
    return [g for g in groups.values() if len(g) > 1]


def method_parts(results: pd.DataFrame) -> pd.DataFrame:
    """method -> its resampler, class_weight, threshold and classifier labels."""
    from climb_cli.config import label

    def lab(name: str, params: str) -> str:
        return label(name, json.loads(params) if params else {})

    cols = [
        "method",
        "resampler",
        "resampler_params",
        "class_weight",
        "class_weight_params",
        "threshold",
        "threshold_params",
        "classifier",
        "classifier_params",
    ]
    parts = results[cols].drop_duplicates("method").set_index("method")
    return pd.DataFrame(
        {
            "resampler": [lab(r.resampler, r.resampler_params) for r in parts.itertuples()],
            "class_weight": [
                lab(r.class_weight, r.class_weight_params) for r in parts.itertuples()
            ],
            "threshold": [lab(r.threshold, r.threshold_params) for r in parts.itertuples()],
            "classifier": [lab(r.classifier, r.classifier_params) for r in parts.itertuples()],
            # the config's scenario name (runs with ``scenarios:``); one column for every factor
            "scenario": (
                results.drop_duplicates("method").set_index("method")["scenario"].fillna("-")
                if "scenario" in results.columns
                else "-"
            ),
            "perturbation": (
                results.drop_duplicates("method").set_index("method")["perturbation"].fillna("none")
                if "perturbation" in results.columns
                else "none"
            ),
        },
        index=parts.index,
    )


def baselines(results: pd.DataFrame, baseline: str | None = None) -> dict[str, str | None]:
    """method -> its baseline: the given method, or the same classifier with no resampling, no
    class weights and the default threshold (None when the grid has no such method)."""
    if baseline is not None and baseline not in set(results["method"]):
        raise ResultsError(f"baseline method '{baseline}' is not in these results")
    if "resampler_params" not in results.columns or results["resampler_params"].isna().any():
        return {m: baseline for m in results["method"].unique()}
    parts = method_parts(results)
    if baseline is not None:
        return {m: baseline for m in parts.index}
    plain = parts[
        (parts.resampler == "none")
        & (parts.class_weight == "none")
        & (parts.threshold == "default")
    ]
    # a perturbed method's baseline is the plain method at the same perturbation level
    by_clf = {(c, p): m for c, p, m in zip(plain.classifier, plain.perturbation, plain.index)}
    return {
        m: by_clf.get((parts.loc[m, "classifier"], parts.loc[m, "perturbation"]))
        for m in parts.index
    }
