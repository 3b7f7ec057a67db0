"""Validation of the canonical tables: every bad input gets a message that names what is wrong."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cxlib.core import DataError, DataWarning, load_customers, load_survey, load_transactions


def write(tmp_path, name, frame: dict) -> str:
    path = tmp_path / name
    pd.DataFrame(frame).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def customers(tmp_path):
    return write(tmp_path, "customers.csv", {
        "customer_id": ["C1", "C2", "C3"],
        "signup_date": ["2024-01-05", "2024-02-01", "2024-03-10"],
        "churn_date": ["", "2024-06-01", ""],
        "age": ["34", "51", "28"],
    })


def test_good_customers_load_with_types(customers):
    df = load_customers(customers, observation_end="2024-12-31", numeric=["age"])
    assert df["signup_date"].dtype == "datetime64[ns]"
    assert df["churned"].tolist() == [0, 1, 0]
    assert df["age"].tolist() == [34.0, 51.0, 28.0]


def test_all_missing_columns_listed_at_once(tmp_path):
    path = write(tmp_path, "tx.csv", {"cust": ["a"], "when": ["2024-01-01"]})
    with pytest.raises(DataError) as err:
        load_transactions(path)
    msg = str(err.value)
    assert "tx.csv" in msg and "table 'transactions'" in msg
    assert "'customer_id', 'timestamp', 'amount'" in msg
    assert "'cust', 'when'" in msg  # what the table does have


def test_column_mapping_uses_the_users_names(tmp_path):
    path = write(tmp_path, "tx.csv", {"cust": ["a", "b"], "when": ["2024-01-01", "2024-01-02"],
                                      "value": ["3.5", "4"]})
    df = load_transactions(path, columns={"customer_id": "cust", "timestamp": "when", "amount": "value"})
    assert list(df.columns) == ["customer_id", "timestamp", "amount"]
    assert df["amount"].sum() == pytest.approx(7.5)


def test_duplicate_ids(tmp_path):
    path = write(tmp_path, "c.csv", {"customer_id": ["A", "B", "A"],
                                     "signup_date": ["2024-01-01"] * 3})
    with pytest.raises(DataError, match=r"column 'customer_id': duplicate ids: 2 rows \(row 1 \(customer_id='A'\); row 3"):
        load_customers(path)


def test_text_in_a_numeric_column_is_rejected_with_examples(tmp_path):
    path = write(tmp_path, "tx.csv", {"customer_id": ["a", "b", "c"],
                                      "timestamp": ["2024-01-01"] * 3, "amount": ["1.0", "ten", "n/a"]})
    with pytest.raises(DataError, match=r"column 'amount': 2 rows \(row 2 \(amount='ten'\); row 3 \(amount='n/a'\)\): expected numbers"):
        load_transactions(path)


def test_unparseable_dates(tmp_path):
    path = write(tmp_path, "tx.csv", {"customer_id": ["a", "b"], "timestamp": ["2024-01-01", "yesterday"],
                                      "amount": ["1", "2"]})
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 2 \(timestamp='yesterday'\)\): expected dates"):
        load_transactions(path)


def test_negative_amounts(tmp_path):
    path = write(tmp_path, "tx.csv", {"customer_id": ["a", "b", "c"], "timestamp": ["2024-01-01"] * 3,
                                      "amount": ["5", "-2.5", "3"]})
    with pytest.raises(DataError, match=r"1 row \(row 2 \(customer_id='b', amount=-2.5\)\): negative amounts"):
        load_transactions(path)
    assert len(load_transactions(path, allow_returns=True)) == 3


def test_dates_after_observation_end(tmp_path):
    path = write(tmp_path, "tx.csv", {"customer_id": ["a", "b"], "timestamp": ["2024-01-01", "2025-02-01"],
                                      "amount": ["1", "2"]})
    with pytest.raises(DataError, match=r"1 row .*: transactions after the observation end 2024-12-31"):
        load_transactions(path, observation_end="2024-12-31")


def test_churn_before_signup(tmp_path):
    path = write(tmp_path, "c.csv", {"customer_id": ["A", "B"], "signup_date": ["2024-03-01", "2024-03-01"],
                                     "churn_date": ["2024-04-01", "2024-02-01"]})
    with pytest.raises(DataError, match=r"column 'churn_date': 1 row \(row 2 \(customer_id='B'.*churn date before signup"):
        load_customers(path)


def test_ratings_outside_their_scale(tmp_path):
    path = write(tmp_path, "s.csv", {"respondent_id": ["1", "2", "3"], "overall": ["4", "6", "5"],
                                     "nps": ["9", "10", "11"], "support": ["1", "2", "3"]})
    with pytest.raises(DataError, match=r"column 'overall': 1 row \(row 2 \(overall=6.0\)\): scores outside the scale \[1, 5\]"):
        load_survey(path, ratings=["support"])
    with pytest.raises(DataError, match=r"column 'support': 1 row .*ratings outside the scale \[1, 2\]"):
        load_survey(path, ratings=["support"], rating_scale=(1, 2), overall_scale=(1, 10), nps=False)
    with pytest.raises(DataError, match=r"column 'nps': 1 row .*outside the scale \[0, 10\]"):
        load_survey(path, ratings=["support"], overall_scale=(1, 10))


def test_empty_table(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,signup_date\n")
    with pytest.raises(DataError, match=r"table 'customers': the table is empty"):
        load_customers(str(path))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"nope.parquet.*file not found"):
        load_transactions(str(tmp_path / "nope.parquet"))


def test_blank_numeric_cells_warn_and_say_what_was_done(tmp_path):
    path = write(tmp_path, "c.csv", {"customer_id": ["A", "B"], "signup_date": ["2024-01-01"] * 2,
                                     "age": ["40", ""]})
    with pytest.warns(DataWarning, match=r"column 'age': 1 row \(row 2 .*\) are blank; they are kept as missing"):
        df = load_customers(path, numeric=["age"])
    assert df["age"].isna().sum() == 1


def test_parquet_input_is_validated_the_same_way(tmp_path):
    path = tmp_path / "tx.parquet"
    pd.DataFrame({"customer_id": ["a", "a"], "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "amount": [1.0, -1.0]}).to_parquet(path)
    with pytest.raises(DataError, match=r"tx.parquet.*negative amounts"):
        load_transactions(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_transactions(str(path), allow_returns=True)) == 2


def test_observation_end_given_as_a_date_covers_that_whole_day(tmp_path):
    path = write(tmp_path, "tx.csv", {"customer_id": ["a", "b"],
                                      "timestamp": ["2024-12-31 18:30", "2025-01-01 00:00"],
                                      "amount": ["1", "2"]})
    with pytest.raises(DataError, match=r"1 row \(row 2 \(customer_id='b', timestamp=2025-01-01\)\)"):
        load_transactions(path, observation_end="2024-12-31")
    assert len(load_transactions(path, observation_end="2025-01-01")) == 2
