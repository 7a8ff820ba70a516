"""Resamplers: imbalanced-learn samplers under short names (fitted on the training fold only)."""

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


def _sampler(name: str, cls_name: str, description: str, tags: set[str], **defaults: Any) -> None:
    register(
        estimator_component(
            "resampler",
            name,
            "imblearn.over_sampling" if "over" in tags else "imblearn.under_sampling",
            cls_name,
            description,
            bench_defaults=defaults,
            tags=frozenset(tags),
        )
    )


_sampler("ros", "RandomOverSampler", "Random over-sampling of the minority class(es).", {"over"})
_sampler("smote", "SMOTE", "SMOTE: synthetic minority samples interpolated between k nearest neighbours.",
         {"over", "needs_numeric", "distance_based"})
_sampler("rus", "RandomUnderSampler", "Random under-sampling of the majority class(es).", {"under"})
