"""The tables every report view starts from, built only from stored results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from climb_cli.errors import ResultsError


def load_runs(run_dirs: list[Path]) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Results of one or more run directories (latest row per job) and the datasets' facts."""
    from climb_cli.store import read_results

    frames, facts = [], {}
    for d in run_dirs:
        df = read_results(d)
        frames.append(df.assign(run=str(d)))
        manifest = Path(d) / "manifest.json"
        if manifest.is_file():
            try:
                facts.update(json.loads(manifest.read_text()).get("datasets", {}))
            except json.JSONDecodeError:
                pass
    results = pd.concat(frames, ignore_index=True)
    if results.empty:
        raise ResultsError("the results table is empty: no job has finished yet")
    results = (results.sort_values("finished_at", kind="stable")
               .drop_duplicates("job_id", keep="last").reset_index(drop=True))
    return results, facts


def score_matrix(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """datasets x methods: mean over folds and repeats of ok rows (NaN where a method has none)."""
    ok = results[(results["status"] == "ok") & results[metric].notna()]
    methods = sorted(results["method"].unique())
    datasets = sorted(results["dataset"].unique())
    return (ok.groupby(["dataset", "method"])[metric].mean().unstack("method")
            .reindex(index=datasets, columns=methods))


def rank_matrix(scores: pd.DataFrame, greater_is_better: bool) -> pd.DataFrame:
    """Ranks within each dataset (1 = best, ties averaged); missing cells share the worst ranks."""
    ranks = scores.rank(axis=1, ascending=not greater_is_better, method="average")
    for ds in scores.index:
        missing = scores.loc[ds].isna()
        if missing.any():
            ranks.loc[ds, missing] = int((~missing).sum()) + (missing.sum() + 1) / 2
    return ranks


def method_parts(results: pd.DataFrame) -> pd.DataFrame:
    """method -> its resampler, class_weight, threshold and classifier labels."""
    from climb_cli.config import label

    def lab(name: str, params: str) -> str:
        return label(name, json.loads(params) if params else {})

    cols = ["method", "resampler", "resampler_params", "class_weight", "class_weight_params",
            "threshold", "threshold_params", "classifier", "classifier_params"]
    parts = results[cols].drop_duplicates("method").set_index("method")
    return pd.DataFrame({
        "resampler": [lab(r.resampler, r.resampler_params) for r in parts.itertuples()],
        "class_weight": [lab(r.class_weight, r.class_weight_params) for r in parts.itertuples()],
        "threshold": [lab(r.threshold, r.threshold_params) for r in parts.itertuples()],
        "classifier": [lab(r.classifier, r.classifier_params) for r in parts.itertuples()],
    }, index=parts.index)


def baselines(results: pd.DataFrame, baseline: str | None = None) -> dict[str, str | None]:
    """method -> its baseline: the given method, or the same classifier with no resampling, no
    class weights and the default threshold (None when the grid has no such method)."""
    parts = method_parts(results)
    if baseline is not None:
        if baseline not in parts.index:
            raise ResultsError(f"baseline method '{baseline}' is not in these results")
        return {m: baseline for m in parts.index}
    plain = parts[(parts.resampler == "none") & (parts.class_weight == "none")
                  & (parts.threshold == "default")]
    by_clf = dict(zip(plain.classifier, plain.index))
    return {m: by_clf.get(parts.loc[m, "classifier"]) for m in parts.index}
