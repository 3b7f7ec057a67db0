"""Customer lifetime value: the RFM summary, BG/NBD, Gamma-Gamma, CLV formulas and validation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxlib import clv
from cxlib.data import DataError, DataWarning

CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_log(reference_data):
    path = reference_data / "cdnow" / "CDNOW_sample.txt"
    df = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "id", "date", "cds", "dollars"])
    df["date"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df


@pytest.fixture(scope="module")
def cdnow_published(reference_data):
    return pd.read_csv(reference_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv",
                       index_col="ID")


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_log):
    cal = cdnow_log[cdnow_log["date"] <= CAL_END]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # 8 zero-dollar first purchases
        return clv.rfm_summary(cal, "id", "date", "dollars", observation_end=CAL_END, time_unit="W")


# --- rfm_summary ------------------------------------------------------------------------------

def test_rfm_summary_rebuilds_published_cdnow_summary(cdnow_summary, cdnow_published):
    """Golden: CDNOW_sample.txt summarized to 1997-09-30 equals the published summary file
    (lifetimes/datasets/cdnow_customers_summary_with_transactions.csv, the data of Fader, Hardie
    & Lee 2005), printed to 2 decimals: x exact, t_x and T in weeks = days / 7, zbar the mean of
    the repeat purchase days (half a cent of rounding allowed)."""
    s, p = cdnow_summary, cdnow_published
    assert len(s) == len(p) == 2357
    assert (s.index.to_numpy() == p.index.to_numpy()).all()
    np.testing.assert_array_equal(s["frequency"].to_numpy(), p["x"].to_numpy())
    np.testing.assert_allclose(s["recency"].to_numpy(), p["t_x"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    np.testing.assert_allclose(s["T"].to_numpy(), p["T"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    np.testing.assert_allclose(s["monetary_value"].to_numpy(), p["zbar"].to_numpy(), atol=0.005 + 1e-9, rtol=0)
    # T runs from the first purchase day to the end day: 1997-01-01 -> 1997-09-30 is 272 days.
    assert s.loc[1, "T"] == pytest.approx(272 / 7)


def test_rfm_summary_zero_amounts_warn(cdnow_log):
    cal = cdnow_log[cdnow_log["date"] <= CAL_END]
    with pytest.warns(DataWarning, match="8 rows.*amount 0"):
        clv.rfm_summary(cal, "id", "date", "dollars", observation_end=CAL_END)


def test_rfm_summary_merges_same_day_and_uses_time_unit():
    log = pd.DataFrame({
        "cust": ["a", "a", "a", "a", "b"],
        "when": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15 00:00", "2024-01-29 23:59",
                                "2024-01-10 12:00"]),
        "spend": [10.0, 5.0, 20.0, 40.0, 7.0],
    })
    s = clv.rfm_summary(log, "cust", "when", "spend", observation_end="2024-01-31", time_unit="D")
    assert s.loc["a"].to_dict() == {"frequency": 2.0, "recency": 28.0, "T": 30.0, "monetary_value": 30.0}
    assert s.loc["b"].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 21.0, "monetary_value": 0.0}
    w = clv.rfm_summary(log, "cust", "when", "spend", observation_end="2024-01-31", time_unit="W")
    assert w.loc["a", "T"] == pytest.approx(30 / 7)
    m = clv.rfm_summary(log, "cust", "when", None, observation_end="2024-01-31", time_unit="M")
    assert list(m.columns) == ["frequency", "recency", "T"]
    assert m.loc["a", "T"] == pytest.approx(30 / (365.25 / 12))


def test_rfm_summary_matches_plain_pandas_on_random_log():
    rng = np.random.default_rng(3)
    n = 3000
    log = pd.DataFrame({
        "customer_id": rng.choice([f"C{i:04d}" for i in range(300)], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "amount": rng.gamma(2.0, 10.0, n).round(2) + 0.01,
    })
    s = clv.rfm_summary(log, observation_end="2024-12-31", time_unit="W")
    daily = log.assign(day=log["timestamp"].dt.floor("D")).groupby(["customer_id", "day"])["amount"].sum()
    daily = daily.reset_index()
    g = daily.groupby("customer_id")
    first = g["day"].transform("min")
    repeat = daily[daily["day"] > first]
    ref = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (g["day"].max() - g["day"].min()).dt.days / 7,
        "T": (pd.Timestamp("2024-12-31") - g["day"].min()).dt.days / 7,
        "monetary_value": repeat.groupby("customer_id")["amount"].mean(),
    }).fillna(0.0)
    pd.testing.assert_frame_equal(s, ref.astype(float), check_names=False, rtol=1e-12)


def test_calibration_and_holdout_on_cdnow(cdnow_log, cdnow_published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ch = clv.calibration_and_holdout(cdnow_log, "id", "date", "dollars", calibration_end=CAL_END,
                                         observation_end="1998-06-30", time_unit="W")
    assert len(ch) == 2357
    np.testing.assert_array_equal(ch["frequency_cal"].to_numpy(), cdnow_published["x"].to_numpy())
    assert ch["duration_holdout"].iloc[0] == pytest.approx(273 / 7)
    # Customer 1 bought once after the calibration end: 1997-12-12 for $26.48.
    assert ch.loc[1, "frequency_holdout"] == 1 and ch.loc[1, "monetary_value_holdout"] == pytest.approx(26.48)
    # Holdout purchase days counted directly from the log.
    hold = cdnow_log[cdnow_log["date"] > CAL_END]
    assert ch["frequency_holdout"].sum() == hold.drop_duplicates(["id", "date"]).shape[0]


def test_calibration_and_holdout_drops_customers_first_seen_later():
    log = pd.DataFrame({"customer_id": ["a", "a", "b"],
                        "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-15"]),
                        "amount": [1.0, 2.0, 3.0]})
    ch = clv.calibration_and_holdout(log, calibration_end="2024-02-01", observation_end="2024-03-31",
                                     time_unit="D")
    assert list(ch.index) == ["a"]
    assert ch.loc["a", "frequency_holdout"] == 1 and ch.loc["a", "T_cal"] == 31


# --- bad input ---------------------------------------------------------------------------------

def _log(**changes):
    log = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
                        "timestamp": ["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01"],
                        "amount": [10.0, 12.0, 8.0, 9.0]})
    for k, v in changes.items():
        log[k] = v
    return log


def test_rfm_summary_lists_all_missing_columns():
    with pytest.raises(DataError, match="missing columns 'when', 'spend'"):
        clv.rfm_summary(_log(), "customer_id", "when", "spend")


def test_rfm_summary_rejects_returns_with_rows():
    with pytest.raises(DataError, match=r"column 'amount': 1 row \(row 2.*negative amounts \(returns\)"):
        clv.rfm_summary(_log(amount=[10.0, -12.0, 8.0, 9.0]))


def test_rfm_summary_rejects_purchases_after_observation_end():
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 4.*after the observation end 2024-02-15"):
        clv.rfm_summary(_log(), observation_end="2024-02-15")


def test_rfm_summary_rejects_bad_dates_and_units():
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row.*expected dates"):
        clv.rfm_summary(_log(timestamp=["2024-01-01", "not a date", "2024-01-05", "2024-03-01"]))
    with pytest.raises(ValueError, match="time_unit must be one of"):
        clv.rfm_summary(_log(), time_unit="Y")
