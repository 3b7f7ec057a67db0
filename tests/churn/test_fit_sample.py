"""max_fit_rows: the models fit on a seeded random sample of the customers, every active customer
is still scored, in chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib import churn
from cxlib.core import DataError

COVARIATES = ["age", "monthly_fee", "usage_hours", "support_tickets", "plan"]


@pytest.fixture(scope="module")
def world():
    from cxlib.synth import make_world

    return make_world(n_customers=8000, seed=11, journey=False)


@pytest.fixture(scope="module")
def data(world):
    return churn.prepare_churn_data(
        world.customers, signup_col="signup_date", churn_col="churn_date",
        observation_end=world.truth["observation_end"], id_col="customer_id",
        covariates=COVARIATES, group_col="plan", time_unit="months")


def test_the_sample_is_seeded_random_and_only_taken_when_there_are_more_customers(data):
    sample = churn.fit_sample(data, 3000, seed=5)
    assert len(sample) == 3000 and sample.index.is_unique and sample.index.isin(data.index).all()
    assert sample.index.is_monotonic_increasing  # the table's order, and its row labels
    assert sample.index.equals(churn.fit_sample(data, 3000, seed=5).index)  # seeded
    assert not sample.index.equals(churn.fit_sample(data, 3000, seed=6).index)
    assert sample.attrs["categorical"] == ["plan"] and sample.attrs["source"] == data.attrs["source"]
    assert churn.fit_sample(data, 0) is data and churn.fit_sample(data, len(data)) is data
    # random, not the first rows: the churn share is that of the whole table within sampling error
    share, n = data["event"].mean(), len(sample)
    se = np.sqrt(share * (1 - share) / n * (1 - n / len(data)))
    assert abs(sample["event"].mean() - share) < 4 * se
    with pytest.raises(ValueError, match="max_rows must be 0"):
        churn.fit_sample(data, -1)


def test_cox_and_kaplan_meier_on_the_sample_stay_within_their_standard_errors(world, data):
    """A sample of n of the N customers: its estimate minus the full one has a variance of about
    se_sample^2 - se_full^2 (the full data contain the sample), and its own standard error
    measures its distance from the truth. Three such standard deviations bound every
    coefficient."""
    sample = churn.fit_sample(data, 3000, seed=5)
    full = churn.CoxChurnModel().fit(data, COVARIATES).summary_.set_index("covariate")
    part = churn.CoxChurnModel().fit(sample, COVARIATES).summary_.set_index("covariate")
    assert part["se"].gt(full["se"]).all()
    spread = np.sqrt(part["se"] ** 2 - full["se"] ** 2)
    z_full = (part["coef"] - full["coef"]) / spread
    assert (z_full.abs() < 3).all(), z_full.to_dict()
    truth = pd.Series(world.truth["hazard"]["coefficients"])
    z_truth = (part["coef"] - truth[part.index]) / part["se"]
    assert (z_truth.abs() < 3).all(), z_truth.to_dict()
    # the standard errors grow as sqrt(N / n), as the notebook says
    assert np.allclose(part["se"] / full["se"], np.sqrt(len(data) / len(sample)), rtol=0.15)

    horizon = 12
    at = {name: churn.survival_table(churn.kaplan_meier(d), [horizon]).iloc[0]
          for name, d in (("full", data), ("part", sample))}
    # Greenwood standard errors from the 95% bands (log-log bands are close to symmetric here)
    se = {k: (v["ci_upper"] - v["ci_lower"]) / (2 * 1.96) for k, v in at.items()}
    z_km = (at["part"]["survival"] - at["full"]["survival"]) / np.sqrt(se["part"] ** 2 - se["full"] ** 2)
    assert abs(z_km) < 3, z_km


def test_every_active_customer_is_scored_and_chunks_change_nothing(data):
    sample = churn.fit_sample(data, 3000, seed=5)
    model = churn.CoxChurnModel().fit(sample, COVARIATES)
    whole = churn.score_active_customers(model, data, 12, chunk_rows=len(data))
    chunked = churn.score_active_customers(model, data, 12, chunk_rows=997)  # several chunks, one short
    active = data[data["event"] == 0]
    assert len(chunked) == len(active) > (sample["event"] == 0).sum()
    assert chunked["customer_id"].tolist() == active["customer_id"].tolist()
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    default = churn.score_active_customers(model, data, 12)
    pd.testing.assert_frame_equal(default, whole, check_exact=True)
    assert churn.SCORE_CHUNK_ROWS == 100_000
    with pytest.raises(ValueError, match="chunk_rows must be at least 1"):
        churn.score_active_customers(model, data, 12, chunk_rows=0)
    # no active customer at all: an empty table with the usual columns
    empty = churn.score_active_customers(model, data[data["event"] == 1], 12, chunk_rows=10)
    assert len(empty) == 0 and list(empty.columns) == list(whole.columns)


def test_a_level_missing_from_the_sample_is_named_before_the_fits(data):
    rare = data.copy()
    rare.attrs.update(data.attrs)
    rare.loc[rare.index[-1], "plan"] = "legacy"  # one customer on a plan nobody else has
    unchecked = churn.fit_sample(rare, 100, seed=0, categorical=[])
    assert "legacy" not in set(unchecked["plan"])  # a 1 in 80 chance to be drawn; this seed does not
    with pytest.raises(DataError, match=r"'legacy'.*random sample of 100 of the 8,000 customers.*max_fit_rows") as err:
        churn.fit_sample(rare, 100, seed=0)  # by default the category covariates recorded in attrs
    assert "'plan'" in str(err.value) and "row" in str(err.value)
    assert len(churn.fit_sample(rare, len(rare))) == len(rare)  # no sample, nothing missing


def test_describe_fit_sample_says_how_many_of_how_many():
    text = churn.describe_fit_sample(500_000, 2_000_000, 1_200_000, 500_000, 7)
    assert "random sample of 500,000 of the 2,000,000 customers" in text
    assert "max_fit_rows = 500,000, seed 7" in text and "all 1,200,000 active customers are scored" in text
    whole = churn.describe_fit_sample(5000, 5000, 3000, 500_000, 7)
    assert "fitted on all 5,000 customers" in whole and "sample" not in whole
