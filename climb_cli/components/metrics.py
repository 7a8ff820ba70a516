"""Evaluation metrics. Label metrics use the job's thresholded predictions; score metrics use the
positive-class probability (binary) or the class-probability matrix (multiclass).

Every value is computed by the scikit-learn / imbalanced-learn function named in its description;
a metric that is undefined on a fold (e.g. ROC AUC on a test fold with one class) is NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.registry import Component, register


@dataclass(frozen=True)
class Metric:
    """A metric with its direction and what it needs (``labels`` or ``scores``)."""

    name: str
    greater_is_better: bool
    needs: str
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray, int], float]

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray,
                 n_classes: int) -> float:
        """The metric on one test fold; NaN where it is undefined."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return float(self.fn(y_true, y_pred, scores, n_classes))
            except ValueError:
                return float("nan")


def _f1(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import f1_score

    return f1_score(y, pred, average="binary" if k == 2 else "macro", zero_division=0.0,
                    labels=None if k == 2 else list(range(k)))


def _balanced_accuracy(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(y, pred)


def _roc_auc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_auc_score

    if k == 2:
        return roc_auc_score(y, scores)
    return roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=list(range(k)))


def _pr_auc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import average_precision_score
    from sklearn.preprocessing import label_binarize

    if k == 2:
        if not np.any(y == 1):
            raise ValueError("no positive sample in the test fold")
        return average_precision_score(y, scores)
    return average_precision_score(label_binarize(y, classes=list(range(k))), scores,
                                   average="macro")


def _mcc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import matthews_corrcoef

    return matthews_corrcoef(y, pred)


def _gmean(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from imblearn.metrics import geometric_mean_score

    return geometric_mean_score(y, pred, labels=list(range(k)))


def _brier(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import brier_score_loss

    if k == 2:
        return brier_score_loss(y, scores, labels=[0, 1])
    return brier_score_loss(y, scores, labels=list(range(k)))


def _metric(name: str, fn: Callable[..., float], greater: bool, needs: str, description: str) -> None:
    metric = Metric(name, greater, needs, fn)

    def build(params: dict[str, Any], **_: Any) -> Metric:
        return metric

    tags = {"greater_is_better" if greater else "lower_is_better", f"needs_{needs}"}
    register(Component("metric", name, description, build, tags=frozenset(tags)))


_metric("f1", _f1, True, "labels",
        "F1 of the positive class (sklearn f1_score; multiclass: macro average).")
_metric("balanced_accuracy", _balanced_accuracy, True, "labels",
        "Mean per-class recall (sklearn balanced_accuracy_score).")
_metric("roc_auc", _roc_auc, True, "scores",
        "Area under the ROC curve (sklearn roc_auc_score; multiclass: one-vs-rest macro).")
_metric("pr_auc", _pr_auc, True, "scores",
        "Average precision (sklearn average_precision_score; multiclass: macro over classes).")
_metric("mcc", _mcc, True, "labels", "Matthews correlation coefficient (sklearn matthews_corrcoef).")
_metric("gmean", _gmean, True, "labels",
        "Geometric mean of per-class recalls (imblearn geometric_mean_score).")
_metric("brier", _brier, False, "scores",
        "Brier score of the probabilities (sklearn brier_score_loss; lower is better).")


def get_metric(name: str) -> Metric:
    """The Metric object registered as ``name``."""
    from climb_cli import registry

    return registry.get("metric", name).build({})
