"""The data engine: every kind of source, validation in the engine, and the same numbers on
DuckDB and Spark."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxlib import clv
from cxlib.core import DataError
from cxlib.core.engine import check_engine, read_source
from cxlib.synth import make_world

END, CAL_END = "2025-12-31", "2025-06-30"


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=400, seed=21)


@pytest.fixture(scope="module")
def files(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    tx = world.transactions
    tx.to_csv(folder / "tx.csv", index=False)
    us = dict(coerce_timestamps="us", allow_truncated_timestamps=True)  # Spark reads microseconds
    tx.to_parquet(folder / "tx.parquet", **us)
    parts = folder / "parts"
    parts.mkdir()
    half = len(tx) // 2
    tx.iloc[:half].to_parquet(parts / "a.parquet", **us)
    tx.iloc[half:].to_parquet(parts / "b.parquet", **us)
    with duckdb.connect(str(folder / "shop.duckdb")) as db:
        db.register("frame", tx)
        db.execute("CREATE TABLE transactions AS SELECT * FROM frame")
    return folder


@pytest.fixture(scope="module")
def reference(world):
    return clv.rfm_summary(world.transactions, observation_end=END, sort=True)


def test_every_kind_of_source_gives_the_same_summary(files, reference):
    sources = [files / "tx.csv", files / "tx.parquet", str(files / "parts" / "*.parquet"),
               files / "parts", f"{files / 'shop.duckdb'}::transactions"]
    for source in sources:
        s = clv.rfm_summary(source, observation_end=END)
        assert list(s.index) == sorted(reference.index), source  # files come sorted by id
        pd.testing.assert_frame_equal(s, reference, check_exact=False, rtol=1e-12, obj=str(source))


def test_an_ibis_table_is_used_where_it_lives(files, reference):
    import ibis

    con = ibis.duckdb.connect()
    table = con.read_parquet(str(files / "tx.parquet"))
    pd.testing.assert_frame_equal(clv.rfm_summary(table, observation_end=END), reference, rtol=1e-12)


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(DataError, match=r"file nowhere\.csv, table 'transactions': file not found"):
        clv.rfm_summary("nowhere.csv")
    (tmp_path / "book.xlsx").write_bytes(b"")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        read_source(tmp_path / "book.xlsx", table="transactions")
    (tmp_path / "shop.duckdb").write_bytes(b"")
    with pytest.raises(DataError, match="a DuckDB database needs a table"):
        read_source(tmp_path / "shop.duckdb", table="transactions")
    with pytest.raises(DataError, match="a connection URL needs a table"):
        read_source("postgres://user@localhost/db", table="transactions")
    with pytest.raises(ValueError, match="engine must be one of duckdb, spark, got 'polars'"):
        check_engine("polars")
    assert check_engine("") == check_engine(None) == "duckdb"


def test_validation_runs_in_the_engine_on_a_file(tmp_path):
    log = pd.DataFrame({"customer_id": ["a", "a", "b", " ", "c"],
                        "timestamp": ["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01", "2024-03-02"],
                        "amount": ["10", "12", "8", "9", "3"]})
    path = tmp_path / "tx.csv"
    log.to_csv(path, index=False)
    # a blank id in the 4th data row: file, table, column, row and what was expected
    with pytest.raises(DataError, match=r"tx\.csv, table 'transactions', column 'customer_id': 1 row "
                                        r"\(row 4 \(customer_id=' '\)\): blank customer ids"):
        clv.rfm_summary(path)
    log.loc[3, "customer_id"] = "d"
    log.loc[4, "timestamp"] = "2026-01-02"
    log.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 5 \(customer_id='c', "
                                        r"timestamp='2026-01-02'\)\): purchases after the observation end 2025-12-31"):
        clv.rfm_summary(path, observation_end=END)
    log.loc[4, "timestamp"] = "31/12/2025"
    log.loc[1, "amount"] = "twelve"
    log.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 5 .*\): expected dates"):
        clv.rfm_summary(path, observation_end=END)
    log.loc[4, "timestamp"] = "2025-12-31"
    log.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'amount': 1 row \(row 2 \(amount='twelve'\)\): expected numbers"):
        clv.rfm_summary(path, observation_end=END)
    pd.DataFrame(columns=["customer_id", "timestamp", "amount"]).to_csv(path, index=False)
    with pytest.raises(DataError, match="the table is empty"):
        clv.rfm_summary(path)


@pytest.fixture(scope="module")
def spark_available():
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")


@pytest.mark.slow
def test_spark_gives_the_same_numbers_as_duckdb(files, world, spark_available):
    duck = clv.rfm_summary(files / "tx.parquet", observation_end=END)
    spark = clv.rfm_summary(files / "tx.parquet", observation_end=END, engine="spark")
    pd.testing.assert_frame_equal(spark, duck, rtol=1e-9)
    duck_ch = clv.calibration_and_holdout(files / "tx.csv", calibration_end=CAL_END, observation_end=END)
    spark_ch = clv.calibration_and_holdout(files / "tx.csv", calibration_end=CAL_END, observation_end=END,
                                           engine="spark")
    pd.testing.assert_frame_equal(spark_ch, duck_ch, rtol=1e-9)
    # ids that begin or end with f or v (Ibis' strip() on Spark would cut those letters)
    letters = pd.DataFrame({"customer_id": [" fox", "fox", "viv ", "viv", "elf"],
                            "timestamp": ["2025-01-01", "2025-02-01", "2025-01-05", "2025-03-01", "2025-01-09"],
                            "amount": ["1", "2", "3", "4", "5"]})
    letters.to_csv(files / "letters.csv", index=False)
    on_spark = clv.rfm_summary(files / "letters.csv", observation_end=END, engine="spark")
    assert list(on_spark.index) == ["elf", "fox", "viv"] and on_spark["frequency"].tolist() == [0, 1, 1]
    # validation in Spark names the same file, column and problem (without row numbers)
    bad = world.transactions.head(50).copy()
    bad.loc[7, "amount"] = -1.0
    bad.to_parquet(files / "bad.parquet", coerce_timestamps="us", allow_truncated_timestamps=True)
    with pytest.raises(DataError, match=r"bad\.parquet, table 'transactions', column 'amount': 1 row "
                                        r"\(e\.g\. \(customer_id=.*amount=-1\.0\)\): negative amounts"):
        clv.rfm_summary(files / "bad.parquet", engine="spark")


def test_describe_counts_in_the_engine(files, world):
    facts = clv.transaction_log(files / "tx.csv", observation_end=END).describe()
    tx = world.transactions
    assert facts["n_transactions"] == len(tx) and facts["n_customers"] == tx["customer_id"].nunique()
    assert facts["first_date"] == tx["timestamp"].min()
    assert facts["mean_amount"] == pytest.approx(tx["amount"].mean(), rel=1e-12)
    assert np.isclose(facts["mean_amount"], float(pd.read_csv(files / "tx.csv")["amount"].mean()))
