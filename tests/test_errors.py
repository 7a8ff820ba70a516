"""Bad input: one clear message on stderr naming the problem and what is valid, exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _fails(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"Error: {message}"
    assert "Traceback" not in result.output


def test_unknown_top_level_key(cli: Any, write_config: Any) -> None:
    path = write_config({"foo": 1})
    _fails(cli("validate", path),
           f"{path}: unknown key 'foo'. Valid keys are: catalog, class_weights, classifiers, cv, "
           "datasets, isolate, memory_mb, metrics, n_jobs, name, preprocessing, resamplers, "
           "save_predictions, seed, thresholds, timeout_s.")


def test_unknown_nested_key(cli: Any, write_config: Any) -> None:
    path = write_config({"cv": {"n_splits": 3, "nrepeats": 2}})
    _fails(cli("run", path), f"{path}: unknown key 'cv.nrepeats'. Valid keys here are: "
                             "allow_fewer_splits, n_repeats, n_splits.")


def test_unknown_component_lists_available(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"none": {}, "smoot": {}}})
    _fails(cli("validate", path),
           "resamplers: unknown resampler 'smoot'. Available resamplers are: adasyn, allknn, "
           "borderline_smote, cluster_centroids, cnn, enn, iht, kmeans_smote, ncr, nearmiss, none, "
           "oss, renn, ros, rus, smote, smote_enn, smote_tomek, smoten, smotenc, svm_smote, tomek.")


def test_unknown_classifier_in_list_form(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": ["logreg", "xgb"]})
    _fails(cli("validate", path),
           "classifiers: unknown classifier 'xgb'. Available classifiers are: adaboost, bagging, "
           "balanced_bagging, brf, catboost, dt, easy_ensemble, et, gb, hgb, knn, lgbm, linear_svm, "
           "logreg, mlp, nb, rf, rusboost, spe, svm, xgboost.")


def test_missing_optional_extra(cli: Any, write_config: Any) -> None:
    from importlib.util import find_spec

    if find_spec("xgboost") is not None:
        pytest.skip("xgboost is installed")
    _fails(cli("validate", write_config({"classifiers": {"xgboost": {"max_depth": 3}}})),
           "classifier 'xgboost': needs the optional package 'xgboost': "
           "pip install 'climb-cli[xgboost]'")


def test_bad_parameter_value_uses_estimator_constraints(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"logreg": {"C": [1.0, -1]}}})
    _fails(cli("validate", path),
           "classifier 'logreg': The 'C' parameter of LogisticRegression must be a float in the "
           "range (0.0, inf]. Got -1 instead.")


def test_unknown_parameter_name(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"smote": {"k_neighbours": 5}}})
    _fails(cli("validate", path), "resampler 'smote': unknown parameter 'k_neighbours'. "
                                  "Valid parameters are: k_neighbors, sampling_strategy.")


def test_reserved_parameter(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"rf": {"n_jobs": 4}}})
    _fails(cli("validate", path), "classifier 'rf': parameter 'n_jobs' cannot be set in the config "
                                  "(bench parallelises across jobs; estimators run single-threaded).")


def test_bad_threshold_objective(cli: Any, write_config: Any) -> None:
    path = write_config({"thresholds": {"tuned": {"objective": "f3"}}})
    _fails(cli("validate", path), "threshold 'tuned': objective must be one of f1, f2, fbeta, "
                                  "balanced_accuracy, mcc, gmean, cost, recall_at_precision, "
                                  "precision_at_recall. Got 'f3' instead.")


def test_unknown_metric(cli: Any, write_config: Any) -> None:
    path = write_config({"metrics": ["f1", "f11"]})
    _fails(cli("validate", path), "metrics: unknown metric 'f11'. Available metrics are: "
                                  "accuracy, balanced_accuracy, brier, f1, f1_macro, f1_weighted, "
                                  "f2, gmean, iba, log_loss, mcc, pr_auc, pr_auc_trapz, precision, "
                                  "recall, roc_auc, roc_auc_ovr, specificity.")


def test_missing_dataset_suggests_close_names(cli: Any, write_config: Any) -> None:
    path = write_config({"datasets": ["keel/yeast44"]})
    _fails(cli("run", path),
           "unknown dataset 'keel/yeast44'. Did you mean 'keel/yeast4', 'keel/yeast6', 'keel/yeast5'? "
           "Run `bench datasets list` to see the catalog, or define it inline in the config "
           "(e.g. {name: mydata, file: data.csv, target: label}).")


def test_malformed_yaml(cli: Any, write_config: Any) -> None:
    path = write_config(raw="name: x\ndatasets: [a, b\nclassifiers: {logreg: {}}\n")
    _fails(cli("run", path),
           f"{path} is not valid YAML (line 3, column 12): expected ',' or ']', but got ':'.")


def test_missing_config_file(cli: Any, tmp_path: Path) -> None:
    _fails(cli("run", tmp_path / "nope.yaml"), f"config file not found: {tmp_path / 'nope.yaml'}")


def test_impossible_cv(cli: Any, write_config: Any) -> None:
    path = write_config({"cv": {"n_splits": 1}})
    _fails(cli("validate", path),
           f"{path}: cv.n_splits: Input should be greater than or equal to 2 (got 1).")


def test_missing_required_key(cli: Any, write_config: Any) -> None:
    path = write_config(raw="name: x\ndatasets: [sklearn/iris]\n")
    _fails(cli("validate", path), f"{path}: missing required key 'classifiers'.")


def test_empty_sweep(cli: Any, write_config: Any) -> None:
    path = write_config({"resamplers": {"smote": {"k_neighbors": []}}})
    _fails(cli("validate", path), "resamplers.smote.k_neighbors: an empty list sweeps nothing; "
                                  "give a value or a non-empty list of values.")


def test_report_on_missing_dir(cli: Any, tmp_path: Path) -> None:
    _fails(cli("report", tmp_path / "none"),
           f"no results found: {tmp_path / 'none' / 'results.parquet'} does not exist "
           "(is this the --output directory of a `bench run`?)")


def test_debug_reraises(cli: Any, tmp_path: Path) -> None:
    from climb_cli.errors import ConfigError

    with pytest.raises(ConfigError):
        cli("--debug", "validate", tmp_path / "nope.yaml")
