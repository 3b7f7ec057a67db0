"""The user's own files read as they meant them: dates, ids, numbers, encodings, headers.

Each case is built from the bundled data and asserts the outcome: the words of the error (file,
column, rows) or the warning and the correct values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxlib.core import (DATA_DIR, DataError, DataWarning, load_customers, load_survey,
                        load_transactions, read_table)

TX = pd.read_csv(DATA_DIR / "transactions.csv", dtype=str).head(300)
CUSTOMERS = pd.read_csv(DATA_DIR / "customers.csv", dtype=str).head(200)


def _write(tmp_path, df, name="tx.csv", **kw):
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def _reformat(dates: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime(fmt)


def test_day_first_dates_are_read_day_first_when_a_day_above_12_settles_it(tmp_path):
    tx = TX.assign(timestamp=_reformat(TX["timestamp"], "%d/%m/%Y"))
    assert (pd.to_datetime(TX["timestamp"]).dt.day > 12).any()
    with pytest.warns(DataWarning, match=r"column 'timestamp': dates such as .* read day-first"):
        log = load_transactions(_write(tmp_path, tx))
    expected = pd.to_datetime(TX["timestamp"]).dt.normalize()
    assert (log["timestamp"] == expected).all()  # not one date swapped


def test_ambiguous_day_month_dates_are_refused_with_the_two_formats(tmp_path):
    early = TX[pd.to_datetime(TX["timestamp"]).dt.day <= 12]
    tx = early.assign(timestamp=_reformat(early["timestamp"], "%d/%m/%Y"))
    with pytest.raises(DataError, match=r"tx\.csv, table 'transactions', column 'timestamp': \d+ rows "
                                        r"\(row 1 .*both day-first and month-first.*%d/%m/%Y.*%m/%d/%Y"):
        load_transactions(_write(tmp_path, tx))
    log = load_transactions(_write(tmp_path, tx), date_format="%d/%m/%Y")
    assert (log["timestamp"] == pd.to_datetime(early["timestamp"]).dt.normalize().to_numpy()).all()


def test_a_column_mixing_both_layouts_is_refused(tmp_path):
    tx = TX.head(2).assign(timestamp=["13/04/2024", "04/13/2024"])
    with pytest.raises(DataError, match="mixes day-first dates .* and month-first dates"):
        load_transactions(_write(tmp_path, tx))


def test_time_zones_are_converted_to_one_stated_zone(tmp_path):
    tx = TX.head(3).assign(timestamp=["2024-03-01T23:30:00+02:00", "2024-03-02T01:00:00Z",
                                      "2024-03-02 08:00:00"])
    with pytest.warns(DataWarning, match="2 timestamps carry a time zone; they are converted to UTC"):
        log = load_transactions(_write(tmp_path, tx))
    assert list(log["timestamp"]) == [pd.Timestamp("2024-03-01 21:30"), pd.Timestamp("2024-03-02 01:00"),
                                      pd.Timestamp("2024-03-02 08:00")]
    with pytest.warns(DataWarning, match="converted to Europe/Berlin"):
        log = load_transactions(_write(tmp_path, tx), timezone="Europe/Berlin")
    assert log["timestamp"].iloc[0] == pd.Timestamp("2024-03-01 22:30")


def test_blank_ids_stay_blank_and_are_refused_with_their_rows(tmp_path):
    tx = TX.copy()
    tx.loc[[4, 9], "customer_id"] = ""
    with pytest.raises(DataError, match=r"column 'customer_id': 2 rows \(row 5.*row 10.*\): blank customer ids"):
        load_transactions(_write(tmp_path, tx))
    customers = CUSTOMERS.copy()
    customers.loc[2, "customer_id"] = " "
    with pytest.raises(DataError, match=r"table 'customers', column 'customer_id': 1 row \(row 3"):
        load_customers(_write(tmp_path, customers, "c.csv"))


def test_survey_answers_without_a_customer_keep_a_missing_id(tmp_path):
    survey = pd.read_csv(DATA_DIR / "survey.csv", dtype=str).head(50)
    survey.loc[[0, 1], "customer_id"] = ""
    s = load_survey(_write(tmp_path, survey, "s.csv"), ratings=[])
    assert s["customer_id"].isna().sum() == 2 and "nan" not in set(s["customer_id"].dropna())


def test_infinite_amounts_are_refused(tmp_path):
    tx = TX.copy()
    tx.loc[7, "amount"] = "inf"
    with pytest.raises(DataError, match=r"column 'amount': 1 row \(row 8 \(amount='inf'\)\): infinite values"):
        load_transactions(_write(tmp_path, tx))


def test_a_latin1_file_gets_an_encoding_hint_and_reads_with_one(tmp_path):
    customers = CUSTOMERS.assign(region=CUSTOMERS["region"].replace({"West": "Weßt-Süd"}))
    path = _write(tmp_path, customers, "c.csv", encoding="latin-1")
    with pytest.raises(DataError, match=r"c\.csv, table 'customers': is not valid utf-8 .*encoding: latin-1"):
        load_customers(path)
    df = load_customers(path, encoding="latin-1")
    assert "Weßt-Süd" in set(df["region"])


def test_a_repeated_column_name_is_refused(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,timestamp,amount,amount\nC1,2024-01-01,3.0,4.0\n")
    with pytest.raises(DataError, match=r"header names 'amount' more than once"):
        load_transactions(path)


def test_tables_behind_a_glob_or_a_duckdb_file_are_read_through_the_engine(tmp_path):
    import duckdb

    (tmp_path / "parts").mkdir()
    CUSTOMERS.iloc[:100].to_parquet(tmp_path / "parts" / "a.parquet")
    CUSTOMERS.iloc[100:].to_parquet(tmp_path / "parts" / "b.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # the files are clean: no data warning
        glob = load_customers(str(tmp_path / "parts" / "*.parquet"), numeric=["age"])
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as db:
        db.register("frame", CUSTOMERS)
        db.execute("CREATE TABLE customers AS SELECT * FROM frame")
    table = read_table(f"{tmp_path / 'crm.duckdb'}::customers", "customers")
    assert sorted(glob["customer_id"]) == sorted(CUSTOMERS["customer_id"]) == sorted(table["customer_id"])
    assert np.allclose(glob.set_index("customer_id").loc[CUSTOMERS["customer_id"], "age"],
                       CUSTOMERS["age"].astype(float))
