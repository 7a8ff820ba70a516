"""The robustness view (CLIMB's robustness study): each method's score at every perturbation level of
the training fold, and its drop from its clean score. Shown only when the results hold more than one
perturbation level (the ``perturbations:`` axis; the ``perturbation`` column, ``none`` = clean).

A perturbed method is labelled ``<method>@<level>`` (``smote+cw=none+thr=default+logreg@
label_noise[rate=0.2]``); this view groups the levels of each ``<method>``. Cells follow
``report.data``: a (dataset, method) score is the mean over its ok folds; a method's score at a level
is the mean of its dataset scores, empty when it failed on any dataset. The drop is paired: the mean
over the datasets scored at both levels of (clean - perturbed), sign flipped for lower-is-better
metrics, so a positive drop is always a loss.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.report.data import cell_matrix
from climb_cli.report.leaderboard import metric_direction

__all__ = ["chart_data", "levels", "robustness_table", "view_parts"]

CLEAN = "none"
_LEVEL = re.compile(r"^(?P<kind>[A-Za-z0-9_.-]+)\[(?P<param>[^=\]]+)=(?P<value>[^\]]+)\]$")


def levels(results: pd.DataFrame) -> pd.Series:
    """Each row's perturbation level (``none`` for the clean fold and for runs without the axis)."""
    if "perturbation" not in results.columns:
        return pd.Series(CLEAN, index=results.index, dtype=object)
    return results["perturbation"].astype(object).where(results["perturbation"].notna(), CLEAN)


def _split(level: str) -> tuple[str, str, float]:
    """(kind, parameter, value) of a level label; the clean level sits at the kind's origin."""
    m = _LEVEL.match(level)
    if m is None:
        return level, "", float("nan")
    try:
        value = float(m["value"])
    except ValueError:
        value = float("nan")
    return m["kind"], m["param"], value


def _base(method: str, level: str) -> str:
    suffix = f"@{level}"
    return method[: -len(suffix)] if level != CLEAN and method.endswith(suffix) else method


def robustness_table(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per (method, level): method, perturbation, kind, parameter, value, mean (over
    datasets), n_datasets and drop (paired, from the clean level; positive = worse)."""
    lv = levels(results)
    base = {m: _base(m, p) for m, p in zip(results["method"], lv)}
    level_of = dict(zip(results["method"], lv))
    scores, failed = cell_matrix(results, metric)
    sign = 1.0 if metric_direction(metric) else -1.0
    rows: list[dict[str, Any]] = []
    for method in scores.columns:
        b, level = base[method], level_of[method]
        clean = b if b in scores.columns and level_of.get(b) == CLEAN else None
        col, bad = scores[method], failed[method].any()
        kind, param, value = _split(level)
        drop = float("nan")
        if clean is not None and not bad and not failed[clean].any():
            both = col.notna() & scores[clean].notna()
            if both.any():
                drop = float(sign * (scores[clean][both] - col[both]).mean())
        rows.append(
            {
                "method": b,
                "perturbation": level,
                "kind": kind,
                "parameter": param,
                "value": value,
                "mean": float("nan") if bad or col.isna().all() else float(col.mean()),
                "n_datasets": int(col.notna().sum()),
                "drop": drop,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["method", "kind", "value"], kind="stable").reset_index(drop=True)


def _wide(long: pd.DataFrame, kind: str, greater: bool) -> pd.DataFrame:
    """method x (clean, each level of ``kind``, each level's drop), best clean score first."""
    clean = long[long["perturbation"] == CLEAN].set_index("method")["mean"]
    part = long[long["kind"] == kind]
    out = pd.DataFrame({"method": sorted(set(part["method"]))})
    out["clean"] = out["method"].map(clean).astype(float)
    cols = part.drop_duplicates("perturbation").sort_values("value", kind="stable")
    for level, param, value in zip(cols["perturbation"], cols["parameter"], cols["value"]):
        at = part[part["perturbation"] == level].set_index("method")
        name = f"{param}={value:g}" if param else level
        out[name] = out["method"].map(at["mean"]).astype(float)
        out[f"drop {name}"] = out["method"].map(at["drop"]).astype(float)
    first = [c for c in out.columns if not c.startswith("drop ")]
    out = out[first + [c for c in out.columns if c.startswith("drop ")]]
    key = out["clean"] if greater else -out["clean"]
    return out.iloc[np.argsort(-key.fillna(-np.inf).to_numpy(), kind="stable")].reset_index(
        drop=True
    )


def view_parts(results: pd.DataFrame, metric: str) -> list[dict[str, Any]]:
    """The robustness view of one metric as ``{key, title, table | text}`` parts (the report's
    sections wrap them in blocks): one table per perturbation kind, none when the results hold a
    single perturbation level."""
    lv = levels(results)
    if lv.nunique() < 2:
        return []
    long = robustness_table(results, metric)
    greater = metric_direction(metric)
    parts: list[dict[str, Any]] = []
    if CLEAN not in set(lv):
        parts.append(
            {
                "key": "robustness_note",
                "title": "robustness",
                "text": "No clean level in these results, so no drops: list none among the "
                "perturbations (perturbations: {none: {}, label_noise: {rate: [0.1, 0.2]}}).",
            }
        )
    for kind in sorted(set(long["kind"]) - {CLEAN}):
        parts.append(
            {
                "key": f"robustness_{kind}",
                "title": f"robustness to {kind}: mean over datasets at each level; drop = clean - "
                f"perturbed{'' if greater else ' (sign flipped: lower is better)'}, positive = "
                "worse",
                "table": _wide(long, kind, greater),
            }
        )
    return parts


def chart_data(
    results: pd.DataFrame, metric: str, max_methods: int = 8
) -> list[tuple[str, str, str, list[float], list[tuple[str, list[float]]]]]:
    """Per perturbation kind: (kind, parameter, x label, x values, [(method, y values)]) for a
    score-vs-level chart of the ``max_methods`` best clean scores (clean drawn at rate 0 /
    factor 1)."""
    if levels(results).nunique() < 2:
        return []
    long = robustness_table(results, metric)
    greater = metric_direction(metric)
    out = []
    for kind in sorted(set(long["kind"]) - {CLEAN}):
        wide = _wide(long, kind, greater).head(max_methods)
        part = long[long["kind"] == kind].drop_duplicates("perturbation")
        param = str(part["parameter"].iloc[0])
        origin = 1.0 if param == "factor" else 0.0
        xs = [origin, *sorted(part["value"])]
        lines = [
            (str(rec.method), [rec.clean, *rec[2 : 2 + len(xs) - 1]])
            for rec in wide.itertuples(index=False)
        ]
        out.append((kind, param, f"{kind} {param} ({origin:g} = clean)", xs, lines))
    return out
