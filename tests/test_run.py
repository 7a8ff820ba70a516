"""`bench run` end to end on real data: tidy rows with real values, determinism, resume, failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from climb_cli.store import BASE_COLUMNS

METRICS = ["f1", "balanced_accuracy", "roc_auc", "pr_auc", "mcc", "gmean", "brier"]


@pytest.fixture
def tiny_run(cli: Any, write_config: Any, tmp_path: Path) -> tuple[Path, Any]:
    out = tmp_path / "run1"
    result = cli("run", write_config(), "--output", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out, result


def test_results_table_is_tidy_and_complete(tiny_run: tuple[Path, Any]) -> None:
    out, result = tiny_run
    df = pd.read_parquet(out / "results.parquet")
    # 2 datasets x (2 resamplers x 2 class weights x 2 thresholds x 1 classifier) x 3 folds
    assert len(df) == 48 and df["job_id"].is_unique
    assert list(df.columns) == [*BASE_COLUMNS, *METRICS]
    assert set(df["status"]) == {"ok"}
    assert df["method"].nunique() == 8
    assert "tiny: 48 jobs (48 ok); ran 48 now, 0 already done" in result.stdout
    sizes = {"sklearn/breast_cancer": (569, 212), "keel/ecoli3": (336, 35)}
    for (ds, method), g in df.groupby(["dataset", "method"]):
        rows, minority = sizes[ds]
        assert sorted(g["fold"]) == [0, 1, 2]
        assert (g["n_train"] + g["n_test"] == rows).all()
        assert g["n_test"].sum() == rows and g["n_test_minority"].sum() == minority
    assert (df.loc[df.threshold == "default", "threshold_value"] == 0.5).all()
    tuned = df.loc[df.threshold == "tuned", "threshold_value"]
    assert tuned.between(0, 1).all() and tuned.nunique() > 1
    smote = df[df.resampler == "smote"]
    # SMOTE balances the training fold: n_train_resampled = 2 x majority count
    assert (smote["n_train_resampled"] > smote["n_train"]).all()
    csv = pd.read_csv(out / "results.csv")
    assert len(csv) == 48
    np.testing.assert_allclose(csv["roc_auc"], df["roc_auc"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["experiment"] == "tiny"
    assert manifest["jobs"]["total"] == 48 and manifest["jobs"]["ok"] == 48
    assert manifest["config"]["cv"] == {"n_splits": 3, "n_repeats": 1, "allow_fewer_splits": False}
    assert "scikit-learn" in manifest["packages"] and manifest["bench_version"]
    assert manifest["datasets"]["keel/ecoli3"]["keel"] == "ecoli3"


def test_a_job_recomputed_by_hand_gives_the_same_values(tiny_run: tuple[Path, Any]) -> None:
    """The stored metrics equal an independent scikit-learn computation of the same job."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from climb_cli.datasets.catalog import load_catalog
    from climb_cli.datasets.loaders import load_dataset
    from climb_cli.datasets.preprocess import build_preprocessor
    from climb_cli.grid import derive_seed

    out, _ = tiny_run
    df = pd.read_parquet(out / "results.parquet")
    row = df[
        (df.dataset == "sklearn/breast_cancer")
        & (df.method == "none+cw=balanced+thr=default+logreg[C=1.0]")
        & (df.fold == 1)
    ].iloc[0]
    ds = load_dataset(load_catalog()["sklearn/breast_cancer"])
    skf = StratifiedKFold(3, shuffle=True, random_state=derive_seed(0, "split", ds.name, 0))
    train, test = list(skf.split(ds.X, ds.y))[1]
    pre = build_preprocessor(ds.X).fit(ds.X.iloc[train])
    model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(
        pre.transform(ds.X.iloc[train]), ds.y[train]
    )
    proba = model.predict_proba(pre.transform(ds.X.iloc[test]))[:, 1]
    assert row["f1"] == pytest.approx(f1_score(ds.y[test], proba >= 0.5), abs=1e-12)
    assert row["roc_auc"] == pytest.approx(roc_auc_score(ds.y[test], proba), abs=1e-12)
    assert row["pr_auc"] == pytest.approx(average_precision_score(ds.y[test], proba), abs=1e-12)


def test_same_config_gives_identical_values_sequential_and_parallel(
    cli: Any, write_config: Any, tmp_path: Path, tiny_run: tuple[Path, Any]
) -> None:
    out1, _ = tiny_run
    out2 = tmp_path / "run2"
    assert cli("run", write_config(), "--output", out2, "--quiet", "--n-jobs", "2").exit_code == 0
    a = pd.read_parquet(out1 / "results.parquet")
    b = pd.read_parquet(out2 / "results.parquet")
    assert list(a["job_id"]) == list(b["job_id"])
    pd.testing.assert_frame_equal(
        a[METRICS + ["threshold_value"]], b[METRICS + ["threshold_value"]]
    )


def test_resume_skips_finished_jobs(
    cli: Any, write_config: Any, tiny_run: tuple[Path, Any]
) -> None:
    out, _ = tiny_run
    parts_before = sorted((out / "parts").iterdir())
    before = pd.read_parquet(out / "results.parquet")
    result = cli("run", write_config(), "--output", out, "--quiet")
    assert result.exit_code == 0
    assert "ran 0 now, 48 already done" in result.stdout
    assert sorted((out / "parts").iterdir()) == parts_before
    pd.testing.assert_frame_equal(before, pd.read_parquet(out / "results.parquet"))
    dry = cli("run", write_config(), "--output", out, "--dry-run")
    assert dry.stdout.startswith("tiny: 48 jobs (48 done, 0 pending)")


def test_interrupted_run_resumes_only_missing_jobs(
    cli: Any, write_config: Any, tiny_run: tuple[Path, Any]
) -> None:
    """Drop some rows (as if the run had been killed before writing them): only those rerun."""
    import pyarrow.parquet as pq

    out, _ = tiny_run
    full = pd.read_parquet(out / "results.parquet")
    for part in (out / "parts").iterdir():
        part.unlink()
    kept = full[full["dataset"] == "keel/ecoli3"]
    pq.write_table(
        pq.read_table(out / "results.parquet").take(kept.index.to_numpy()),
        out / "parts" / "part-0-survivor.parquet",
    )
    result = cli("run", write_config(), "--output", out, "--quiet")
    assert "ran 24 now, 24 already done" in result.stdout
    again = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(full[METRICS], again[METRICS])


def test_dry_run_fits_nothing(cli: Any, write_config: Any, tmp_path: Path) -> None:
    result = cli("run", write_config(), "--output", tmp_path / "dry", "--dry-run")
    assert result.exit_code == 0
    # 12 groups (2 datasets x 3 folds x 2 resamplers); per group 2 models (class weights),
    # each fitted once on the fold and 3 times on inner folds for the tuned threshold
    assert result.stdout.splitlines() == [
        f"tiny: 48 jobs (0 done, 48 pending) -> {tmp_path / 'dry'}",
        "plan: 12 groups, 96 model fits, 48 resamplings. Nothing was fitted (--dry-run).",
    ]
    assert not (tmp_path / "dry").exists()


def test_failing_jobs_become_rows_and_the_run_goes_on(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    # ecoli3 has 35 minority rows: about 23 per training fold, too few for k_neighbors=30
    cfg = write_config({"resamplers": {"smote": {"k_neighbors": 30}}, "thresholds": ["default"]})
    out = tmp_path / "fail"
    result = cli("run", cfg, "--output", out, "--quiet")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"6 of 12 jobs failed; see the 'error' column of {out / 'results.csv'}"
    )
    df = pd.read_parquet(out / "results.parquet")
    bad = df[df.status == "error"]
    assert set(bad["dataset"]) == {"keel/ecoli3"} and len(bad) == 6
    assert bad["error"].str.startswith("ValueError: Expected n_neighbors <= n_samples_fit").all()
    assert bad[METRICS].isna().all().all()
    good = df[df.status == "ok"]
    assert set(good["dataset"]) == {"sklearn/breast_cancer"} and good["f1"].notna().all()


def test_binary_only_threshold_is_skipped_on_multiclass(
    cli: Any, write_config: Any, tmp_path: Path
) -> None:
    cfg = write_config(
        {"datasets": ["sklearn/wine"], "resamplers": ["none"], "class_weights": ["none"]}
    )
    out = tmp_path / "mc"
    assert cli("run", cfg, "--output", out, "--quiet").exit_code == 0
    df = pd.read_parquet(out / "results.parquet")
    skipped = df[df.threshold == "tuned"]
    assert set(skipped["status"]) == {"skipped"}
    assert set(skipped["error"]) == {
        "threshold 'tuned' is binary-only; dataset 'sklearn/wine' has 3 classes"
    }
    ok = df[df.threshold == "default"]
    assert set(ok["status"]) == {"ok"} and ok["roc_auc"].between(0.9, 1).all()
    assert ok["threshold_value"].isna().all()
