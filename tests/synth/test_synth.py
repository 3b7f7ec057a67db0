"""The synthetic world: determinism, internal consistency, and that its truth is recoverable."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import hyp2f1

from cxlib import core as data, synth
from cxlib.core import DATA_DIR
from cxlib.synth import make_world

NUMERIC = ["age", "monthly_fee", "usage_hours", "support_tickets"]
RATINGS = ["product_quality", "value_for_money", "support", "delivery", "ease_of_use",
           "communication"]
COEFS = ["age", "monthly_fee", "usage_hours", "support_tickets", "plan=premium", "plan=standard"]


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=3000, seed=7)


def _durations(customers: pd.DataFrame, end) -> pd.DataFrame:
    df = customers.copy()
    df["duration"] = (df["churn_date"].fillna(pd.Timestamp(end)) - df["signup_date"]).dt.days
    df["event"] = df["churn_date"].notna().astype(int)
    for level in ("premium", "standard"):
        df[f"plan={level}"] = (df["plan"] == level).astype(float)
    return df


def _bgnbd_expected_repeats(t, r, alpha, a, b):
    """E[X(t)] of the BG/NBD, Fader, Hardie & Lee (2005), eq. 7."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_gives_identical_tables_and_other_seed_differs():
    a = make_world(n_customers=500, seed=11)
    b = make_world(n_customers=500, seed=11)
    c = make_world(n_customers=500, seed=12)
    for name in ("customers", "transactions", "survey"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert not getattr(a, name).equals(getattr(c, name))
    pd.testing.assert_series_equal(a.segments, b.segments)
    assert a.truth == b.truth


def test_each_process_has_its_own_random_stream(monkeypatch):
    """Changing the purchase process must not shift customers, churn or the survey."""
    base = make_world(n_customers=400, seed=5)
    monkeypatch.setitem(synth.BGNBD, "r", 2.0)
    changed = make_world(n_customers=400, seed=5)
    pd.testing.assert_frame_equal(base.customers, changed.customers)
    pd.testing.assert_frame_equal(base.survey, changed.survey)
    assert not base.transactions.equals(changed.transactions)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="n_customers"):
        make_world(n_customers=0)
    with pytest.raises(ValueError, match="fmt"):
        make_world(n_customers=10).write("unused", fmt="xlsx")


def test_tiny_worlds_and_another_observation_end():
    for n in (1, 2, 5):
        w = make_world(n_customers=n, seed=1)
        assert len(w.customers) == n and len(w.segments) == n
        assert len(w.transactions) >= n  # everyone's first purchase
    w = make_world(n_customers=300, seed=1, observation_end="2024-06-30")
    end = pd.Timestamp("2024-06-30")
    assert w.customers["signup_date"].min() >= pd.Timestamp("2021-07-01")
    assert (w.customers["churn_date"].dropna() <= end).all()
    assert (w.transactions["timestamp"] <= end).all() and (w.survey["date"] <= end).all()
    assert w.truth["observation_end"] == "2024-06-30"


# --- schema and consistency ----------------------------------------------------------------

def test_tables_have_canonical_columns_and_types(world):
    c, t, s = world.customers, world.transactions, world.survey
    assert list(c.columns) == ["customer_id", "signup_date", "churn_date", "region", "plan",
                               *NUMERIC]
    assert list(t.columns) == ["customer_id", "timestamp", "amount", "item"]
    assert list(s.columns) == ["respondent_id", "customer_id", "date", "overall", "nps", *RATINGS]
    for col in ("signup_date", "churn_date"):
        assert pd.api.types.is_datetime64_any_dtype(c[col])
    assert pd.api.types.is_datetime64_any_dtype(t["timestamp"])
    assert pd.api.types.is_datetime64_any_dtype(s["date"])
    assert c["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert c["customer_id"].is_unique and s["respondent_id"].is_unique
    assert set(c["plan"]) == {"basic", "standard", "premium"}
    assert set(c["region"]) == {"North", "South", "East", "West"}
    assert (c["age"] >= 18).all() and (c["monthly_fee"] > 0).all()
    assert (c["usage_hours"] >= 0).all() and (c["support_tickets"] >= 0).all()


def test_truth_schema(world):
    truth = json.loads(json.dumps(world.truth))  # JSON-able
    assert truth["n_customers"] == 3000 and truth["seed"] == 7
    assert truth["observation_end"] == "2025-12-31"
    assert set(truth["hazard"]["coefficients"]) == set(COEFS)
    assert truth["hazard"]["reference_levels"] == {"plan": "basic"}
    assert truth["hazard"]["baseline"]["duration_unit"] == "days"
    assert set(truth["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(truth["gamma_gamma"]) == {"p", "q", "v"}
    assert truth["drivers"]["target"] == "overall"
    assert set(truth["drivers"]["weights"]) == set(RATINGS)
    seg = truth["segments"]
    assert len(seg["names"]) == 4 and seg["features"] == NUMERIC
    assert seg["labels_file"] == "truth_segments.csv"
    counts = world.segments.value_counts()
    assert seg["counts"] == {k: int(counts[k]) for k in seg["names"]}
    assert len(set(seg["counts"].values())) == 4  # unequal sizes
    for name in seg["names"]:
        assert seg["means"][name]["age"] == pytest.approx(
            world.customers.loc[world.segments == name, "age"].mean(), abs=1e-3)


def test_dates_and_events_are_consistent(world):
    c, t, s = world.customers, world.transactions, world.survey
    end = pd.Timestamp(world.truth["observation_end"])
    assert (c["signup_date"] < end).all()
    assert (c["signup_date"] >= pd.Timestamp("2023-01-01")).all()
    churned = c["churn_date"].notna()
    assert (c.loc[churned, "churn_date"] > c.loc[churned, "signup_date"]).all()
    assert (c.loc[churned, "churn_date"] <= end).all()
    assert 0.30 <= churned.mean() <= 0.45
    assert world.truth["hazard"]["churned_fraction"] == pytest.approx(churned.mean(), abs=1e-4)

    assert (t["timestamp"] <= end).all() and (t["amount"] >= 0.01).all()
    assert np.allclose(t["amount"], t["amount"].round(2))
    assert t.groupby("customer_id")["timestamp"].is_monotonic_increasing.all()
    first = t.groupby("customer_id")["timestamp"].min()
    signup = c.set_index("customer_id")["signup_date"]
    assert first.index.sort_values().equals(signup.index.sort_values())  # everyone bought once
    assert (first.dt.normalize() == signup.reindex(first.index)).all()

    assert set(s["customer_id"]) <= set(c["customer_id"])
    assert s["customer_id"].is_unique
    cs = s.merge(c, on="customer_id")
    assert (cs["date"] >= cs["signup_date"]).all()
    assert (cs["date"] <= cs["churn_date"].fillna(end)).all()
    for col in ["overall", *RATINGS]:
        assert s[col].between(1, 5).all() and s[col].nunique() == 5
    assert s["nps"].between(0, 10).all()
    assert stats.spearmanr(s["overall"], s["nps"])[0] > 0.5
    assert len(s) / len(c) == pytest.approx(0.40, abs=0.03)


def test_write_then_loaders_read_everything_back(world, tmp_path):
    end = world.truth["observation_end"]
    for fmt in ("csv", "parquet"):
        paths = world.write(tmp_path / fmt, fmt=fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the canonical files load without any warning
            c = data.load_customers(paths["customers"], observation_end=end, numeric=NUMERIC)
            t = data.load_transactions(paths["transactions"], observation_end=end)
            s = data.load_survey(paths["survey"], ratings=RATINGS, observation_end=end)
        pd.testing.assert_frame_equal(c.drop(columns="churned"), world.customers,
                                      check_dtype=False)
        pd.testing.assert_frame_equal(t, world.transactions[["customer_id", "timestamp", "amount"]], check_dtype=False)
        pd.testing.assert_frame_equal(s, world.survey, check_dtype=False)
        truth = json.loads(paths["truth"].read_text())
        assert truth == json.loads(json.dumps(world.truth))
        labels = pd.read_csv(paths["segments"], dtype=str)
        assert list(labels.columns) == ["customer_id", "segment"]
        assert labels["customer_id"].tolist() == world.customers["customer_id"].tolist()
        assert labels["segment"].tolist() == world.segments.tolist()


def test_default_data_is_the_documented_world():
    """``data/`` must be exactly ``make_world()`` (5,000 customers, seed 20261125)."""
    truth = json.loads((DATA_DIR / "truth.json").read_text())
    world = make_world(n_customers=truth["n_customers"], seed=truth["seed"],
                       observation_end=truth["observation_end"])
    assert truth == json.loads(json.dumps(world.truth))
    assert truth["n_customers"] == 5000 and truth["seed"] == 20261125
    end = truth["observation_end"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = data.load_customers(DATA_DIR / "customers.csv", observation_end=end, numeric=NUMERIC)
        t = data.load_transactions(DATA_DIR / "transactions.csv", observation_end=end)
        s = data.load_survey(DATA_DIR / "survey.csv", ratings=RATINGS, overall_scale=(1, 5),
                             rating_scale=(1, 5), observation_end=end)
    pd.testing.assert_frame_equal(c.drop(columns="churned"), world.customers, check_dtype=False)
    pd.testing.assert_frame_equal(t, world.transactions[["customer_id", "timestamp", "amount"]], check_dtype=False)
    pd.testing.assert_frame_equal(s, world.survey, check_dtype=False)
    labels = pd.read_csv(DATA_DIR / "truth_segments.csv", dtype=str)
    assert set(labels["customer_id"]) == set(c["customer_id"])
    assert labels["segment"].tolist() == world.segments.tolist()
    size = sum(p.stat().st_size for p in DATA_DIR.iterdir() if p.is_file())
    assert size < 8 * 2**20  # the bundled world, journey events included, stays small to clone


# --- the truth is recoverable in principle -------------------------------------------------

def test_cox_recovers_hazard_coefficients(world):
    """Cox partial likelihood (lifelines) on the generated churn: every coefficient within
    3 standard errors of the coefficient the generator used."""
    from lifelines import CoxPHFitter

    df = _durations(world.customers, world.truth["observation_end"])
    fit = CoxPHFitter().fit(df[COEFS + ["duration", "event"]], "duration", "event")
    truth = pd.Series(world.truth["hazard"]["coefficients"])
    z = (fit.params_[COEFS] - truth[COEFS]) / fit.standard_errors_[COEFS]
    assert (z.abs() < 3).all(), z
    # region has no effect: adding it must not find one
    for region in ("North", "South", "West"):
        df[f"region={region}"] = (df["region"] == region).astype(float)
    cols = COEFS + ["region=North", "region=South", "region=West"]
    fit = CoxPHFitter().fit(df[cols + ["duration", "event"]], "duration", "event")
    reg = fit.summary.loc[["region=North", "region=South", "region=West"]]
    assert (reg["coef"].abs() / reg["se(coef)"] < 3).all()


def test_weibull_baseline_is_recovered(world):
    """A Weibull PH model is a Weibull AFT model with shape rho = shape and log-scale
    intercept log(scale) (Kalbfleisch & Prentice 2002, sec. 2.3.4); lifelines'
    WeibullAFTFitter estimates both."""
    from lifelines import WeibullAFTFitter

    df = _durations(world.customers, world.truth["observation_end"])
    fit = WeibullAFTFitter().fit(df[COEFS + ["duration", "event"]], "duration", "event")
    base = world.truth["hazard"]["baseline"]
    rho = fit.summary.loc[("rho_", "Intercept")]
    lam = fit.summary.loc[("lambda_", "Intercept")]
    assert abs(np.exp(rho["coef"]) - base["shape"]) < 3 * rho["se(coef)"] * np.exp(rho["coef"])
    assert abs(lam["coef"] - np.log(base["scale"])) < 3 * lam["se(coef)"]


def test_bgnbd_closed_form_matches_direct_integration():
    """Golden check of eq. 7 of Fader, Hardie & Lee (2005) at the generator's parameters
    (a < 1, where E[1/p] is infinite but E[X(t)] is not): compare with E[X(t) | lambda, p] =
    (1 - exp(-lambda p t)) / p integrated over Gamma(r, alpha) and Beta(a, b) numerically."""
    r, alpha, a, b = (synth.BGNBD[k] for k in ("r", "alpha", "a", "b"))
    for t in (1.0, 26.0, 156.0):
        direct = integrate.quad(
            lambda p: stats.beta.pdf(p, a, b) * (1 - (alpha / (alpha + p * t)) ** r) / p,
            0, 1, limit=200)[0]
        assert _bgnbd_expected_repeats(t, r, alpha, a, b) == pytest.approx(direct, rel=1e-7)


def test_bgnbd_repeat_counts_match_closed_form():
    """Mean repeat count per customer vs E[X(T)] (FHL 2005 eq. 7) at each customer's own T,
    and the share with no repeat vs P(X(T) = 0) = (alpha / (alpha + T))^r (eq. 8, x = 0)."""
    world = make_world(n_customers=20_000, seed=3)
    tx = world.transactions
    end = pd.Timestamp(world.truth["observation_end"])
    g = tx.groupby("customer_id")["timestamp"]
    t_weeks = ((end - g.min()).dt.total_seconds() / (7 * 86_400)).to_numpy()
    repeats = (g.size() - 1).to_numpy()
    p = world.truth["bgnbd"]
    expected = _bgnbd_expected_repeats(t_weeks, p["r"], p["alpha"], p["a"], p["b"]).mean()
    assert repeats.mean() == pytest.approx(expected, rel=0.04)
    p0 = ((p["alpha"] / (p["alpha"] + t_weeks)) ** p["r"]).mean()
    assert (repeats == 0).mean() == pytest.approx(p0, abs=0.015)


def test_gamma_gamma_mean_spend():
    """E[z] = p v / (q - 1) (Fader & Hardie 2013), and per-customer spend is independent of the
    number of purchases."""
    world = make_world(n_customers=20_000, seed=4)
    gg = world.truth["gamma_gamma"]
    tx = world.transactions
    assert tx["amount"].mean() == pytest.approx(gg["p"] * gg["v"] / (gg["q"] - 1), rel=0.04)
    per = tx.groupby("customer_id")["amount"].agg(["mean", "size"])
    assert abs(stats.spearmanr(per["mean"], per["size"])[0]) < 0.05


def test_ols_recovers_driver_weights_and_their_order():
    """OLS of overall on the six ratings at about 2,000 responses: the coefficient order equals
    the order of the true weights, each within 0.04 of its weight."""
    world = make_world(n_customers=5000, seed=9)
    s = world.survey
    X = np.column_stack([np.ones(len(s)), s[RATINGS].to_numpy(float)])
    coef = pd.Series(np.linalg.lstsq(X, s["overall"].to_numpy(float), rcond=None)[0][1:],
                     index=RATINGS)
    weights = pd.Series(world.truth["drivers"]["weights"])[RATINGS]
    assert list(coef.sort_values().index) == list(weights.sort_values().index)
    assert (coef - weights).abs().max() < 0.04
    # correlated through the halo, but not collinear
    corr = s[RATINGS].corr().to_numpy()[np.triu_indices(6, 1)]
    assert 0.15 < corr.min() and corr.max() < 0.6


def test_kmeans_recovers_segments(world):
    """k-means (k = 4) on standardized age, fee, log1p usage, log1p tickets: ARI >= 0.85."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    c = world.customers
    X = np.column_stack([c["age"], c["monthly_fee"], np.log1p(c["usage_hours"]),
                         np.log1p(c["support_tickets"])])
    labels = KMeans(4, n_init=10, random_state=0).fit_predict(StandardScaler().fit_transform(X))
    assert adjusted_rand_score(world.segments, labels) >= 0.85
