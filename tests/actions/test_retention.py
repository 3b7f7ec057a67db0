"""Who to save first: value at risk, the choice under a budget and the action list, by hand; and the
RFM segments equal the segmentation lesson's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from product_worlds import world_fixture

from cxlib import actions, clv, segments
from cxlib.core import DataError

world_2000 = world_fixture(2000)


def _inputs():
    risk = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                         "churn_probability": [0.5, 0.1, 0.8, 0.3, 0.9]})
    value = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "x"], "clv": [100.0, 400.0, 10.0, 50.0, 7.0]})
    seg = pd.Series(["Loyal", "Champions", "At risk", "New"], index=["a", "b", "c", "d"])
    return risk, value, seg


def test_value_at_risk_is_churn_probability_times_value_for_active_customers_with_a_value():
    risk, value, seg = _inputs()
    table = actions.value_at_risk(risk, value, seg)
    # e churned-or-never-bought (no value), x is not active: both left out
    assert table["customer_id"].tolist() == ["a", "b", "c", "d"]
    assert table["value_at_risk"].tolist() == pytest.approx([50.0, 40.0, 8.0, 15.0])
    assert table["segment"].tolist() == ["Loyal", "Champions", "At risk", "New"]
    assert table["p_churn"].tolist() == [0.5, 0.1, 0.8, 0.3] and table["clv"].tolist() == [100, 400, 10, 50]


def test_the_choice_keeps_contacts_that_pay_and_respects_the_budget():
    risk, value, seg = _inputs()
    table = actions.value_at_risk(risk, value, seg)
    # savings at e = 0.1: a 5.0, b 4.0, c 0.8, d 1.5; a contact costs 1.0
    ranked = actions.choose_customers(table, 0.1, 1.0, budget=2)
    assert ranked["customer_id"].tolist() == ["a", "b", "d", "c"]
    assert ranked["expected_saving"].tolist() == pytest.approx([5.0, 4.0, 1.5, 0.8])
    assert ranked["net_saving"].tolist() == pytest.approx([4.0, 3.0, 0.5, -0.2])
    assert ranked["chosen"].tolist() == [True, True, False, False]
    for no_cap in (0, None, ""):
        assert actions.choose_customers(table, 0.1, 1.0, no_cap)["chosen"].tolist() == [True, True, True, False]
    assert not actions.choose_customers(table, 0.1, 10.0, 5)["chosen"].any()
    with pytest.raises(ValueError, match="contact_effect is the share .* between 0 and 1; got 1.5"):
        actions.choose_customers(table, 1.5, 1.0)
    with pytest.raises(ValueError, match="budget is the number of customers"):
        actions.choose_customers(table, 0.1, 1.0, -3)


def test_the_action_list_joins_each_chosen_customer_with_their_products():
    risk, value, seg = _inputs()
    ranked = actions.choose_customers(actions.value_at_risk(risk, value, seg), 0.1, 1.0, budget=2)
    recs = pd.DataFrame({"customer_id": ["b", "a", "a", "b", "c"], "rank": [2, 2, 1, 1, 1],
                         "item": ["p2", "p9", "p3", "p1", "p7"], "score": 1.0, "method": "als"})
    out = actions.action_list(ranked, recs)
    assert list(out.columns) == actions.ACTION_COLUMNS
    assert out[["customer_id", "recommended_items"]].values.tolist() == [["a", "p3; p9"], ["b", "p1; p2"]]
    assert out["expected_saving"].tolist() == pytest.approx([5.0, 4.0])


def test_no_customer_in_both_tables_is_a_clear_error():
    risk, value, _ = _inputs()
    with pytest.raises(DataError, match="no customer is both active in the customer table and in the purchase log"):
        actions.value_at_risk(risk.assign(customer_id=["q", "r", "s", "t", "u"]), value)


def test_rfm_segments_equal_the_segmentation_lessons(world_2000):
    log = pd.read_csv(world_2000 / "transactions.csv", dtype={"customer_id": str})
    summary = clv.rfm_summary(log, observation_end="2025-12-31", time_unit="W")
    spend = log.groupby("customer_id")["amount"].sum()
    mine = actions.rfm_segment_names(summary, spend, time_unit="W")
    rfm = segments.rfm_table(log, observation_end="2025-12-31")
    theirs = segments.rfm_segments(segments.rfm_scores(rfm))
    assert mine.index.tolist() == theirs.index.astype(str).tolist()
    assert np.array_equal(mine.to_numpy(), theirs.to_numpy())
    assert mine.nunique() >= 5
