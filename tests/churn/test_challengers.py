"""Churn challengers: the survival tree, the forest, the classification-tree trap and the
side-by-side comparison, checked against independent computations and the synthetic truth."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import logrank_test

from cxlib import churn
from cxlib.churn.forest import move_to_grid, time_grid
from cxlib.core import DataError

# region has no effect in the synthetic world; it is a candidate so the tree can be fooled by it
COVARIATES = ["age", "monthly_fee", "usage_hours", "support_tickets", "plan", "region"]
HORIZON = 12


@pytest.fixture(scope="module")
def world():
    from cxlib.synth import make_world

    return make_world(n_customers=3000, seed=7)


@pytest.fixture(scope="module")
def synth(world):
    return churn.prepare_churn_data(
        world.customers, signup_col="signup_date", churn_col="churn_date",
        observation_end=world.truth["observation_end"], id_col="customer_id",
        covariates=COVARIATES, group_col="plan", time_unit="months")


@pytest.fixture(scope="module")
def split(synth):
    return churn.split_train_test(synth, 0.25, seed=1)


@pytest.fixture(scope="module")
def tree(split):
    return churn.SurvivalTreeModel(max_depth=3, min_leaf=0.05, seed=1).fit(split[0], COVARIATES)


@pytest.fixture(scope="module")
def forest(split):
    return churn.SurvivalForestModel(n_trees=60, seed=1).fit(split[0], COVARIATES)


# ---------------------------------------------------------------------------- golden values

def test_logrank_statistic_equals_lifelines_on_rossi():
    rossi = load_rossi()
    for col in ("fin", "wexp", "paro"):
        g = rossi[col] == 1
        theirs = logrank_test(rossi.loc[g, "week"], rossi.loc[~g, "week"],
                              rossi.loc[g, "arrest"], rossi.loc[~g, "arrest"]).test_statistic
        assert churn.logrank_statistic(rossi["week"], rossi["arrest"], g) == pytest.approx(
            theirs, rel=1e-10), col
    assert churn.logrank_statistic(rossi["week"], rossi["arrest"], np.ones(len(rossi))) == 0


def test_time_grid_keeps_kaplan_meier_when_it_holds_every_churn_time():
    """With whole-month tenures the grid is every churn time and nothing moves the estimate;
    on a coarser grid churns move up and censoring down (the grouped estimate)."""
    rng = np.random.default_rng(3)
    t = rng.integers(1, 40, 2000).astype(float)
    e = rng.integers(0, 2, 2000)
    grid = time_grid(t, e, n_times=150)
    assert np.array_equal(grid, np.unique(t[e == 1]))
    moved = move_to_grid(t, e, grid)
    km = KaplanMeierFitter().fit(t, e).survival_function_at_times(grid).to_numpy()
    km_moved = KaplanMeierFitter().fit(moved, e).survival_function_at_times(grid).to_numpy()
    assert np.allclose(km, km_moved)
    coarse = time_grid(t, e, n_times=5)
    assert len(coarse) <= 5 and coarse[-1] == t[e == 1].max()
    moved = move_to_grid(t, e, coarse)
    assert (moved[e == 1] >= t[e == 1]).all() and (moved[e == 0] <= t[e == 0]).all()
    assert set(moved[e == 1]) <= set(coarse)


# ---------------------------------------------------------------------------- the survival tree

def test_first_splits_use_real_effects_never_region(world, tree):
    """The synthetic churn hazard depends on age, fee, usage, tickets and plan, not on region:
    the root and its children must split on covariates with a real effect, and pruning must not
    keep a region split anywhere."""
    real = {c.split("=")[0] for c in world.truth["hazard"]["coefficients"]}
    assert "region" not in real and "region" in world.truth["hazard"]["no_effect"]
    splits = tree.splits_
    assert len(splits) >= 2  # the tree found structure
    first = set(splits.loc[splits["depth"] <= 1, "covariate"])
    assert first <= real, first
    assert "region" not in set(splits["covariate"])


def test_region_is_split_on_without_pruning_and_pruned_away(split):
    """A deeper tree is where noise enters (here a region split at depth 4); pruning keeps
    fewer splits, none on region, the chosen subtree has the best penalized validation score,
    and the sequence is nested."""
    model = churn.SurvivalTreeModel(max_depth=4, min_leaf=0.03, seed=2).fit(split[0], COVARIATES)
    grown = {list(model.encoder_.columns_)[f].split("=")[0] for f in model.tree_.feature if f >= 0}
    assert "region" in grown
    assert "region" not in set(model.splits_["covariate"])
    p = model.pruning_
    assert p["splits"].is_monotonic_decreasing and p["splits"].iloc[-1] == 0
    assert p["G_train"].is_monotonic_decreasing  # fewer splits never add statistic
    assert (np.diff(p["alpha"].to_numpy()[1:]) >= -1e-9).all()  # weakest links in order
    chosen = p.loc[p["chosen"]].iloc[0]
    assert chosen["score"] == p["score"].max()
    assert chosen["splits"] < p["splits"].iloc[0]  # something was pruned
    assert len(model.leaves_) == chosen["leaves"]


def test_pruning_leaves_one_leaf_when_nothing_matters():
    rng = np.random.default_rng(11)
    n = 1500
    df = pd.DataFrame({"duration": rng.exponential(20, n).round(1) + 0.1,
                       "event": rng.integers(0, 2, n), "noise": rng.normal(size=n),
                       "colour": rng.choice(["red", "green", "blue"], n)})
    model = churn.SurvivalTreeModel(max_depth=3, seed=0).fit(df, ["noise", "colour"])
    assert len(model.leaves_) == 1 and model.rules_["rule"].iloc[0] == "all customers"
    assert model.pruning_["splits"].iloc[0] > 0  # the full tree did split, on noise


def _select(df, conditions):
    """Rows meeting a leaf's conditions, applied to the raw columns (not through the tree)."""
    keep = np.ones(len(df), dtype=bool)
    for col, op, value in conditions:
        x = df[col]
        keep &= {"<=": lambda: x <= value, ">": lambda: x > value,
                 "==": lambda: x.astype(str) == value, "!=": lambda: x.astype(str) != value}[op]()
    return df[keep]


def test_leaf_rules_in_words_agree_with_the_leaf_kaplan_meier(synth, tree):
    leaves = tree.leaf_table(synth, HORIZON)
    text = churn.describe_tree_rules(leaves, HORIZON, "months")
    assert len(text.splitlines()) == len(leaves) == len(tree.leaves_)
    assert leaves["n"].sum() == len(synth)  # every customer in exactly one leaf
    rules = tree.rules_.set_index("leaf")
    for line, (_, r) in zip(text.splitlines(), leaves.sort_values("survival_horizon").iterrows()):
        part = _select(synth, rules.loc[r["leaf"], "conditions"])
        kmf = KaplanMeierFitter().fit(part["duration"], part["event"])
        s = float(kmf.survival_function_at_times(HORIZON).iloc[0])
        assert len(part) == r["n"] and int(part["event"].sum()) == r["events"]
        assert s == pytest.approx(r["survival_horizon"], abs=1e-12)
        stated = re.search(r"\*\*(.+)\*\*: (\d+)% still active after 12 months .*?, ([\d,]+) "
                           r"customers", line)
        assert stated, line
        assert stated.group(1) == r["rule"]
        assert int(stated.group(2)) == round(100 * s)
        assert int(stated.group(3).replace(",", "")) == len(part)
    # riskiest first, and the rules do separate retention
    assert leaves["survival_horizon"].is_monotonic_increasing
    assert leaves["survival_horizon"].iloc[-1] - leaves["survival_horizon"].iloc[0] > 0.2


def test_tree_numeric_rules_read_observed_values(synth, tree):
    """A split between 2 and 3 tickets reads '>= 3' / '<= 2', not a midpoint."""
    for rule in tree.rules_["rule"]:
        for value in re.findall(r"support_tickets (?:<=|>=) ([\d.]+)", rule):
            assert float(value).is_integer()
    assert all(re.search(r"\d+\.\d5\b", r) is None for r in tree.rules_["rule"])


def test_tree_predictions_are_leaf_kaplan_meier_of_training_customers(split, tree):
    train, test = split
    leaf = tree.apply(train)
    s = tree.predict_survival(test, [HORIZON])[:, 0]
    test_leaf = tree.apply(test)
    for node in tree.leaves_:
        part = train[leaf == node]
        km = KaplanMeierFitter().fit(part["duration"], part["event"])
        expected = float(km.survival_function_at_times(HORIZON).iloc[0])
        assert np.allclose(s[(test_leaf == node).to_numpy()], expected)
    # a leaf with lower survival has the higher risk score
    risk = tree.predict_risk(test)
    order = pd.DataFrame({"s": s, "r": risk}).groupby("s")["r"].first().sort_index()
    assert order.is_monotonic_decreasing


# ---------------------------------------------------------------------------- the forest

def test_forest_fast_scoring_equals_scikit_survival(split, forest):
    _, test = split
    X = forest.encoder_.transform(test).to_numpy(dtype=np.float32)
    times = [0.1, 3, 6, 12, 24]
    theirs = np.array([fn(np.clip(times, forest.times_[0], None))
                       for fn in forest.sksurv_.predict_survival_function(X)])
    theirs[:, 0] = np.where(times[0] < forest.times_[0], 1.0, theirs[:, 0])
    mine = forest.predict_survival(test, times, chunk=97)  # several chunks
    assert np.allclose(mine, theirs, atol=1e-12)
    assert np.allclose(forest.predict_risk(test, chunk=97), forest.sksurv_.predict(X))


def test_forest_fits_on_a_seeded_sample_and_scores_everyone(split):
    train, test = split
    a = churn.SurvivalForestModel(n_trees=10, sample_size=800, seed=4).fit(train, COVARIATES)
    b = churn.SurvivalForestModel(n_trees=10, sample_size=800, seed=4).fit(train, COVARIATES)
    assert a.n_fit_ == 800
    assert np.array_equal(a.predict_risk(train), b.predict_risk(train))  # seeded
    assert len(a.predict_survival(train, [HORIZON])) == len(train)
    full = churn.SurvivalForestModel(n_trees=10, sample_size=10_000, seed=4).fit(train, COVARIATES)
    assert full.n_fit_ == len(train)


def test_permutation_importance_ranks_real_effects_above_region(split, forest):
    _, test = split
    imp = churn.permutation_importance(forest, test, COVARIATES, n_repeats=4, seed=3)
    assert list(imp.columns) == ["covariate", "importance", "sd", "concordance_permuted"]
    assert set(imp["covariate"]) == set(COVARIATES)
    top = imp["covariate"].iloc[:2].tolist()
    assert "region" not in top
    region = imp.set_index("covariate").loc["region"]
    assert abs(region["importance"]) < 0.01
    assert imp["importance"].iloc[0] > 0.03
    assert imp.attrs["concordance"] == pytest.approx(
        churn.concordance(test, forest.predict_risk(test)))
    text = churn.describe_importance(imp)
    assert f"{imp['covariate'].iloc[0]} by {imp['importance'].iloc[0]:.3f}" in text


# ---------------------------------------------------------------------------- side by side

def test_compare_models_one_row_per_model_on_the_same_customers(split, tree, forest):
    train, test = split
    base = [c for c in COVARIATES if c != "region"]
    cox = churn.CoxChurnModel().fit(train, base)
    logit = churn.HorizonLogistic(HORIZON).fit(train, base)
    flag = churn.HorizonTree(HORIZON, seed=1).fit(train, base)
    res = churn.compare_models(train, test, HORIZON, cox=cox, tree=tree, forest=forest,
                               logistic=logit, classification_tree=flag)
    t = res["table"].set_index("model")
    assert list(t.index) == ["kaplan_meier", "cox", "tree", "forest", "logistic",
                             "classification_tree"]
    holdout = churn.evaluate_holdout(cox, train, test, HORIZON)["metrics"]
    assert t.loc["cox", "concordance"] == pytest.approx(holdout["concordance_test"], abs=1e-12)
    assert t.loc["cox", "integrated_brier"] == pytest.approx(holdout["integrated_brier_test"],
                                                              abs=1e-12)
    assert t.loc["kaplan_meier", "integrated_brier"] == pytest.approx(
        holdout["integrated_brier_km"], abs=1e-12)
    assert t.loc["cox", "auc_horizon"] == pytest.approx(holdout["auc_horizon"], abs=1e-12)
    old = churn.compare_with_cox(cox, logit, train, test, HORIZON).set_index("model")
    for col in old.columns:
        assert np.allclose(t.loc[["cox", "logistic"], col], old.loc[["cox", "logistic"], col])
    assert t.loc["kaplan_meier", "concordance"] == 0.5
    assert t.loc[["logistic", "classification_tree"], "integrated_brier"].isna().all()
    assert t.loc[["cox", "tree", "forest"], "integrated_brier"].lt(
        t.loc["kaplan_meier", "integrated_brier"]).all()
    assert (t.loc[["cox", "tree", "forest"], "concordance"] > 0.6).all()
    assert set(res["brier"].columns) == {"time", "kaplan_meier", "cox", "tree", "forest"}
    # the censoring bias shows in the level of predicted churn, not in the survival models
    observed = t["observed_km"].iloc[0]
    for name in ("logistic", "classification_tree"):
        assert t.loc[name, "calibration_ratio"] > 1.05
    ratio = t["calibration_ratio"]
    assert abs(ratio["cox"] - 1) < abs(ratio["logistic"] - 1)
    assert t.loc["cox", "mean_predicted"] == pytest.approx(observed * ratio["cox"])


def _table(**concordance_ibs):
    return pd.DataFrame([{"model": m, "concordance": c, "integrated_brier": b}
                         for m, (c, b) in concordance_ibs.items()])


def test_choose_model_keeps_a_readable_model_unless_a_harder_one_wins_clearly():
    close = _table(tree=(0.64, 0.180), cox=(0.700, 0.170), forest=(0.705, 0.168))
    assert churn.choose_model(close)["model"] == "cox"
    clear = _table(tree=(0.64, 0.180), cox=(0.700, 0.170), forest=(0.73, 0.160))
    assert churn.choose_model(clear)["model"] == "forest"
    worse_brier = _table(tree=(0.64, 0.180), cox=(0.700, 0.170), forest=(0.73, 0.175))
    assert churn.choose_model(worse_brier)["model"] == "cox"
    tree_close = _table(tree=(0.69, 0.171), cox=(0.700, 0.170), forest=(0.705, 0.168))
    choice = churn.choose_model(tree_close)
    assert choice["model"] == "tree" and choice["runner_up"] == "forest"
    assert choice["gain"] == pytest.approx(0.69 - 0.705)
    assert churn.choose_model(close, min_gain=0.001)["model"] == "forest"
    full = close.assign(calibration_ratio=1.0)
    full = pd.concat([full, pd.DataFrame([{"model": "kaplan_meier", "concordance": 0.5,
                                           "integrated_brier": 0.2, "calibration_ratio": 1}])])
    text = churn.describe_comparison(full, churn.choose_model(full), 12, "months")
    assert text.startswith("Use the Cox model") and "0.005 is not enough" in text
    assert "15.0% below" in text  # 1 - 0.170 / 0.2


def test_classification_tree_overstates_churn_where_censoring_drops_stayers(split):
    train, _ = split
    flag = churn.HorizonTree(HORIZON, max_depth=3, min_leaf=0.05, seed=1).fit(train, COVARIATES)
    labels = churn.HorizonLogistic(HORIZON).fit(train, COVARIATES)
    assert flag.n_dropped_ == labels.n_dropped_ > 0  # the same customers have no label
    leaves = flag.leaf_table(train)
    assert leaves["n"].sum() == len(train)
    assert leaves["n_labelled"].sum() == flag.n_used_
    gap = np.average(leaves["predicted"] - leaves["observed_km"], weights=leaves["n"])
    assert gap > 0.02
    text = churn.describe_classification_trap(flag, leaves, HORIZON, "months")
    assert f"{flag.n_used_:,} of {len(train):,} training customers" in text
    assert f"{abs(gap) * 100:.1f} percentage points above" in text


def test_key_findings_round_as_stated():
    metrics = {"median_survival": 24.476, "retention_horizon": 0.6847, "horizon": 12,
               "time_unit": "months", "recommended_model": "cox", "concordance_test": 0.68565,
               "concordance_test_tree": 0.6411, "concordance_test_forest": 0.6719,
               "n_test": 1250, "high_risk": 120, "high_risk_share": 0.0387, "n_active": 3101}
    assert churn.key_findings(metrics) == [
        "Half of the customers churn within 24.5 months; 68% are still active 12 months after "
        "signup.",
        "The Cox model is the model to use: held-out concordance 0.686 on 1,250 customers, "
        "against 0.641 for the survival tree and 0.672 for the random survival forest.",
        "120 of 3,101 active customers (4%) have a 50% or higher chance of churning within the "
        "next 12 months (high risk)."]
    metrics.update(median_survival=None, recommended_model="forest")
    first, second, _ = churn.key_findings(metrics)
    assert first.startswith("Fewer than half of the customers churned during follow-up; 68%")
    assert second.startswith("The random survival forest is the model to use: held-out "
                             "concordance 0.672") and "0.686 for the Cox model" in second


# ------------------------------------------------------------------------------ bad input

def _toy(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"duration": rng.integers(1, 40, n).astype(float),
                       "event": rng.integers(0, 2, n), "x": rng.normal(size=n),
                       "grp": rng.choice(["a", "b"], n)})
    df.attrs["source"] = "toy.csv"
    return df


def test_tree_and_forest_settings_are_checked_with_clear_errors():
    df = _toy()
    with pytest.raises(DataError, match="tree depth must be at least 1"):
        churn.SurvivalTreeModel(max_depth=0).fit(df, ["x"])
    with pytest.raises(DataError, match="smallest leaf must be a share"):
        churn.SurvivalTreeModel(min_leaf=5).fit(df, ["x"])
    with pytest.raises(DataError, match="n_trees must be at least 1"):
        churn.SurvivalForestModel(n_trees=0).fit(df, ["x"])
    with pytest.raises(DataError, match=r"toy\.csv.*nope"):
        churn.SurvivalTreeModel().fit(df, ["nope"])
    with pytest.raises(DataError, match="nobody churned"):
        churn.SurvivalForestModel(n_trees=2).fit(df.assign(event=0), ["x"])
    with pytest.raises(DataError, match="churners and stayers"):
        churn.HorizonTree(12).fit(df.assign(event=0, duration=30.0), ["x"])


def test_unseen_level_and_blank_values_at_prediction_are_named():
    df = _toy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = churn.SurvivalTreeModel(max_depth=2).fit(df, ["x", "grp"])
    new = df.head(5).copy()
    new.loc[new.index[1], "grp"] = "zebra"
    with pytest.raises(DataError, match=r"column 'grp'.*levels not seen.*a, b"):
        model.predict_survival(new, [5])
    new = df.head(5).copy()
    new.loc[new.index[2], "x"] = np.nan
    with pytest.raises(DataError, match=r"column 'x'.*blank"):
        model.predict_risk(new)
