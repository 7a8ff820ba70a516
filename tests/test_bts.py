"""Balancing the Scales: the bts/* source (cleaning, positive class) and its protocol's mechanics.

The three raw CSVs under tests/data/bts/ are unchanged copies of the study's files (source and
licences in tests/data/bts/README.md), so a clone of bench alone runs these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from climb_cli.datasets import bts
from climb_cli.datasets.catalog import DatasetSpec, load_catalog
from climb_cli.datasets.loaders import load_dataset
from climb_cli.datasets.preprocess import categorical_columns

DATA = Path(__file__).resolve().parent / "data" / "bts"
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "balancing_the_scales.yaml"
THREE = ["bts/thoracic_surgery", "bts/chess", "bts/yeast"]


@pytest.fixture
def bts_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(bts.ENV, str(DATA))
    return DATA


def test_catalog_lists_the_thirty_datasets() -> None:
    entries = {k: v for k, v in load_catalog().items() if k.startswith("bts/")}
    assert len(entries) == 30
    assert all("bts" in v.tags and "binary" in v.tags for v in entries.values())
    assert entries["bts/thoracic_surgery"].bts == "thoracic_surgery"


def test_cleaning_decodes_strips_and_marks_missing() -> None:
    raw = pd.DataFrame(
        {
            " id": ["1", "2", "3", "4"],
            "a": ["b'1'", " b'2'", "?", "b'3' "],
            "b": [" x", "y ", "b'x'", ""],
            "t": ["b'neg'", "b'pos'", " neg", "neg"],
        }
    )
    out = bts.clean_frame(raw)
    assert list(out.columns) == ["id", "a", "b", "t"]
    assert out["a"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["a"][2]) and out["a"][3] == 3.0
    assert out["a"].dtype == np.float64
    assert out["b"].tolist()[:3] == ["x", "y", "x"] and pd.isna(out["b"][3])
    assert out["t"].tolist() == ["neg", "pos", "neg", "neg"]


def test_thoracic_surgery_positive_is_the_second_class_the_majority(bts_dir: Path) -> None:
    ds = load_dataset(DatasetSpec(name="bts/thoracic_surgery", bts="thoracic_surgery"))
    assert ds.pos_label == "2"
    counts = ds.class_counts()
    assert counts == {"1": 70, "2": 400}  # the positive class is the majority here
    assert ds.X.shape == (470, 16)
    # every b'..' repr decoded: no byte-string text left in any cell
    assert not ds.X.astype(str).apply(lambda c: c.str.startswith("b'")).to_numpy().any()


def test_yeast_leading_spaces_and_chess_categoricals(bts_dir: Path) -> None:
    yeast = load_dataset(DatasetSpec(name="bts/yeast", bts="yeast"))
    assert yeast.pos_label == "positive" and yeast.class_counts() == {
        "negative": 1321,
        "positive": 163,
    }
    chess = load_dataset(DatasetSpec(name="bts/chess", bts="chess"))
    assert chess.class_counts()["positive"] == 105
    assert sorted(categorical_columns(chess.X)) == [
        "Black_king_col",
        "White_king_col",
        "White_rook_col",
    ]


def test_id_column_and_constant_columns_dropped(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "toy_raw.csv").write_text("id,a,c,y\n1,b'1',5,no\n2,?,5,yes\n3,3,5, no\n4,4,5,no\n")
    (tmp_path / bts.METADATA).write_text(
        "name,id_name,target_name,target_classes\ntoy,id,y,no|yes\n"
    )
    monkeypatch.setenv(bts.ENV, str(tmp_path))
    X, y, pos = bts.load("toy")
    assert list(X.columns) == ["a"]  # id dropped, constant c dropped
    assert pos == "yes" and y.tolist() == ["no", "yes", "no", "no"]
    assert np.isnan(X["a"][1])


def test_clone_layout_is_found(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "datasets" / "raw" / "yeast").mkdir(parents=True)
    (tmp_path / "src" / "config").mkdir(parents=True)
    (tmp_path / "datasets" / "raw" / "yeast" / "yeast_raw.csv").write_bytes(
        (DATA / "yeast_raw.csv").read_bytes()
    )
    (tmp_path / "src" / "config" / bts.METADATA).write_bytes((DATA / bts.METADATA).read_bytes())
    monkeypatch.setenv(bts.ENV, str(tmp_path))
    assert len(bts.load("yeast")[1]) == 1484


def test_missing_directory_is_exit_2_with_how_to(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv(bts.ENV, raising=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\ndatasets: [bts/yeast]\nclassifiers: [logreg]\n")
    result = cli("validate", str(cfg))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: the bts/* datasets are read from your copy of "
        "https://github.com/readytensor/rt-datasets-binary-class-imbalance: clone it and set "
        "BENCH_BTS_DIR to the clone (or to a folder holding the <name>_raw.csv files and "
        "smote_project_datasets.csv)."
    )


def _config_on_three(tmp_path: Path) -> Path:
    """The shipped config on the three committed datasets and two quick models."""
    doc = yaml.safe_load(CONFIG.read_text())
    doc["datasets"] = THREE
    doc["classifiers"] = {"logreg": {}, "dt": {}}
    doc["save_predictions"] = True
    doc["n_jobs"] = 1
    path = tmp_path / "bts.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.slow
def test_protocol_mechanics_on_three_datasets(cli: Any, tmp_path: Path, bts_dir: Path) -> None:
    out = tmp_path / "run"
    result = cli("run", str(_config_on_three(tmp_path)), "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    r = pd.read_parquet(out / "results.parquet")
    # 3 datasets x 2 models x 4 scenarios x 5 folds, never combined
    assert len(r) == 3 * 2 * 4 * 5 and (r.status == "ok").all()
    combos = set(zip(r.resampler, r.class_weight, r.threshold))
    assert combos == {
        ("none", "none", "default"),
        ("smote", "none", "default"),
        ("none", "factor", "default"),
        ("none", "none", "holdout"),
    }
    assert set(zip(r.scenario, r.resampler, r.class_weight, r.threshold)) == {
        ("baseline", "none", "none", "default"),
        ("smote", "smote", "none", "default"),
        ("class_weights", "none", "factor", "default"),
        ("threshold", "none", "none", "holdout"),
    }
    shown = cli("report", str(out), "-m", "f1", "--group-by", "scenario")
    assert shown.exit_code == 0 and "f1 by scenario" in shown.stdout
    base = r[(r.resampler == "none") & (r.class_weight == "none") & (r.threshold == "default")]
    smote = r[r.resampler == "smote"]
    cw = r[r.class_weight == "factor"]
    thr = r[r.threshold == "holdout"]
    # chosen knobs recorded and in their grids
    ks = [json.loads(p)["resampler"]["k_neighbors"] for p in smote.tuned_params]
    assert set(ks) <= {1, 3, 5, 7, 9}
    fs = [json.loads(p)["class_weight"]["f"] for p in cw.tuned_params]
    assert set(fs) <= {0, 0.25, 0.5, 0.75, 1.0, 1.25}
    assert (smote.n_trials == 5).all() and (cw.n_trials == 6).all()
    # thresholds from the study's grid, never above 0.5; the others decide at 0.5
    assert thr.threshold_value.between(0.05, 0.5).all()
    assert set(np.round(thr.threshold_value, 2)) <= {round(0.05 * i, 2) for i in range(1, 11)}
    assert (pd.concat([base, smote, cw]).threshold_value == 0.5).all()
    # the baseline trains on the whole outer training fold; every other scenario's final model on
    # the 90% part of one unstratified 90/10 split (ShuffleSplit: ceil(0.1 n) validation rows)
    key = ["dataset", "fold", "classifier"]
    outer = base.set_index(key).n_train
    for part in (smote, cw, thr):
        n90 = part.set_index(key).n_train
        expected = outer.loc[n90.index] - np.ceil(0.1 * outer.loc[n90.index]).astype(int)
        assert (n90 == expected).all()
    # SMOTE's final model saw the 90% part balanced: twice its majority count
    for counts, n in zip(smote.resampled_class_counts, smote.n_train_resampled):
        c = json.loads(counts)
        assert len(set(c.values())) == 1 and n == 2 * max(c.values())
    # the threshold scenario's model is not the baseline's (trained on fewer rows): same test rows,
    # different scores
    preds = pd.read_parquet(out / "predictions.parquet")
    pb = preds[preds.job_id.isin(base.job_id)].sort_values(["job_id", "row"])
    pt = preds[preds.job_id.isin(thr.job_id)].sort_values(["job_id", "row"])
    assert len(pb) == len(pt) > 0
    assert sorted(pb.row) == sorted(pt.row)
    assert not np.allclose(np.sort(pb.score.to_numpy()), np.sort(pt.score.to_numpy()))


def test_all_thirty_load_with_the_catalog_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the team's copy of the 30 raw files, every bts/* entry loads and matches its facts."""
    from tests.conftest import shared_data

    monkeypatch.setenv(bts.ENV, str(shared_data("bts")))
    for name, spec in load_catalog().items():
        if not name.startswith("bts/"):
            continue
        ds = load_dataset(spec)
        counts = ds.class_counts()
        assert (len(ds.y), ds.X.shape[1], min(counts.values())) == (
            spec.rows,
            spec.features,
            spec.minority,
        ), name
        assert round(max(counts.values()) / min(counts.values()), 2) == spec.imbalance_ratio
