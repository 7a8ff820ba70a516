"""Imbalance boosting (boosting.py): what each member was fitted on and how the weights moved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from climb_cli.components import boosting, get, resample_boosting
from climb_cli.errors import ConfigError

ALL = [
    resample_boosting.OverBoostClassifier,
    resample_boosting.SMOTEBoostClassifier,
    boosting.AdaCostClassifier,
    boosting.AdaUBoostClassifier,
    boosting.AsymBoostClassifier,
]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=600, weights=[0.9], flip_y=0.03, class_sep=0.8, random_state=0
    )
    return X, y


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, np.ndarray]]:
    """Every DecisionTreeClassifier.fit call: the rows, labels and weights it was given."""
    seen: list[dict[str, np.ndarray]] = []
    real_fit = DecisionTreeClassifier.fit

    def spy(self, X, y, sample_weight=None, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(
            {
                "X": np.asarray(X).copy(),
                "y": np.asarray(y).copy(),
                "w": np.asarray(sample_weight).copy(),
            }
        )
        return real_fit(self, X, y, sample_weight, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    return seen


def _row_set(X: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in X}


def test_plain_settings_equal_scikit_learn_adaboost(data) -> None:  # type: ignore[no-untyped-def]
    """The shared core is SAMME: with uniform costs, AdaUBoost and AsymBoost are sklearn's AdaBoost."""
    X, y = data
    ref = AdaBoostClassifier(
        DecisionTreeClassifier(max_depth=1), n_estimators=20, random_state=3
    ).fit(X, y)
    for cls in (boosting.AdaUBoostClassifier, boosting.AsymBoostClassifier):
        ours = cls(cost="uniform", n_estimators=20, random_state=3).fit(X, y)
        np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-12)
        np.testing.assert_allclose(ours.estimator_errors_, ref.estimator_errors_, rtol=1e-12)
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_smoteboost_members_see_fresh_synthetic_minority_rows(data, fits) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    model = resample_boosting.SMOTEBoostClassifier(n_estimators=4, random_state=0).fit(X, y)
    assert len(fits) == len(model.estimators_) == 4
    n_min, n_maj = int(y.sum()), int((y == 0).sum())
    originals = _row_set(X)
    synthetic = []
    for call in fits:
        assert int((call["y"] == 1).sum()) == n_maj > n_min  # balanced by SMOTE
        np.testing.assert_array_equal(call["X"][: len(y)], X)  # every original row, in order
        new = call["X"][len(y) :]
        assert len(new) == n_maj - n_min and not (_row_set(new) & originals)  # truly synthetic
        assert (call["y"][len(y) :] == 1).all()
        synthetic.append(_row_set(new))
    assert all(
        a != b for i, a in enumerate(synthetic) for b in synthetic[i + 1 :]
    )  # fresh each round
    # the error is measured on the original rows: added rows weigh the mean current weight
    for call in fits:
        np.testing.assert_allclose(call["w"][len(y) :], call["w"][: len(y)].mean())


def test_overboost_members_see_duplicated_minority_rows(data, fits) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    resample_boosting.OverBoostClassifier(n_estimators=3, random_state=0).fit(X, y)
    minority = _row_set(X[y == 1])
    draws = []
    for call in fits:
        extra = call["X"][len(y) :]
        assert len(extra) == int((y == 0).sum() - y.sum())
        assert _row_set(extra) <= minority  # copies of real minority rows, nothing new
        draws.append(extra.tobytes())
    assert len(set(draws)) == 3  # a new random over-sample each round


def test_adacost_weight_update_follows_the_paper_on_six_samples(fits) -> None:  # type: ignore[no-untyped-def]
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 0, 1, 0, 1])  # a stump at 2.5 is wrong on sample 4 only
    model = boosting.AdaCostClassifier(cost={0: 1.0, 1: 4.0}, n_estimators=2, random_state=0).fit(
        X, y
    )
    c = np.array([0.25, 0.25, 0.25, 1.0, 0.25, 1.0])  # class cost / largest cost
    d1 = np.full(6, 1 / 6)
    np.testing.assert_allclose(fits[0]["w"], d1)
    u = np.array([1, 1, 1, 1, -1, 1])  # y_i h(x_i)
    beta = np.where(u > 0, -0.5 * c + 0.5, 0.5 * c + 0.5)  # Fan et al.'s cost adjustment
    r = np.sum(d1 * u * beta)
    alpha = 0.5 * np.log((1 + r) / (1 - r))
    d2 = d1 * np.exp(-alpha * u * beta)
    np.testing.assert_allclose(model.estimator_weights_[0], alpha, rtol=1e-12)
    np.testing.assert_allclose(fits[1]["w"], d2 / d2.sum(), rtol=1e-12)
    # wrong rows grow; a right row of the costly class (beta_+ = 0) keeps its weight, cheap ones shrink
    assert fits[1]["w"][4] > fits[1]["w"][3] > fits[1]["w"][0]


def test_asymboost_multiplies_positives_by_the_asymmetric_factor(data, fits) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    k, T = 9.0, 5
    model = boosting.AsymBoostClassifier(cost=k, n_estimators=T, random_state=0).fit(X, y)
    step = k ** (1 / T)  # sqrt(k)**(1/T) on positives over sqrt(k)**(-1/T) on negatives
    first = fits[0]["w"]
    np.testing.assert_allclose(first[y == 1] / first[y == 0][0], step)  # before the first round
    for t in range(T - 1):
        wrong = model.estimators_[t].predict(X) != y
        ratio = fits[t + 1]["w"] / fits[t]["w"]
        for mask in (~wrong, wrong):  # same correctness: positives grew by the factor more
            pos, neg = ratio[mask & (y == 1)], ratio[mask & (y == 0)]
            if len(pos) and len(neg):
                np.testing.assert_allclose(pos / neg[0], step, rtol=1e-9)


def test_adauboost_start_weights_follow_the_class_cost(data, fits) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    model = boosting.AdaUBoostClassifier(n_estimators=3, random_state=0).fit(X, y)
    ir = (y == 0).sum() / y.sum()
    w = fits[0]["w"]
    np.testing.assert_allclose(w[y == 1] / w[y == 0][0], ir)  # default cost: the imbalance ratio
    np.testing.assert_allclose(w.sum(), 1.0)
    # update: wrong rows grow by exp(alpha * beta**(-1/T)), right rows keep their weight
    wrong = model.estimators_[0].predict(X) != y
    ratio = fits[1]["w"] / w
    alpha = model.estimator_weights_[0]
    expected = np.where(wrong, np.exp(alpha * np.where(y == 1, ir, 1.0) ** (-1 / 3)), 1.0)
    np.testing.assert_allclose(ratio / ratio[~wrong][0], expected, rtol=1e-9)


@pytest.mark.parametrize("cls", ALL)
def test_clone_params_determinism_and_probabilities(cls, data) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    model = cls(estimator_params={"max_depth": 2}, n_estimators=5, random_state=7)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    twin.set_params(n_estimators=6)
    assert twin.get_params()["n_estimators"] == 6 and model.n_estimators == 5
    a = model.fit(X, y).predict_proba(X)
    b = clone(model).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)  # same random_state, same model
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert a.shape == (len(y), 2) and len(model.estimators_) == 5
    assert all(e.max_depth == 2 for e in model.estimators_)
    np.testing.assert_array_equal(model.predict(X), model.classes_[(a[:, 1] > 0.5).astype(int)])


@pytest.mark.parametrize("cls", ALL)
def test_multiclass_string_labels(cls) -> None:  # type: ignore[no-untyped-def]
    X, y = make_classification(
        n_samples=400, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    labels = np.array(["a", "b", "c"])[y]
    model = cls(n_estimators=5, random_state=0).fit(X, labels)
    proba = model.predict_proba(X)
    assert list(model.classes_) == ["a", "b", "c"] and proba.shape == (400, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= {"a", "b", "c"}


def test_default_base_learner_is_a_stump_and_estimator_params_replace_it(data) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    stump = boosting.AdaUBoostClassifier(n_estimators=2, random_state=0).fit(X, y)
    assert all(e.get_depth() == 1 for e in stump.estimators_)
    grown = boosting.AdaUBoostClassifier(estimator_params={}, n_estimators=2, random_state=0).fit(
        X, y
    )
    assert grown.estimators_[0].get_depth() > 1
    lr = resample_boosting.SMOTEBoostClassifier(
        estimator="logreg", n_estimators=2, random_state=0
    ).fit(X, y)
    assert type(lr.estimators_[0]).__name__ == "LogisticRegression"


def test_sample_weight_scales_the_start_weights(data, fits) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    sw = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    boosting.AsymBoostClassifier(cost="uniform", n_estimators=1, random_state=0).fit(X, y, sw)
    np.testing.assert_allclose(fits[0]["w"], sw / sw.sum())


def test_registered_components_and_config_errors() -> None:
    for name in ("overboost", "smoteboost", "adacost", "adauboost", "asymboost"):
        comp = get("classifier", name)
        assert {"imbalance_ensemble", "supports_sample_weight"} <= comp.tags
        assert comp.parameters()["estimator"] == "dt" and comp.parameters()["n_estimators"] == 50
        assert "random_state" not in comp.parameters()
    smote = get("classifier", "smoteboost")
    smote.check({"estimator": "dt", "estimator_params": {"max_depth": 3}, "n_estimators": 100})
    model = smote.build({"n_estimators": 10}, random_state=5)
    assert (model.n_estimators, model.random_state) == (10, 5)
    with pytest.raises(ConfigError) as err:
        smote.check({"estimator": "nope"})
    msg = str(err.value)
    assert msg.startswith(
        "classifier 'smoteboost': unknown base learner estimator='nope'. "
        "Available base learners (classifiers that take sample_weight) are: "
    )
    assert "dt, " in msg and "logreg" in msg and "knn" not in msg
    with pytest.raises(ConfigError, match="base learner 'knn' does not take sample_weight"):
        smote.check({"estimator": "knn"})
    with pytest.raises(
        ConfigError,
        match=r"^classifier 'adacost': estimator_params: classifier "
        r"'dt': unknown parameter 'depth'",
    ):
        get("classifier", "adacost").check({"estimator_params": {"depth": 3}})
    with pytest.raises(ConfigError, match="The 'cost' parameter of AdaCostClassifier must be"):
        get("classifier", "adacost").check({"cost": "heavy"})
    with pytest.raises(ConfigError, match="The 'k_neighbors' parameter of SMOTEBoostClassifier"):
        smote.check({"k_neighbors": 0})


def test_cost_mapping_must_name_known_classes(data) -> None:  # type: ignore[no-untyped-def]
    X, y = data
    with pytest.raises(ValueError, match=r"cost names classes \[7\] that are not in y"):
        boosting.AdaCostClassifier(cost={7: 2.0}, n_estimators=1).fit(X, y)


def test_bench_run_with_smoteboost_on_keel(cli, write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "resamplers": {"none": {}},
            "class_weights": ["none"],
            "thresholds": {"default": {}},
            "classifiers": {
                "smoteboost": {
                    "estimator": "dt",
                    "estimator_params": {"max_depth": 3},
                    "n_estimators": 10,
                }
            },
        }
    )
    out = tmp_path / "out"
    result = cli("run", cfg, "--output", out)
    assert result.exit_code == 0, result.output
    rows: Any = pd.read_parquet(out / "results.parquet")
    assert len(rows) == 3 and (rows["status"] == "ok").all()
    assert (
        rows["method"]
        .iloc[0]
        .endswith('smoteboost[estimator=dt,estimator_params={"max_depth":3},n_estimators=10]')
    )
    assert rows["roc_auc"].between(0.5, 1.0).all()
