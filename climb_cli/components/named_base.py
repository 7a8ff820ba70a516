"""Library ensembles whose base learner a config names: ``estimator: dt`` plus ``estimator_params``.

Self-paced Ensemble (climb_cli/components/spe.py) and imbalanced-learn's BalancedBagging,
EasyEnsemble and RUSBoost take their base learner as a Python object, which a YAML file cannot hold;
here it is any registered classifier by name, built with its own (validated) parameters and bench's
seed, exactly as CLIMB's setting is written (``spe: {estimator: dt, n_estimators: 100}``). The
defaults are the libraries' own: a full CART tree (SPE, BalancedBagging), a stump (RUSBoost), AdaBoost
with 10 stumps (EasyEnsemble). ``brf`` is a random forest: its members are trees by definition, set
through its own tree parameters (``max_depth``, ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from climb_cli.components.bagging import build_base
from climb_cli.components.classifiers import _HIDDEN, ENSEMBLE, SW, THREADED
from climb_cli.registry import Component, estimator_component, register

__all__: list[str] = []


class _WithBase(Mapping[str, Any]):
    """The ensemble's own defaults (read lazily) plus ``estimator`` and ``estimator_params``."""

    def __init__(self, base: tuple[str, dict[str, Any] | None], inner: Mapping[str, Any]) -> None:
        self.base, self.inner = base, inner

    def _all(self) -> dict[str, Any]:
        return {"estimator": self.base[0], "estimator_params": self.base[1], **self.inner}

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _named(
    name: str,
    module: str,
    cls_name: str,
    description: str,
    tags: set[str],
    base: tuple[str, dict[str, Any] | None],
    **defaults: Any,
) -> None:
    inner = estimator_component(
        "classifier",
        name,
        module,
        cls_name,
        description,
        bench_defaults=defaults,
        tags=frozenset(tags),
        hidden=_HIDDEN,
    )

    def build(params: dict[str, Any], random_state: int | None = None, **context: Any) -> Any:
        own = dict(params)
        learner = own.pop("estimator", base[0])
        learner_params = own.pop("estimator_params", base[1])
        obj = inner.build(own, random_state=random_state, **context)
        member = build_base(learner, learner_params, cls_name, random_state=random_state)
        return obj.set_params(estimator=member)

    def check(params: dict[str, Any]) -> None:
        built = build(params, random_state=0)
        if hasattr(built, "_validate_params"):
            built._validate_params()

    register(
        Component(
            "classifier",
            name,
            f"{description} Base learner by name (estimator: {base[0]}).",
            build,
            defaults=_WithBase(base, inner.defaults),
            tags=frozenset(tags),
            check_fn=check,
        )
    )


_named(
    "balanced_bagging",
    "imblearn.ensemble",
    "BalancedBaggingClassifier",
    "Bagging, each bootstrap randomly under-sampled (imbalanced-learn).",
    {THREADED, ENSEMBLE},
    ("dt", None),
)
_named(
    "easy_ensemble",
    "imblearn.ensemble",
    "EasyEnsembleClassifier",
    "EasyEnsemble: boosted learners on balanced under-samples (imbalanced-learn).",
    {THREADED, ENSEMBLE},
    ("adaboost", {"n_estimators": 10}),
)
_named(
    "rusboost",
    "imblearn.ensemble",
    "RUSBoostClassifier",
    "RUSBoost: AdaBoost with random under-sampling at each round (imbalanced-learn).",
    {SW, ENSEMBLE},
    ("dt", {"max_depth": 1}),
)
_named(
    "spe",
    "climb_cli.components.spe",
    "SelfPacedEnsembleClassifier",
    "Self-paced Ensemble (Liu et al. 2020): hardness-harmonised under-sampling.",
    {ENSEMBLE},
    ("dt", None),
    n_estimators=50,
)
