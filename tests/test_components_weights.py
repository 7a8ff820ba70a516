"""Class weights: all-equal weights are no weights, the effective prior of the fitted data, and the
validation notes on cells that correct twice or duplicate another cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from climb_cli import components
from climb_cli.components.class_weights import combination_warnings, effective_prior

NAMES = ["neg", "pos"]


def _weights(
    name: str, params: dict[str, Any], y_fit: np.ndarray, y_train: np.ndarray
) -> dict[int, float] | None:
    return components.get("class_weight", name).build(params)(y_fit, y_train, NAMES)


def test_balanced_after_smote_is_the_unweighted_model() -> None:
    """smote + cw=balanced used to pass weights {0: 1, 1: 1}; a random forest then draws its
    bootstrap differently, so the cell differed from smote + cw=none by chance."""
    X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    X_fit, y_fit = SMOTE(random_state=0).fit_resample(X[:300], y[:300])
    weights = _weights("balanced", {}, y_fit, y[:300])
    assert weights is None
    balanced = RandomForestClassifier(n_estimators=50, random_state=0, class_weight=weights)
    unweighted = RandomForestClassifier(n_estimators=50, random_state=0)
    np.testing.assert_array_equal(
        balanced.fit(X_fit, y_fit).predict_proba(X[300:]),
        unweighted.fit(X_fit, y_fit).predict_proba(X[300:]),
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("balanced", {}),
        ("balanced_sqrt", {}),
        ("factor", {"f": 1.0}),
        ("factor", {"f": 0.0}),
        ("explicit", {"weights": {"positive": 1}}),
    ],
)
def test_all_one_weights_are_none(name: str, params: dict[str, Any]) -> None:
    y_even = np.array([0] * 20 + [1] * 20)
    y_skewed = np.array([0] * 90 + [1] * 10)
    y_train = y_even if name == "factor" and params["f"] else y_skewed
    assert _weights(name, params, y_even, y_train) is None


def test_unequal_or_deliberate_weights_are_kept() -> None:
    y = np.array([0] * 90 + [1] * 10)
    assert _weights("balanced", {}, y, y) == pytest.approx({0: 100 / 180, 1: 5.0})
    # equal weights other than 1 rescale the loss against the regularisation: the user's choice
    assert _weights("explicit", {"weights": {"pos": 2, "neg": 2}}, y, y) == {0: 2.0, 1: 2.0}
    # a class absent from the fitted labels does not count
    assert _weights("explicit", {"weights": {"pos": 3}}, np.zeros(5, dtype=int), y) is None


def test_effective_prior() -> None:
    y = np.array([0] * 90 + [1] * 10)
    assert effective_prior(y, None, 2).tolist() == [0.9, 0.1]
    assert effective_prior(y, {0: 1.0, 1: 9.0}, 2).tolist() == [0.5, 0.5]
    assert effective_prior(y, {0: 1.0, 1: 3.0}, 2) == pytest.approx([90 / 120, 30 / 120])
    y3 = np.array([0] * 6 + [1] * 3 + [2])
    assert effective_prior(y3, None, 4).tolist() == [0.6, 0.3, 0.1, 0.0]
    # balanced weights give exactly 1/k, whatever the rounding of n / (k * count)
    for n0 in range(11, 200, 7):
        y2 = np.array([0] * n0 + [1] * 11)
        assert effective_prior(y2, _weights("balanced", {}, y2, y2), 2).tolist() == [0.5, 0.5]


def test_factor_after_a_resampler_warns_double_correction() -> None:
    notes = combination_warnings("smote", "factor", "default")
    assert notes == [
        (
            "resampler 'smote' + class weight 'factor': 'factor' weighs the positive "
            "class by the imbalance ratio measured before resampling, so after 'smote' "
            "the imbalance is corrected twice"
        )
    ]
    assert combination_warnings("none", "factor", "default") == []
    assert len(combination_warnings("tomek", "factor", "tuned")) == 1


def test_balanced_after_a_balancing_resampler_is_identical_to_none() -> None:
    for resampler in ("ros", "smote", "rus", "nearmiss", "cluster_centroids", "svm_smote"):
        assert combination_warnings(resampler, "balanced", "default") == [
            (
                f"resampler '{resampler}' + class weight 'balanced': '{resampler}' balances the "
                "classes, so the weights are all 1 and the model is fitted without weights; results "
                "are identical to class weight 'none'"
            )
        ]
    assert "close to 1" in combination_warnings("adasyn", "balanced_sqrt", "default")[0]
    assert combination_warnings("tomek", "balanced", "default") == []
    assert combination_warnings("iht", "balanced", "default") == []
    # a sampling_strategy that does not balance fully: the weights are real
    assert combination_warnings("smote", "balanced", "default", {"sampling_strategy": 0.5}) == []
    assert combination_warnings("none", "none", "default") == []


def test_prior_threshold_on_balanced_fits_equals_default() -> None:
    assert combination_warnings("none", "balanced", "prior") == [
        (
            "resampler 'none' + class weight 'balanced' + threshold 'prior': the model is fitted on "
            "balanced (or balanced-weighted) data, so the prior threshold is 0.5 (multiclass: "
            "argmax); results are identical to threshold 'default'"
        )
    ]
    assert len(combination_warnings("smote", "none", "prior")) == 1
    assert combination_warnings("none", "none", "prior") == []
    assert combination_warnings("tomek", "none", "prior") == []


def test_balancing_samplers_really_balance_with_their_defaults() -> None:
    """The FULLY_BALANCING list checked against imbalanced-learn itself."""
    from climb_cli.components.class_weights import FULLY_BALANCING

    X, y = make_classification(n_samples=300, weights=[0.85], random_state=1)
    for name in sorted(FULLY_BALANCING - {"smotenc", "smoten"}):
        sampler = components.get("resampler", name).build({}, random_state=0)
        counts = np.bincount(sampler.fit_resample(X, y)[1])
        assert counts[0] == counts[1], name
