"""The products generator: tastes, catalogue and purchases follow the recorded truth, and adding
products changes nothing else in the world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib.synth.products import STAPLE_SHARE, STAPLES, TASTE_SHARE, assign_items, taste_groups
from cxlib.synth.world import make_world


@pytest.fixture(scope="module")
def world():
    return make_world(5000, seed=7)


def test_items_change_nothing_else_and_repeat_exactly(world):
    before = world.transactions.copy()
    items, products, _ = assign_items(world.transactions, world.customers, 7)
    pd.testing.assert_frame_equal(world.transactions, before)  # the log itself is untouched
    assert items.index.equals(world.transactions.index) and items.notna().all()
    again, _, _ = assign_items(world.transactions, world.customers, 7)
    assert again.equals(items)
    other, _, _ = assign_items(world.transactions, world.customers, 8)
    assert (other != items).mean() > 0.5
    # the world's own numbers come from the world's streams: a rebuilt world is identical
    pd.testing.assert_frame_equal(make_world(5000, seed=7).transactions, before)
    assert set(items) <= set(products["product_id"])


def test_catalogue_matches_its_truth(world):
    _, products, truth = assign_items(world.transactions, world.customers, 7, n_products=205, n_groups=8,
                                      n_staples=5)
    assert len(products) == 205 and products["product_id"].is_unique
    sizes = products["group"].value_counts()
    assert sizes[STAPLES] == 5 and set(sizes.drop(STAPLES)) == {25}
    assert np.allclose(products.groupby("group")["popularity"].sum(), 1.0)
    assert sorted(truth["staples"]) == sorted(products.loc[products["group"] == STAPLES, "product_id"])
    assert truth["groups"] == sorted(set(products["group"]) - {STAPLES}, key=truth["groups"].index)
    assert sum(truth["taste_counts"].values()) == len(world.customers)


def test_purchases_follow_the_tastes(world):
    tx = world.transactions
    items, products, truth = assign_items(tx, world.customers, 7)
    tastes = taste_groups(world.customers["customer_id"], 7)
    group = products.set_index("product_id")["group"].reindex(items).to_numpy()
    first = ~tx["customer_id"].duplicated().to_numpy()  # the world writes each first purchase first
    staple = group == STAPLES
    assert staple[first].mean() == pytest.approx(STAPLE_SHARE["first"], abs=0.02)
    assert staple[~first].mean() == pytest.approx(STAPLE_SHARE["repeat"], abs=0.02)
    own = group == tastes.reindex(tx["customer_id"]).to_numpy()
    # own group: TASTE_SHARE, plus the random group landing on it 1 time in n_groups
    expected = TASTE_SHARE + (1 - TASTE_SHARE) / truth["n_groups"]
    assert own[~staple].mean() == pytest.approx(expected, abs=0.02)
    # within a group, the most popular product is bought most
    counts = pd.Series(items[~staple & own].to_numpy()).value_counts()
    top = products[products["group"] != STAPLES].sort_values("popularity").groupby("group").tail(1)
    assert counts.reindex(top["product_id"]).min() > counts.median()


def test_taste_groups_have_equal_chances_and_reject_a_bad_catalogue(world):
    tastes = taste_groups(world.customers["customer_id"], 7, n_groups=4)
    assert tastes.index.equals(pd.Index(world.customers["customer_id"], name="customer_id"))
    assert tastes.value_counts(normalize=True).between(0.22, 0.28).all()
    with pytest.raises(ValueError, match="at least one staple and one product per group"):
        assign_items(world.transactions, world.customers, 7, n_products=6, n_groups=8, n_staples=1)
