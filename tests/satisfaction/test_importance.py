"""Relative importance: LMG / Shapley decomposition of R^2 and Johnson's relative weights."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlib.core import DataError
from cxlib.satisfaction.importance import (MAX_LMG_DRIVERS, RelativeImportance, all_subsets_r2,
                              bootstrap_correlations, lmg_from_corr, relative_weights_from_corr)
from cxlib.synth import make_world


@pytest.fixture(scope="module")
def mtcars(reference_data):
    return pd.read_csv(reference_data / "keydriver" / "mtcars.csv", index_col=0)


def test_lmg_matches_relaimpo_on_mtcars(mtcars):
    """R relaimpo::calc.relimp(mpg ~ am + vs + cyl, type = "lmg") on datasets::mtcars gives
    am 0.1774892, vs 0.2027032, cyl 0.3817849 and R^2 0.7619773 (keydriver/SOURCE.md; domir README).
    """
    fit = RelativeImportance("lmg", n_bootstrap=0).fit(mtcars, "mpg", ["am", "vs", "cyl"])
    np.testing.assert_allclose(fit.importance_.to_numpy(), [0.1774892, 0.2027032, 0.3817849],
                               atol=5e-7)
    assert fit.r2_ == pytest.approx(0.7619773, abs=5e-7)
    assert fit.share_.sum() == pytest.approx(1.0)
    assert list(fit.summary_.index) == ["cyl", "vs", "am"]


def test_johnson_weights_match_rwa_on_mtcars(mtcars):
    """R package rwa, rwa(mtcars, "mpg", c("cyl", "disp", "hp", "gear")): raw weights cyl 0.2284797,
    disp 0.2221469, hp 0.2321744, gear 0.0963886; R^2 0.7791896; rescaled % 29.32274, 28.50999,
    29.79691, 12.37037 (keydriver/SOURCE.md, rwa README).
    """
    fit = RelativeImportance("johnson", n_bootstrap=0).fit(mtcars, "mpg", ["cyl", "disp", "hp", "gear"])
    np.testing.assert_allclose(fit.importance_.to_numpy(),
                               [0.2284797, 0.2221469, 0.2321744, 0.0963886], atol=5e-7)
    assert fit.r2_ == pytest.approx(0.7791896, abs=5e-7)
    np.testing.assert_allclose(100 * fit.share_.to_numpy(), [29.32274, 28.50999, 29.79691, 12.37037],
                               atol=5e-5)


def test_lmg_equals_average_over_orderings_of_ols_fits(mtcars):
    """Independent computation: the definition of LMG as the mean sequential R^2 gain over all
    p! orders of entry, each R^2 from a separate statsmodels OLS fit."""
    drivers = ["cyl", "disp", "hp", "wt"]
    y = mtcars["mpg"]

    def r2(cols):
        return sm.OLS(y, sm.add_constant(mtcars[list(cols)])).fit().rsquared if cols else 0.0

    gains = {d: [] for d in drivers}
    for order in permutations(drivers):
        for k, d in enumerate(order):
            gains[d].append(r2(order[:k + 1]) - r2(order[:k]))
    expected = [np.mean(gains[d]) for d in drivers]
    fit = RelativeImportance("lmg", n_bootstrap=0).fit(mtcars, "mpg", drivers)
    np.testing.assert_allclose(fit.importance_.to_numpy(), expected, rtol=1e-10)
    assert fit.r2_ == pytest.approx(r2(drivers), rel=1e-12)


def test_all_subsets_r2_matches_ols(mtcars):
    cols = ["cyl", "disp", "hp", "mpg"]
    r2 = all_subsets_r2(np.corrcoef(mtcars[cols].to_numpy(), rowvar=False))
    code = 0b101  # cyl and hp
    expected = sm.OLS(mtcars["mpg"], sm.add_constant(mtcars[["cyl", "hp"]])).fit().rsquared
    assert r2[code] == pytest.approx(expected, rel=1e-12)
    assert r2[0] == 0.0


def test_batched_corr_gives_the_same_as_one_at_a_time(mtcars):
    values = mtcars[["am", "vs", "cyl", "wt", "mpg"]].to_numpy()
    rng = np.random.default_rng(3)
    stack = np.concatenate(list(bootstrap_correlations(values, 5, rng, batch=2)))
    assert stack.shape == (5, 5, 5)
    batched = lmg_from_corr(stack)
    single = np.array([lmg_from_corr(c) for c in stack])
    np.testing.assert_allclose(batched, single, rtol=1e-12)
    np.testing.assert_allclose(relative_weights_from_corr(stack).sum(axis=1), batched.sum(axis=1),
                               rtol=1e-10)


def test_bootstrap_correlation_is_the_correlation_of_the_resampled_rows():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 3))
    corr = next(bootstrap_correlations(values, 1, np.random.default_rng(7), batch=1))[0]
    # the same draw, made by hand: resample the row indices and correlate the copies
    idx = np.random.default_rng(7).integers(0, 50, 50)
    np.testing.assert_allclose(corr, np.corrcoef(values[idx], rowvar=False), atol=1e-12)


def test_bootstrap_intervals_cover_the_estimate_and_are_reproducible(mtcars):
    a = RelativeImportance("lmg", n_bootstrap=60, seed=11).fit(mtcars, "mpg", ["am", "vs", "cyl"])
    b = RelativeImportance("lmg", n_bootstrap=60, seed=11).fit(mtcars, "mpg", ["am", "vs", "cyl"])
    pd.testing.assert_frame_equal(a.summary_, b.summary_)
    s = a.summary_
    assert (s["ci_lower"] <= s["importance"]).all() and (s["importance"] <= s["ci_upper"]).all()
    assert (s["ci_upper"] - s["ci_lower"] > 0.01).all()
    assert s["rank_stability"].between(0, 1).all()
    assert a.bootstrap_.shape == (60, 3)
    np.testing.assert_allclose(a.bootstrap_.sum(axis=1).mean(), a.r2_, rtol=0.15)


def test_bootstrap_interval_covers_the_population_lmg():
    """Coverage check: draw many samples from a population with known correlations, whose LMG
    follows from the population correlation matrix; the 90% percentile intervals should cover it
    in roughly 90% of samples."""
    rng = np.random.default_rng(21)
    rxx = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    beta = np.array([0.5, 0.3, 0.1])
    var_y = beta @ rxx @ beta + 0.6
    cov = np.block([[rxx, (rxx @ beta)[:, None]], [(rxx @ beta)[None, :], np.array([[var_y]])]])
    sd = np.sqrt(np.diag(cov))
    truth = lmg_from_corr(cov / np.outer(sd, sd))
    hits = []
    for k in range(120):
        data = pd.DataFrame(rng.multivariate_normal(np.zeros(4), cov, size=200),
                            columns=["a", "b", "c", "y"])
        fit = RelativeImportance("lmg", n_bootstrap=100, confidence=0.9, seed=k).fit(
            data, "y", ["a", "b", "c"])
        s = fit.summary_.loc[["a", "b", "c"]]
        hits.append(((s["ci_lower"] <= truth) & (truth <= s["ci_upper"])).to_numpy())
    coverage = np.mean(hits, axis=0)
    assert np.all((coverage > 0.8) & (coverage < 0.97)), coverage


@pytest.mark.parametrize("method", ["lmg", "johnson"])
def test_recovers_the_synthetic_driver_order(method):
    """The synthetic survey's overall score is built from the ratings with known weights
    (truth["drivers"]["weights"]); with ~2,000 responses the importance ranking reproduces them."""
    world = make_world(n_customers=5000, seed=3)
    weights = world.truth["drivers"]["weights"]
    truth_order = sorted(weights, key=weights.get, reverse=True)
    fit = RelativeImportance(method, n_bootstrap=0).fit(world.survey, "overall", list(weights))
    assert list(fit.summary_.index) == truth_order
    assert 0.5 < fit.r2_ < 0.95


def test_lmg_is_exact_for_fifteen_drivers_and_refuses_more():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 16))
    df = pd.DataFrame(x, columns=[f"d{i}" for i in range(16)])
    df["y"] = x[:, :15] @ np.linspace(1.5, 0.1, 15) + rng.normal(size=400)
    fit = RelativeImportance("lmg", n_bootstrap=0).fit(df, "y", [f"d{i}" for i in range(MAX_LMG_DRIVERS)])
    assert fit.importance_.sum() == pytest.approx(fit.r2_)
    assert fit.summary_.index[0] == "d0"
    with pytest.raises(DataError, match="limited to 15"):
        RelativeImportance("lmg", n_bootstrap=0).fit(df, "y", [f"d{i}" for i in range(16)])
    # Johnson's weights have no such limit
    jw = RelativeImportance("johnson", n_bootstrap=0).fit(df, "y", [f"d{i}" for i in range(16)])
    assert jw.importance_.sum() == pytest.approx(fit.r2_, abs=0.01)


def test_constant_driver_is_refused():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.integers(1, 6, 40), "b": 3, "y": rng.integers(1, 6, 40)})
    with pytest.raises(DataError, match="column 'b'.*same value"):
        RelativeImportance(n_bootstrap=0).fit(df, "y", ["a", "b"])
