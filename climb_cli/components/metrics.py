"""Evaluation metrics. Label metrics use the job's thresholded predictions; score metrics use the
positive-class probability (binary) or the class-probability matrix (multiclass).

Every value is computed by the scikit-learn / imbalanced-learn function named in its description;
a metric that is undefined on a fold (e.g. ROC AUC on a test fold with one class, or a binary-only
metric on multiclass data) is NaN. The multiclass G-mean and IBA are also NaN on a test fold that
lacks a class (its recall is undefined).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from climb_cli.registry import Component, PluginError, callable_component, register


@dataclass(frozen=True)
class Metric:
    """A metric with its direction and what it needs (``labels`` or ``scores``)."""

    name: str
    greater_is_better: bool
    needs: str
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray, int], float]

    def __call__(
        self, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, n_classes: int
    ) -> float:
        """The metric on one test fold; NaN where it is undefined."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return float(self.fn(y_true, y_pred, scores, n_classes))
            except ValueError:
                return float("nan")


def _labels(k: int) -> list[int]:
    return list(range(k))


def _prf(func_name: str, **kw: Any) -> Callable[..., float]:
    """Positive-class score on binary data, macro average over classes on multiclass data."""

    def fn(y, pred, scores, k):  # type: ignore[no-untyped-def]
        import sklearn.metrics as skm

        func = getattr(skm, func_name)
        if k == 2:
            return func(y, pred, average="binary", zero_division=0.0, **kw)
        return func(y, pred, average="macro", labels=_labels(k), zero_division=0.0, **kw)

    return fn


def _averaged_f1(average: str) -> Callable[..., float]:
    def fn(y, pred, scores, k):  # type: ignore[no-untyped-def]
        from sklearn.metrics import f1_score

        return f1_score(y, pred, average=average, labels=_labels(k), zero_division=0.0)

    return fn


def _accuracy(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import accuracy_score

    return accuracy_score(y, pred)


def _balanced_accuracy(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(y, pred)


def _specificity(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from imblearn.metrics import specificity_score

    if k == 2:
        return specificity_score(y, pred, average="binary")
    return specificity_score(y, pred, average="macro", labels=_labels(k))


def _all_classes_present(y: np.ndarray, k: int) -> None:
    # a class absent from the test fold has no recall: the multiclass G-mean is undefined (NaN),
    # not 0 as imbalanced-learn's zero-recall correction would make it
    if len(np.unique(y)) < k:
        raise ValueError("a class is absent from the test fold")


def _gmean(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from imblearn.metrics import geometric_mean_score

    if k == 2:  # sqrt(sensitivity * specificity)
        return geometric_mean_score(y, pred, average="binary")
    _all_classes_present(y, k)  # geometric mean of the per-class recalls
    return geometric_mean_score(y, pred, average="multiclass", labels=_labels(k))


def _gmean_macro(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from imblearn.metrics import geometric_mean_score

    if k == 2:  # both one-vs-rest G-means equal sqrt(sensitivity * specificity)
        return geometric_mean_score(y, pred, average="binary")
    _all_classes_present(y, k)
    return float(np.mean(geometric_mean_score(y, pred, average=None, labels=_labels(k))))


def _iba_fn() -> Callable[..., Any]:
    from imblearn.metrics import geometric_mean_score, make_index_balanced_accuracy

    # as in imbalanced-learn's classification_report_imbalanced: alpha=0.1, squared gmean
    return make_index_balanced_accuracy(alpha=0.1, squared=True)(geometric_mean_score)


def _iba(y, pred, scores, k):  # type: ignore[no-untyped-def]
    if k == 2:
        return _iba_fn()(y, pred, average="binary")
    _all_classes_present(y, k)
    return _iba_fn()(y, pred, average="multiclass", labels=_labels(k))


def _iba_macro(y, pred, scores, k):  # type: ignore[no-untyped-def]
    if k == 2:
        return _iba_fn()(y, pred, average="binary")
    _all_classes_present(y, k)
    return float(np.mean(_iba_fn()(y, pred, average=None, labels=_labels(k))))


def _mcc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import matthews_corrcoef

    return matthews_corrcoef(y, pred)


def _roc_auc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_auc_score

    if k == 2:
        return roc_auc_score(y, scores)
    return roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=_labels(k))


def _pr_auc(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import average_precision_score
    from sklearn.preprocessing import label_binarize

    if k == 2:
        if not np.any(y == 1):
            raise ValueError("no positive sample in the test fold")
        return average_precision_score(y, scores)
    return average_precision_score(label_binarize(y, classes=_labels(k)), scores, average="macro")


def _pr_auc_trapz(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import auc, precision_recall_curve

    if k != 2:
        raise ValueError("binary only")
    if not np.any(y == 1):
        raise ValueError("no positive sample in the test fold")
    precision, recall, _ = precision_recall_curve(y, scores)
    return auc(recall, precision)


def _brier(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import brier_score_loss

    return brier_score_loss(y, scores, labels=_labels(k))


def _log_loss(y, pred, scores, k):  # type: ignore[no-untyped-def]
    from sklearn.metrics import log_loss

    return log_loss(y, scores, labels=_labels(k))


def _metric(
    name: str,
    fn: Callable[..., float],
    greater: bool,
    needs: str,
    description: str,
    binary_only: bool = False,
) -> None:
    metric = Metric(name, greater, needs, fn)

    def build(params: dict[str, Any], **_: Any) -> Metric:
        return metric

    tags = {"greater_is_better" if greater else "lower_is_better", f"needs_{needs}"}
    if binary_only:
        tags.add("binary_only")
    register(Component("metric", name, description, build, tags=frozenset(tags)))


_metric("accuracy", _accuracy, True, "labels", "Accuracy (sklearn accuracy_score).")
_metric(
    "balanced_accuracy",
    _balanced_accuracy,
    True,
    "labels",
    "Mean per-class recall (sklearn balanced_accuracy_score).",
)
_metric(
    "precision",
    _prf("precision_score"),
    True,
    "labels",
    "Precision of the positive class (sklearn precision_score; multiclass: macro).",
)
_metric(
    "recall",
    _prf("recall_score"),
    True,
    "labels",
    "Recall (sensitivity) of the positive class (sklearn recall_score; multiclass: macro).",
)
_metric(
    "specificity",
    _specificity,
    True,
    "labels",
    "Specificity, recall of the negative class (imblearn specificity_score; multiclass: macro).",
)
_metric(
    "f1",
    _prf("f1_score"),
    True,
    "labels",
    "F1 of the positive class (sklearn f1_score; multiclass: macro).",
)
_metric(
    "f2",
    _prf("fbeta_score", beta=2.0),
    True,
    "labels",
    "F2, recall-weighted F-beta of the positive class (sklearn fbeta_score; multiclass: macro).",
)
_metric("f1_macro", _averaged_f1("macro"), True, "labels", "Macro-averaged F1 over all classes.")
_metric(
    "f1_weighted", _averaged_f1("weighted"), True, "labels", "Support-weighted F1 over all classes."
)
_metric(
    "gmean",
    _gmean,
    True,
    "labels",
    "G-mean (imblearn geometric_mean_score): binary sqrt(sensitivity * specificity); "
    "multiclass: geometric mean of the per-class recalls (average='multiclass').",
)
_metric(
    "gmean_macro",
    _gmean_macro,
    True,
    "labels",
    "Unweighted mean over classes of the one-vs-rest G-mean sqrt(recall_k * specificity_k) "
    "(mean of imblearn geometric_mean_score average=None); equals gmean on binary data.",
)
_metric(
    "iba",
    _iba,
    True,
    "labels",
    "Index of balanced accuracy (imblearn make_index_balanced_accuracy, alpha=0.1, squared "
    "gmean): (1 + 0.1 * (sensitivity - specificity)) * gmean^2; multiclass: gmean as above and "
    "macro sensitivity - macro specificity (imblearn's average='multiclass').",
)
_metric(
    "iba_macro",
    _iba_macro,
    True,
    "labels",
    "Unweighted mean over classes of the one-vs-rest IBA (imblearn make_index_balanced_accuracy "
    "average=None, alpha=0.1, squared gmean); equals iba on binary data.",
)
_metric(
    "mcc", _mcc, True, "labels", "Matthews correlation coefficient (sklearn matthews_corrcoef)."
)
_metric(
    "roc_auc",
    _roc_auc,
    True,
    "scores",
    "Area under the ROC curve (sklearn roc_auc_score; multiclass: one-vs-rest macro).",
)
_metric(
    "roc_auc_ovr",
    _roc_auc,
    True,
    "scores",
    "One-vs-rest macro ROC AUC (equals roc_auc on binary data).",
)
_metric(
    "pr_auc",
    _pr_auc,
    True,
    "scores",
    "Average precision (sklearn average_precision_score; multiclass: macro over classes).",
)
_metric(
    "pr_auc_trapz",
    _pr_auc_trapz,
    True,
    "scores",
    "Area under the precision-recall curve by trapezoids (sklearn auc of "
    "precision_recall_curve), as Balancing the Scales computed it; binary only.",
    binary_only=True,
)
_metric(
    "brier",
    _brier,
    False,
    "scores",
    "Brier score of the probabilities (sklearn brier_score_loss; lower is better).",
)
_metric(
    "log_loss", _log_loss, False, "scores", "Cross-entropy (sklearn log_loss; lower is better)."
)


def get_metric(name: str) -> Metric:
    """The Metric object registered as ``name``."""
    from climb_cli import registry

    return registry.registered("metric")[name].build({})


def metric_component(
    name: str,
    fn: Callable[[Any, Any], float],
    greater_is_better: bool,
    needs: str,
    binary_only: bool,
    description: str,
    tags: Iterable[str] = (),
) -> Component:
    """A metric from ``fn(y_true, y_pred)`` or ``fn(y_true, scores)`` (``needs``)."""
    if needs not in ("labels", "scores"):
        raise PluginError(f"metric '{name}': needs must be 'labels' or 'scores', got {needs!r}.")
    base = callable_component("metric", name, fn, description, tags)

    def call(y: Any, pred: Any, scores: Any, k: int) -> float:
        if binary_only and k != 2:
            return float("nan")
        return fn(y, pred if needs == "labels" else scores)

    metric = Metric(name, greater_is_better, needs, call)
    extra = {"greater_is_better" if greater_is_better else "lower_is_better", f"needs_{needs}"}
    return Component(
        "metric",
        name,
        base.description,
        lambda params, **_: metric,
        tags=base.tags | extra | ({"binary_only"} if binary_only else set()),
    )
