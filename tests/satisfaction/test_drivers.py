"""Key-driver regression (OLS with HC3, ordinal logit) and the validation of driver data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlib.core import DataError, DataWarning
from cxlib.satisfaction import DriverModel, OrdinalDriverModel, driver_frame, rank_agreement
from cxlib.synth import make_world

PARK_DRIVERS = ["rides", "games", "wait", "clean"]


@pytest.fixture(scope="module")
def park(reference_data):
    return pd.read_csv(reference_data / "satisfaction" / "chapter7_data.csv")


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=5000, seed=3)


def test_ols_matches_published_single_driver_model(park):
    """Schwarz, Chapman & Feit (2020), Python for Marketing Research and Analytics, ch. 7 notebook:
    overall ~ rides gives "-27.9869 + 1.2887*95"; R^2 0.4066 (satisfaction/SOURCE.md)."""
    m = DriverModel(scale=(0, 100)).fit(park, "overall", ["rides"])
    assert m.params_["Intercept"] == pytest.approx(-27.9869, abs=5e-5)
    assert m.params_["rides"] == pytest.approx(1.2887, abs=5e-5)
    assert m.r2_ == pytest.approx(0.4066, abs=5e-5)


def test_ols_matches_the_recorded_four_driver_fit(park):
    """satisfaction/SOURCE.md (recomputed from the book's data): overall ~ rides + games + wait +
    clean: intercept -53.609, rides 0.4256, games 0.1861, wait 0.3842, clean 0.6205, R^2 0.5951."""
    m = DriverModel(scale=(0, 100)).fit(park, "overall", PARK_DRIVERS)
    assert m.params_["Intercept"] == pytest.approx(-53.609, abs=5e-4)
    np.testing.assert_allclose(m.summary_["coef"], [0.4256, 0.1861, 0.3842, 0.6205], atol=5e-5)
    assert m.r2_ == pytest.approx(0.5951, abs=5e-5)


def test_hc3_standardized_coefficients_and_vif_agree_with_independent_formulas(park):
    m = DriverModel().fit(park, "overall", PARK_DRIVERS)
    x = park[PARK_DRIVERS].astype(float)
    y = park["overall"].astype(float)
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    # HC3 by hand: (X'X)^-1 X' diag(e^2 / (1-h)^2) X (X'X)^-1
    xm = sm.add_constant(x).to_numpy()
    xtx_inv = np.linalg.inv(xm.T @ xm)
    h = np.einsum("ij,jk,ik->i", xm, xtx_inv, xm)
    meat = xm.T @ (xm * (ref.resid.to_numpy() ** 2 / (1 - h) ** 2)[:, None])
    se = np.sqrt(np.diag(xtx_inv @ meat @ xtx_inv))[1:]
    np.testing.assert_allclose(m.summary_["se"], se, rtol=1e-10)
    # standardized coefficients = OLS on z-scores
    z = (park[PARK_DRIVERS + ["overall"]] - park[PARK_DRIVERS + ["overall"]].mean()) / \
        park[PARK_DRIVERS + ["overall"]].std()
    zfit = sm.OLS(z["overall"], z[PARK_DRIVERS]).fit()
    np.testing.assert_allclose(m.summary_["std_coef"], zfit.params, rtol=1e-10)
    # VIF = 1 / (1 - R^2 of the driver on the others)
    for d in PARK_DRIVERS:
        others = [o for o in PARK_DRIVERS if o != d]
        r2 = sm.OLS(x[d], sm.add_constant(x[others])).fit().rsquared
        assert m.summary_.loc[d, "vif"] == pytest.approx(1 / (1 - r2), rel=1e-10)
    assert set(m.diagnostics_) >= {"breusch_pagan_p", "jarque_bera_p", "max_cooks_distance"}
    assert "R^2 = 0.595" in m.describe_diagnostics()
    res = m.residuals(park)
    assert np.allclose(res["residual"], ref.resid)


def test_ols_recovers_synthetic_weights_in_order(world):
    """overall = cut(sum w_i * rating_i + noise) with truth["drivers"]["weights"]; the OLS
    coefficients come back in the same order and close to the weights (the 1-5 cut-points are
    one apart, so the slopes are on the weights' scale)."""
    weights = world.truth["drivers"]["weights"]
    m = DriverModel(scale=(1, 5), driver_scale=(1, 5)).fit(world.survey, "overall", list(weights))
    order = m.summary_["coef"].sort_values(ascending=False).index.tolist()
    assert order == sorted(weights, key=weights.get, reverse=True)
    np.testing.assert_allclose(m.summary_["coef"], list(weights.values()), atol=0.04)


def test_ordinal_logit_ranks_like_ols(world):
    weights = world.truth["drivers"]["weights"]
    drivers = list(weights)
    ols = DriverModel().fit(world.survey, "overall", drivers)
    ordinal = OrdinalDriverModel().fit(world.survey, "overall", drivers)
    assert ordinal.converged_
    assert len(ordinal.thresholds_) == world.survey["overall"].nunique() - 1
    assert rank_agreement(ols.summary_["std_coef"], ordinal.summary_["std_coef"]) > 0.85
    assert (ordinal.summary_["odds_ratio"] > 1).all()


def test_ordinal_logit_refuses_a_hundred_point_target(park):
    with pytest.raises(DataError, match="distinct values"):
        OrdinalDriverModel().fit(park, "overall", PARK_DRIVERS)


# --- bad input -----------------------------------------------------------------------------

def _small(n=30, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(1, 6, size=(n, 3)), columns=["a", "b", "c"])
    df["overall"] = rng.integers(1, 6, size=n)
    return df


def test_constant_driver_names_the_column():
    df = _small()
    df["b"] = 4
    with pytest.raises(DataError, match=r"column 'b'.*same value \(4\).*drop it"):
        DriverModel().fit(df, "overall", ["a", "b", "c"])


def test_target_off_the_scale_names_rows():
    df = _small()
    df.loc[[2, 7], "overall"] = [6, 0]
    with pytest.raises(DataError, match=r"column 'overall'.*2 rows \(row 3.*row 8.*outside the scale \[1, 5\]"):
        DriverModel(scale=(1, 5)).fit(df, "overall", ["a", "b", "c"])


def test_fewer_respondents_than_drivers():
    df = _small(n=4)
    with pytest.raises(DataError, match="only 4 complete respondent.*3 driver.*at least 5"):
        DriverModel().fit(df, "overall", ["a", "b", "c"])


def test_missing_answers_are_dropped_listwise_with_a_warning():
    df = _small(n=40).astype(float)
    df.loc[[0, 5, 9], "b"] = np.nan
    df.loc[9, "overall"] = np.nan
    with pytest.warns(DataWarning, match=r"3 rows .*missing answer.*b: 3, overall: 1.*37 complete"):
        data = driver_frame(df, "overall", ["a", "b", "c"])
    assert len(data) == 37


def test_too_many_missing_answers_is_an_error():
    df = _small(n=8).astype(float)
    df.loc[:5, "a"] = np.nan
    with pytest.raises(DataError, match="only 2 complete"):
        driver_frame(df, "overall", ["a", "b", "c"])


def test_text_in_a_rating_column_is_reported():
    df = _small().astype(object)
    df.loc[4, "c"] = "five"
    with pytest.raises(DataError, match=r"column 'c'.*row 5.*expected numbers"):
        driver_frame(df, "overall", ["a", "b", "c"])


def test_collinear_drivers_are_named():
    df = _small()
    df["d"] = df["a"] + df["b"]
    with pytest.raises(DataError, match="column 'd'.*linear combination"):
        driver_frame(df, "overall", ["a", "b", "d"])


def test_missing_column_and_duplicates():
    df = _small()
    with pytest.raises(DataError, match="missing column 'zz'"):
        driver_frame(df, "overall", ["a", "zz"])
    with pytest.raises(DataError, match="listed twice"):
        driver_frame(df, "overall", ["a", "a"])


def test_clean_data_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        driver_frame(_small(), "overall", ["a", "b", "c"], scale=(1, 5), driver_scale=(1, 5))
