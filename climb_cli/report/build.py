"""``bench report``: every view of one or more runs, in the requested format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from climb_cli.errors import ResultsError
from climb_cli.report import html as H
from climb_cli.report.data import baselines, load_runs, score_matrix
from climb_cli.report.leaderboard import (COLUMNS, available_metrics, check_metric, leaderboards,
                                          markdown_table, metric_direction, to_long)
from climb_cli.report.views import (FACTORS, best_per_classifier, by_factor, by_imbalance_level,
                                    dataset_table, imbalance_ratios)


def statistics(results: pd.DataFrame, metric: str, baseline: str | None, alpha: float,
               rope: float | None) -> dict[str, Any]:
    """Friedman, Nemenyi CD, Wilcoxon-Holm against the baseline, optional Bayesian signed-rank."""
    from climb_cli.report import stats

    greater = metric_direction(metric)
    scores = score_matrix(results, metric)
    out: dict[str, Any] = {"friedman": stats.friedman(scores)}
    n, k = out["friedman"]["n_datasets"], out["friedman"]["n_methods"]
    out["nemenyi_cd"] = stats.nemenyi_cd(k, n, alpha) if n >= 2 and k >= 2 else None
    base_of = baselines(results, baseline)
    out["wilcoxon_holm"] = stats.wilcoxon_vs_baseline(scores, base_of, greater, alpha)
    if rope is not None:
        out["bayesian"] = stats.bayesian_signed_rank(scores, base_of, greater, rope)
    return out


def _stats_text(metric: str, st: dict[str, Any], alpha: float) -> str:
    f = st["friedman"]
    if f["p_value"] is None:
        head = f"Friedman test: not run ({f['note']})."
    else:
        verdict = "differ" if f["p_value"] < alpha else "do not differ significantly"
        head = (f"Friedman test over {f['n_datasets']} datasets x {f['n_methods']} methods: "
                f"chi2 = {f['statistic']:.3f}, p = {f['p_value']:.3g} -> methods {verdict} at "
                f"alpha={alpha}.")
        if st["nemenyi_cd"] is not None:
            head += f" Nemenyi critical difference of mean ranks: {st['nemenyi_cd']:.3f}."
    if f["datasets_left_out"]:
        head += (f" {f['datasets_left_out']} datasets with missing cells are left out of the "
                 "tests.")
    return head


def check_group_by(group_by: str | None) -> None:
    """ResultsError naming the valid factors for an unknown --group-by."""
    if group_by is not None and group_by not in FACTORS:
        raise ResultsError(f"unknown --group-by '{group_by}'. Valid factors are: "
                           f"{', '.join(FACTORS)}.")


def build_report(run_dirs: list[Path], metrics: list[str] | None, fmt: str,
                 out: Path | None, baseline: str | None = None, group_by: str | None = None,
                 alpha: float = 0.05, rope: float | None = None) -> str | None:
    """Render the report; returns the text to print (None when an HTML file was written)."""
    check_group_by(group_by)
    results, facts = load_runs(run_dirs)
    chosen = metrics or available_metrics(results)
    for m in chosen:
        check_metric(results, m)
    boards = leaderboards(results, chosen, baseline)
    if fmt == "csv":
        if group_by:
            return pd.concat([by_factor(results, m, group_by).assign(metric=m) for m in chosen]) \
                .to_csv(index=False)
        return to_long(boards).to_csv(index=False)
    stats = {m: statistics(results, m, baseline, alpha, rope) for m in chosen}
    if fmt == "json":
        doc = {"runs": [str(d) for d in run_dirs],
               "leaderboards": json.loads(to_long(boards).to_json(orient="records")),
               "statistics": {m: {"friedman": s["friedman"], "nemenyi_cd": s["nemenyi_cd"],
                                  "wilcoxon_holm": json.loads(s["wilcoxon_holm"].to_json(
                                      orient="records")),
                                  **({"bayesian": json.loads(s["bayesian"].to_json(
                                      orient="records"))} if "bayesian" in s else {})}
                              for m, s in stats.items()},
               "by_factor": {m: {f: json.loads(by_factor(results, m, f).to_json(orient="records"))
                                 for f in ([group_by] if group_by else FACTORS)}
                             for m in chosen}}
        return json.dumps(doc, indent=2)
    if fmt == "html":
        return _html(results, facts, chosen, boards, stats, run_dirs, out, alpha, group_by)
    return _markdown(results, facts, chosen, boards, stats, alpha, group_by)


def _markdown(results: pd.DataFrame, facts: dict[str, Any], metrics: list[str],
              boards: dict[str, pd.DataFrame], stats: dict[str, Any], alpha: float,
              group_by: str | None) -> str:
    parts = []
    for m in metrics:
        arrow = "higher is better" if metric_direction(m) else "lower is better"
        parts += [f"## {m} ({arrow})", "", markdown_table(boards[m]), "",
                  _stats_text(m, stats[m], alpha), ""]
        w = stats[m]["wilcoxon_holm"]
        if len(w):
            parts += [f"Against the baseline (Wilcoxon signed-rank, Holm-corrected):", "",
                      markdown_table(w), ""]
        if "bayesian" in stats[m] and len(stats[m]["bayesian"]):
            parts += ["Bayesian signed-rank test against the baseline:", "",
                      markdown_table(stats[m]["bayesian"]), ""]
        for f in ([group_by] if group_by else FACTORS):
            parts += [f"By {f}:", "", markdown_table(by_factor(results, m, f)), ""]
        parts += ["Best remedy per classifier:", "", markdown_table(best_per_classifier(results, m)),
                  ""]
        lv = by_imbalance_level(results, m, facts)
        if len(lv):
            parts += ["By imbalance level:", "", markdown_table(lv), ""]
    return "\n".join(parts)


def _html(results: pd.DataFrame, facts: dict[str, Any], metrics: list[str],
          boards: dict[str, pd.DataFrame], stats: dict[str, Any], run_dirs: list[Path],
          out: Path | None, alpha: float, group_by: str | None) -> None:
    from climb_cli.report.plots import all_plots

    target = out or (Path(run_dirs[0]) / "report" / "report.html")
    plot_dir = target.parent / "plots"
    irs = imbalance_ratios(results, facts)
    counts = results["status"].value_counts().to_dict()
    sections = [("Runs", H.text("Runs: " + ", ".join(str(d) for d in run_dirs) + ". Jobs: "
                                + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                                + ". Ranks: 1 = best; a method with no ok result on a dataset "
                                  "takes the worst rank there."))]
    for m in metrics:
        arrow = "higher is better" if metric_direction(m) else "lower is better"
        body = [H.table(boards[m]), H.text(_stats_text(m, stats[m], alpha))]
        pngs = [p for p in all_plots(results, m, irs, plot_dir) if p.suffix == ".png"]
        body += [H.image(p, p.stem) for p in pngs]
        w = stats[m]["wilcoxon_holm"]
        if len(w):
            body += ["<h3>Against the baseline (Wilcoxon signed-rank, Holm-corrected)</h3>",
                     H.table(w)]
        if "bayesian" in stats[m] and len(stats[m]["bayesian"]):
            body += ["<h3>Bayesian signed-rank test against the baseline</h3>",
                     H.table(stats[m]["bayesian"])]
        for f in ([group_by] if group_by else FACTORS):
            body += [f"<h3>By {f}</h3>", H.table(by_factor(results, m, f))]
        body += ["<h3>Best remedy per classifier</h3>", H.table(best_per_classifier(results, m))]
        lv = by_imbalance_level(results, m, facts)
        if len(lv):
            body += ["<h3>By imbalance level</h3>", H.table(lv)]
        scores, best = dataset_table(results, m)
        body += ["<h3>Datasets x methods (best per dataset in bold)</h3>",
                 H.table(scores.reset_index(), best.reset_index().assign(dataset=False))]
        sections.append((f"{m} ({arrow})", "\n".join(body)))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(H.page("bench report", sections))
    return None


__all__ = ["COLUMNS", "build_report"]
