"""Bagging / cascade / cost-sensitive ensembles: what each member was trained on, the cascade's
shrinking pool, the SMOTE rate schedule, CS = cw=balanced, the scikit-learn API and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors
from sklearn.tree import DecisionTreeClassifier

import climb_cli.components.bagging  # noqa: F401 - registers the components until __init__ does
from climb_cli.components import get
from climb_cli.components.bagging import BalanceCascadeClassifier, SMOTEBaggingClassifier
from climb_cli.errors import ConfigError

Data = tuple[np.ndarray, np.ndarray]
Seen = list[tuple[np.ndarray, np.ndarray]]
NAMES = ("balance_cascade", "smote_bagging", "underbagging", "overbagging", "cs")


@pytest.fixture(scope="module")
def data() -> Data:
    X, y = make_classification(
        n_samples=1200, n_features=6, weights=[0.95], flip_y=0.02, random_state=0
    )
    return X, y


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Every (X, y) a decision tree is fitted on."""
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    real_fit = DecisionTreeClassifier.fit

    def spy(self, X, y, *a, **k):  # type: ignore[no-untyped-def]
        calls.append((np.asarray(X).copy(), np.asarray(y).copy()))
        return real_fit(self, X, y, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    return calls


def _row_set(X: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in np.ascontiguousarray(X)}


# --- BalanceCascade ----------------------------------------------------------------------------


def test_cascade_members_are_balanced_subsets_of_minority_size(data: Data, seen: Seen) -> None:
    X, y = data
    n_min = int(y.sum())
    bc = BalanceCascadeClassifier(n_estimators=8, random_state=0).fit(X, y)
    assert len(seen) == len(bc.estimators_) == 8
    for (_, y_fit), picked in zip(seen, bc.estimators_samples_):
        assert np.bincount(y_fit).tolist() == [n_min, n_min]
        assert set(np.flatnonzero(y == 1)) <= set(picked.tolist())  # every minority sample
        assert len(set(picked.tolist())) == 2 * n_min  # drawn without replacement


def test_cascade_pool_shrinks_by_the_false_positive_rate(data: Data) -> None:
    X, y = data
    n_maj, n_min, T = int((y == 0).sum()), int(y.sum()), 8
    bc = BalanceCascadeClassifier(n_estimators=T, random_state=0).fit(X, y)
    f = (n_min / n_maj) ** (1 / (T - 1))
    assert bc.keep_ratios_[0] == pytest.approx(f) and bc.keep_ratios_[1] == 1.0
    expected = [n_maj] + [round(n_maj * f ** (i + 1)) for i in range(T - 1)]
    assert bc.pool_sizes_[:, 0].tolist() == expected
    assert expected[-1] == n_min  # the last member sees the whole remaining pool
    assert bc.pool_sizes_[:, 1].tolist() == [n_min] * T


def test_cascade_removes_the_samples_the_ensemble_classifies_correctly(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = data
    drops: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []
    real = BalanceCascadeClassifier._drop_easiest

    def spy(pool, hardness, keep, rng):  # type: ignore[no-untyped-def]
        kept = real(pool, hardness, keep, rng)
        drops.append((pool.copy(), hardness.copy(), keep, kept))
        return kept

    monkeypatch.setattr(BalanceCascadeClassifier, "_drop_easiest", staticmethod(spy))
    bc = BalanceCascadeClassifier(n_estimators=6, random_state=1).fit(X, y)
    assert len(drops) == 5  # after every member but the last
    for i, (pool, hardness, keep, kept) in enumerate(drops):
        # hardness = 1 - P(majority) of the ensemble of members 0..i on the pool
        p_maj = np.mean([m.predict_proba(X[pool])[:, 0] for m in bc.estimators_[: i + 1]], axis=0)
        np.testing.assert_allclose(hardness, 1 - p_maj)
        assert len(kept) == keep and set(kept) <= set(pool)
        removed = np.setdiff1d(pool, kept)
        order = np.searchsorted(pool, kept), np.searchsorted(pool, removed)
        assert hardness[order[1]].max() <= hardness[order[0]].min()  # easiest removed
        # the next member's majority rows come from what was kept
        nxt = bc.estimators_samples_[i + 1]
        assert set(nxt[y[nxt] == 0]) <= set(kept)


def test_cascade_multiclass_brings_every_larger_class_to_the_smallest() -> None:
    X, y = make_classification(
        n_samples=1500, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    counts = np.bincount(y)
    bc = BalanceCascadeClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert bc.pool_sizes_[0].tolist() == counts.tolist()
    assert bc.pool_sizes_[-1].tolist() == [counts.min()] * 3
    assert all(np.bincount(y[s]).tolist() == [counts.min()] * 3 for s in bc.estimators_samples_)
    assert np.allclose(bc.predict_proba(X).sum(axis=1), 1)


def test_cascade_single_member_is_one_balanced_tree(data: Data) -> None:
    X, y = data
    bc = BalanceCascadeClassifier(n_estimators=1, random_state=0).fit(X, y)
    assert len(bc.estimators_) == 1 and bc.pool_sizes_.tolist() == [
        [int((y == 0).sum()), int(y.sum())]
    ]


# --- UnderBagging / OverBagging (imbalanced-learn aliases) -----------------------------------


def test_underbagging_members_see_balanced_bags_of_minority_size(data: Data, seen: Seen) -> None:
    from imblearn.under_sampling import RandomUnderSampler

    X, y = data
    model = get("classifier", "underbagging").build({"n_estimators": 6}, random_state=0)
    assert isinstance(model.sampler, RandomUnderSampler)
    model.fit(X, y)
    assert len(seen) == 6
    for (X_fit, y_fit), bag in zip(seen, model.estimators_samples_):
        n_min_bag = int(y[bag].sum())  # the bootstrap's minority count
        assert np.bincount(y_fit).tolist() == [n_min_bag, n_min_bag]
        assert abs(n_min_bag - y.sum()) < 0.4 * y.sum()


def test_overbagging_members_see_balanced_majority_size_bags_with_copies(
    data: Data, seen: Seen
) -> None:
    X, y = data
    model = get("classifier", "overbagging").build({"n_estimators": 6}, random_state=0).fit(X, y)
    originals = _row_set(X[y == 1])
    for (X_fit, y_fit), bag in zip(seen, model.estimators_samples_):
        n_maj_bag = int((y[bag] == 0).sum())
        assert np.bincount(y_fit).tolist() == [n_maj_bag, n_maj_bag]
        minority = X_fit[y_fit == 1]
        assert _row_set(minority) <= originals  # copies, nothing synthetic
        assert len(_row_set(minority)) <= y.sum() < n_maj_bag  # so rows repeat


# --- SMOTEBagging --------------------------------------------------------------------------------


def test_smote_bagging_rate_cycles_and_bags_mix_bootstrap_and_smote(data: Data, seen: Seen) -> None:
    X, y = data
    n_maj, k = int((y == 0).sum()), 5
    model = SMOTEBaggingClassifier(n_estimators=12, k_neighbors=k, random_state=0).fit(X, y)
    rates = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.1, 0.2]
    assert model.resampling_rates_ == rates
    assert model.n_synthetic_ == [n_maj - round(a * n_maj) for a in rates]
    majority, minority = _row_set(X[y == 0]), _row_set(X[y == 1])
    for (X_fit, y_fit), a in zip(seen, rates):
        assert np.bincount(y_fit).tolist() == [n_maj, n_maj]
        assert _row_set(X_fit[y_fit == 0]) <= majority  # the majority is bootstrapped
        rows = X_fit[y_fit == 1]
        real = np.array([r.tobytes() in minority for r in rows])
        assert real.sum() == round(a * n_maj)  # bootstrapped share of the minority
    assert model.n_synthetic_[9] == 0  # at 100% the bag is plain random over-sampling


def test_smote_points_lie_between_a_minority_sample_and_a_neighbour(data: Data, seen: Seen) -> None:
    X, y = data
    k = 3
    SMOTEBaggingClassifier(n_estimators=1, k_neighbors=k, random_state=0).fit(X, y)
    X_min = X[y == 1]
    nn = (
        NearestNeighbors(n_neighbors=k + 1)
        .fit(X_min)
        .kneighbors(X_min, return_distance=False)[:, 1:]
    )
    starts = np.repeat(X_min, k, axis=0)
    dirs = X_min[nn.ravel()] - starts
    X_fit, y_fit = seen[0]
    minority = _row_set(X_min)
    synthetic = np.array([r for r in X_fit[y_fit == 1] if r.tobytes() not in minority])
    assert len(synthetic) == int((y == 0).sum()) - round(0.1 * (y == 0).sum())
    for s in synthetic[:200]:
        g = np.einsum("ij,ij->i", s - starts, dirs) / np.einsum("ij,ij->i", dirs, dirs)
        resid = np.linalg.norm(starts + g[:, None] * dirs - s, axis=1)
        best = np.argmin(resid)
        assert resid[best] < 1e-9 and -1e-9 <= g[best] <= 1 + 1e-9


def test_smote_bagging_multiclass_and_too_small_class() -> None:
    X, y = make_classification(
        n_samples=900, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    model = SMOTEBaggingClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert model.predict_proba(X).shape == (900, 3)
    y_small = np.r_[np.zeros(40, dtype=int), np.ones(4, dtype=int)]
    with pytest.raises(
        ValueError,
        match=r"class 1 has 4 training samples; SMOTE needs more "
        r"than k_neighbors=5 \(lower k_neighbors\)",
    ):
        SMOTEBaggingClassifier(n_estimators=2).fit(np.random.RandomState(0).rand(44, 3), y_small)


# --- CS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("base", ["dt", "logreg"])
def test_cs_equals_the_base_learner_with_balanced_class_weights(data: Data, base: str) -> None:
    from climb_cli.config import Choice
    from climb_cli.engine.fit import fit_model

    X, y = data
    cs = get("classifier", "cs").build({"estimator": base}, random_state=7).fit(X, y)
    ref = (
        clone(get("classifier", base).build({}, random_state=7))
        .set_params(class_weight="balanced")
        .fit(X, y)
    )
    np.testing.assert_array_equal(cs.predict_proba(X), ref.predict_proba(X))
    # and the grid's own cw=balanced on that classifier
    engine = fit_model(Choice(base, ()), Choice("balanced", ()), X, y, y, ["0", "1"], 7)
    np.testing.assert_array_equal(cs.predict(X), engine.predict(X))
    np.testing.assert_allclose(cs.predict_proba(X), engine.predict_proba(X), atol=1e-12)


def test_cs_refuses_a_learner_without_class_weight() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^classifier 'cs': The 'estimator' parameter of CS must "
        r"be a classifier that supports class_weight\. Got 'knn' "
        r"instead\. Valid classifiers are: .*\bdt\b.*\blogreg\b",
    ):
        get("classifier", "cs").check({"estimator": "knn"})


# --- base learner by name: validation -----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_unknown_base_learner_lists_the_classifiers(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        get("classifier", name).check({"estimator": "tree"})
    msg = str(err.value)
    assert msg.startswith(f"classifier '{name}': The 'estimator' parameter of ")
    assert "must be the name of a registered classifier. Got 'tree' instead. " in msg
    assert "Available classifiers are: adaboost, " in msg and ", dt, " in msg


def test_base_learner_parameters_are_checked_like_a_config_entry() -> None:
    expected = (
        r"^classifier 'balance_cascade': The 'estimator_params' parameter of "
        r"BalanceCascadeClassifier does not fit base learner 'dt': classifier 'dt': "
        r"unknown parameter 'depth'\. Valid parameters are: ccp_alpha, "
    )
    with pytest.raises(ConfigError, match=expected):
        get("classifier", "balance_cascade").check({"estimator_params": {"depth": 3}})
    with pytest.raises(ConfigError, match=r"The 'max_depth' parameter of DecisionTreeClassifier"):
        get("classifier", "underbagging").check({"estimator_params": {"max_depth": -1}})
    with pytest.raises(ConfigError, match=r"must be a classifier with predict_proba; 'linear_svm'"):
        get("classifier", "smote_bagging").check({"estimator": "linear_svm"})
    get("classifier", "smote_bagging").check(
        {"estimator": "svm", "estimator_params": {"probability": True}}
    )


def test_cli_validate_rejects_an_unknown_base_learner(cli: Any, write_config: Any) -> None:
    path = write_config({"classifiers": {"balance_cascade": {"estimator": "tre"}}})
    result = cli("validate", path)
    assert result.exit_code == 2
    assert (
        "The 'estimator' parameter of BalanceCascadeClassifier must be the name of a "
        "registered classifier. Got 'tre' instead." in result.stderr
    )


# --- scikit-learn API ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_clone_determinism_and_probabilities(data: Data, name: str) -> None:
    X, y = data
    params = {} if name == "cs" else {"n_estimators": 5, "estimator_params": {"max_depth": 6}}
    a = get("classifier", name).build(params, random_state=3)
    b = clone(a)
    assert repr(b) == repr(a) and b is not a
    assert repr(clone(a).set_params(**a.get_params(deep=False))) == repr(a)
    pa, pb = a.fit(X, y).predict_proba(X), b.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(pa, pb)
    np.testing.assert_allclose(pa.sum(axis=1), 1)
    assert a.classes_.tolist() == [0, 1] and set(a.predict(X)) <= {0, 1}
    if name != "cs":
        other = get("classifier", name).build(params, random_state=4).fit(X, y)
        assert not np.array_equal(other.predict_proba(X), pa)


def test_named_base_round_trips_through_get_params() -> None:
    model = SMOTEBaggingClassifier(
        estimator="logreg",
        estimator_params={"C": 0.5},
        n_estimators=3,
        k_neighbors=2,
        random_state=1,
    )
    params = model.get_params()
    assert params == {
        "estimator": "logreg",
        "estimator_params": {"C": 0.5},
        "n_estimators": 3,
        "k_neighbors": 2,
        "random_state": 1,
    }
    assert clone(model).get_params() == params
    assert BalanceCascadeClassifier().set_params(estimator="rf").estimator == "rf"


# --- end to end -----------------------------------------------------------------------------------


def test_bench_run_on_ecoli3(cli: Any, write_config: Any, tmp_path: Path) -> None:
    classifiers: dict[str, Any] = {n: {"n_estimators": 10} for n in NAMES if n != "cs"}
    classifiers["balance_cascade"]["estimator_params"] = {"max_depth": 4}
    classifiers["cs"] = {"estimator": ["dt", "logreg"]}
    path = write_config(
        {
            "datasets": ["keel/ecoli3"],
            "resamplers": {"none": {}},
            "class_weights": ["none", "balanced"],
            "thresholds": {"default": {}},
            "classifiers": classifiers,
        }
    )
    out = tmp_path / "run"
    result = cli("run", path, "--output", out, "--quiet")
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 6 * 2 * 3  # 6 classifiers x 2 class weights x 3 folds
    plain = df[df["class_weight"] == "none"]
    assert (plain["status"] == "ok").all(), plain[["classifier", "error"]]
    assert plain["roc_auc"].between(0.5, 1).all()
    # none of them honours class or sample weights: weighted cells are skipped, never unweighted
    weighted = df[df["class_weight"] == "balanced"]
    assert (weighted["status"] == "skipped").all()
    assert weighted["error"].str.contains("supports neither class_weight nor sample_weight").all()
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("spe", ("DecisionTreeClassifier", None)),
        ("balanced_bagging", ("DecisionTreeClassifier", None)),
        ("rusboost", ("DecisionTreeClassifier", 1)),
        ("easy_ensemble", ("AdaBoostClassifier", None)),
    ],
)
def test_library_ensembles_take_their_base_learner_by_name(name: str, default: Any) -> None:
    """CLIMB's setting in one line: `{estimator: dt, estimator_params: {...}, n_estimators: N}`;
    the members are that learner with those parameters (defaults: the libraries' own)."""
    from sklearn.datasets import make_classification

    from climb_cli.components import get

    X, y = make_classification(300, 6, weights=[0.85], random_state=0)
    comp = get("classifier", name)
    assert comp.parameters()["estimator"] in ("dt", "adaboost")
    plain = comp.build({"n_estimators": 3}, random_state=0)
    assert type(plain.estimator).__name__ == default[0]
    if default[1] is not None:
        assert plain.estimator.get_params()["max_depth"] == default[1]
    named = {"estimator": "dt", "estimator_params": {"max_depth": 2}, "n_estimators": 3}
    comp.check(named)
    model = comp.build(named, random_state=0).fit(X, y)
    members = getattr(model, "estimators_", [])
    assert len(members) == 3
    trees = [m.steps[-1][1] if hasattr(m, "steps") else m for m in members]
    assert all(type(t).__name__ == "DecisionTreeClassifier" for t in trees)
    assert all(t.get_depth() <= 2 for t in trees)
    with pytest.raises(ConfigError, match="must be the name of a registered classifier"):
        comp.check({"estimator": "forest"})
