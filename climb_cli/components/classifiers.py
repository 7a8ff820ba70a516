"""Classifiers under short names; each runs single-threaded inside a job.

Scores: classifiers with ``predict_proba`` give probabilities. ``svm`` (kernel SVC) and ``linear_svm``
(LinearSVC) have none by default: their score is the logistic sigmoid of ``decision_function``
(multiclass: softmax), so the default threshold 0.5 is the SVM's own decision rule (decision 0) and
ranking metrics (ROC AUC, PR AUC) equal those of the raw decision values. Such scores are not
calibrated probabilities: Brier and log-loss values of these two classifiers measure the sigmoid, not a
calibrated model (set ``probability: true`` on ``svm`` for Platt-scaled probabilities instead).

Class weights reach a classifier through ``class_weight`` (tag ``supports_class_weight``) or
``sample_weight`` in ``fit`` (tag ``supports_sample_weight``); one with neither is skipped for any
class-weight strategy other than ``none``.
"""

from __future__ import annotations

from typing import Any

from climb_cli.registry import Component, estimator_component, register

CW = "supports_class_weight"
SW = "supports_sample_weight"
THREADED = "threaded"
ENSEMBLE = "imbalance_ensemble"
DECISION = "decision_function_scores"
_HIDDEN = frozenset({"estimator", "sampler", "base_estimator", "kmeans_estimator"})


def _classifier(
    name: str, module: str, cls_name: str, description: str, tags: set[str], **defaults: Any
) -> None:
    register(
        estimator_component(
            "classifier",
            name,
            module,
            cls_name,
            description,
            bench_defaults=defaults,
            tags=frozenset(tags),
            hidden=_HIDDEN,
        )
    )


_classifier(
    "logreg",
    "sklearn.linear_model",
    "LogisticRegression",
    "Logistic regression (lbfgs, L2).",
    {CW, SW},
    max_iter=1000,
)
_classifier("dt", "sklearn.tree", "DecisionTreeClassifier", "Decision tree (CART).", {CW, SW})
_classifier(
    "rf",
    "sklearn.ensemble",
    "RandomForestClassifier",
    "Random forest.",
    {CW, SW, THREADED},
    n_estimators=100,
)
_classifier(
    "et",
    "sklearn.ensemble",
    "ExtraTreesClassifier",
    "Extremely randomised trees.",
    {CW, SW, THREADED},
    n_estimators=100,
)
_classifier(
    "gb",
    "sklearn.ensemble",
    "GradientBoostingClassifier",
    "scikit-learn's classic gradient boosting.",
    {SW},
)
_classifier(
    "hgb",
    "sklearn.ensemble",
    "HistGradientBoostingClassifier",
    "Histogram gradient boosting (early stopping off for reproducible folds).",
    {CW, SW},
    early_stopping=False,
)
_classifier(
    "lgbm",
    "lightgbm",
    "LGBMClassifier",
    "LightGBM gradient boosting (n_jobs=1 in jobs).",
    {CW, SW, THREADED},
    n_estimators=100,
    verbose=-1,
)
_classifier(
    "knn",
    "sklearn.neighbors",
    "KNeighborsClassifier",
    "k nearest neighbours (no class weights: skipped for weighted strategies).",
    {THREADED, "distance_based"},
)
_classifier(
    "svm",
    "sklearn.svm",
    "SVC",
    "Kernel SVM; score = sigmoid(decision_function) unless probability=true.",
    {CW, SW, DECISION, "distance_based"},
)
_classifier(
    "linear_svm",
    "sklearn.svm",
    "LinearSVC",
    "Linear SVM (liblinear); score = sigmoid(decision_function).",
    {CW, SW, DECISION},
)
_classifier("nb", "sklearn.naive_bayes", "GaussianNB", "Gaussian naive Bayes.", {SW})
_classifier(
    "mlp",
    "sklearn.neural_network",
    "MLPClassifier",
    "Multi-layer perceptron (adam, early stopping off).",
    {SW},
    max_iter=500,
)
_classifier(
    "adaboost", "sklearn.ensemble", "AdaBoostClassifier", "AdaBoost (SAMME) on stumps.", {SW}
)
_classifier(
    "bagging", "sklearn.ensemble", "BaggingClassifier", "Bagging of decision trees.", {SW, THREADED}
)
_classifier(
    "brf",
    "imblearn.ensemble",
    "BalancedRandomForestClassifier",
    "Balanced random forest: each tree on a balanced bootstrap (imbalanced-learn).",
    {CW, SW, THREADED, ENSEMBLE},
    n_estimators=100,
    sampling_strategy="auto",
    replacement=True,
    bootstrap=False,
)


def _optional(
    name: str,
    package: str,
    module: str,
    cls_name: str,
    description: str,
    tags: set[str],
    **defaults: Any,
) -> None:
    """A classifier from an optional extra: a clear install message when the package is missing."""
    from importlib.util import find_spec

    if find_spec(package) is not None:
        _classifier(name, module, cls_name, description, tags, **defaults)
        return

    def missing(params: dict[str, Any]) -> None:
        raise ValueError(
            f"needs the optional package '{package}': pip install 'climb-cli[{package}]'"
        )

    def build(params: dict[str, Any], **_: Any) -> Any:
        missing(params)

    register(
        Component(
            "classifier",
            name,
            description + f" (extra: climb-cli[{package}])",
            build,
            tags=frozenset(tags | {"optional"}),
            check_fn=missing,
            accepts_any_params=True,
        )
    )


_optional(
    "xgboost",
    "xgboost",
    "xgboost",
    "XGBClassifier",
    "XGBoost gradient boosting.",
    {SW, THREADED},
    n_estimators=100,
    verbosity=0,
)
_optional(
    "catboost",
    "catboost",
    "catboost",
    "CatBoostClassifier",
    "CatBoost gradient boosting.",
    {CW, SW, THREADED},
    iterations=200,
    verbose=False,
    thread_count=1,
    allow_writing_files=False,  # no catboost_info/ folder in the user's working directory
)

# Loss-based remedies (climb_cli/components/losses.py): one booster per library, the loss a parameter.
_LOSSES_DOC = (
    "loss: focal (Lin et al. 2017; gamma, alpha), asl (Ridnik et al. 2021; gamma_pos, gamma_neg, "
    "clip), ldam (Cao et al. 2019; max_margin, scale) or logloss; init score = training prior."
)
_classifier(
    "lgbm_loss",
    "climb_cli.components.losses",
    "LGBMLossClassifier",
    "LightGBM with a custom imbalance loss. " + _LOSSES_DOC,
    {SW, THREADED},
)
_optional(
    "xgb_loss",
    "xgboost",
    "climb_cli.components.losses",
    "XGBLossClassifier",
    "XGBoost with a custom imbalance loss. " + _LOSSES_DOC,
    {SW, THREADED},
)

# balanced_bagging, easy_ensemble, rusboost and spe take their base learner by name:
# climb_cli/components/named_base.py
