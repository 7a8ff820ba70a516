"""``bench compare``: the regression gate between two runs of a (possibly evolving) grid.

**Matching.** Jobs are matched by identity (dataset, method, repeat, fold), whatever the package
versions. Methods and datasets present in only one run are listed as added or removed, and so are
jobs of shared methods and datasets missing from one run (an interrupted run, a changed
``cv.n_repeats``); the verdict is decided on the shared part. Nothing shared: not comparable.
``strict=True`` (``--strict``): not comparable unless both runs hold exactly the same jobs.

**Settings.** The seed, ``cv.n_splits``, ``cv.allow_fewer_splits`` and ``preprocessing.*`` are
read from each run's ``manifest.json`` (its ``config``; the results' ``seed`` column when the
manifest has none; a setting missing from either run is not compared). Runs that differ in any of
them are not comparable unless ``allow_different_settings=True`` (``--allow-different-settings``).

**Deterministic runs (same settings).** A run of a config is deterministic, so any change comes from
code or packages: no test, only effect sizes, in metric units, signed so that a drop is worse
(``metric_direction``; for a lower-is-better metric such as brier a rise is a drop). Per metric, on
the jobs ok in both runs:

- a **(method, dataset)** changes by the mean over its paired folds of candidate minus base;
- a **method** changes by the mean of its per-dataset changes;
- the **overall** change is the mean over all (method, dataset) changes.

Any of these that drops by more than ``tolerance`` (strictly) is a **regression**; one that rises
by more than ``tolerance`` is an improvement. Every method and dataset that moved, either way, is
named.

**Different settings (allowed).** Runs that differ by seed, folds or preprocessing differ by
sampling noise, so each method and the overall mean are tested: a two-sided Wilcoxon signed-rank
test over the per-dataset means (each run's own ok jobs; for the overall mean, the mean over
methods per dataset), Holm-corrected across (methods + overall) x metrics. A regression is a
Holm-adjusted p below ``alpha`` *and* a mean drop beyond ``tolerance``. Per-dataset moves are
listed but decide nothing (with fewer than 6 datasets the test cannot reach 0.05).

**Both modes.** Jobs ok in the base that fail in the candidate are regressions. A run read from its
parts (interrupted or still running) is flagged as incomplete. Exit codes (CLI): 0 no regression,
1 regression, 2 not comparable or bad input.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from climb_cli.errors import ResultsError
from climb_cli.report.leaderboard import available_metrics, check_metric, metric_direction

KEY = ["dataset", "method", "repeat", "fold"]
CELL = ["dataset", "method"]


class NotComparable(ResultsError):
    """The two runs do not share a grid, or differ in settings."""


def latest_runs(parent: Path) -> tuple[Path, Path]:
    """The two newest run directories with results under ``parent`` (by manifest start time)."""
    runs = []
    for d in (
        sorted(p for p in Path(parent).iterdir() if p.is_dir()) if Path(parent).is_dir() else []
    ):
        # an interrupted run (parts only) counts: skipping it would compare the two runs before
        if (d / "results.parquet").is_file() or any((d / "parts").glob("part-*.parquet")):
            started = _manifest(d).get("started_at") or ""
            runs.append((started, d.name, d))
    if len(runs) < 2:
        raise ResultsError(
            f"--latest needs two run directories with results under {parent}; found {len(runs)}"
        )
    runs.sort()
    return runs[-2][2], runs[-1][2]


def _manifest(run: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(run) / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def settings(run: Path, results: pd.DataFrame) -> dict[str, Any]:
    """The settings that make two runs' numbers comparable (seed, folds, preprocessing)."""
    cfg = _manifest(run).get("config") or {}
    out: dict[str, Any] = {}
    if "seed" in cfg:
        out["seed"] = cfg["seed"]
    elif "seed" in results.columns and results["seed"].nunique() == 1:
        out["seed"] = int(results["seed"].iloc[0])
    for key in ("n_splits", "allow_fewer_splits", "kind", "order_by", "gap", "group_by"):
        if key in (cfg.get("cv") or {}):
            out[f"cv.{key}"] = cfg["cv"][key]
    for key, value in sorted((cfg.get("preprocessing") or {}).items()):
        out[f"preprocessing.{key}"] = value
    return out


def _grid(
    base: pd.DataFrame, cand: pd.DataFrame, base_dir: Path, cand_dir: Path, strict: bool
) -> dict[str, Any]:
    kb, kc = set(map(tuple, base[KEY].to_numpy())), set(map(tuple, cand[KEY].to_numpy()))
    if strict and kb != kc:
        raise NotComparable(
            f"runs not comparable: {len(kb - kc)} jobs only in {base_dir} and "
            f"{len(kc - kb)} only in {cand_dir} (different grids); compare runs of "
            "the same config"
        )
    mb, mc = set(base["method"]), set(cand["method"])
    db, dc = set(base["dataset"]), set(cand["dataset"])
    if not kb & kc:
        raise NotComparable(
            f"runs not comparable: no job in common between {base_dir} "
            f"({len(kb)} jobs) and {cand_dir} ({len(kc)} jobs); "
            f"{len(mb & mc)} methods and {len(db & dc)} datasets shared"
        )

    def inner(keys: set[tuple[Any, ...]]) -> int:  # jobs of shared methods and datasets
        return sum(1 for d, m, *_ in keys if m in mb & mc and d in db & dc)

    return {
        "methods_added": sorted(mc - mb),
        "methods_removed": sorted(mb - mc),
        "datasets_added": sorted(dc - db),
        "datasets_removed": sorted(db - dc),
        "shared_jobs": len(kb & kc),
        "jobs_only_in_base": len(kb - kc),
        "jobs_only_in_candidate": len(kc - kb),
        "shared_cells_jobs_only_in_base": inner(kb - kc),
        "shared_cells_jobs_only_in_candidate": inner(kc - kb),
    }


def _cells(
    merged: pd.DataFrame, base: pd.DataFrame, cand: pd.DataFrame, metric: str, paired: bool
) -> pd.DataFrame:
    """Per (dataset, method): n_base, n_cand, base, cand means of ``metric``."""
    if paired:  # same folds: only jobs ok in both, fold by fold
        ok = merged[(merged["status_base"] == "ok") & (merged["status_cand"] == "ok")]
        pair = ok[CELL + [f"{metric}_base", f"{metric}_cand"]].dropna()
        g = pair.groupby(CELL)
        out = pd.DataFrame({"base": g[f"{metric}_base"].mean(), "cand": g[f"{metric}_cand"].mean()})
        out["n_base"] = out["n_cand"] = g.size()
    else:  # different folds: each run's own ok jobs of the shared cells

        def side(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["status"] == "ok"].groupby(CELL)[metric].agg(["mean", "count"])

        b = side(base).set_axis(["base", "n_base"], axis=1)
        out = b.join(side(cand).set_axis(["cand", "n_cand"], axis=1), how="inner").dropna()
    out["change"] = out["cand"] - out["base"]
    return out.sort_index()


def _p_two_sided(gain: np.ndarray) -> float:
    from scipy.stats import wilcoxon

    if len(gain) == 0 or np.allclose(gain, 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(wilcoxon(gain).pvalue)


def _verdict(gain: float, tolerance: float, significant: bool = True) -> str:
    if significant and gain < -tolerance:
        return "regression"
    if significant and gain > tolerance:
        return "improvement"
    return "same"


def _f(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def compare(
    base_dir: Path,
    cand_dir: Path,
    metrics: list[str] | None = None,
    tolerance: float = 0.01,
    alpha: float = 0.05,
    *,
    strict: bool = False,
    allow_different_settings: bool = False,
) -> dict[str, Any]:
    """Verdicts per method, dataset and overall; grid and settings changes; failures; versions."""
    from climb_cli.report.stats import holm
    from climb_cli.store import FAILED_STATUSES, read_run

    (base, note_b), (cand, note_c) = read_run(base_dir), read_run(cand_dir)
    base = base.drop_duplicates(KEY, keep="last")
    cand = cand.drop_duplicates(KEY, keep="last")
    sb, sc = settings(base_dir, base), settings(cand_dir, cand)
    changed = [
        {"setting": k, "base": sb[k], "candidate": sc[k]}
        for k in sorted(set(sb) & set(sc))
        if sb[k] != sc[k]
    ]
    if changed and not allow_different_settings:
        what = "; ".join(f"{c['setting']} {c['base']} -> {c['candidate']}" for c in changed)
        raise NotComparable(
            f"runs not comparable: different settings ({what}), so scores "
            "differ for reasons other than code or packages. Pass "
            "--allow-different-settings to test them with a Wilcoxon signed-rank "
            "test over datasets"
        )
    grid = _grid(base, cand, base_dir, cand_dir, strict)
    chosen = metrics or [m for m in available_metrics(base) if m in cand.columns]
    for m in chosen:
        check_metric(base, m)
        check_metric(cand, m)
    deterministic = not changed
    merged = base.merge(cand, on=KEY, suffixes=("_base", "_cand"))
    newly_failed = merged[
        (merged["status_base"] == "ok") & merged["status_cand"].isin(FAILED_STATUSES)
    ]
    newly_ok = merged[merged["status_base"].isin(FAILED_STATUSES) & (merged["status_cand"] == "ok")]
    methods, cells, overall, tests = [], [], [], []
    for m in chosen:
        sign = 1.0 if metric_direction(m) else -1.0
        table = _cells(merged, base, cand, m, paired=deterministic)
        moved = np.where(
            sign * table["change"] < -tolerance,
            "down",
            np.where(sign * table["change"] > tolerance, "up", ""),
        )
        for (ds, method), r, mv in zip(table.index, table.itertuples(), moved):
            cells.append(
                {
                    "metric": m,
                    "dataset": ds,
                    "method": method,
                    "n_base": int(r.n_base),
                    "n_cand": int(r.n_cand),
                    "mean_base": float(r.base),
                    "mean_cand": float(r.cand),
                    "change": float(r.change),
                    "moved": str(mv) or None,
                }
            )
        for method, g in table.groupby(level="method"):
            per_ds = g.droplevel("method")
            down = per_ds.index[sign * per_ds["change"] < -tolerance]
            up = per_ds.index[sign * per_ds["change"] > tolerance]
            methods.append(
                {
                    "metric": m,
                    "method": method,
                    "n_datasets": len(per_ds),
                    "n_jobs": int(per_ds["n_cand"].sum()),
                    "mean_base": float(per_ds["base"].mean()),
                    "mean_cand": float(per_ds["cand"].mean()),
                    "mean_change": float(per_ds["change"].mean()),
                    "datasets": {d: float(v) for d, v in per_ds["change"].items()},
                    "regressed_datasets": {d: float(per_ds.at[d, "change"]) for d in down},
                    "improved_datasets": {d: float(per_ds.at[d, "change"]) for d in up},
                }
            )
            tests.append((methods[-1], sign * per_ds["change"].to_numpy()))
        by_ds = table.groupby(level="dataset")[["base", "cand", "change"]].mean()
        overall.append(
            {
                "metric": m,
                "n_cells": len(table),
                "mean_base": _f(table["base"].mean()),
                "mean_cand": _f(table["cand"].mean()),
                "mean_change": _f(table["change"].mean()),
            }
        )
        tests.append((overall[-1], sign * by_ds["change"].to_numpy()))
    p_raw = [_p_two_sided(g) for _, g in tests] if not deterministic else []
    p_adj = holm(p_raw) if p_raw else []
    for i, (entry, gain) in enumerate(tests):
        mean_gain = float(gain.mean()) if len(gain) else 0.0
        if deterministic:
            entry["p_value"] = None
            verdict = _verdict(mean_gain, tolerance)
            if "regressed_datasets" in entry:  # a method: any dataset beyond tolerance counts
                verdict = (
                    "regression"
                    if verdict == "regression" or entry["regressed_datasets"]
                    else "improvement"
                    if verdict == "improvement" or entry["improved_datasets"]
                    else "same"
                )
        else:
            entry["p_value"], entry["p_holm"] = p_raw[i], p_adj[i]
            verdict = _verdict(mean_gain, tolerance, p_adj[i] < alpha)
        entry["verdict"] = verdict
    notes = []
    n_ds = len({c["dataset"] for c in cells})
    if not deterministic and 2 * 0.5**n_ds >= alpha:
        notes.append(
            f"only {n_ds} shared datasets: the signed-rank test cannot reach alpha "
            f"{alpha}, so no regression can be detected with different settings"
        )
    vb, vc = _manifest(base_dir).get("packages", {}), _manifest(cand_dir).get("packages", {})
    version_changes = [
        f"{p} {vb.get(p, '-')} -> {vc.get(p, '-')}"
        for p in sorted(set(vb) | set(vc))
        if vb.get(p) != vc.get(p)
    ]
    version_changes += plugin_changes(_manifest(base_dir), _manifest(cand_dir))
    regression = (
        any(r["verdict"] == "regression" for r in methods + overall) or len(newly_failed) > 0
    )

    def jobs(df: pd.DataFrame) -> list[dict[str, Any]]:
        out = df[KEY + ["status_base", "status_cand"]].rename(
            columns={"status_cand": "status", "status_base": "base_status"}
        )
        return json.loads(out.to_json(orient="records"))

    return {
        "base": str(base_dir),
        "candidate": str(cand_dir),
        "metrics": chosen,
        "tolerance": tolerance,
        "alpha": alpha,
        "mode": "deterministic" if deterministic else "statistical",
        "n_tests": len(p_raw),
        "settings_changes": changed,
        "incomplete": {"base": note_b, "candidate": note_c},
        "grid": grid,
        "methods": methods,
        "cells": cells,
        "overall": overall,
        "newly_failed": jobs(newly_failed),
        "newly_ok": jobs(newly_ok),
        "version_changes": version_changes,
        "notes": notes,
        "regression": bool(regression),
    }


def plugin_changes(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """``plugin <name> <version> -> <version>`` for each plugin added, removed or changed."""

    def versions(manifest: dict[str, Any]) -> dict[str, str]:
        return {p["name"]: p["version"] for p in manifest.get("plugins") or []}

    pb, pc = versions(base), versions(cand)
    return [
        f"plugin {p} {pb.get(p, '-')} -> {pc.get(p, '-')}"
        for p in sorted(set(pb) | set(pc))
        if pb.get(p) != pc.get(p)
    ]


def _md(label: Any) -> str:
    """A label safe inside a markdown table cell."""
    return str(label).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _moves(moves: dict[str, float], limit: int = 5) -> str:
    items = sorted(moves.items(), key=lambda kv: -abs(kv[1]))
    text = ", ".join(f"{_md(d)} {v:+.4f}" for d, v in items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "") or "-"


def render_markdown(report: dict[str, Any]) -> str:
    """A mail- or CI-comment-ready summary."""
    det = report.get("mode", "deterministic") == "deterministic"
    head = "REGRESSION" if report["regression"] else "no regression"
    lines = [
        f"## bench compare: {head}",
        "",
        (
            f"base `{report['base']}` -> candidate `{report['candidate']}`; metrics: "
            f"{', '.join(report['metrics'])}; tolerance {report['tolerance']}, "
            f"alpha {report['alpha']}"
        ),
        "",
    ]
    if det:
        lines += [
            (
                f"Deterministic runs (same seed, folds and preprocessing): a drop beyond "
                f"{report['tolerance']} (metric units) in any method x dataset, method mean or "
                "overall mean is a regression; no statistical test."
            ),
            "",
        ]
    else:
        lines += [
            (
                f"Settings differ: two-sided Wilcoxon signed-rank over per-dataset means, "
                f"Holm-corrected across {report['n_tests']} tests ((methods + overall) x "
                f"metrics); a regression needs p_holm < {report['alpha']} and a drop beyond "
                f"{report['tolerance']}."
            ),
            "",
        ]
        lines += [
            f"- {_md(c['setting'])}: {c['base']} -> {c['candidate']}"
            for c in report["settings_changes"]
        ] + [""]
    for side in ("base", "candidate"):
        if report.get("incomplete", {}).get(side):
            lines += [f"**{side.capitalize()} run incomplete**: {report['incomplete'][side]}", ""]
    if report.get("notes"):
        lines += [f"Note: {n}" for n in report["notes"]] + [""]
    table = [
        "| metric | method | base | candidate | change | p | datasets beyond tolerance |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(r: dict[str, Any], moves: dict[str, float]) -> str:
        p = "-" if r.get("p_holm") is None else f"{r['p_holm']:.3g}"
        return (
            f"| {_md(r['metric'])} | {_md(r['method'])} | {r['mean_base']:.4f} | "
            f"{r['mean_cand']:.4f} | {r['mean_change']:+.4f} | {p} | {_moves(moves)} |"
        )

    for title, verdict, key in (
        ("Regressions", "regression", "regressed_datasets"),
        ("Improvements", "improvement", "improved_datasets"),
    ):
        rows = [r for r in report["methods"] if r["verdict"] == verdict or (det and r.get(key))]
        if rows:
            lines += [f"### {title}", ""] + table + [row(r, r.get(key, {})) for r in rows] + [""]
    # with different settings a dataset's move decides nothing, but it is still named
    quiet = [
        r
        for r in report["methods"]
        if not det
        and r["verdict"] == "same"
        and (r.get("regressed_datasets") or r.get("improved_datasets"))
    ]
    if quiet:
        lines += ["### Datasets beyond tolerance in methods without a significant change", ""]
        lines += (
            table + [row(r, r["regressed_datasets"] | r["improved_datasets"]) for r in quiet] + [""]
        )
    overall = [o for o in report.get("overall", []) if o["mean_base"] is not None]
    if overall:
        lines += ["### Overall (mean over methods x datasets)", ""]
        for o in overall:
            p = "" if o.get("p_holm") is None else f", p_holm {o['p_holm']:.3g}"
            lines.append(
                f"- {o['metric']}: {o['mean_base']:.4f} -> {o['mean_cand']:.4f} "
                f"({o['mean_change']:+.4f}{p}): {o['verdict']}"
            )
        lines.append("")
    for title, key in (
        ("Jobs that succeeded in the base and fail now", "newly_failed"),
        ("Jobs that failed in the base and succeed now", "newly_ok"),
    ):
        if report.get(key):
            lines += [f"### {title}", ""]
            lines += [
                f"- {j['dataset']} {j['method']} repeat {j['repeat']} fold {j['fold']}: "
                f"{j['status']}"
                for j in report[key][:50]
            ]
            if len(report[key]) > 50:
                lines.append(f"- and {len(report[key]) - 50} more")
            lines.append("")
    grid = report.get("grid") or {}
    changes = [
        f"- {what.replace('_', ' ')}: {', '.join(grid[what])}"
        for what in ("methods_added", "methods_removed", "datasets_added", "datasets_removed")
        if grid.get(what)
    ]
    for side in ("base", "candidate"):
        if grid.get(f"shared_cells_jobs_only_in_{side}"):
            changes.append(
                f"- {grid[f'shared_cells_jobs_only_in_{side}']} jobs of shared methods "
                f"and datasets only in the {side}"
            )
    if changes:
        lines += [f"### Grid changes (verdict on the {grid['shared_jobs']} shared jobs)", ""]
        lines += changes + [""]
    same = sum(r["verdict"] == "same" for r in report["methods"])
    lines.append(f"{same} method x metric pairs unchanged within tolerance.")
    if report["version_changes"]:
        lines += ["", "### Package and plugin versions", ""] + [
            f"- {v}" for v in report["version_changes"]
        ]
    return "\n".join(lines)
