"""Threshold strategies derived from a rule rather than a search (registered like thresholds.py's).

- ``logit_adjusted`` (Menon et al., ICLR 2021, post-hoc logit adjustment): the label is
  argmax_c(log p_c - tau * log prior_c), with the prior of the data the model was fitted on (class
  counts after resampling times class weights, ``class_weights.effective_prior``). Binary: the rule is
  the threshold t = r / (1 + r), r = (prior_pos / prior_neg)^tau, on P(positive), recorded like any
  other threshold; ties go to the positive class (``>=``, as ``default``). tau = 0 is ``default`` (0.5),
  tau = 1 the ``prior`` rule (up to rounding). Multiclass: argmax of p_c * prior_c^-tau.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from climb_cli.components.thresholds import Decision, InnerScores, ThresholdStrategy
from climb_cli.registry import Component, register

LOGIT_ADJUSTED_DEFAULTS: dict[str, Any] = {"tau": 1.0}


def logit_adjusted_threshold(prior: np.ndarray, tau: float) -> float:
    """Binary threshold on P(positive) equal to argmax(log p - tau * log prior)."""
    prior = np.maximum(np.asarray(prior, dtype=float), 1e-12)
    # log-space ratio: (prior_pos / prior_neg)^tau can overflow for extreme priors and large tau
    log_r = tau * (np.log(prior[1]) - np.log(prior[0]))
    return float(1.0 / (1.0 + np.exp(-log_r)))


def _logit_adjusted(params: dict[str, Any], **_: Any) -> ThresholdStrategy:
    tau = float({**LOGIT_ADJUSTED_DEFAULTS, **params}["tau"])

    def decide(inner: InnerScores | None, fit_prior: np.ndarray, k: int) -> Decision:
        prior = np.asarray(fit_prior, dtype=float)
        if k == 2:
            return Decision(logit_adjusted_threshold(prior, tau))
        return Decision(class_weights=np.maximum(prior, 1e-12) ** -tau)

    return ThresholdStrategy(False, None, decide)


def _check_logit_adjusted(params: dict[str, Any]) -> None:
    tau = {**LOGIT_ADJUSTED_DEFAULTS, **params}["tau"]
    if isinstance(tau, bool) or not isinstance(tau, int | float) or not tau >= 0:
        raise ValueError(f"tau must be a number >= 0. Got {tau!r} instead.")


register(
    Component(
        "threshold",
        "logit_adjusted",
        "Post-hoc logit adjustment (Menon et al. 2021): argmax of log p_c - tau * log prior_c, prior "
        "of the fitted data; binary: threshold r / (1 + r), r = (prior_pos / prior_neg)^tau.",
        _logit_adjusted,
        defaults=LOGIT_ADJUSTED_DEFAULTS,
        check_fn=_check_logit_adjusted,
    )
)
