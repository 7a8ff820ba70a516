"""Metric values equal scikit-learn / imbalanced-learn on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.metrics import geometric_mean_score, make_index_balanced_accuracy, specificity_score
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from climb_cli.components.metrics import get_metric

rng = np.random.default_rng(0)
Y = np.array([0] * 40 + [1] * 10)
S = np.clip(Y * 0.35 + rng.uniform(0, 0.7, size=50), 0, 1)
P = (S >= 0.5).astype(int)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("f1", skm.f1_score(Y, P)),
        ("balanced_accuracy", skm.balanced_accuracy_score(Y, P)),
        ("roc_auc", skm.roc_auc_score(Y, S)),
        ("pr_auc", skm.average_precision_score(Y, S)),
        ("mcc", skm.matthews_corrcoef(Y, P)),
        ("gmean", geometric_mean_score(Y, P)),
        ("gmean_macro", geometric_mean_score(Y, P)),
        (
            "iba_macro",
            make_index_balanced_accuracy(alpha=0.1, squared=True)(geometric_mean_score)(
                Y, P, average="binary"
            ),
        ),
        ("brier", skm.brier_score_loss(Y, S)),
        ("accuracy", skm.accuracy_score(Y, P)),
        ("precision", skm.precision_score(Y, P)),
        ("recall", skm.recall_score(Y, P)),
        ("specificity", specificity_score(Y, P)),
        ("f2", skm.fbeta_score(Y, P, beta=2)),
        ("f1_macro", skm.f1_score(Y, P, average="macro")),
        ("f1_weighted", skm.f1_score(Y, P, average="weighted")),
        (
            "iba",
            make_index_balanced_accuracy(alpha=0.1, squared=True)(geometric_mean_score)(
                Y, P, average="binary"
            ),
        ),
        ("roc_auc_ovr", skm.roc_auc_score(Y, S)),
        ("pr_auc_trapz", skm.auc(*skm.precision_recall_curve(Y, S)[1::-1])),
        ("log_loss", skm.log_loss(Y, S)),
    ],
)
def test_binary_metrics_equal_sklearn(name: str, expected: float) -> None:
    assert get_metric(name)(Y, P, S, 2) == pytest.approx(expected, abs=1e-12)
    assert 0 < expected < 1 or name == "log_loss"  # the fixture is not degenerate


def test_known_binary_values() -> None:
    y = np.array([0, 0, 0, 1, 1])
    pred = np.array([0, 0, 1, 1, 0])
    # tp=1 fp=1 fn=1 tn=2 -> f1 = 2/(2+1+1) = 0.5; recall 0.5, specificity 2/3
    assert get_metric("f1")(y, pred, pred.astype(float), 2) == 0.5
    assert get_metric("balanced_accuracy")(y, pred, pred.astype(float), 2) == pytest.approx(7 / 12)
    assert get_metric("gmean")(y, pred, pred.astype(float), 2) == pytest.approx(
        np.sqrt(0.5 * 2 / 3)
    )


def test_iba_is_the_textbook_formula() -> None:
    # IBA = (1 + alpha * (TPR - TNR)) * TPR * TNR with alpha = 0.1 (Garcia et al.)
    tpr = skm.recall_score(Y, P)
    tnr = skm.recall_score(1 - Y, 1 - P)
    assert get_metric("iba")(Y, P, S, 2) == pytest.approx((1 + 0.1 * (tpr - tnr)) * tpr * tnr)


def test_multiclass_metrics_equal_sklearn() -> None:
    y = rng.integers(0, 3, size=60)
    proba = rng.dirichlet([1, 1, 1], size=60)
    pred = proba.argmax(axis=1)
    assert get_metric("f1")(y, pred, proba, 3) == pytest.approx(
        skm.f1_score(y, pred, average="macro")
    )
    assert get_metric("roc_auc")(y, pred, proba, 3) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr")
    )
    assert get_metric("pr_auc")(y, pred, proba, 3) == pytest.approx(
        skm.average_precision_score(label_binarize(y, classes=[0, 1, 2]), proba, average="macro")
    )
    assert get_metric("brier")(y, pred, proba, 3) == pytest.approx(
        skm.brier_score_loss(y, proba, labels=[0, 1, 2])
    )
    assert get_metric("f1_weighted")(y, pred, proba, 3) == pytest.approx(
        skm.f1_score(y, pred, average="weighted")
    )
    assert get_metric("gmean")(y, pred, proba, 3) == pytest.approx(
        geometric_mean_score(y, pred, average="multiclass"), abs=1e-12
    )
    assert get_metric("gmean_macro")(y, pred, proba, 3) == pytest.approx(
        np.mean(geometric_mean_score(y, pred, average=None)), abs=1e-12
    )
    iba = make_index_balanced_accuracy(alpha=0.1, squared=True)(geometric_mean_score)
    assert get_metric("iba")(y, pred, proba, 3) == pytest.approx(
        iba(y, pred, average="multiclass"), abs=1e-12
    )
    assert get_metric("iba_macro")(y, pred, proba, 3) == pytest.approx(
        np.mean(iba(y, pred, average=None)), abs=1e-12
    )
    assert get_metric("mcc")(y, pred, proba, 3) == pytest.approx(skm.matthews_corrcoef(y, pred))
    assert get_metric("balanced_accuracy")(y, pred, proba, 3) == pytest.approx(
        skm.balanced_accuracy_score(y, pred)
    )
    assert get_metric("log_loss")(y, pred, proba, 3) == pytest.approx(skm.log_loss(y, proba))
    assert np.isnan(get_metric("pr_auc_trapz")(y, pred, proba, 3))  # binary only


# 3 classes of 10; rows = truth, columns = prediction: [[9, 1, 0], [3, 5, 2], [1, 0, 9]]
Y3 = np.repeat([0, 1, 2], 10)
P3 = np.array([0] * 9 + [1] + [1] * 5 + [0] * 3 + [2] * 2 + [2] * 9 + [0])
RECALL3 = np.array([0.9, 0.5, 0.9])
SPECIFICITY3 = np.array([16 / 20, 19 / 20, 18 / 20])  # false positives 4, 1, 2 of 20 negatives


def test_multiclass_gmean_is_the_geometric_mean_of_recalls() -> None:
    """The three multiclass G-means differ; each name computes the one its description states."""
    assert skm.confusion_matrix(Y3, P3).tolist() == [[9, 1, 0], [3, 5, 2], [1, 0, 9]]
    standard = np.prod(RECALL3) ** (1 / 3)  # 0.740
    macro = np.mean(np.sqrt(RECALL3 * SPECIFICITY3))  # 0.813
    of_macros = np.sqrt(RECALL3.mean() * SPECIFICITY3.mean())  # 0.823: what gmean used to compute
    assert len({round(standard, 3), round(macro, 3), round(of_macros, 3)}) == 3
    assert get_metric("gmean")(Y3, P3, None, 3) == pytest.approx(standard, abs=1e-12)
    assert get_metric("gmean_macro")(Y3, P3, None, 3) == pytest.approx(macro, abs=1e-12)


def test_multiclass_iba_values() -> None:
    def iba(sens: np.ndarray, spec: np.ndarray, gmean: np.ndarray) -> np.ndarray:
        return (1 + 0.1 * (sens - spec)) * gmean**2

    standard = iba(RECALL3.mean(), SPECIFICITY3.mean(), np.prod(RECALL3) ** (1 / 3))
    macro = np.mean(iba(RECALL3, SPECIFICITY3, np.sqrt(RECALL3 * SPECIFICITY3)))
    assert get_metric("iba")(Y3, P3, None, 3) == pytest.approx(standard, abs=1e-12)
    assert get_metric("iba_macro")(Y3, P3, None, 3) == pytest.approx(macro, abs=1e-12)


def test_multiclass_gmean_is_nan_when_a_class_is_absent() -> None:
    y = np.array([0, 0, 1, 1])  # class 2 absent: its recall is undefined
    for name in ("gmean", "gmean_macro", "iba", "iba_macro"):
        assert np.isnan(get_metric(name)(y, y, None, 3))


def test_metric_descriptions_name_what_they_compute() -> None:
    from climb_cli.components import get

    assert "geometric mean of the per-class recalls" in get("metric", "gmean").description
    assert "mean over classes" in get("metric", "gmean_macro").description
    assert "mean over classes" in get("metric", "iba_macro").description


def test_undefined_metric_is_nan() -> None:
    y = np.zeros(10, dtype=int)
    s = np.linspace(0, 1, 10)
    assert np.isnan(get_metric("roc_auc")(y, (s >= 0.5).astype(int), s, 2))
    assert np.isnan(get_metric("pr_auc")(y, (s >= 0.5).astype(int), s, 2))


def test_directions() -> None:
    assert get_metric("brier").greater_is_better is False
    assert get_metric("f1").greater_is_better is True
    assert get_metric("roc_auc").needs == "scores"
    assert get_metric("mcc").needs == "labels"
