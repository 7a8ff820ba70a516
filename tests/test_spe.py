"""Self-paced Ensemble: scikit-learn API, the self-paced sampling schedule, and that it helps."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from climb_cli.components.spe import SelfPacedEnsembleClassifier, _quotas


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    X, y = make_classification(
        n_samples=4000, weights=[0.97], flip_y=0.01, class_sep=0.8, random_state=0
    )
    return tuple(train_test_split(X, y, stratify=y, random_state=0))


def test_every_estimator_sees_all_minority_and_a_balanced_sample(data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    X_train, _, y_train, _ = data
    seen: list[np.ndarray] = []
    real_fit = DecisionTreeClassifier.fit

    def spy(self, X, y, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(np.asarray(y).copy())
        return real_fit(self, X, y, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    spe = SelfPacedEnsembleClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    assert len(spe.estimators_) == len(seen) == 10
    n_min = int(y_train.sum())
    for y in seen:
        assert int(y.sum()) == n_min  # every minority sample, every time
        assert abs(int((y == 0).sum()) - n_min) <= 5  # majority under-sampled to about |minority|


@pytest.mark.parametrize("k_bins", [3, 5, 10])
def test_majority_draw_equals_the_minority_count_exactly(data, monkeypatch, k_bins) -> None:  # type: ignore[no-untyped-def]
    """Per-bin quotas used to round independently (27-30 majority rows for 28 minority)."""
    X_train, _, y_train, _ = data
    seen: list[np.ndarray] = []
    real_fit = DecisionTreeClassifier.fit

    def spy(self, X, y, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(np.asarray(y).copy())
        return real_fit(self, X, y, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    SelfPacedEnsembleClassifier(n_estimators=10, k_bins=k_bins, random_state=0).fit(
        X_train, y_train
    )
    n_min = int(y_train.sum())
    assert [int((y == 0).sum()) for y in seen] == [n_min] * 10


def test_multiclass_draws_are_exact(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    X, y = make_classification(
        n_samples=1500, n_classes=3, n_informative=4, weights=[0.8, 0.15], random_state=0
    )
    seen: list[np.ndarray] = []
    real_fit = DecisionTreeClassifier.fit

    def spy(self, X, y, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(np.bincount(np.asarray(y), minlength=3))
        return real_fit(self, X, y, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    SelfPacedEnsembleClassifier(n_estimators=6, random_state=0).fit(X, y)
    n_min = int(np.bincount(y).min())
    assert all(c.tolist() == [n_min] * 3 for c in seen)


@pytest.mark.parametrize(
    ("weights", "sizes", "n", "expected"),
    [
        ([1, 1, 1], [10, 10, 10], 28, [10, 9, 9]),  # round(9.33) * 3 = 27 before
        ([1, 1, 1, 1], [50, 50, 50, 50], 30, [8, 8, 7, 7]),  # round(7.5) * 4 = 32 before
        ([10, 1], [5, 100], 20, [5, 15]),  # a full bin's excess goes to the others
        ([1, 0], [3, 10], 5, [3, 2]),  # weightless bins only fill what is left
        ([2, 1, 1], [40, 0, 40], 21, [14, 0, 7]),
    ],
)
def test_quotas_sum_to_the_target(weights, sizes, n, expected) -> None:  # type: ignore[no-untyped-def]
    take = _quotas(np.array(weights, dtype=float), np.array(sizes), n)
    assert take.tolist() == expected and take.sum() == n


def test_deterministic_and_clonable(data) -> None:  # type: ignore[no-untyped-def]
    X_train, X_test, y_train, _ = data
    a = SelfPacedEnsembleClassifier(n_estimators=5, random_state=3).fit(X_train, y_train)
    b = clone(a).fit(X_train, y_train)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    assert a.predict(X_test).shape == (len(X_test),)
    assert set(np.unique(a.predict(X_test))) <= {0, 1}


def test_beats_tree_and_random_under_sampling_ensemble() -> None:
    """The paper's claim in miniature: hardness-harmonised under-sampling beats a single tree and
    an ensemble of the same size on random under-samples (BalancedBagging), on three datasets."""
    from imblearn.ensemble import BalancedBaggingClassifier

    spe, tree, bagging = [], [], []
    for seed in range(3):
        X, y = make_classification(
            n_samples=4000, weights=[0.97], flip_y=0.01, class_sep=0.8, random_state=seed
        )
        X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
        for scores, model in (
            (spe, SelfPacedEnsembleClassifier(n_estimators=20, random_state=0)),
            (tree, DecisionTreeClassifier(random_state=0)),
            (bagging, BalancedBaggingClassifier(n_estimators=20, random_state=0)),
        ):
            model.fit(X_train, y_train)
            scores.append(average_precision_score(y_test, model.predict_proba(X_test)[:, 1]))
    assert all(s > t for s, t in zip(spe, tree))
    assert np.mean(spe) > np.mean(bagging) + 0.05
    assert np.mean(spe) > np.mean(tree) + 0.15


def test_hard_samples_are_favoured_early_and_bins_even_out_late() -> None:
    spe = SelfPacedEnsembleClassifier(k_bins=2)
    rng = np.random.RandomState(0)
    idx = np.arange(1000)
    hardness = np.where(idx < 900, 0.0, 1.0)  # 900 easy (h=0), 100 hard (h=1)
    early = spe._hardness_sample(idx, hardness, 100, alpha=0.1, rng=rng)
    late = spe._hardness_sample(idx, hardness, 100, alpha=1e6, rng=rng)
    # weights 1/(h+alpha): early, easy bin 1/0.1=10 vs hard bin 1/1.1 -> mostly easy;
    # the self-paced factor then flattens the bins to equal shares
    assert (early >= 900).sum() == round(100 * (1 / 1.1) / (10 + 1 / 1.1))
    assert (late >= 900).sum() == 50


def test_multiclass() -> None:
    X, y = make_classification(
        n_samples=1500, n_classes=3, n_informative=4, weights=[0.8, 0.15], random_state=0
    )
    spe = SelfPacedEnsembleClassifier(n_estimators=5, random_state=0).fit(X, y)
    proba = spe.predict_proba(X)
    assert proba.shape == (1500, 3) and np.allclose(proba.sum(axis=1), 1)


def test_parameter_validation() -> None:
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'n_estimators' parameter"):
        SelfPacedEnsembleClassifier(n_estimators=0).fit(np.zeros((4, 1)), [0, 0, 1, 1])
