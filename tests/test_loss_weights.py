"""The class-balanced class-weight strategy (Cui et al. 2019) and the logit-adjusted threshold
strategy (Menon et al. 2021)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest

from climb_cli import components
from climb_cli.components.class_weights import combination_warnings, effective_prior
from climb_cli.components.threshold_rules import logit_adjusted_threshold
from climb_cli.config import Choice
from climb_cli.engine.decide import decide_labels
from climb_cli.errors import ConfigError


def _cb(y_fit: np.ndarray, names: list[str], **params: Any) -> dict[int, float] | None:
    return components.get("class_weight", "class_balanced").build(params)(y_fit, y_fit, names)


def _hand(beta: float, counts: list[int]) -> list[float]:
    raw = [(1 - beta) / (1 - beta**n) for n in counts]
    return [len(counts) * r / sum(raw) for r in raw]


# --- class_balanced ---------------------------------------------------------------------------


def test_class_balanced_weights_equal_the_hand_computation() -> None:
    y = np.array([0] * 90 + [1] * 10)
    w = _cb(y, ["neg", "pos"], beta=0.99)
    assert w is not None
    assert w == pytest.approx({0: 0.27679800022303663, 1: 1.7232019997769634}, rel=1e-12)
    assert [w[0], w[1]] == pytest.approx(_hand(0.99, [90, 10]), rel=1e-12)
    y3 = np.array([0] * 50 + [1] * 30 + [2] * 20)
    w3 = _cb(y3, ["a", "b", "c"])  # default beta 0.999
    assert w3 is not None
    assert [w3[0], w3[1], w3[2]] == pytest.approx(_hand(0.999, [50, 30, 20]), rel=1e-12)
    assert sum(w3.values()) == pytest.approx(3.0)


def test_class_balanced_skips_classes_absent_from_the_fitted_labels() -> None:
    y = np.array([0] * 40 + [2] * 10)  # class 1 removed, e.g. by an under-sampler
    w = _cb(y, ["a", "b", "c"], beta=0.9)
    assert w is not None and set(w) == {0, 2}
    assert [w[0], w[2]] == pytest.approx(_hand(0.9, [40, 10]), rel=1e-12)


def test_class_balanced_beta_zero_or_equal_counts_is_no_weighting() -> None:
    from climb_cli.components.class_weights import _class_balanced

    skewed = np.array([0] * 90 + [1] * 10)
    assert _class_balanced({"beta": 0.0})(skewed, skewed, ["n", "p"]) == {0: 1.0, 1: 1.0}
    assert _cb(skewed, ["n", "p"], beta=0.0) is None  # all ones = no weights (as `balanced`)
    even = np.array([0, 1, 2] * 7)
    assert _cb(even, ["a", "b", "c"], beta=0.999) is None


def test_class_balanced_tends_to_balanced_as_beta_tends_to_one() -> None:
    y = np.array([0] * 90 + [1] * 10)
    w = _cb(y, ["n", "p"], beta=1 - 1e-9)
    assert w == pytest.approx({0: 0.2, 1: 1.8}, rel=1e-6)  # balanced 100/180, 5 rescaled to sum 2


@pytest.mark.parametrize("beta", [1, 1.0, -0.1, True, "x", None])
def test_class_balanced_beta_is_checked(beta: Any) -> None:
    with pytest.raises(ConfigError) as err:
        components.get("class_weight", "class_balanced").check({"beta": beta})
    assert str(err.value) == (
        f"class_weight 'class_balanced': 'beta' must be a number in [0, 1). Got {beta!r} instead."
    )


def test_class_balanced_effective_prior_and_combination_notes() -> None:
    y = np.array([0] * 90 + [1] * 10)
    w = _cb(y, ["n", "p"], beta=0.99)
    mass = np.array([90 * _hand(0.99, [90, 10])[0], 10 * _hand(0.99, [90, 10])[1]])
    np.testing.assert_allclose(effective_prior(y, w, 2), mass / mass.sum())
    notes = combination_warnings("smote", "class_balanced", "default")
    assert notes and "results are identical to class weight 'none'" in notes[0]


# --- logit_adjusted ---------------------------------------------------------------------------


def _decide(params: dict[str, Any], proba: np.ndarray, prior: np.ndarray) -> Any:
    choice = Choice("logit_adjusted", tuple(sorted(params.items())))
    k = proba.shape[1]
    return decide_labels(choice, proba, prior, k, "d", cast(Any, None))


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("pos", [0.02, 0.1, 0.3, 0.5, 0.8])
def test_binary_threshold_is_r_over_one_plus_r(tau: float, pos: float) -> None:
    prior = np.array([1 - pos, pos])
    r = (pos / (1 - pos)) ** tau
    proba1 = np.random.default_rng(0).uniform(0, 1, 500)
    proba = np.column_stack([1 - proba1, proba1])
    labels, threshold, seconds = _decide({"tau": tau}, proba, prior)
    assert threshold == pytest.approx(r / (1 + r), rel=1e-12) and seconds == 0.0
    np.testing.assert_array_equal(labels, (proba1 >= threshold).astype(np.int64))
    # the same labels as argmax(log p - tau log prior) (no row sits on the boundary here)
    direct = np.argmax(np.log(proba) - tau * np.log(prior), axis=1)
    np.testing.assert_array_equal(labels, direct)


def test_tau_zero_is_the_default_rule_and_tau_one_the_prior_rule() -> None:
    prior = np.array([0.85, 0.15])
    proba1 = np.array([0.0, 0.1, 0.15, 0.2, 0.5, 0.7, 1.0])
    proba = np.column_stack([1 - proba1, proba1])
    labels, threshold, _ = _decide({"tau": 0}, proba, prior)
    assert threshold == 0.5
    default = decide_labels(Choice("default", ()), proba, prior, 2, "d", cast(Any, None))
    np.testing.assert_array_equal(labels, default[0])
    assert _decide({}, proba, prior)[1] == pytest.approx(0.15, abs=1e-15)  # default tau = 1
    assert logit_adjusted_threshold(np.array([0.5, 0.5]), 3.0) == 0.5


@pytest.mark.parametrize("tau", [0.0, 0.7, 1.0, 1.5])
def test_multiclass_labels_are_argmax_of_adjusted_log_probabilities(tau: float) -> None:
    rng = np.random.default_rng(1)
    proba = rng.dirichlet([1.0, 1.0, 1.0, 1.0], 400)
    prior = np.array([0.6, 0.25, 0.1, 0.05])
    labels, threshold, _ = _decide({"tau": tau}, proba, prior)
    assert threshold is None
    np.testing.assert_array_equal(labels, np.argmax(np.log(proba) - tau * np.log(prior), axis=1))


@pytest.mark.parametrize("tau", [-1, True, "x", None])
def test_tau_is_checked(tau: Any) -> None:
    with pytest.raises(ConfigError) as err:
        components.get("threshold", "logit_adjusted").check({"tau": tau})
    assert str(err.value) == (
        f"threshold 'logit_adjusted': tau must be a number >= 0. Got {tau!r} instead."
    )
    with pytest.raises(ConfigError, match=r"unknown parameter 't'\. Valid parameters are: tau\."):
        components.get("threshold", "logit_adjusted").check({"t": 1})
