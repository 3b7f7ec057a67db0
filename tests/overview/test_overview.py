"""The data-at-a-glance helpers and the overview notebook on a user's own column names."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_notebook

from cxlib import overview


@pytest.fixture
def renamed(tmp_path):
    """A user's export: the same content as the canonical tables under other column names."""
    pd.DataFrame({"CustID": ["a", "b", "c"], "Joined": ["2024-01-01", "2024-02-01", "2024-03-01"],
                  "Left": ["", "2024-05-01", ""], "age": ["30", "", "41"]}
                 ).to_csv(tmp_path / "cust.csv", index=False)
    pd.DataFrame({"CustID": ["a", "a", "b", "c"], "When": ["2024-01-01", "2024-02-03", "2024-02-01", "2024-03-01"],
                  "Value": [10.0, 12.5, 7.0, 30.0]}).to_csv(tmp_path / "tx.csv", index=False)
    return tmp_path


def test_quality_table_counts_missing_cells_and_ranges():
    df = pd.DataFrame({"customer_id": ["a", "b", "c"], "x": [1.0, None, 3.0],
                       "churn_date": pd.to_datetime(["2024-01-01", None, None])})
    q = overview.quality_table({"customers": df}).set_index("column")
    assert q.loc["x", "missing"] == 1 and q.loc["x", "min"] == 1.0 and q.loc["x", "max"] == 3.0
    assert q.loc["customer_id", "distinct"] == 3
    assert q.loc["churn_date", "note"].startswith("blank = still active")
    # blank churn dates are censoring, not missing data
    assert overview.unexpected_missing(q.reset_index()) == 1


def test_monthly_activity_counts_each_month():
    customers = pd.DataFrame({"signup_date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-03-01"]),
                              "churn_date": pd.to_datetime([None, "2024-03-05", None])})
    act = overview.monthly_activity(customers)
    assert act["signups"].tolist() == [2, 1] and act["churns"].tolist() == [0, 1]


def test_overview_notebook_maps_the_users_column_names(renamed, tmp_path):
    with pytest.warns(UserWarning):  # the blank age cell is reported, not silently dropped
        tables = overview.load_tables(
            str(renamed / "cust.csv"), str(renamed / "tx.csv"), customer_numeric=["age"],
            customer_columns={"customer_id": "CustID", "signup_date": "Joined", "churn_date": "Left"},
            transaction_columns={"customer_id": "CustID", "timestamp": "When", "amount": "Value"})
    # the transactions stay in the engine; the per-customer view is what comes back
    assert overview.purchases_per_customer(tables["transactions"])["total_spend"].sum() == pytest.approx(59.5)
    assert overview.purchase_facts(tables["transactions"])["total_amount"] == pytest.approx(59.5)
    metrics = run_notebook(
        "00_overview", tmp_path / "out", customers_path=str(renamed / "cust.csv"),
        transactions_path=str(renamed / "tx.csv"), survey_path="", customer_numeric=["age"],
        observation_end="2024-12-31",
        customer_columns={"customer_id": "CustID", "signup_date": "Joined", "churn_date": "Left"},
        transaction_columns={"customer_id": "CustID", "timestamp": "When", "amount": "Value"})
    assert metrics["n_customers"] == 3 and metrics["n_transactions"] == 4
    assert metrics["missing_cells"] == 1  # the blank age; blank churn dates do not count
    assert "n_survey" not in metrics
