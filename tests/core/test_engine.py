"""The data engine: every kind of source, validation in the engine, and the same numbers on
DuckDB and Spark."""

from __future__ import annotations

import re
import shutil
import warnings

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from cxlib import clv
from cxlib.core import DataError, DataWarning
from cxlib.core import engine
from cxlib.core.engine import check_engine, connect, padded, read_source, strip, weighted_quantile
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
    log.loc[4, "timestamp"] = "2025-12-32"  # no such day (31/12/2025 would be read: a day above 12 settles it)
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


# --- amounts far outside the bulk, non-finite amounts ------------------------------------------

def _one_huge_amount(world):
    """The world's log with one repeat purchase (the last of a regular buyer) set to 1e12."""
    tx = world.transactions.copy()
    counts = tx["customer_id"].value_counts()
    buyer = counts[counts >= 3].index[0]
    row = tx.index[tx["customer_id"] == buyer][-1]
    tx.loc[row, "amount"] = 1e12
    return tx, int(tx.index.get_loc(row)) + 1  # 1-based data row


def test_a_huge_amount_is_flagged_with_its_row_and_kept(world, tmp_path):
    tx, row = _one_huge_amount(world)
    path = tmp_path / "huge.csv"
    tx.to_csv(path, index=False)
    with pytest.warns(DataWarning, match=rf"huge\.csv, table 'transactions', column 'amount': 1 row \(row {row} "
                                         r"\(.*amount='1000000000000\.0'\)\) have amounts above [\d,.]+, far outside"):
        log = clv.transaction_log(path, observation_end=END)
    fence = log.amount_fence
    positive = np.log(tx.loc[tx["amount"] > 0, "amount"])
    mad = np.median(np.abs(positive - np.median(positive)))
    assert fence.limit == pytest.approx(np.exp(np.median(positive) + 5 * 1.4826 * mad), rel=1e-9)
    assert log.n_outliers == 1 and not fence.approximate
    assert log.describe()["n_transactions"] == len(tx)  # flagged, not removed
    capped = log.to_pandas(log.capped().rows)["amt"]
    assert capped.max() == pytest.approx(fence.limit) and (capped < 1e12).all()
    assert len(capped) == len(tx)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        off = clv.transaction_log(path, observation_end=END, outlier_mads=0)
    assert off.amount_fence is None and off.n_outliers == 0 and off.capped() is off
    with pytest.raises(ValueError, match="outlier_mads must be a number >= 0"):
        clv.transaction_log(path, outlier_mads=-1)


def test_the_outlier_limit_survives_tied_amounts():
    """More than half of the amounts equal: the MAD is 0, so the mean absolute deviation sets the scale."""
    log = pd.DataFrame({"customer_id": [f"c{i % 4}" for i in range(12)],
                        "timestamp": [f"2025-01-{d:02d}" for d in range(1, 13)],
                        "amount": [9.99] * 11 + [1e12]})
    with pytest.warns(DataWarning, match=r"row 12 .*mean absolute deviation \(the MAD is 0\)"):
        opened = clv.transaction_log(log)
    assert opened.amount_fence.mad == 0 and 9.99 < opened.amount_fence.limit < 1e12


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_non_finite_amounts_are_refused(tmp_path, value):
    log = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2025-01-01", "2025-02-01", "2025-01-05"],
                        "amount": ["10", value, "8"]})
    path = tmp_path / "tx.csv"
    log.to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"tx\.csv, table 'transactions', column 'amount': 1 row \(row 2 "
                                        rf"\(.*amount='{value}'\)\): non-finite amounts"):
        clv.transaction_log(path)
    frame = log.assign(amount=[10.0, float(value), 8.0])
    expected = "blank amounts" if value == "nan" else "non-finite amounts"  # a float NaN is a missing value
    with pytest.raises(DataError, match=rf"file DataFrame, .*column 'amount': 1 row \(row 2 .*\): {expected}"):
        clv.transaction_log(frame)


# --- dates: date_format, numeric layouts, time zones ----------------------------------------------

def _dates_as(world, tmp_path, layout: str, name: str):
    tx = world.transactions.copy()
    tx["timestamp"] = tx["timestamp"].dt.strftime(layout)
    path = tmp_path / name
    tx.to_csv(path, index=False)
    return tx, path


def test_date_format_gives_the_same_summary_as_iso(world, tmp_path, reference):
    _, path = _dates_as(world, tmp_path, "%d/%m/%Y %H:%M:%S", "dmy.csv")
    s = clv.rfm_summary(path, observation_end=END, date_format="%d/%m/%Y %H:%M:%S")
    pd.testing.assert_frame_equal(s, reference, rtol=1e-12)
    # without date_format the column settles day-first itself (days above 12), with a warning
    with pytest.warns(DataWarning, match=r"column 'timestamp': dates such as '\d\d/\d\d/\d{4} .*' settle the "
                                         r"layout: the column is read day-first \(%d/%m/%Y\)"):
        settled = clv.rfm_summary(path, observation_end=END)
    pd.testing.assert_frame_equal(settled, reference, rtol=1e-12)
    # a value that does not fit the format names its row
    tx = pd.read_csv(path, dtype=str)
    tx.loc[2, "timestamp"] = "2025-01-01"
    tx.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 3 \(timestamp='2025-01-01'\)\): "
                                        r"expected dates in the format %d/%m/%Y %H:%M:%S"):
        clv.transaction_log(path, date_format="%d/%m/%Y %H:%M:%S")


def test_day_month_dates_that_nothing_settles_are_refused(world, tmp_path):
    tx = world.transactions
    early = tx[tx["timestamp"].dt.day <= 12].copy()
    early["timestamp"] = early["timestamp"].dt.strftime("%d/%m/%Y")
    path = tmp_path / "ambiguous.csv"
    early.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"ambiguous\.csv, table 'transactions', column 'timestamp': "
                                        rf"{len(early)} rows \(row 1 \(timestamp='\d\d/\d\d/\d{{4}}'\); .*\): these dates "
                                        r"read both day-first and month-first .* set date_format to %d/%m/%Y"):
        clv.transaction_log(path)
    early.iloc[:2].assign(timestamp=["13/01/2025", "01/13/2025"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"2 rows .*: the column mixes day-first dates"):
        clv.transaction_log(path)
    # with date_format the same file reads, as the user said
    early.iloc[:2].assign(timestamp=["03/01/2025", "01/03/2025"]).to_csv(path, index=False)
    log = clv.transaction_log(path, date_format="%m/%d/%Y")
    days = log.to_pandas(log.rows)["ts"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2025-03-01", "2025-01-03"]


def test_timestamps_with_a_zone_are_read_as_the_pandas_loaders_read_them(tmp_path):
    from cxlib.core import parse_dates

    stamps = ["2025-01-01T23:30:00-02:00", "2025-01-05 10:00Z", "2025-01-03", "2025-01-04 05:15:00+05:30"]
    frame = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "timestamp": stamps, "amount": [1.0, 2, 3, 4]})
    path = tmp_path / "zones.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(DataWarning, match="3 timestamps carry a time zone; they are converted to UTC"):
        log = clv.transaction_log(path)
    with pytest.warns(DataWarning):
        expected = parse_dates(frame, "timestamp", table="transactions")
    got = log.to_pandas(log.rows)["ts"]
    assert got.tolist() == expected.tolist()
    assert got.iloc[0] == pd.Timestamp("2025-01-02 01:30")  # a day later in UTC
    # a zone-aware DataFrame column is converted the same way
    aware = frame.assign(timestamp=pd.to_datetime(stamps[:1] * 4, utc=True).tz_convert("America/Sao_Paulo"))
    with pytest.warns(DataWarning, match="converted to UTC"):
        opened = clv.transaction_log(aware)
    assert (opened.to_pandas(opened.rows)["ts"] == pd.Timestamp("2025-01-02 01:30")).all()


@pytest.mark.slow
def test_spark_agrees_on_outliers_and_dates(world, tmp_path, reference, spark_available, monkeypatch):
    tx, _ = _one_huge_amount(world)
    path = tmp_path / "huge.csv"
    tx.to_csv(path, index=False)
    with pytest.warns(DataWarning, match="have amounts above"):
        duck = clv.transaction_log(path, observation_end=END)
    # prices take few distinct values: both engines take the medians from the same value counts
    with pytest.warns(DataWarning, match="have amounts above"):
        spark = clv.transaction_log(path, observation_end=END, engine="spark")
    assert spark.n_outliers == duck.n_outliers == 1 and not spark.amount_fence.approximate
    assert spark.amount_fence.limit == pytest.approx(duck.amount_fence.limit, rel=1e-12)
    # too many distinct values for that: Spark's approximate median aggregates
    monkeypatch.setattr(engine, "HISTOGRAM_VALUES", 10)
    approximate = engine.log_upper_fence(spark.source, lambda t: spark.typed["amt"], 5.0)
    assert approximate.approximate and "(approximate medians)" in approximate.describe()
    assert approximate.limit == pytest.approx(duck.amount_fence.limit, rel=0.01)
    assert approximate.n == spark.amount_fence.n
    _, dmy = _dates_as(world, tmp_path, "%d/%m/%Y %H:%M:%S", "dmy.csv")
    on_spark = clv.rfm_summary(dmy, observation_end=END, engine="spark", date_format="%d/%m/%Y %H:%M:%S")
    pd.testing.assert_frame_equal(on_spark, reference.sort_index(), rtol=1e-9)
    text = tx.assign(amount=tx["amount"].astype(str))
    text.loc[text.index[0], "amount"] = "inf"  # Spark reads "inf" as infinity
    text.to_csv(tmp_path / "inf.csv", index=False)
    with pytest.raises(DataError, match=r"1 row \(e\.g\. \(.*amount='inf'\)\): non-finite amounts"):
        clv.transaction_log(tmp_path / "inf.csv", engine="spark")


def test_weighted_quantile_is_the_interpolated_quantile_of_the_repeated_values():
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 1000):
        x = rng.integers(0, 12, n).astype(float)
        values, counts = np.unique(x, return_counts=True)
        order = rng.permutation(len(values))  # any order of the table
        for q in (0.0, 0.1, 0.5, 0.9, 1.0):
            assert weighted_quantile(values[order], counts[order], q) == pytest.approx(np.quantile(x, q), abs=1e-12)


@pytest.mark.parametrize("distinct_limit", [engine.HISTOGRAM_VALUES, 0])
def test_the_outlier_limit_is_exact_from_value_counts_and_from_the_engines_medians(world, monkeypatch,
                                                                                    distinct_limit):
    """Few distinct amounts: median and MAD from the value counts; many: DuckDB's medians. Both
    give numpy's numbers, and the same when more than half of the amounts are equal (MAD 0)."""
    monkeypatch.setattr(engine, "HISTOGRAM_VALUES", distinct_limit)
    tx = world.transactions
    for amounts in (tx["amount"], pd.Series(np.where(np.arange(len(tx)) % 3 == 0, tx["amount"], 20.0))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            fence = clv.transaction_log(tx.assign(amount=amounts.to_numpy())).amount_fence
        logs = np.log(amounts[amounts > 0].to_numpy())
        med = np.median(logs)
        mad = np.median(np.abs(logs - med))
        scale = 1.4826 * mad if mad > 0 else np.sqrt(np.pi / 2) * np.mean(np.abs(logs - med))
        assert fence.median == pytest.approx(np.exp(med), rel=1e-12) and fence.mad == pytest.approx(mad, abs=1e-12)
        assert fence.limit == pytest.approx(np.exp(med + 5 * scale), rel=1e-12) and not fence.approximate
        assert fence.n == len(logs)


def test_returns_are_kept_only_when_asked_and_the_purchase_summaries_refuse_them(world, reference):
    tx = world.transactions
    returns = tx.iloc[::9].assign(amount=lambda d: -(d["amount"] / 2).round(2))
    log_with_returns = pd.concat([tx, returns], ignore_index=True)
    with pytest.raises(DataError, match=r"negative amounts.*allow_returns: true keeps them"):
        clv.transaction_log(log_with_returns, observation_end=END)
    log = clv.transaction_log(log_with_returns, observation_end=END, allow_returns=True)
    assert log.allow_returns and log.n_returns == len(returns)
    # the outlier limit is that of the positive amounts alone
    alone = clv.transaction_log(tx, observation_end=END)
    assert log.amount_fence.limit == alone.amount_fence.limit and log.n_outliers == alone.n_outliers
    # a return is not a purchase day, and a negative amount breaks the spend model
    for summarize in (lambda lg: clv.rfm_summary(lg, observation_end=END),
                      lambda lg: clv.calibration_and_holdout(lg, calibration_end=CAL_END, observation_end=END),
                      lambda lg: clv.rfm_summary(lg, amount_col=None)):
        with pytest.raises(DataError, match=rf"table 'transactions', column 'amount': the log keeps "
                                            rf"{len(returns)} rows with negative amounts.*log\.purchases\(\)"):
            summarize(log)
    # without them, the summary of the purchases alone
    pd.testing.assert_frame_equal(clv.rfm_summary(log.purchases(), observation_end=END, sort=True), reference)
    # a log that kept no returns is summarized as it is
    none_kept = clv.transaction_log(tx, observation_end=END, allow_returns=True)
    assert none_kept.n_returns == 0 and none_kept.purchases() is none_kept
    pd.testing.assert_frame_equal(clv.rfm_summary(none_kept, sort=True), reference)


def test_the_purchases_keep_the_whole_logs_observation_end():
    tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2025-01-01", "2025-01-09", "2025-01-03"],
                       "amount": ["5", "-5", "7"]})
    log = clv.transaction_log(tx, allow_returns=True)
    summary = clv.rfm_summary(log.purchases(), time_unit="D", sort=True)
    # the last day is that of the return (9 January), not of the last purchase (3 January)
    assert summary["T"].tolist() == [8.0, 6.0] and summary["frequency"].tolist() == [0, 0]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_text_with_whitespace_at_its_ends_is_stripped_in_every_pass(world, tmp_path, reference, engine):
    """The later passes strip only the columns whose first pass found padded cells: a log padded
    in one cell per column gives the same summary as the clean one."""
    if engine == "spark" and shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")
    tx = world.transactions.assign(timestamp=world.transactions["timestamp"].astype(str),
                                   amount=world.transactions["amount"].astype(str))
    clean = tmp_path / "clean.parquet"
    tx.to_parquet(clean)
    dirty = tx.copy()
    for i, pad in ((0, " {} "), (1, "\t{}"), (2, "{}\n"), (3, "\r\n{}  ")):
        for col in ("customer_id", "timestamp", "amount"):
            dirty.loc[dirty.index[i * 7 + 3], col] = pad.format(dirty.loc[dirty.index[i * 7 + 3], col])
    dirty.to_parquet(tmp_path / "padded.parquet")
    expected = reference.sort_index()
    # the clean file on Spark is test_spark_gives_the_same_numbers_as_duckdb's
    for path in ([clean] if engine == "duckdb" else []) + [tmp_path / "padded.parquet"]:
        got = clv.rfm_summary(path, observation_end=END, engine=engine)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9, obj=path.name)
    # the padded-cell test flags every cell the strip changes, and the strip keeps the rest
    # (a regular expression's \s has no vertical tab in DuckDB, and has one in Spark)
    values = ["a", " a", "a ", "\ta", "a\n", "", " ", "f", "fv", "a b", "\x0ba", "é "]
    t = ibis.memtable(pd.DataFrame({"v": values}))
    out = connect(engine).to_pandas(t.select("v", s=strip(t.v), p=padded(t.v))).set_index("v").loc[values]
    assert out["s"].tolist() == [re.sub(r"^[ \t\n\f\r]+|[ \t\n\f\r]+$", "", v) if engine == "duckdb"
                                 else re.sub(r"^\s+|\s+$", "", v, flags=re.ASCII) for v in values]
    changed = out["s"] != out.index
    assert out["p"][changed].all() and not out["p"][["a", "f", "fv", "a b"]].any()
