"""Classifiers under short names; all expose predict_proba and run single-threaded inside a job."""

from __future__ import annotations

from typing import Any

from climb_cli.registry import estimator_component, register

_CW = frozenset({"supports_class_weight", "has_proba"})


def _classifier(name: str, module: str, cls_name: str, description: str, tags: frozenset[str] = _CW,
                **defaults: Any) -> None:
    register(estimator_component("classifier", name, module, cls_name, description,
                                 bench_defaults=defaults, tags=tags))


_classifier("logreg", "sklearn.linear_model", "LogisticRegression",
            "Logistic regression (lbfgs, L2).", max_iter=1000)
_classifier("rf", "sklearn.ensemble", "RandomForestClassifier", "Random forest.",
            tags=_CW | {"threaded"}, n_estimators=100)
_classifier("hgb", "sklearn.ensemble", "HistGradientBoostingClassifier",
            "scikit-learn's histogram gradient boosting (early stopping off for reproducible folds).",
            early_stopping=False)
_classifier("lgbm", "lightgbm", "LGBMClassifier",
            "LightGBM gradient boosting (n_jobs=1 inside jobs).", tags=_CW | {"threaded"},
            n_estimators=100, verbose=-1)
