"""``bench compare``: the regression gate for repeated runs of the same grid.

Jobs are matched by identity (dataset, method, repeat, fold), whatever the package versions. For each
method and metric, the candidate's change is paired job by job: a **regression** is a mean drop larger
than ``tolerance`` that a one-sided Wilcoxon signed-rank test over the paired jobs confirms at
``alpha`` (so a single noisy fold does not trip it); an **improvement** is the converse. Jobs that were
ok in the base and fail in the candidate are regressions too. Exit codes: 0 no regression,
1 regression, 2 runs not comparable.
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


class NotComparable(ResultsError):
    """The two runs do not share a grid."""


def latest_runs(parent: Path) -> tuple[Path, Path]:
    """The two newest run directories under ``parent`` (by the manifest's start time)."""
    runs = []
    for d in sorted(p for p in Path(parent).iterdir() if p.is_dir()) if Path(parent).is_dir() else []:
        if (d / "results.parquet").is_file():
            started = ""
            try:
                started = json.loads((d / "manifest.json").read_text()).get("started_at") or ""
            except (OSError, json.JSONDecodeError):
                pass
            runs.append((started, d.name, d))
    if len(runs) < 2:
        raise ResultsError(f"--latest needs two run directories with results under {parent}; "
                           f"found {len(runs)}")
    runs.sort()
    return runs[-2][2], runs[-1][2]


def _versions(run: Path) -> dict[str, str]:
    try:
        return json.loads((run / "manifest.json").read_text()).get("packages", {})
    except (OSError, json.JSONDecodeError):
        return {}


def compare(base_dir: Path, cand_dir: Path, metrics: list[str] | None = None,
            tolerance: float = 0.01, alpha: float = 0.05) -> dict[str, Any]:
    """Per-method verdicts, per-dataset deltas, newly failing jobs and version changes."""
    from scipy.stats import wilcoxon

    from climb_cli.store import FAILED_STATUSES, read_results

    base, cand = read_results(base_dir), read_results(cand_dir)
    for df in (base, cand):
        df.drop_duplicates(KEY, keep="last", inplace=True)
    kb, kc = set(map(tuple, base[KEY].to_numpy())), set(map(tuple, cand[KEY].to_numpy()))
    if kb != kc:
        only_b, only_c = len(kb - kc), len(kc - kb)
        raise NotComparable(f"runs not comparable: {only_b} jobs only in {base_dir} and {only_c} "
                            f"only in {cand_dir} (different grids); compare runs of the same config")
    chosen = metrics or [m for m in available_metrics(base) if m in cand.columns]
    for m in chosen:
        check_metric(base, m)
        check_metric(cand, m)
    merged = base.merge(cand, on=KEY, suffixes=("_base", "_cand"))
    newly_failed = merged[(merged["status_base"] == "ok")
                          & merged["status_cand"].isin(FAILED_STATUSES)]
    methods = []
    for m in chosen:
        sign = 1.0 if metric_direction(m) else -1.0
        both = merged[(merged["status_base"] == "ok") & (merged["status_cand"] == "ok")]
        for method, g in both.groupby("method"):
            pair = g[[f"{m}_base", f"{m}_cand"]].dropna()
            gain = sign * (pair[f"{m}_cand"] - pair[f"{m}_base"])
            mean_gain = float(gain.mean()) if len(gain) else 0.0
            p_worse = p_better = 1.0
            if len(gain) and not np.allclose(gain, 0):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p_worse = float(wilcoxon(gain, alternative="less").pvalue)
                    p_better = float(wilcoxon(gain, alternative="greater").pvalue)
            verdict = ("regression" if mean_gain < -tolerance and p_worse < alpha else
                       "improvement" if mean_gain > tolerance and p_better < alpha else "same")
            per_ds = g.groupby("dataset")[[f"{m}_base", f"{m}_cand"]].mean()
            methods.append({"metric": m, "method": method, "n_jobs": int(len(gain)),
                            "mean_base": float(pair[f"{m}_base"].mean()) if len(pair) else None,
                            "mean_cand": float(pair[f"{m}_cand"].mean()) if len(pair) else None,
                            "mean_change": sign * mean_gain, "p_value": min(p_worse, p_better),
                            "verdict": verdict,
                            "datasets": {ds: float(r[f"{m}_cand"] - r[f"{m}_base"])
                                         for ds, r in per_ds.iterrows()}})
    vb, vc = _versions(base_dir), _versions(cand_dir)
    version_changes = [f"{p} {vb.get(p, '-')} -> {vc.get(p, '-')}"
                       for p in sorted(set(vb) | set(vc)) if vb.get(p) != vc.get(p)]
    regressions = [r for r in methods if r["verdict"] == "regression"]
    return {"base": str(base_dir), "candidate": str(cand_dir), "metrics": chosen,
            "tolerance": tolerance, "alpha": alpha, "methods": methods,
            "newly_failed": newly_failed[KEY + ["status_cand"]].rename(
                columns={"status_cand": "status"}).to_dict(orient="records"),
            "version_changes": version_changes,
            "regression": bool(regressions or len(newly_failed))}


def render_markdown(report: dict[str, Any]) -> str:
    """A mail- or CI-comment-ready summary."""
    regs = [r for r in report["methods"] if r["verdict"] == "regression"]
    imps = [r for r in report["methods"] if r["verdict"] == "improvement"]
    head = "REGRESSION" if report["regression"] else "no regression"
    lines = [f"## bench compare: {head}", "",
             f"base `{report['base']}` -> candidate `{report['candidate']}`; metrics: "
             f"{', '.join(report['metrics'])}; tolerance {report['tolerance']}, "
             f"alpha {report['alpha']}", ""]
    for title, rows in (("Regressions", regs), ("Improvements", imps)):
        if rows:
            lines += [f"### {title}", "", "| metric | method | base | candidate | change | p | "
                      "worst datasets |", "|---|---|---|---|---|---|---|"]
            for r in rows:
                worst = sorted(r["datasets"].items(), key=lambda kv: kv[1] if title == "Regressions"
                               else -kv[1])[:3]
                ds = ", ".join(f"{d} {v:+.4f}" for d, v in worst)
                lines.append(f"| {r['metric']} | {r['method']} | {r['mean_base']:.4f} | "
                             f"{r['mean_cand']:.4f} | {r['mean_change']:+.4f} | {r['p_value']:.3g} "
                             f"| {ds} |")
            lines.append("")
    if report["newly_failed"]:
        lines += ["### Jobs that succeeded in the base and fail now", ""]
        lines += [f"- {j['dataset']} {j['method']} repeat {j['repeat']} fold {j['fold']}: "
                  f"{j['status']}" for j in report["newly_failed"][:50]]
        lines.append("")
    same = sum(r["verdict"] == "same" for r in report["methods"])
    lines.append(f"{same} method x metric pairs unchanged within tolerance.")
    if report["version_changes"]:
        lines += ["", "### Package versions", ""] + [f"- {v}" for v in report["version_changes"]]
    return "\n".join(lines)
