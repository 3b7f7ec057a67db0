"""Execute tier: the next-best-action lesson end to end on a small synthetic world, checked against
the churn and CLV lessons run on the same inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebook
from product_worlds import world_fixture

from cxlib import actions, clv, segments

pytestmark = pytest.mark.notebook

world_2000 = world_fixture(2000)
FIT_ROWS = 1500


@pytest.fixture(scope="module")
def runs(world_2000, tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    tx, customers, truth = (str(world_2000 / f) for f in ("transactions.csv", "customers.csv", "truth.json"))
    # the churn lesson with small challenger settings: its Cox scores do not depend on them. All
    # three fit on samples of 1,500 customers, so the equality below covers the sampled fits.
    run_notebook("01_churn_survival", base / "01", data_path=customers, truth_path=truth, forest_trees=5,
                 forest_sample=300, tree_sample=500, importance_repeats=1, max_fit_rows=FIT_ROWS)
    run_notebook("04_clv", base / "04", transactions_path=tx, truth_path=truth, max_fit_rows=FIT_ROWS)
    metrics = run_notebook("07_next_best_action", base / "07", transactions_path=tx, customers_path=customers,
                           truth_path=truth, n_bootstrap=200, max_fit_rows=FIT_ROWS)
    return base, metrics


def test_artifacts_have_the_promised_columns_and_metrics(runs):
    base, metrics = runs
    out = base / "07"
    assert list(pd.read_csv(out / "recommendations.csv").columns) == actions.RECOMMENDATION_COLUMNS
    holdout = pd.read_csv(out / "holdout_metrics.csv")
    assert list(holdout.columns) == actions.HOLDOUT_COLUMNS
    assert holdout["method"].tolist() == ["popularity", "item_item", "als"]
    assert list(pd.read_csv(out / "action_list.csv").columns) == actions.ACTION_COLUMNS
    for key in ("best_method", "recall_at_k", "value_at_risk_total", "customers_contacted"):
        assert key in metrics
    assert metrics["recall_at_k"] == pytest.approx(holdout.set_index("method")["recall_at_k"].to_dict())
    assert metrics["best_method"] == holdout.loc[holdout["recall_at_k"].idxmax(), "method"] != "popularity"
    assert metrics["taste_match"][metrics["best_method"]] > 0.5
    findings = json.loads((out / "findings.json").read_text())
    assert findings["key_figure"] == "value_risk.png" and len(findings["findings"]) == 3
    first, second, third = findings["findings"]
    assert f"${metrics['value_at_risk_total']:,.0f}" in first
    assert f"{metrics['customers_contacted']:,} customers" in second
    assert f"${metrics['expected_saving_total']:,.0f}" in second
    assert f"{metrics['recall_at_k'][metrics['best_method']]:.1%}" in third
    assert f"{metrics['recall_at_k']['popularity']:.1%}" in third
    for name in ("value_risk", "holdout_metrics"):
        assert (out / f"{name}.png").stat().st_size > 0


def test_risk_and_value_equal_the_churn_and_clv_lessons(runs):
    base, _ = runs
    action = pd.read_csv(base / "07" / "action_list.csv", dtype={"customer_id": str})
    churn_scores = pd.read_csv(base / "01" / "customers.csv", dtype={"customer_id": str}).set_index("customer_id")
    values = pd.read_csv(base / "04" / "customers.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert len(action) > 50
    ids = action["customer_id"]
    assert np.allclose(action["p_churn"], churn_scores.loc[ids, "churn_probability"], rtol=1e-9, atol=1e-12)
    assert np.allclose(action["clv"], values.loc[ids, "clv"], rtol=1e-9, atol=1e-12)
    assert churn_scores.loc[ids, "risk_tier"].ne("churned").all()  # every one of them is still active


def test_the_models_fit_on_the_lessons_samples(runs):
    _, metrics = runs
    assert metrics["churn_fit_customers"] == metrics["value_fit_customers"] == FIT_ROWS
    assert metrics["n_customers"] > FIT_ROWS


def test_the_list_is_ranked_by_saving_within_cost_and_budget(runs, world_2000):
    base, metrics = runs
    action = pd.read_csv(base / "07" / "action_list.csv", dtype={"customer_id": str})
    assert np.allclose(action["value_at_risk"], action["p_churn"] * action["clv"])
    assert np.allclose(action["expected_saving"], metrics["contact_effect"] * action["value_at_risk"])
    assert action["expected_saving"].is_monotonic_decreasing
    assert (action["expected_saving"] > metrics["contact_cost"]).all()
    assert len(action) == metrics["customers_contacted"] == min(metrics["budget"], metrics["customers_worth_contact"])
    assert action["expected_saving"].sum() == pytest.approx(metrics["expected_saving_total"])
    # the products are the refitted recommender's top k, best first, none already bought
    recs = pd.read_csv(base / "07" / "recommendations.csv", dtype={"customer_id": str})
    assert set(recs["method"]) == {metrics["best_method"]}
    top = recs.sort_values(["customer_id", "rank"]).groupby("customer_id")["item"].agg("; ".join)
    assert (action["recommended_items"].to_numpy() == top.loc[action["customer_id"]].to_numpy()).all()
    log = pd.read_csv(world_2000 / "transactions.csv", dtype={"customer_id": str})
    bought = set(zip(log["customer_id"], log["item"]))
    assert not any(pair in bought for pair in zip(recs["customer_id"], recs["item"]))
    # segments are the segmentation lesson's RFM segments
    rfm = segments.rfm_table(log, observation_end="2025-12-31")
    names = segments.rfm_segments(segments.rfm_scores(rfm))
    assert (action["segment"].to_numpy() == names.loc[action["customer_id"]].to_numpy()).all()
    assert clv.rfm_summary(log, observation_end="2025-12-31").shape[0] == metrics["n_customers"]
