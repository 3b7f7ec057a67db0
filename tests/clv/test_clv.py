"""Customer lifetime value: the RFM summary, BG/NBD, Gamma-Gamma, CLV formulas and validation."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cxlib import clv
from cxlib.core import unit_days
from cxlib.core import DataError, DataWarning

CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_log(reference_data):
    path = reference_data / "cdnow" / "CDNOW_sample.txt"
    df = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "id", "date", "cds", "dollars"])
    df["date"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df


@pytest.fixture(scope="module")
def cdnow_published(reference_data):
    return pd.read_csv(reference_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv",
                       index_col="ID")


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_log):
    cal = cdnow_log[cdnow_log["date"] <= CAL_END]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # 8 zero-dollar first purchases
        return clv.rfm_summary(cal, "id", "date", "dollars", observation_end=CAL_END, time_unit="W")


# --- rfm_summary ------------------------------------------------------------------------------

def test_rfm_summary_rebuilds_published_cdnow_summary(cdnow_summary, cdnow_published):
    """Golden: CDNOW_sample.txt summarized to 1997-09-30 equals the published summary file
    (lifetimes/datasets/cdnow_customers_summary_with_transactions.csv, the data of Fader, Hardie
    & Lee 2005), printed to 2 decimals: x exact, t_x and T in weeks = days / 7, zbar the mean of
    the repeat purchase days (half a cent of rounding allowed)."""
    s, p = cdnow_summary, cdnow_published
    assert len(s) == len(p) == 2357
    assert (s.index.to_numpy() == p.index.to_numpy()).all()
    np.testing.assert_array_equal(s["frequency"].to_numpy(), p["x"].to_numpy())
    np.testing.assert_allclose(s["recency"].to_numpy(), p["t_x"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    np.testing.assert_allclose(s["T"].to_numpy(), p["T"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    np.testing.assert_allclose(s["monetary_value"].to_numpy(), p["zbar"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    # T runs from the first purchase day to the end day: 1997-01-01 -> 1997-09-30 is 272 days.
    assert s.loc[1, "T"] == pytest.approx(272 / 7)


def test_rfm_summary_zero_amounts_warn(cdnow_log):
    cal = cdnow_log[cdnow_log["date"] <= CAL_END]
    with pytest.warns(DataWarning, match="8 rows.*amount 0"):
        clv.rfm_summary(cal, "id", "date", "dollars", observation_end=CAL_END)


def test_rfm_summary_merges_same_day_and_uses_time_unit():
    log = pd.DataFrame({
        "cust": ["a", "a", "a", "a", "b"],
        "when": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15 00:00", "2024-01-29 23:59",
                                "2024-01-10 12:00"]),
        "spend": [10.0, 5.0, 20.0, 40.0, 7.0],
    })
    s = clv.rfm_summary(log, "cust", "when", "spend", observation_end="2024-01-31", time_unit="D")
    assert s.loc["a"].to_dict() == {"frequency": 2.0, "recency": 28.0, "T": 30.0, "monetary_value": 30.0}
    assert s.loc["b"].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 21.0, "monetary_value": 0.0}
    w = clv.rfm_summary(log, "cust", "when", "spend", observation_end="2024-01-31", time_unit="W")
    assert w.loc["a", "T"] == pytest.approx(30 / 7)
    m = clv.rfm_summary(log, "cust", "when", None, observation_end="2024-01-31", time_unit="M")
    assert list(m.columns) == ["frequency", "recency", "T"]
    assert m.loc["a", "T"] == pytest.approx(30 / (365.25 / 12))


def test_rfm_summary_matches_plain_pandas_on_random_log():
    rng = np.random.default_rng(3)
    n = 3000
    log = pd.DataFrame({
        "customer_id": rng.choice([f"C{i:04d}" for i in range(300)], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 10.0, n).round(2) + 0.01,
    })
    s = clv.rfm_summary(log, observation_end="2024-12-31", time_unit="W")
    daily = log.assign(day=log["timestamp"].dt.floor("D")).groupby(["customer_id", "day"])["amount"].sum()
    daily = daily.reset_index()
    g = daily.groupby("customer_id")
    first = g["day"].transform("min")
    repeat = daily[daily["day"] > first]
    ref = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (g["day"].max() - g["day"].min()).dt.days / 7,
        "T": (pd.Timestamp("2024-12-31") - g["day"].min()).dt.days / 7,
        "monetary_value": repeat.groupby("customer_id")["amount"].mean(),
    }).fillna(0.0)
    # Customers come in order of first appearance; sort=True sorts them by id.
    assert list(s.index) == list(pd.unique(log["customer_id"]))
    pd.testing.assert_frame_equal(s.sort_index(), ref.astype(float), check_names=False, rtol=1e-12)
    sorted_ = clv.rfm_summary(log, observation_end="2024-12-31", time_unit="W", sort=True)
    pd.testing.assert_frame_equal(sorted_, ref.astype(float), check_names=False, rtol=1e-12)
    # The same log in time order (the usual export) gives the same summary.
    shuffled = log.sort_values("timestamp")
    pd.testing.assert_frame_equal(clv.rfm_summary(shuffled, observation_end="2024-12-31", sort=True), sorted_)


def test_rfm_summary_sort_orders_numeric_ids_numerically():
    log = pd.DataFrame({"customer_id": [30, 4, 4, 100],
                        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-01"]),
                        "amount": [1.0, 2.0, 3.0, 4.0]})
    assert list(clv.rfm_summary(log, time_unit="D").index) == [30, 4, 100]
    s = clv.rfm_summary(log, time_unit="D", sort=True)
    assert list(s.index) == [4, 30, 100] and s.loc[4, "frequency"] == 1 and s.loc[4, "T"] == 31


def test_calibration_and_holdout_on_cdnow(cdnow_log, cdnow_published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ch = clv.calibration_and_holdout(cdnow_log, "id", "date", "dollars", calibration_end=CAL_END,
                                         observation_end="1998-06-30", time_unit="W")
    assert len(ch) == 2357
    np.testing.assert_array_equal(ch["frequency_cal"].to_numpy(), cdnow_published["x"].to_numpy())
    assert ch["duration_holdout"].iloc[0] == pytest.approx(273 / 7)
    # Customer 1 bought once after the calibration end: 1997-12-12 for $26.48.
    assert ch.loc[1, "frequency_holdout"] == 1 and ch.loc[1, "monetary_value_holdout"] == pytest.approx(26.48)
    # Holdout purchase days counted directly from the log.
    hold = cdnow_log[cdnow_log["date"] > CAL_END]
    assert ch["frequency_holdout"].sum() == hold.drop_duplicates(["id", "date"]).shape[0]


def test_calibration_and_holdout_drops_customers_first_seen_later():
    log = pd.DataFrame({"customer_id": ["a", "a", "b"],
                        "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-15"]),
                        "amount": [1.0, 2.0, 3.0]})
    ch = clv.calibration_and_holdout(log, calibration_end="2024-02-01", observation_end="2024-03-31",
                                     time_unit="D")
    assert list(ch.index) == ["a"]
    assert ch.loc["a", "frequency_holdout"] == 1 and ch.loc["a", "T_cal"] == 31


# --- bad input ---------------------------------------------------------------------------------

def _log(**changes):
    log = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
                        "timestamp": ["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01"],
                        "amount": [10.0, 12.0, 8.0, 9.0]})
    for k, v in changes.items():
        log[k] = v
    return log


def test_rfm_summary_lists_all_missing_columns():
    with pytest.raises(DataError, match="missing columns 'when', 'spend'"):
        clv.rfm_summary(_log(), "customer_id", "when", "spend")


def test_rfm_summary_rejects_returns_with_rows():
    with pytest.raises(DataError, match=r"column 'amount': 1 row \(row 2.*negative amounts \(returns\)"):
        clv.rfm_summary(_log(amount=[10.0, -12.0, 8.0, 9.0]))


def test_rfm_summary_rejects_purchases_after_observation_end():
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 4.*after the observation end 2024-02-15"):
        clv.rfm_summary(_log(), observation_end="2024-02-15")


def test_rfm_summary_rejects_bad_dates_and_units():
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row.*expected dates"):
        clv.rfm_summary(_log(timestamp=["2024-01-01", "not a date", "2024-01-05", "2024-03-01"]))
    with pytest.raises(ValueError, match="time_unit must be one of"):
        clv.rfm_summary(_log(), time_unit="fortnight")


# --- BG/NBD --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cdnow_bgf(cdnow_published):
    return clv.BetaGeoFitter().fit(cdnow_published, "x", "t_x", "T")


@pytest.fixture(scope="module")
def cdnow_ggf(cdnow_published):
    return clv.GammaGammaFitter().fit(cdnow_published, "x", "zbar")


def test_bgnbd_cdnow_published_estimates(cdnow_bgf):
    """Golden: Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW
    2,357 customers: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4."""
    p = cdnow_bgf.params_
    assert cdnow_bgf.converged_
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert p[name] == pytest.approx(published, abs=0.0005), name
    assert cdnow_bgf.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert cdnow_bgf.n_customers_ == 2357


def test_bgnbd_cdnow_standard_errors(cdnow_bgf):
    """Golden: standard errors computed independently with lifetimes 0.11.3 BetaGeoFitter on the
    same file (autograd Hessian): r 0.01255732, alpha 0.37822146, a 0.18571907, b 0.70534534."""
    expected = {"r": 0.01255732, "alpha": 0.37822146, "a": 0.18571907, "b": 0.70534534}
    for name, se in expected.items():
        assert cdnow_bgf.standard_errors_[name] == pytest.approx(se, rel=1e-3), name
    s = cdnow_bgf.summary_
    assert list(s.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    assert (s["lower 95%"] < s["coef"]).all() and (s["coef"] < s["upper 95%"]).all()


def test_bgnbd_gradient_matches_finite_differences(cdnow_published):
    d = cdnow_published
    theta = np.log([0.3, 5.0, 0.9, 2.0])
    _, grad = clv.bgnbd_log_likelihood(np.exp(theta), d["x"], d["t_x"], d["T"], gradient=True)
    num = np.empty(4)
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-6
        num[j] = (clv.bgnbd_log_likelihood(np.exp(theta + e), d["x"], d["t_x"], d["T"])
                  - clv.bgnbd_log_likelihood(np.exp(theta - e), d["x"], d["t_x"], d["T"])) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-5)


def test_bgnbd_fast_likelihood_equals_reference(cdnow_published):
    """The fitter's compact evaluation (collapsed rows, special functions on distinct values) gives
    the same log-likelihood and gradient as the plain per-customer formula."""
    from cxlib.clv.bgnbd import _CompactSummary

    d = cdnow_published
    w = np.random.default_rng(0).integers(1, 4, len(d)).astype(float)
    compact = _CompactSummary(d["x"].to_numpy(), d["t_x"].to_numpy(), d["T"].to_numpy(), w)
    assert compact.n == w.sum() and compact.n_rows < len(d)
    for params in ([0.3, 5.0, 0.9, 2.0], [2.0, 0.5, 3.0, 0.4]):
        nll, grad = compact.nll_and_grad(np.log(params))
        ll, g = clv.bgnbd_log_likelihood(params, d["x"], d["t_x"], d["T"], w, gradient=True)
        assert -nll == pytest.approx(ll, rel=1e-12)
        np.testing.assert_allclose(-grad, g, rtol=1e-9)


def test_bgnbd_conditional_expectation_and_p_alive(cdnow_bgf):
    """Golden: FHL (2005): a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
    purchases in the next 39 weeks. P(alive) of the first customers from lifetimes 0.11.3
    (conditional_probability_alive) on the same fit: 0.72660914, 0.21222739, 1, 1, 1."""
    assert cdnow_bgf.predict_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=0.0005)
    p_alive = cdnow_bgf.predict_p_alive([2, 1, 0, 0, 0], [30.43, 1.71, 0, 0, 0], [38.86] * 5)
    np.testing.assert_allclose(p_alive, [0.72660914, 0.21222739, 1, 1, 1], rtol=1e-5)


def test_bgnbd_conditional_expectation_is_stable_for_heavy_buyers(cdnow_bgf):
    """Euler's transformation of FHL eq. 10 gives the textbook form's values where that one is
    finite and finite values where it overflows (x in the hundreds)."""
    from scipy.special import hyp2f1

    r, alpha, a, b = cdnow_bgf.params_[["r", "alpha", "a", "b"]]
    x = np.array([0.0, 1, 2, 5, 20, 60])
    t_x, T, t = np.minimum(x, 30.0), 38.86, 39.0
    z = t / (alpha + T + t)
    textbook = ((a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                * hyp2f1(r + x, b + x, a + b + x - 1, z)) * cdnow_bgf.predict_p_alive(x, t_x, T))
    np.testing.assert_allclose(cdnow_bgf.predict_purchases(t, x, t_x, T), textbook, rtol=1e-8)
    # 2000 repeat purchases, the last on the final day: alive, buying about 46 times a week.
    heavy = cdnow_bgf.predict_purchases([1, 52, 260], 2000, 38.86, 38.86)
    assert np.all(np.isfinite(heavy)) and np.all(np.diff(heavy) > 0)
    rate = (r + 2000) / (alpha + 38.86)  # posterior mean purchase rate per week
    assert heavy[0] == pytest.approx(rate, rel=0.01)
    assert heavy[2] < 260 * rate


def test_bgnbd_unconditional_expectation(cdnow_bgf):
    """Golden: E[X(t)] for CDNOW at t = 1, 3, 32 weeks: 0.0532, 0.1506, 1.0437 (Hardie's
    BG/NBD Excel note, as used in lifetimes' tests), matched to the printed 4 decimals.

    At t = 78 the printed value is 1.8576 while the exact value with these parameters is 1.8580:
    the Gauss series of 2F1 at z = 78 / 82.4 converges slowly and summing it to ~150 terms gives
    1.8576. The test checks 1.8576 to 3 decimals and the exact value against the series summed
    here to convergence (independent of scipy's hyp2f1).
    """
    e = cdnow_bgf.expected_purchases_unconditional([1, 3, 32, 78])
    np.testing.assert_allclose(e[:3], [0.0532, 0.1506, 1.0437], atol=0.00005, rtol=0)
    assert e[3] == pytest.approx(1.8576, abs=0.0005)
    r, alpha, a, b = cdnow_bgf.params_[["r", "alpha", "a", "b"]]
    z, term, series = 78 / (alpha + 78), 1.0, 1.0
    for j in range(20000):
        term *= (r + j) * (b + j) / ((a + b - 1 + j) * (j + 1)) * z
        series += term
    exact = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + 78)) ** r * series)
    assert e[3] == pytest.approx(exact, rel=1e-9)


def test_bgnbd_collapsing_and_weights_are_exact(cdnow_published, cdnow_bgf):
    counts = cdnow_published.groupby(["x", "t_x", "T"]).size().rename("n").reset_index()
    weighted = clv.BetaGeoFitter().fit(counts, "x", "t_x", "T", weights_col="n")
    np.testing.assert_allclose(weighted.params_, cdnow_bgf.params_, rtol=1e-6)
    assert weighted.n_customers_ == 2357


def test_bgnbd_time_unit_only_rescales_alpha(cdnow_published, cdnow_bgf):
    """Measuring time in days instead of weeks multiplies alpha by 7 and leaves r, a, b and the
    predictions unchanged (the rate's scale parameter carries the unit)."""
    days = cdnow_published.assign(t_x=cdnow_published["t_x"] * 7, T=cdnow_published["T"] * 7)
    bgf_d = clv.BetaGeoFitter().fit(days, "x", "t_x", "T")
    np.testing.assert_allclose(bgf_d.params_[["r", "a", "b"]], cdnow_bgf.params_[["r", "a", "b"]], rtol=1e-5)
    assert bgf_d.params_["alpha"] == pytest.approx(7 * cdnow_bgf.params_["alpha"], rel=1e-5)
    assert bgf_d.predict_purchases(39 * 7, 2, 30.43 * 7, 38.86 * 7) == pytest.approx(
        cdnow_bgf.predict_purchases(39, 2, 30.43, 38.86), rel=1e-5)


def test_bgnbd_recovers_synthetic_world():
    """Recovery: BG/NBD parameters of the synthetic world (truth.json "bgnbd", weeks) from its raw
    log via rfm_summary. Merging same-day purchases drops some purchases of the most frequent
    buyers and raises alpha by about 3%, so 3 standard errors is the bound at this size."""
    from cxlib.synth import make_world

    w = make_world(n_customers=20000, seed=1)
    s = clv.rfm_summary(w.transactions, observation_end=w.truth["observation_end"], time_unit="W")
    bgf = clv.BetaGeoFitter().fit(s)
    truth = pd.Series(w.truth["bgnbd"])[list(bgf.params_.index)]
    z = (bgf.params_ - truth) / bgf.standard_errors_
    assert (z.abs() < 3).all(), z.to_dict()
    assert np.allclose(bgf.params_, truth, rtol=0.1)


def test_bgnbd_large_data_warm_start_reaches_the_same_maximum():
    """Above 50,000 distinct rows the fit starts from a subsample and polishes with Newton steps;
    it must land on the maximum a plain L-BFGS-B run from the default start finds."""
    from cxlib.synth import make_world

    w = make_world(n_customers=90000, seed=3)
    s = clv.rfm_summary(w.transactions, observation_end=w.truth["observation_end"], time_unit="W")
    fast = clv.BetaGeoFitter().fit(s)
    plain = clv.BetaGeoFitter().fit(s, initial_params=[1.0, float(s["T"].mean()), 1.0, 1.0])
    assert fast.converged_ and plain.converged_
    np.testing.assert_allclose(fast.params_, plain.params_, rtol=1e-6)
    np.testing.assert_allclose(fast.standard_errors_, plain.standard_errors_, rtol=1e-4)
    assert fast.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-12)


def test_pareto_nbd_cdnow_published_estimates(cdnow_published):
    """Golden: Pareto/NBD on CDNOW, Fader, Hardie & Lee (2005) note "A note on implementing the
    Pareto/NBD model in MATLAB": r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669,
    LL = -9595.0. beta is barely identified (standard error about 6), so the printed 11.669 and
    the maximum at 11.668 (lifetimes 0.11.3 finds 11.6677 too) differ in the last digit; the test
    checks beta to 0.002 and that our point has the higher likelihood."""
    pnbd = clv.ParetoNBDFitter().fit(cdnow_published, "x", "t_x", "T")
    p = pnbd.params_
    assert pnbd.converged_
    for name, published in {"r": 0.553, "alpha": 10.578, "s": 0.606}.items():
        assert p[name] == pytest.approx(published, abs=0.0005), name
    assert p["beta"] == pytest.approx(11.669, abs=0.002)
    assert pnbd.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    published_ll = clv.pareto_nbd_log_likelihood([0.553, 10.578, 0.606, 11.669], cdnow_published["x"],
                                                 cdnow_published["t_x"], cdnow_published["T"])
    assert pnbd.log_likelihood_ >= published_ll
    assert pnbd.standard_errors_.notna().all()


def test_pareto_nbd_predictions(cdnow_published):
    """Independent values from lifetimes 0.11.3 ParetoNBDFitter on the same file: E[Y(39) | x=2,
    t_x=30.43, T=38.86] = 1.4551164, P(alive) of customers 1-3 = 0.86911985, 0.16787345,
    0.29509719, E[X(39)], E[X(78)] = 1.21340528, 1.90987961 (their fit differs from ours in the
    6th digit, hence rel=1e-4)."""
    pnbd = clv.ParetoNBDFitter().fit(cdnow_published, "x", "t_x", "T")
    assert pnbd.predict_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.4551164, rel=1e-4)
    np.testing.assert_allclose(pnbd.predict_p_alive([2, 1, 0], [30.43, 1.71, 0], [38.86] * 3),
                               [0.86911985, 0.16787345, 0.29509719], rtol=1e-4)
    np.testing.assert_allclose(pnbd.expected_purchases_unconditional([39, 78]), [1.21340528, 1.90987961],
                               rtol=1e-4)
    # A brand-new customer (x = t_x = T = 0): the conditional is the unconditional expectation.
    np.testing.assert_allclose(pnbd.predict_purchases([39, 78], 0, 0, 0),
                               pnbd.expected_purchases_unconditional([39, 78]), rtol=1e-10)
    with pytest.raises(DataError, match="no repeat buyers"):
        clv.ParetoNBDFitter().fit(pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [5.0, 6.0]}))


# --- Gamma-Gamma ---------------------------------------------------------------------------------

def test_gamma_gamma_cdnow_published_estimates(cdnow_ggf, cdnow_published):
    """Golden: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", 946 CDNOW repeat
    buyers: p = 6.25, q = 3.74, gamma (v) = 15.44. The maximum is at v = 15.4477 (lifetimes 0.11.3
    finds the same: p 6.24880250, q 3.74458846, v 15.44774806), printed as 15.44, so v is checked
    to 0.01 and the published point must not have a higher likelihood than ours."""
    p = cdnow_ggf.params_
    assert p["p"] == pytest.approx(6.25, abs=0.005)
    assert p["q"] == pytest.approx(3.74, abs=0.005)
    assert p["v"] == pytest.approx(15.44, abs=0.01)
    np.testing.assert_allclose(p[["p", "q", "v"]], [6.24880250, 3.74458846, 15.44774806], rtol=1e-5)
    np.testing.assert_allclose(cdnow_ggf.standard_errors_[["p", "q", "v"]],
                               [1.18968705, 0.29016562, 4.15999393], rtol=1e-3)
    rep = cdnow_published[cdnow_published["x"] > 0]
    published_ll = clv.gamma_gamma_log_likelihood([6.25, 3.74, 15.44], rep["x"], rep["zbar"])
    assert cdnow_ggf.log_likelihood_ >= published_ll
    assert cdnow_ggf.n_customers_ == 946


def test_gamma_gamma_cdnow_expected_spend(cdnow_ggf, cdnow_published):
    """Golden: conditional expected average spend of the first five CDNOW customers, Fader &
    Hardie (2013): 24.65, 18.91, 35.17, 35.17, 35.17 (printed truncated to cents: ours are
    24.6586, 18.9115, 35.1710)."""
    spend = cdnow_ggf.predict_spend(cdnow_published["x"].iloc[:5], cdnow_published["zbar"].iloc[:5])
    np.testing.assert_array_equal(np.floor(spend * 100) / 100, [24.65, 18.91, 35.17, 35.17, 35.17])
    assert spend[2] == pytest.approx(cdnow_ggf.population_mean_spend())


def test_gamma_gamma_recovers_synthetic_world():
    """Recovery: Gamma-Gamma p, q, v of the synthetic world (truth.json "gamma_gamma") from the
    repeat purchases in its raw log, within 3 standard errors."""
    from cxlib.synth import make_world

    w = make_world(n_customers=20000, seed=2)
    s = clv.rfm_summary(w.transactions, observation_end=w.truth["observation_end"], time_unit="W")
    ggf = clv.GammaGammaFitter().fit(s)
    truth = pd.Series(w.truth["gamma_gamma"])[list(ggf.params_.index)]
    z = (ggf.params_ - truth) / ggf.standard_errors_
    assert (z.abs() < 3).all(), z.to_dict()


def test_gamma_gamma_warns_when_mean_spend_is_infinite():
    # Mean spends with a very heavy right tail: the fitted q falls below 1.
    rng = np.random.default_rng(2)
    x = rng.integers(1, 4, 3000).astype(float)
    m = np.exp(rng.normal(3, 2.5, 3000))
    s = pd.DataFrame({"frequency": x, "monetary_value": m})
    with pytest.warns(clv.ConvergenceWarning, match=r"q = .* <= 1.*infinite"):
        ggf = clv.GammaGammaFitter().fit(s)
    assert ggf.population_mean_spend() == np.inf
    assert np.isnan(ggf.predict_spend([0.0], [0.0])[0])


def test_independence_check_on_cdnow(cdnow_published):
    check = clv.independence_check(cdnow_published, "x", "zbar")
    rep = cdnow_published[cdnow_published["x"] > 0]
    assert check["n"] == 946
    assert check["pearson"] == pytest.approx(np.corrcoef(rep["x"], rep["zbar"])[0, 1])
    assert 0.0 < check["pearson"] < 0.3 and "946 repeat buyers" in check["text"]


# --- fitting: bad input and convergence -----------------------------------------------------------

def test_fitters_reject_single_customer_and_no_repeat_buyers():
    one = pd.DataFrame({"frequency": [2.0], "recency": [10.0], "T": [20.0], "monetary_value": [5.0]})
    with pytest.raises(DataError, match="only 1 customer"):
        clv.BetaGeoFitter().fit(one)
    with pytest.raises(DataError, match="only 1 customer"):
        clv.GammaGammaFitter().fit(one)
    none = pd.DataFrame({"frequency": [0.0] * 5, "recency": [0.0] * 5, "T": [10.0] * 5,
                         "monetary_value": [0.0] * 5})
    with pytest.raises(DataError, match="column 'frequency': no repeat buyers"):
        clv.BetaGeoFitter().fit(none)
    with pytest.raises(DataError, match="0 repeat buyer"):
        clv.GammaGammaFitter().fit(none)


def test_fitters_reject_inconsistent_summary():
    bad = pd.DataFrame({"frequency": [1.0, 2.0, 0.0], "recency": [5.0, 30.0, 0.0], "T": [10.0, 20.0, 5.0]})
    with pytest.raises(DataError, match=r"column 'recency': 1 row \(row 2.*0 <= recency <= T"):
        clv.BetaGeoFitter().fit(bad)
    frac = bad.assign(frequency=[1.5, 2.0, 0.0], recency=[5.0, 10.0, 0.0])
    with pytest.raises(DataError, match="whole numbers"):
        clv.BetaGeoFitter().fit(frac)
    with pytest.raises(DataError, match="missing column 'monetary_value'"):
        clv.GammaGammaFitter().fit(bad)
    neg = pd.DataFrame({"frequency": [1.0, 2.0], "monetary_value": [5.0, -1.0]})
    with pytest.raises(DataError, match="mean spend <= 0"):
        clv.GammaGammaFitter().fit(neg)


def test_non_convergence_warns_with_penalizer_remedy(cdnow_published):
    with pytest.warns(clv.ConvergenceWarning, match=r"did not converge.*penalizer"):
        bgf = clv.BetaGeoFitter(max_iter=2).fit(cdnow_published, "x", "t_x", "T")
    assert not bgf.converged_


@pytest.mark.filterwarnings("ignore:.*Hessian.*not positive definite")
def test_boundary_estimates_warn():
    # Every repeat buyer bought right up to the end: nothing shows dropout, so a runs to 0.
    rng = np.random.default_rng(5)
    T = rng.uniform(20, 40, 400)
    x = rng.poisson(3, 400).astype(float)
    s = pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T, 0.0), "T": T})
    with pytest.warns(clv.ConvergenceWarning, match=r"boundary \(a=.*no customer seems to have dropped out"):
        bgf = clv.BetaGeoFitter().fit(s)
    assert not bgf.converged_


def test_penalizer_shrinks_parameters(cdnow_published, cdnow_bgf):
    pen = clv.BetaGeoFitter(penalizer=0.01).fit(cdnow_published, "x", "t_x", "T")
    assert pen.converged_
    assert np.sum(pen.params_ ** 2) < np.sum(cdnow_bgf.params_ ** 2)
    assert pen.log_likelihood_ < cdnow_bgf.log_likelihood_


# --- CLV formulas and value --------------------------------------------------------------------

def test_teaching_formulas():
    """The textbook DCF example 1000, 800, 900, 1200, 1100 at 10% is 3,749.06 with t = 1..5 (the
    source prints 3,996.99, which no discounting convention gives: t = 0..4 gives 4,123.97); the
    ratio 100 x 3 x 0.8 / 500 is 0.48 (printed as 4.8)."""
    flows = [1000, 800, 900, 1200, 1100]
    assert round(clv.dcf_clv(flows, 0.10), 2) == 3749.06
    assert round(clv.dcf_clv(flows, 0.10, start=0), 2) == 4123.97
    assert clv.dcf_clv(flows, 0.10, costs=flows) == 0.0
    assert clv.dcf_clv([110.0], 0.10, costs=[0.0]) == pytest.approx(100.0)
    assert clv.ltv_cac_ratio(100, 3, 0.8, 500) == pytest.approx(0.48)
    assert clv.simple_clv(20.0, 4.0, 1 / (1 - 0.75)) == pytest.approx(320.0)
    assert (1 + clv.monthly_rate(0.10)) ** 12 == pytest.approx(1.10)
    with pytest.raises(ValueError, match="costs has 2 values"):
        clv.dcf_clv(flows, 0.1, costs=[1, 2])


def test_customer_lifetime_value_discounting(cdnow_bgf, cdnow_ggf, cdnow_published):
    s = cdnow_published.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    spend = cdnow_ggf.predict_spend(s["frequency"], s["monetary_value"])
    undiscounted = clv.customer_lifetime_value(cdnow_bgf, cdnow_ggf, s, horizon=52, discount_rate=0.0)
    # Without discounting the monthly increments add up to E[Y(52)] x spend.
    expected = spend * cdnow_bgf.predict_purchases(52, s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-10)
    disc = clv.customer_lifetime_value(cdnow_bgf, cdnow_ggf, s, horizon=52, discount_rate=0.10, margin=0.3)
    ratio = disc / (0.3 * undiscounted)
    assert ((ratio < 1) & (ratio > 1 / 1.10)).all()
    # A single month: one increment discounted by one monthly factor.
    month = unit_days("M") / 7
    one = clv.customer_lifetime_value(cdnow_bgf, cdnow_ggf, s.iloc[:3], horizon=month, discount_rate=0.10)
    e1 = cdnow_bgf.predict_purchases(month, s["frequency"][:3], s["recency"][:3], s["T"][:3])
    np.testing.assert_allclose(one, spend[:3] * e1 / 1.10 ** (1 / 12), rtol=1e-10)


def test_score_customers_tiers_and_reading(cdnow_bgf, cdnow_ggf, cdnow_published):
    s = cdnow_published.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    s.index.name = "ID"
    table = clv.score_customers(cdnow_bgf, cdnow_ggf, s, horizon=52, margin=0.3)
    assert list(table.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value",
                                   "p_alive", "expected_purchases", "expected_spend", "clv"]
    assert len(table) == 2357 and table["clv"].gt(0).all()
    table["tier"] = clv.clv_tiers(table["clv"])
    tiers = clv.tier_summary(table)
    assert tiers["customers"].tolist() == [236, 471, 707, 943]
    assert tiers["share_of_value"].sum() == pytest.approx(1.0)
    top = clv.top_share(table["clv"], 0.1)
    assert top == pytest.approx(table["clv"].nlargest(236).sum() / table["clv"].sum())
    assert tiers.loc[0, "share_of_value"] == pytest.approx(top)
    text = clv.describe_value(table, 52, "W", acquisition_cost=50, currency="$")
    assert f"{top:.0%} of that value" in text and "acquisition cost of $50.00" in text


def test_compare_with_truth(tmp_path, cdnow_bgf, cdnow_ggf):
    truth = {"n_customers": 2357, "observation_end": "1997-09-30",
             "bgnbd": {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4}, "gamma_gamma": {"p": 6, "q": 4, "v": 15}}
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(truth))
    table = clv.compare_with_truth(cdnow_bgf, cdnow_ggf, path, n_customers=2357, observation_end=CAL_END)
    assert table["parameter"].tolist() == ["r", "alpha", "a", "b", "p", "q", "v"]
    row = table.set_index("parameter").loc["alpha"]
    assert row["z"] == pytest.approx((cdnow_bgf.params_["alpha"] - 4.0) / cdnow_bgf.standard_errors_["alpha"])
    # In days the true alpha (given in weeks) is 7 times larger.
    days = clv.compare_with_truth(cdnow_bgf, cdnow_ggf, path, 2357, CAL_END, time_unit="D")
    assert days.set_index("parameter").loc["alpha", "truth"] == pytest.approx(28.0)
    # Another data set, or no file: nothing to compare.
    assert clv.compare_with_truth(cdnow_bgf, cdnow_ggf, path, n_customers=5000, observation_end=CAL_END) is None
    with pytest.raises(DataError, match="truth file not found"):  # a named file must exist
        clv.compare_with_truth(cdnow_bgf, cdnow_ggf, tmp_path / "none.json", 2357, CAL_END)
    assert clv.compare_with_truth(cdnow_bgf, cdnow_ggf, "", 2357, CAL_END) is None


# --- holdout validation --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cdnow_holdout(cdnow_log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return clv.calibration_and_holdout(cdnow_log, "id", "date", "dollars", calibration_end=CAL_END,
                                           observation_end="1998-06-30")


def test_holdout_by_frequency_and_errors(cdnow_bgf, cdnow_holdout):
    by = clv.holdout_by_frequency(cdnow_bgf, cdnow_holdout)
    assert by["frequency_cal"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert by["customers"].sum() == 2357
    # Mean holdout purchases rise with calibration frequency, in the data and in the model.
    assert by["predicted"].is_monotonic_increasing and by["actual"].iloc[-1] > 5 * by["actual"].iloc[0]
    err = clv.holdout_errors(cdnow_bgf, cdnow_holdout)
    assert err["actual_total"] == cdnow_holdout["frequency_holdout"].sum()
    assert err["correlation"] > 0.5 and abs(err["total_error_pct"]) < 20
    assert err["rmse"] >= err["mae"] > 0
    # The model beats "the same purchase rate as before" (which ignores dropout) per customer.
    x, T = cdnow_holdout["frequency_cal"], cdnow_holdout["T_cal"]
    naive = x / T * cdnow_holdout["duration_holdout"]
    assert err["mae_naive"] == pytest.approx(np.mean(np.abs(naive - cdnow_holdout["frequency_holdout"])))
    assert err["mae"] < err["mae_naive"]
    assert "naive forecast" in clv.describe_holdout(err, 39, "W")


def test_cumulative_tracking_on_cdnow(cdnow_bgf, cdnow_log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        track = clv.cumulative_tracking(cdnow_bgf, cdnow_log, "id", "date", calibration_end=CAL_END,
                                        observation_end="1998-06-30", time_unit="W")
    assert len(track) == 78 and track["holdout"].sum() == 40
    assert track["actual"].is_monotonic_increasing and track["predicted"].is_monotonic_increasing
    # All repeat purchase days of the cohort (everyone in CDNOW bought first in 1997 Q1).
    daily = cdnow_log.drop_duplicates(["id", "date"])
    assert track["actual"].iloc[-1] == len(daily) - daily["id"].nunique()
    # At the calibration end the model tracks the actual within 5%.
    at_cal = track[~track["holdout"]].iloc[-1]
    assert at_cal["predicted"] == pytest.approx(at_cal["actual"], rel=0.05)



def test_describe_holdout_by_frequency_names_the_largest_gap():
    table = pd.DataFrame({"frequency_cal": ["0", "1", "2", "7+"], "customers": [500, 200, 100, 10],
                          "actual": [0.2, 0.7, 1.4, 6.0], "predicted": [0.21, 0.52, 1.35, 3.0]})
    text = clv.describe_holdout_by_frequency(table)
    # The 7+ bucket has too few customers to count; bucket 1 is off by -26%.
    assert "3 buckets" in text and "bucket 1 (predicted 0.52 against 0.70, -26%)" in text
    assert "under-predicts the buckets 1." in text and "over-predicts" not in text
    close = table.assign(predicted=table["actual"] * 1.05)
    assert "No bucket is off by more than 10%" in clv.describe_holdout_by_frequency(close)


def test_describe_model_comparison_orders_by_log_likelihood():
    table = pd.DataFrame({"model": ["BG/NBD", "Pareto/NBD"], "log_likelihood": [-9582.43, -9594.98],
                          "predicted_total": [1653.4, 1665.5], "actual_total": [1882.0, 1882.0],
                          "total_error_pct": [-12.15, -11.50], "mae": [0.785, 0.755],
                          "correlation": [0.626, 0.630]})
    text = clv.describe_model_comparison(table)
    assert text.startswith("BG/NBD fits the calibration data better")
    assert "-9,582.4 against -9,595.0" in text and "12.5 units apart" in text
    assert "(Pareto/NBD is closer)" in text
    swapped = table.assign(log_likelihood=[-9600.0, -9599.5])
    assert clv.describe_model_comparison(swapped).startswith("Pareto/NBD fits")
    assert "negligible" in clv.describe_model_comparison(swapped)


def test_value_concentration_labels_a_share_without_currency():
    import matplotlib

    matplotlib.use("Agg")
    from cxlib import core as config
    from cxlib.clv import plots as clv_plots

    config.set_theme()  # the theme draws patch edges in white
    fig = clv_plots.value_concentration(np.arange(1.0, 101.0), "$")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "share of total CLV (%)"
    arrow = [c for c in ax.get_children() if type(c).__name__ == "Annotation"][0].arrow_patch
    assert arrow.get_edgecolor()[:3] != (1.0, 1.0, 1.0)  # visible on a white background


def test_bgnbd_probability_of_purchases_is_a_distribution_with_the_right_mean(cdnow_bgf):
    """P(X(t) = x) (FHL 2005, eq. 8) sums to 1 over x and its mean is E[X(t)] (eq. 9)."""
    t = np.array([0.0, 1.0, 38.86, 78.0])
    probs = np.array([cdnow_bgf.probability_of_purchases(x, t) for x in range(400)])
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, rtol=1e-10)
    np.testing.assert_allclose(probs.T @ np.arange(400), cdnow_bgf.expected_purchases_unconditional(t),
                               rtol=1e-8, atol=1e-12)
    assert cdnow_bgf.probability_of_purchases(0, 0.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        cdnow_bgf.probability_of_purchases(-1, 1.0)


def test_frequency_fit_on_cdnow(cdnow_bgf, cdnow_published):
    """FHL (2005, Fig. 1): the calibration frequencies of CDNOW are reproduced closely."""
    summary = cdnow_published.rename(columns={"x": "frequency", "t_x": "recency"})
    table = clv.frequency_fit(cdnow_bgf, summary)
    assert table["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["actual"].sum() == len(summary) == pytest.approx(table["expected"].sum())
    assert table["actual"].iloc[0] == (summary["frequency"] == 0).sum() == 1411
    assert (table["expected"] > 0).all()
    np.testing.assert_allclose(table["expected"], table["actual"], rtol=0.15)
    text = clv.describe_frequency_fit(table)
    assert "at most" in text and "customers would have to move" in text


def test_cumulative_tracking_figure_has_a_per_period_panel_without_the_partial_last_period():
    import matplotlib

    matplotlib.use("Agg")
    from cxlib.clv import plots as clv_plots

    dates = pd.to_datetime(["2025-01-07", "2025-01-14", "2025-01-21", "2025-01-23"])
    track = pd.DataFrame({"period": [1, 2, 3, 4], "date": dates, "actual": [2.0, 5.0, 9.0, 10.0],
                          "predicted": [2.5, 5.5, 8.5, 9.5], "holdout": [False, False, True, True]})
    fig = clv_plots.cumulative_tracking(track, "W")
    top, bottom = fig.axes
    np.testing.assert_allclose(top.lines[0].get_ydata(), [2, 5, 9, 10])
    # Per week: 2, 3, 4; the two-day stub at the end is left out.
    np.testing.assert_allclose(bottom.lines[0].get_ydata(), [2, 3, 4])
    np.testing.assert_allclose(bottom.lines[1].get_ydata(), [2.5, 3, 3])
    assert "per week" in bottom.get_ylabel() and top.get_title()


# --- rfm_summary: the same summary whatever the layout of the id column and the row order ----

def _rfm_log(rng, n, ids):
    ts = pd.Timestamp("1969-11-01") + pd.to_timedelta(rng.integers(0, 500 * 24 * 60, n), unit="min")
    return pd.DataFrame({"customer_id": ids[rng.integers(0, len(ids), n)], "timestamp": ts,
                         "amount": rng.gamma(2.0, 10.0, n).round(2) + 0.01})


def _copied_ids(log):
    """The log with a separate string object in every row (no shared id objects)."""
    out = log.copy()
    out["customer_id"] = np.array(["".join(list(s)) for s in log["customer_id"]], dtype=object)
    return out


@pytest.mark.parametrize("order", ["random", "time", "customer", "customer, days shuffled"])
def test_rfm_summary_same_for_shared_and_separate_id_objects(order):
    rng = np.random.default_rng(11)
    ids = np.array([f"C{i:05d}" for i in rng.permutation(400)] + ["é", "日本語", "Zoë", "a b", "aa" * 20],
                   dtype=object)
    log = _rfm_log(rng, 6000, ids)
    if order == "time":
        log = log.sort_values("timestamp", kind="stable")
    elif order == "customer":
        log = log.sort_values(["customer_id", "timestamp"], kind="stable")
    elif order == "customer, days shuffled":
        log = log.sort_values("customer_id", kind="stable")
    log = log.reset_index(drop=True)
    # Some rows with their own copy of an id: equal text, different objects.
    partly = log.copy()
    ids_col = partly["customer_id"].to_numpy().copy()
    ids_col[::7] = np.array(["".join(list(s)) for s in ids_col[::7]], dtype=object)
    partly["customer_id"] = ids_col
    for sort in (False, True):
        ref = clv.rfm_summary(_copied_ids(log), observation_end="1971-06-30", sort=sort)
        assert len(ref) == len(ids)
        for frame in (log, partly):
            pd.testing.assert_frame_equal(clv.rfm_summary(frame, observation_end="1971-06-30", sort=sort), ref)
        ref_h = clv.calibration_and_holdout(_copied_ids(log), calibration_end="1970-09-30",
                                            observation_end="1971-06-30", sort=sort)
        pd.testing.assert_frame_equal(
            clv.calibration_and_holdout(log, calibration_end="1970-09-30", observation_end="1971-06-30",
                                        sort=sort), ref_h)
    sorted_ids = sorted(ids)
    assert list(clv.rfm_summary(log, sort=True).index) == sorted_ids
    assert list(clv.rfm_summary(log).index) == list(pd.unique(log["customer_id"]))


def test_rfm_summary_floors_days_in_any_datetime_unit():
    rng = np.random.default_rng(5)
    log = _rfm_log(rng, 2000, np.array([f"id{i}" for i in range(150)], dtype=object))
    ref = clv.rfm_summary(log, observation_end="1971-06-30", time_unit="D")
    for unit in ("s", "ms", "us"):
        other = log.assign(timestamp=log["timestamp"].astype(f"datetime64[{unit}]"))
        pd.testing.assert_frame_equal(clv.rfm_summary(other, observation_end="1971-06-30", time_unit="D"), ref)
    # Before 1970 too, a purchase belongs to its calendar day.
    days = log["timestamp"].dt.floor("D")
    first = days.groupby(log["customer_id"]).min()
    assert (ref["T"] == (pd.Timestamp("1971-06-30") - first.reindex(ref.index)).dt.days).all()


def test_fitting_on_a_sample_stays_close_to_the_full_fit_and_scores_everyone():
    """max_fit_rows: BG/NBD and Gamma-Gamma on a seeded half of a synthetic world land within a
    few standard errors of the full fit (and of the truth); every customer is scored, in chunks."""
    from cxlib.synth import make_world

    w = make_world(n_customers=6000, seed=12)
    s = clv.rfm_summary(w.transactions, observation_end=w.truth["observation_end"], time_unit="W")
    sample = clv.fit_sample(s, 3000, seed=5)
    assert len(sample) == 3000 and sample.index.is_unique and sample.index.isin(s.index).all()
    assert sample.index.equals(clv.fit_sample(s, 3000, seed=5).index)  # seeded: the same customers
    assert not sample.index.equals(clv.fit_sample(s, 3000, seed=6).index)
    assert clv.fit_sample(s, 0) is s and clv.fit_sample(s, len(s) + 1) is s
    full_bgf, part_bgf = clv.BetaGeoFitter().fit(s), clv.BetaGeoFitter().fit(sample)
    full_ggf, part_ggf = clv.GammaGammaFitter().fit(s), clv.GammaGammaFitter().fit(sample)
    for full, part, truth in ((full_bgf, part_bgf, w.truth["bgnbd"]), (full_ggf, part_ggf, w.truth["gamma_gamma"])):
        # the sample's own standard errors measure how far it may be from the full fit
        z = (part.params_ - full.params_) / part.standard_errors_
        assert (z.abs() < 3).all(), z.to_dict()
        z_truth = (part.params_ - pd.Series(truth)[list(part.params_.index)]) / part.standard_errors_
        assert (z_truth.abs() < 4).all(), z_truth.to_dict()
    whole = clv.score_customers(part_bgf, part_ggf, s, horizon=26, margin=0.3)
    chunked = clv.score_customers(part_bgf, part_ggf, s, horizon=26, margin=0.3, chunk_rows=1000)
    assert len(chunked) == len(s) and chunked["customer_id"].tolist() == list(s.index)
    pd.testing.assert_frame_equal(chunked, whole)
    with pytest.raises(ValueError, match="max_rows must be 0"):
        clv.fit_sample(s, -1)


def test_outlier_effect_compares_value_with_and_without_capping(cdnow_bgf, cdnow_ggf, cdnow_published):
    summary = cdnow_published.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    table = clv.score_customers(cdnow_bgf, cdnow_ggf, summary, horizon=39, margin=0.3)
    double = table.assign(clv=2 * table["clv"])
    effect = clv.outlier_effect(double, table, cdnow_ggf, cdnow_ggf).set_index("quantity")
    assert effect.loc["total CLV", "change_pct"] == pytest.approx(-50.0)
    assert effect.loc["mean CLV", "flagged_capped"] == pytest.approx(table["clv"].mean())
    assert effect.loc["Gamma-Gamma mean spend", "change_pct"] == pytest.approx(0.0)
    text = clv.describe_outlier_effect(effect.reset_index(), 3, 900.0, "$")
    assert "3 purchases are above the outlier limit of $900.00" in text and "(-50.0%)" in text
    assert "No purchase amount is above" in clv.describe_outlier_effect(effect.reset_index(), 0, 900.0)
