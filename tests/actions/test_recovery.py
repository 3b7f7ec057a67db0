"""Recovery on the synthetic world: the personal recommenders find the customers' hidden tastes and
clearly beat popularity on the holdout."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from product_worlds import world_fixture

from cxlib import actions
from cxlib.core import DataWarning

world_2000 = world_fixture(2000)
world_5000 = world_fixture(5000)


@pytest.fixture(scope="module")
def compared(world_5000):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # customers who joined after the holdout start
        purchases = actions.purchase_counts(world_5000 / "transactions.csv", observation_end="2025-12-31",
                                            holdout_start="2025-07-01")
    comparison = actions.compare_recommenders(purchases, ["item_item", "als"], 10, seed=11, n_bootstrap=300)
    known = actions.load_tastes(world_5000 / "truth.json", n_customers=len(purchases.customers),
                                observation_end="2025-12-31")
    return purchases, comparison, known


def test_the_best_recommender_clearly_beats_popularity(compared):
    _, comparison, _ = compared
    recall = comparison.table.set_index("method")["recall_at_k"]
    assert comparison.best in ("item_item", "als") and recall.idxmax() == comparison.best
    assert comparison.lift["ci_lower"] > 0.05  # at least 5 points of recall, with 95% confidence
    assert comparison.lift["ratio"] > 1.3
    assert recall["als"] > recall["popularity"] and recall["item_item"] > recall["popularity"]
    assert comparison.table["customers"].iloc[0] > 1000
    cover = comparison.table.set_index("method")["coverage"]
    assert cover[comparison.best] > 3 * cover["popularity"]  # personal lists use more of the catalogue


def test_lists_follow_each_customers_true_taste_group(compared):
    purchases, comparison, known = compared
    assert known is not None and len(known["tastes"]) == 5000
    match = actions.holdout_taste_match(comparison, purchases, known).set_index("method")
    chance = 1 / len(set(known["tastes"]))
    assert match.loc[comparison.best, "in_taste_group_of_non_staples"] > 0.6  # mostly the customer's own group
    assert match.loc["popularity", "in_taste_group_of_non_staples"] < 2 * chance
    # the shares from the lists' codes are those of the lists written out as a table
    scored = comparison.evaluated
    tables = pd.concat([actions.recommendation_table(lists[scored], np.zeros(lists[scored].shape),
                                                     purchases.customers[scored], purchases.items, method)
                        for method, lists in comparison.lists.items()], ignore_index=True)
    pd.testing.assert_frame_equal(match.reset_index(), actions.taste_match(tables, known))
    final = actions.recommend_all(purchases, comparison.best, 10, seed=11)
    assert actions.taste_match(final, known)["in_taste_group_of_non_staples"].iloc[0] > 0.65


def test_the_comparison_repeats_exactly_with_its_seed(world_2000):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        purchases = actions.purchase_counts(world_2000 / "transactions.csv", holdout_start="2025-07-01")
    one = actions.compare_recommenders(purchases, ["als"], 5, seed=3, n_bootstrap=50)
    two = actions.compare_recommenders(purchases, ["als"], 5, seed=3, n_bootstrap=50)
    assert one.table.equals(two.table) and (one.lists["als"] == two.lists["als"]).all()


def test_truth_for_other_data_is_not_used(world_2000):
    assert actions.load_tastes(world_2000 / "truth.json", n_customers=1234) is None
    assert actions.load_tastes("") is None and actions.load_tastes(None) is None


def test_als_fitted_on_a_sample_of_customers_still_finds_their_tastes(compared):
    """Fitted on 2,500 of the buyers, every customer folded in: nearly the recall of the full fit.

    A sample too small for the catalogue (1,000 buyers for 200 products and 8 factors) loses about
    a tenth of the recall here; the default limit of 100,000 is far from that."""
    purchases, full, known = compared
    sampled = actions.compare_recommenders(purchases, ["als"], 10, seed=11, n_bootstrap=100, max_fit_rows=2500)
    fitted, buyers = sampled.als_sample
    assert fitted == 2500 and buyers > 3000 and full.als_sample == (buyers, buyers)
    recall = sampled.table.set_index("method")["recall_at_k"]
    assert recall["als"] > 0.95 * full.table.set_index("method")["recall_at_k"]["als"]
    assert sampled.lift["ci_lower"] > 0.05
    match = actions.holdout_taste_match(sampled, purchases, known).set_index("method")
    assert match.loc["als", "in_taste_group_of_non_staples"] > 0.6
