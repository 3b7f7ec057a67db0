"""From a raw transaction log to the per-customer summary the buy-till-you-die models use.

For each customer: ``frequency`` (number of repeat purchase days), ``recency`` (age at the last
purchase), ``T`` (age at the end of observation) and ``monetary_value`` (mean amount of the
repeat purchase days), all times in a chosen unit. Purchases on the same calendar day merge
into one, as in Fader, Hardie & Lee (2005).

The rows are reduced in the engine (DuckDB by default, or Spark, or a warehouse; see
:mod:`cxlib.core.engine`): one grouping by customer and day, one by customer. Only the
per-customer table reaches pandas, so a log far larger than memory summarizes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import DataError, unit_days
from ..core.engine import ROW, backend_name, first_by
from ..core.transactions import TABLE, TransactionLog, day_to_timestamp, to_day, transaction_log

__all__ = ["rfm_summary", "calibration_and_holdout", "load_cdnow"]


def _ordered(per, log: TransactionLog, sort: bool) -> pd.DataFrame:
    """The per-customer table in pandas, by id or (a DataFrame's, unless ``sort``) in order of
    first appearance; sorted in the engine, which is faster than pandas on a million ids."""
    by = ROW if (ROW in per.columns and not sort) else "c"
    frame = log.to_pandas(per.order_by(by))
    return frame.set_index(pd.Index(frame["c"].to_numpy(), name=log.customer_col))


def _per_customer(days, *, amount: bool, where=None, prefix: str = ""):
    """first, last, number of purchase days and total amount per customer (optionally filtered)."""
    keep = {} if where is None else {"where": where}
    aggs = {f"{prefix}first": days.day.min(**keep), f"{prefix}last": days.day.max(**keep),
            f"{prefix}n": days.day.count(**keep)}
    if amount:
        aggs[f"{prefix}total"] = days.amt.sum(**keep)
    return aggs


def _stats(frame: pd.DataFrame, end_day: int, unit: float, amount: bool, prefix: str = "") -> dict:
    n = frame[f"{prefix}n"].to_numpy(dtype=np.float64)
    first = frame[f"{prefix}first"].to_numpy(dtype=np.float64)
    frequency = n - 1
    out = {"frequency": frequency, "recency": (frame[f"{prefix}last"].to_numpy(dtype=np.float64) - first) / unit,
           "T": (end_day - first) / unit}
    if amount:
        repeat_total = frame[f"{prefix}total"].to_numpy(dtype=np.float64) - frame["first_amt"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value"] = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0)
    return out


def rfm_summary(transactions, customer_col: str = "customer_id", date_col: str = "timestamp",
                amount_col: str | None = "amount", observation_end=None, time_unit: str = "W",
                sort: bool = False, *, engine: str = "duckdb", con=None,
                date_format: str | None = None) -> pd.DataFrame:
    """Summarize a transaction log into frequency, recency, T and monetary value per customer.

    Parameters
    ----------
    transactions : str, path-like, DataFrame, ibis.Table or TransactionLog
        One row per purchase: a CSV or Parquet file, a glob of Parquet files, a DuckDB or
        warehouse table (:func:`cxlib.core.engine.read_source`), a DataFrame, an Ibis table, or a
        log already opened by :func:`~cxlib.core.transactions.transaction_log`.
    customer_col, date_col, amount_col : str
        Column names of the customer id, purchase timestamp and purchase amount. Pass
        ``amount_col=None`` to skip ``monetary_value``.
    observation_end : date-like, optional
        End of the observation window (a calendar day). Defaults to the last purchase day.
        Purchases on a later day are an error.
    time_unit : str
        Unit of ``recency`` and ``T`` (:mod:`cxlib.core.timeunits`): days, weeks (7 days),
        months (365.25 / 12 days) or years.
    sort : bool, default False
        Sort the customers by id. A DataFrame's customers otherwise come in order of first
        appearance; the customers of a file or table always come sorted by id.
    engine, con
        Where the rows are reduced (:func:`cxlib.core.engine.connect`); only the per-customer
        result reaches pandas.
    date_format : str, optional
        A strftime format for text dates, such as ``"%d/%m/%Y"``
        (:func:`~cxlib.core.transactions.transaction_log`).

    Returns
    -------
    DataFrame indexed by customer id with columns

    - ``frequency``: number of purchase days after the first one (repeat purchases);
    - ``recency``: days from the first to the last purchase day, in ``time_unit``; 0 without repeats;
    - ``T``: days from the first purchase day to ``observation_end``, in ``time_unit``;
    - ``monetary_value``: mean amount per repeat purchase day (the first purchase excluded);
      0 without repeats.

    Notes
    -----
    Purchases on the same calendar day merge into one purchase with the summed amount. Time
    differences are whole calendar days divided by the unit length: with weeks and an end of
    1997-09-30, a first purchase on 1997-01-01 gives ``T = 272 / 7 = 38.86``, so the end day
    itself is the upper limit (a purchase on the end day has ``recency == T``). This is the
    convention of the published CDNOW summary (Fader, Hardie & Lee 2005), which this function
    reproduces exactly.

    Raises
    ------
    DataError
        Missing columns (all listed at once), blank ids or dates, dates that do not parse (or
        read both day-first and month-first), negative or non-finite amounts, purchases after
        ``observation_end``. Zero amounts and amounts far above the bulk give a
        :class:`~cxlib.core.DataWarning` and are kept.
    """
    unit = unit_days(time_unit)
    log = transaction_log(transactions, customer_col, date_col, amount_col, observation_end,
                          engine=engine, con=con, date_format=date_format)
    end_day = log.last_day()
    days = log.days()
    aggs = _per_customer(days, amount=log.has_amount)
    if log.has_amount:
        aggs["first_amt"] = first_by(days.amt, days.day, backend_name(log.source))  # the first day's amount
    if ROW in days.columns:
        aggs[ROW] = days[ROW].min()
    frame = _ordered(days.group_by("c").aggregate(**aggs), log, sort)
    return pd.DataFrame(_stats(frame, end_day, unit, log.has_amount), index=frame.index)


def calibration_and_holdout(transactions, customer_col: str = "customer_id", date_col: str = "timestamp",
                            amount_col: str | None = "amount", calibration_end=None, observation_end=None,
                            time_unit: str = "W", sort: bool = False, *, engine: str = "duckdb",
                            con=None, date_format: str | None = None) -> pd.DataFrame:
    """Split a log at ``calibration_end`` into a calibration summary and holdout counts.

    Customers whose first purchase falls after ``calibration_end`` are not in the calibration
    cohort and are left out, as in Fader, Hardie & Lee (2005). The parameters are those of
    :func:`rfm_summary`.

    Returns
    -------
    DataFrame indexed by customer id (order as in :func:`rfm_summary`) with its columns suffixed ``_cal``,
    plus ``frequency_holdout`` (purchase days in ``(calibration_end, observation_end]``),
    ``monetary_value_holdout`` (their mean amount, 0 without purchases) and
    ``duration_holdout`` (length of the holdout period in ``time_unit``).
    """
    if calibration_end in (None, ""):
        raise ValueError("calibration_end is required (the last day of the calibration period)")
    unit = unit_days(time_unit)
    log = transaction_log(transactions, customer_col, date_col, amount_col, observation_end,
                          engine=engine, con=con, date_format=date_format)
    end_day = log.last_day()
    cal_day = to_day(calibration_end)
    if cal_day >= end_day:
        raise ValueError(f"calibration_end {day_to_timestamp(cal_day).date()} must be before the "
                         f"observation end {day_to_timestamp(end_day).date()}")
    days = log.days()
    in_cal, in_hold = days.day <= cal_day, days.day > cal_day
    aggs = {**_per_customer(days, amount=log.has_amount, where=in_cal),
            **_per_customer(days, amount=log.has_amount, where=in_hold, prefix="h_")}
    if log.has_amount:
        # the first purchase day overall is the first calibration day of every cohort member
        aggs["first_amt"] = first_by(days.amt, days.day, backend_name(log.source))
    if ROW in days.columns:
        aggs[ROW] = days[ROW].min()
    per = days.group_by("c").aggregate(**aggs)
    # Customers whose first purchase comes after calibration_end are not in the cohort.
    frame = _ordered(per.filter(per["first"].notnull()), log, sort)
    if frame.empty:
        raise DataError(f"no purchases on or before calibration_end {day_to_timestamp(cal_day).date()}; "
                        "choose a later calibration end", table=TABLE, column=date_col,
                        source=log.source.name)
    out = pd.DataFrame({f"{k}_cal": v for k, v in _stats(frame, cal_day, unit, log.has_amount).items()},
                       index=frame.index)
    h_freq = frame["h_n"].to_numpy(dtype=np.float64)
    out["frequency_holdout"] = h_freq
    if log.has_amount:
        h_total = frame["h_total"].fillna(0.0).to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value_holdout"] = np.where(h_freq > 0, h_total / np.maximum(h_freq, 1), 0.0)
    out["duration_holdout"] = (end_day - cal_day) / unit
    return out


def load_cdnow(path) -> pd.DataFrame:
    """Read Hardie's CDNOW sample (``CDNOW_sample.txt``) as a canonical transaction log.

    The file is whitespace separated without a header: master id, sample id (used as
    ``customer_id``), date ``YYYYMMDD`` (``timestamp``), number of CDs, dollar value (``amount``).
    """
    from ..core import resolve_path

    p = resolve_path(path)
    if not p.exists():
        raise DataError(f"file not found (looked for {p})", table=TABLE, source=path)
    raw = pd.read_csv(p, sep=r"\s+", header=None, names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"customer_id": str, "date": str})
    log = pd.DataFrame({"customer_id": raw["customer_id"],
                        "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d"),
                        "amount": raw["amount"].astype(float)})
    log.attrs["source"] = str(p)
    return log
