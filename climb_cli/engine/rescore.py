"""Metrics added to a finished run: computed from its stored test-fold predictions, never left empty.

A job whose latest ok row lacks a configured metric gets a new row with every metric recomputed from
its predictions (and its prediction rows copied under the new row's time stamp, so the consolidated
predictions still match the latest row). Jobs without stored predictions must run again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from climb_cli import store
from climb_cli.components.metrics import get_metric

__all__ = ["rescore"]


def rescore(out_dir: Path, job_ids: set[str], metrics: Sequence[str], sink: store.Sink) -> set[str]:
    """Recompute ``metrics`` for ``job_ids`` from stored predictions into ``sink``; returns the
    jobs done (the others have no stored predictions)."""
    import pyarrow.compute as pc

    if not job_ids:
        return set()
    rows = store.latest_rows(store.read_parts(out_dir))
    rows = rows[rows["job_id"].isin(job_ids)]
    keys = {f"{j}|{t}" for j, t in zip(rows["job_id"], rows["finished_at"])}
    preds = store.read_predictions(out_dir, keys)
    if preds.num_rows == 0:
        return set()
    done: set[str] = set()
    columns = store.schema(metrics).names
    for rec in rows.to_dict(orient="records"):
        mask = pc.and_(
            pc.equal(preds["job_id"], rec["job_id"]),
            pc.equal(preds["finished_at"], rec["finished_at"]),
        )
        part = preds.filter(mask)
        if part.num_rows == 0:
            continue
        row = {c: rec.get(c) for c in columns}
        row.update(_metrics(part, metrics))
        row["finished_at"] = store.now_iso()
        new_preds = part.to_pydict()
        new_preds["finished_at"] = [row["finished_at"]] * part.num_rows
        sink.add(
            [_clean(row)],
            {
                k: np.asarray(v, dtype=object) if k == "proba" else np.asarray(v)
                for k, v in new_preds.items()
            },
        )
        done.add(rec["job_id"])
    return done


def _metrics(part: Any, metrics: Sequence[str]) -> dict[str, float]:
    y_true = np.asarray(part["y_true"].to_numpy(zero_copy_only=False), dtype=np.int64)
    y_pred = np.asarray(part["y_pred"].to_numpy(zero_copy_only=False), dtype=np.int64)
    proba = part["proba"].to_pylist()
    if proba[0] is None:
        k, scores = 2, np.asarray(part["score"].to_numpy(zero_copy_only=False), dtype=float)
    else:
        scores = np.asarray(proba, dtype=float)
        k = scores.shape[1]
    return {m: get_metric(m)(y_true, y_pred, scores, k) for m in metrics}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """pandas' NaN/NA back to None, and integer columns back to int, for arrow."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        try:
            missing = v is None or bool(v != v)  # noqa: PLR0124 - NaN/NA test for any type
        except (TypeError, ValueError):
            missing = False
        kind = store.BASE_COLUMNS.get(k, "float64")
        if missing:
            out[k] = float("nan") if kind == "float64" else None
        else:
            out[k] = int(v) if kind == "int64" else float(v) if kind == "float64" else v
    return out
