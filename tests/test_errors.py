"""Bad input: one clear message on stderr naming the problem and what is valid, exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from climb_cli.components import available
from climb_cli.config import ExperimentConfig


def _fails(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"Error: {message}"
    assert "Traceback" not in result.output


def test_unknown_top_level_key(cli: Any, write_config: Any) -> None:
    path = write_config({"foo": 1})
    _fails(
        cli("validate", path),
        f"{path}: unknown key 'foo'. Valid keys are: {', '.join(sorted(TOP_LEVEL_KEYS))}.",
    )


# every top-level key of a config; the message above must list exactly these
TOP_LEVEL_KEYS = set(ExperimentConfig.model_fields)


def test_top_level_keys_are_the_documented_ones() -> None:
    assert {
        "catalog", "class_weights", "classifiers", "cv", "datasets", "isolate", "memory_mb",
        "metrics", "n_jobs", "name", "preprocessing", "resamplers", "save_predictions",
        "scenarios", "seed", "thresholds", "timeout_s", "tuning",
    } <= TOP_LEVEL_KEYS  # fmt: skip


def test_unknown_nested_key(cli: Any, write_config: Any) -> None:
    path = write_config({"cv": {"n_splits": 3, "nrepeats": 2}})
    _fails(
        cli("run", path),
        f"{path}: unknown key 'cv.nrepeats'. Valid keys here are: "
        "allow_fewer_splits, gap, group_by, kind, n_repeats, n_splits, order_by.",
    )


def test_unknown_component_lists_available(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"none": {}, "smoot": {}}})
    _fails(
        cli("validate", path),
        "resamplers: unknown resampler 'smoot'. Available resamplers are: adasyn, allknn, "
        "borderline_smote, cluster_centroids, cnn, enn, iht, kmeans_smote, ncr, nearmiss, none, "
        "oss, renn, ros, rus, smote, smote_enn, smote_tomek, smoten, smotenc, svm_smote, tomek.",
    )


def test_unknown_classifier_in_list_form(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": ["logreg", "xgb"]})
    _fails(
        cli("validate", path),
        "classifiers: unknown classifier 'xgb'. Available classifiers are: "
        f"{', '.join(sorted(available('classifier')))}.",
    )
    assert {"adaboost", "logreg", "spe", "xgboost", "smoteboost"} <= set(available("classifier"))


def test_missing_optional_extra(cli: Any, write_config: Any) -> None:
    from importlib.util import find_spec

    if find_spec("xgboost") is not None:
        pytest.skip("xgboost is installed")
    _fails(
        cli("validate", write_config({"classifiers": {"xgboost": {"max_depth": 3}}})),
        "classifier 'xgboost': needs the optional package 'xgboost': "
        "pip install 'climb-cli[xgboost]'",
    )


def test_bad_parameter_value_uses_estimator_constraints(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"logreg": {"C": [1.0, -1]}}})
    _fails(
        cli("validate", path),
        "classifier 'logreg': The 'C' parameter of LogisticRegression must be a float in the "
        "range (0.0, inf]. Got -1 instead.",
    )


def test_unknown_parameter_name(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"smote": {"k_neighbours": 5}}})
    _fails(
        cli("validate", path),
        "resampler 'smote': unknown parameter 'k_neighbours'. "
        "Valid parameters are: k_neighbors, sampling_strategy.",
    )


def test_reserved_parameter(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"rf": {"n_jobs": 4}}})
    _fails(
        cli("validate", path),
        "classifier 'rf': parameter 'n_jobs' cannot be set in the config "
        "(bench parallelises across jobs; estimators run single-threaded).",
    )


def test_bad_threshold_objective(cli: Any, write_config: Any) -> None:
    path = write_config({"thresholds": {"tuned": {"objective": "f3"}}})
    _fails(
        cli("validate", path),
        "threshold 'tuned': objective must be one of f1, f2, fbeta, "
        "balanced_accuracy, mcc, gmean, cost, recall_at_precision, "
        "precision_at_recall. Got 'f3' instead.",
    )


def test_unknown_metric(cli: Any, write_config: Any) -> None:
    path = write_config({"metrics": ["f1", "f11"]})
    _fails(
        cli("validate", path),
        "metrics: unknown metric 'f11'. Available metrics are: "
        "accuracy, balanced_accuracy, brier, f1, f1_macro, f1_weighted, "
        "f2, gmean, gmean_macro, iba, iba_macro, log_loss, mcc, pr_auc, pr_auc_trapz, "
        "precision, recall, roc_auc, roc_auc_ovr, specificity.",
    )


def test_missing_dataset_suggests_close_names(cli: Any, write_config: Any) -> None:
    path = write_config({"datasets": ["keel/yeast44"]})
    _fails(
        cli("run", path),
        "unknown dataset 'keel/yeast44'. Did you mean 'keel/yeast4', 'keel/yeast6', 'keel/yeast5'? "
        "Run `bench datasets list` to see the catalog, or define it inline in the config "
        "(e.g. {name: mydata, file: data.csv, target: label}).",
    )


def test_malformed_yaml(cli: Any, write_config: Any) -> None:
    path = write_config(raw="name: x\ndatasets: [a, b\nclassifiers: {logreg: {}}\n")
    _fails(
        cli("run", path),
        f"{path} is not valid YAML (line 3, column 12): expected ',' or ']', but got ':'.",
    )


def test_missing_config_file(cli: Any, tmp_path: Path) -> None:
    _fails(cli("run", tmp_path / "nope.yaml"), f"config file not found: {tmp_path / 'nope.yaml'}")


def test_impossible_cv(cli: Any, write_config: Any) -> None:
    path = write_config({"cv": {"n_splits": 1}})
    _fails(
        cli("validate", path),
        f"{path}: cv.n_splits: Input should be greater than or equal to 2 (got 1).",
    )


def test_missing_required_key(cli: Any, write_config: Any) -> None:
    path = write_config(raw="name: x\ndatasets: [sklearn/iris]\n")
    _fails(cli("validate", path), f"{path}: missing required key 'classifiers'.")


def test_empty_sweep(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"smote": {"k_neighbors": []}}})
    _fails(
        cli("validate", path),
        "resamplers.smote.k_neighbors: an empty list sweeps nothing; "
        "give a value or a non-empty list of values.",
    )


def test_report_on_missing_dir(cli: Any, tmp_path: Path) -> None:
    _fails(
        cli("report", tmp_path / "none"),
        f"no results found: {tmp_path / 'none' / 'results.parquet'} does not exist "
        "(is this the --output directory of a `bench run`?)",
    )


def test_debug_reraises(cli: Any, tmp_path: Path) -> None:
    from climb_cli.errors import ConfigError

    with pytest.raises(ConfigError):
        cli("--debug", "validate", tmp_path / "nope.yaml")


def test_config_not_utf8(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_bytes(b"name: x\ndatasets: [sklearn/iris]\n# caf\xe9\nclassifiers: [logreg]\n")
    _fails(
        cli("validate", path),
        f"{path} is not UTF-8 text (byte 0xe9 on line 3); save it with UTF-8 encoding.",
    )


def test_duplicate_keys_at_any_depth(cli: Any, write_config: Any) -> None:
    path = write_config(
        raw="name: x\ndatasets: [sklearn/iris]\nclassifiers: [logreg]\n"
        "resamplers: [none]\nclassifiers: [rf]\n"
    )
    _fails(
        cli("validate", path),
        f"{path}: key 'classifiers' appears twice in one mapping (lines "
        "3 and 5); YAML would keep only the last one, so merge or remove "
        "one of them.",
    )
    path = write_config(
        raw="name: x\ndatasets: [sklearn/iris]\nclassifiers:\n  rf:\n"
        "    max_depth: 3\n    max_depth: 5\n"
    )
    _fails(
        cli("run", path),
        f"{path}: key 'max_depth' appears twice in one mapping (lines 5 and "
        "6); YAML would keep only the last one, so merge or remove one of "
        "them.",
    )
    # YAML's merge key is not a duplicate: explicit keys override merged ones by definition
    from climb_cli.config import load_yaml

    path.write_text("a: &b {C: 1.0, max_iter: 50}\nc: {<<: *b, C: 2.0}\n")
    assert load_yaml(path)["c"] == {"C": 2.0, "max_iter": 50}


def test_yaml_tags_aliases_and_nesting_are_refused(cli: Any, write_config: Any) -> None:
    path = write_config(raw="name: !!python/object/apply:os.system [echo hi]\n")
    _fails(
        cli("validate", path),
        f"{path}: line 1: the YAML tag '!!python/object/apply:os.system' "
        "is not allowed; these files are plain data (mappings, lists, "
        "strings, numbers).",
    )
    path = write_config(raw="name: x\ndatasets: &d [sklearn/iris, *d]\nclassifiers: [logreg]\n")
    _fails(
        cli("validate", path),
        f"{path}: line 2: a YAML alias refers to a value that contains it (a recursive structure).",
    )
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    path = write_config(raw="\n".join(lines) + "\n")
    _fails(
        cli("validate", path),
        f"{path}: the document expands to more than 200000 values "
        "through YAML aliases (*name); write the values out instead.",
    )
    path = write_config(raw="[" * 3000 + "]" * 3000)
    _fails(cli("validate", path), f"{path}: the document nests too deeply to be a config file.")


def test_empty_and_odd_documents(cli: Any, write_config: Any) -> None:
    path = write_config(raw="")
    _fails(
        cli("validate", path), f"{path} is empty; it needs at least name, datasets and classifiers."
    )
    path = write_config(raw="name: x\ndatasets: [sklearn/iris]\nclassifiers: [logreg]\n7: 8\n")
    _fails(cli("validate", path), f"{path}: 7: Keys should be strings (got 7).")


def test_isolate_false_conflicts_with_limits(cli: Any, write_config: Any) -> None:
    path = write_config({"isolate": False, "timeout_s": 60, "memory_mb": 2000})
    _fails(
        cli("validate", path),
        f"{path}: isolate: false conflicts with timeout_s and memory_mb: "
        "the limits are enforced by running each job in its own process, "
        "which isolate: false switches off. Remove timeout_s and "
        "memory_mb or set isolate: true.",
    )
    assert cli("validate", write_config({"isolate": False})).exit_code == 0


def test_one_validation_formatter() -> None:
    import climb_cli.config
    import climb_cli.datasets.catalog

    assert not hasattr(climb_cli.config, "_format_error")
    assert not hasattr(climb_cli.datasets.catalog, "_format_validation")
