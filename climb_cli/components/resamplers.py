"""Resamplers: every imbalanced-learn sampler under a short name (fitted on the training fold only).

Samplers see the preprocessed training fold (numeric matrix; categorical columns one-hot encoded).
``smotenc`` marks every one-hot column of a categorical feature as categorical (synthetic values stay
0/1) and is skipped on data without categorical columns; ``smoten`` needs all columns categorical.
Neither is ever substituted for ``smote`` automatically.
"""

from __future__ import annotations

from typing import Any

from climb_cli.registry import Component, estimator_component, register

register(
    Component(
        kind="resampler",
        name="none",
        description="No resampling: the training fold is used as it is.",
        build_fn=lambda params, **_: None,
        tags=frozenset({"none"}),
    )
)

_OVER = "imblearn.over_sampling"
_UNDER = "imblearn.under_sampling"
_COMBINE = "imblearn.combine"
# parameters that take Python objects cannot come from YAML
_OBJECT_PARAMS = frozenset(
    {
        "estimator",
        "kmeans_estimator",
        "categorical_encoder",
        "categorical_features",
        "smote",
        "enn",
        "tomek",
        "edited_nearest_neighbours",
    }
)


def _sampler(
    name: str,
    module: str,
    cls_name: str,
    description: str,
    tags: set[str],
    check_context: dict[str, Any] | None = None,
    **defaults: Any,
) -> None:
    kind_tag = {"over": "over", "under": "under", "combine": "combined"}[
        module.split(".")[-1].split("_")[0]
    ]
    register(
        estimator_component(
            "resampler",
            name,
            module,
            cls_name,
            description,
            bench_defaults=defaults,
            tags=frozenset(tags | {kind_tag}),
            hidden=_OBJECT_PARAMS,
            check_context=check_context,
        )
    )


_T = {"threaded"}  # samplers with an n_jobs parameter (set to 1 by bench)
_sampler(
    "ros", _OVER, "RandomOverSampler", "Random over-sampling of the minority class(es).", set()
)
_sampler(
    "smote",
    _OVER,
    "SMOTE",
    "SMOTE: synthetic samples between k nearest minority neighbours.",
    {"distance_based"},
)
_sampler(
    "smotenc",
    _OVER,
    "SMOTENC",
    "SMOTE-NC: one-hot columns of categorical features are treated as categorical.",
    {"distance_based", "needs_categorical"},
    check_context={"categorical_features": [0]},
)
_sampler(
    "smoten",
    _OVER,
    "SMOTEN",
    "SMOTE-N: for data whose columns are all categorical.",
    {"distance_based", "all_categorical"},
)
_sampler(
    "adasyn",
    _OVER,
    "ADASYN",
    "ADASYN: more synthetic samples where the minority is harder.",
    {"distance_based"},
)
_sampler(
    "borderline_smote",
    _OVER,
    "BorderlineSMOTE",
    "Borderline-SMOTE (kind borderline-1 or borderline-2).",
    {"distance_based"},
)
_sampler(
    "kmeans_smote",
    _OVER,
    "KMeansSMOTE",
    "K-means SMOTE: SMOTE inside clusters with enough minority samples.",
    {"distance_based"},
)
_sampler(
    "svm_smote",
    _OVER,
    "SVMSMOTE",
    "SVM-SMOTE: SMOTE along an SVM's support vectors.",
    {"distance_based"},
)
_sampler(
    "rus", _UNDER, "RandomUnderSampler", "Random under-sampling of the majority class(es).", set()
)
_sampler(
    "cluster_centroids",
    _UNDER,
    "ClusterCentroids",
    "Replace majority samples by k-means centroids.",
    {"distance_based"},
)
_sampler(
    "iht",
    _UNDER,
    "InstanceHardnessThreshold",
    "Remove majority samples a cross-validated classifier finds hard.",
    _T,
)
_sampler(
    "nearmiss",
    _UNDER,
    "NearMiss",
    "NearMiss under-sampling; `version` 1, 2 or 3.",
    {"distance_based"} | _T,
)
_sampler(
    "tomek",
    _UNDER,
    "TomekLinks",
    "Remove majority samples of Tomek links (cleaning).",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "enn",
    _UNDER,
    "EditedNearestNeighbours",
    "Edited nearest neighbours: remove samples their neighbours disagree with.",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "renn",
    _UNDER,
    "RepeatedEditedNearestNeighbours",
    "ENN repeated until stable.",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "allknn",
    _UNDER,
    "AllKNN",
    "ENN with growing neighbourhoods.",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "oss",
    _UNDER,
    "OneSidedSelection",
    "One-sided selection: CNN followed by Tomek links.",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "cnn",
    _UNDER,
    "CondensedNearestNeighbour",
    "Condensed nearest neighbour (slow on large data).",
    {"distance_based", "cleaning"} | _T,
)
_sampler(
    "ncr",
    _UNDER,
    "NeighbourhoodCleaningRule",
    "Neighbourhood cleaning rule.",
    {"distance_based", "cleaning"} | _T,
)
_sampler("smote_enn", _COMBINE, "SMOTEENN", "SMOTE then ENN cleaning.", {"distance_based"} | _T)
_sampler(
    "smote_tomek", _COMBINE, "SMOTETomek", "SMOTE then Tomek-link removal.", {"distance_based"} | _T
)
