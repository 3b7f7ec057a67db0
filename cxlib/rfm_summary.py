"""From a raw transaction log to the per-customer summary the buy-till-you-die models use.

For each customer: ``frequency`` (number of repeat purchase days), ``recency`` (age at the last
purchase), ``T`` (age at the end of observation) and ``monetary_value`` (mean amount of the
repeat purchase days), all times in a chosen unit. Purchases on the same calendar day merge
into one, as in Fader, Hardie & Lee (2005).

The work is done on integer arrays (days since the epoch, factorized customer codes) with
``numpy`` grouped reductions, so that tens of millions of rows summarize in seconds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .data import DataError, DataWarning, describe_rows, require_columns, require_not_empty, require_rows
from .data import to_datetime, to_numeric

__all__ = ["TIME_UNITS", "rfm_summary", "calibration_and_holdout", "load_cdnow"]

#: Length of one time unit in days. A month is an average Gregorian month.
TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}

TABLE = "transactions"


def _unit_days(time_unit: str) -> float:
    try:
        return TIME_UNITS[str(time_unit).upper()]
    except KeyError:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)} (days, weeks, months), "
                         f"got {time_unit!r}") from None


def _to_day(value) -> int:
    """A date-like value as whole days since 1970-01-01 (time of day dropped)."""
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _sort_codes(codes: np.ndarray, uniques):
    """Renumber factorized codes so the unique ids are in sorted order.

    Arrow sorts millions of text ids several times faster than numpy or pandas sorting Python
    strings. Ids of mixed types (numbers and text) are sorted by their text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        order = np.asarray(pc.sort_indices(pa.array(np.asarray(uniques), from_pandas=True)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        order = pd.Index(uniques).astype(str).argsort()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), uniques[order]


def _prepare(transactions: pd.DataFrame, customer_col: str, date_col: str, amount_col: str | None,
             sort: bool = False):
    """Validate the log and return (customer codes, customer ids, days, amounts)."""
    source = transactions.attrs.get("source")
    cols = [customer_col, date_col] + ([amount_col] if amount_col else [])
    require_columns(transactions, cols, table=TABLE, source=source)
    require_not_empty(transactions, table=TABLE, source=source)

    # factorize marks missing ids with -1, which spares a separate pass over the ids.
    codes, uniques = pd.factorize(transactions[customer_col], sort=False)
    if sort:
        codes, uniques = _sort_codes(codes, uniques)
    require_rows(transactions, codes < 0, "blank customer ids; expected an id in every row",
                 table=TABLE, column=customer_col, source=source)

    dates = transactions[date_col]
    if not pd.api.types.is_datetime64_any_dtype(dates) or dates.isna().any():
        dates = to_datetime(transactions, date_col, table=TABLE, source=source)
    values = dates.to_numpy()
    if values.dtype.kind != "M":  # timezone-aware columns come back as objects
        values = dates.dt.tz_localize(None).to_numpy()
    # Casting to whole days floors, so a purchase at 23:59 belongs to its own day.
    days = values.astype("datetime64[D]").astype(np.int64)

    amounts = None
    if amount_col:
        col = transactions[amount_col]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            col = to_numeric(transactions, amount_col, table=TABLE, source=source, allow_missing=False)
        amounts = col.to_numpy(dtype=np.float64)
        require_rows(transactions, np.isnan(amounts), "blank amounts; expected a number in every row",
                     table=TABLE, column=amount_col, source=source)
        require_rows(
            transactions, amounts < 0,
            "negative amounts (returns); the spend model needs purchase values, not refunds. Net "
            "each return against its purchase, or drop returns, before summarizing",
            table=TABLE, column=amount_col, source=source, show=[customer_col, date_col, amount_col])
        zero = amounts == 0
        if zero.any():
            warnings.warn(
                f"table '{TABLE}', column '{amount_col}': {describe_rows(transactions, zero, [customer_col, amount_col])} "
                "have amount 0; they are kept as purchases (they count in frequency and recency "
                "and lower the mean spend)", DataWarning, stacklevel=3)
    return np.asarray(codes, dtype=np.int64), uniques, days, amounts


def unique_pairs(codes: np.ndarray, days: np.ndarray):
    """The distinct (customer code, day) pairs, as two arrays sorted by customer then day.

    The pair is packed into one integer and sorted; a log already in customer and time order
    is detected in one pass and not sorted again.
    """
    if len(codes) == 0:
        return codes, days
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    pair = codes * span + (days - lo)
    if not np.all(pair[1:] >= pair[:-1]):
        pair = np.sort(pair)
    first = np.empty(len(pair), dtype=bool)
    first[0] = True
    np.not_equal(pair[1:], pair[:-1], out=first[1:])
    pair = pair[first]
    return pair // span, pair % span + lo


def _summarize(codes, n_customers, days, amounts, end_day, unit_days):
    """Grouped reductions on integer arrays; returns a dict of per-customer arrays."""
    big = np.iinfo(np.int64).max
    first = np.full(n_customers, big, dtype=np.int64)
    last = np.full(n_customers, -big, dtype=np.int64)
    np.minimum.at(first, codes, days)
    np.maximum.at(last, codes, days)

    pair_codes, _ = unique_pairs(codes, days)
    n_days = np.bincount(pair_codes, minlength=n_customers)

    frequency = n_days - 1
    out = {
        "frequency": frequency.astype(np.float64),
        "recency": (last - first) / unit_days,
        "T": (end_day - first) / unit_days,
    }
    if amounts is not None:
        total = np.bincount(codes, weights=amounts, minlength=n_customers)
        on_first = days == first[codes]
        first_total = np.bincount(codes[on_first], weights=amounts[on_first], minlength=n_customers)
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, (total - first_total) / np.maximum(frequency, 1), 0.0)
        out["monetary_value"] = monetary
    out["_first"] = first
    return out


def rfm_summary(transactions: pd.DataFrame, customer_col: str = "customer_id",
                date_col: str = "timestamp", amount_col: str | None = "amount",
                observation_end=None, time_unit: str = "W", sort: bool = False) -> pd.DataFrame:
    """Summarize a transaction log into frequency, recency, T and monetary value per customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names of the customer id, purchase timestamp and purchase amount. Pass
        ``amount_col=None`` to skip ``monetary_value``.
    observation_end : date-like, optional
        End of the observation window (a calendar day). Defaults to the last purchase day.
        Purchases on a later day are an error.
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``: days, weeks (7 days) or months (365.25 / 12 days).
    sort : bool, default False
        Sort the customers by id. By default they come in order of first appearance in the log
        (sorted whenever the log is); sorting millions of text ids costs more than the summary.

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
        Missing columns (all listed at once), blank ids or dates, dates that do not parse,
        negative amounts, purchases after ``observation_end``. Zero amounts give a
        :class:`~cxlib.data.DataWarning` and are kept.
    """
    unit_days = _unit_days(time_unit)
    codes, uniques, days, amounts = _prepare(transactions, customer_col, date_col, amount_col, sort)
    source = transactions.attrs.get("source")
    end_day = int(days.max()) if observation_end in (None, "") else _to_day(observation_end)
    late = days > end_day
    if late.any():
        require_rows(transactions, late,
                     f"purchases after the observation end {_day_to_timestamp(end_day).date()}; "
                     "set observation_end to the last day of the data or filter the log",
                     table=TABLE, column=date_col, source=source, show=[customer_col, date_col])
    stats = _summarize(codes, len(uniques), days, amounts, end_day, unit_days)
    stats.pop("_first")
    index = pd.Index(uniques, name=customer_col)
    return pd.DataFrame(stats, index=index)


def calibration_and_holdout(transactions: pd.DataFrame, customer_col: str = "customer_id",
                            date_col: str = "timestamp", amount_col: str | None = "amount",
                            calibration_end=None, observation_end=None,
                            time_unit: str = "W", sort: bool = False) -> pd.DataFrame:
    """Split a log at ``calibration_end`` into a calibration summary and holdout counts.

    Customers whose first purchase falls after ``calibration_end`` are not in the calibration
    cohort and are left out, as in Fader, Hardie & Lee (2005).

    Returns
    -------
    DataFrame indexed by customer id (order as in :func:`rfm_summary`) with its columns suffixed ``_cal``,
    plus ``frequency_holdout`` (purchase days in ``(calibration_end, observation_end]``),
    ``monetary_value_holdout`` (their mean amount, 0 without purchases) and
    ``duration_holdout`` (length of the holdout period in ``time_unit``).
    """
    if calibration_end in (None, ""):
        raise ValueError("calibration_end is required (the last day of the calibration period)")
    unit_days = _unit_days(time_unit)
    codes, uniques, days, amounts = _prepare(transactions, customer_col, date_col, amount_col, sort)
    source = transactions.attrs.get("source")
    end_day = int(days.max()) if observation_end in (None, "") else _to_day(observation_end)
    cal_day = _to_day(calibration_end)
    if cal_day >= end_day:
        raise ValueError(f"calibration_end {_day_to_timestamp(cal_day).date()} must be before the "
                         f"observation end {_day_to_timestamp(end_day).date()}")
    late = days > end_day
    if late.any():
        require_rows(transactions, late,
                     f"purchases after the observation end {_day_to_timestamp(end_day).date()}",
                     table=TABLE, column=date_col, source=source, show=[customer_col, date_col])
    cal = days <= cal_day
    if not cal.any():
        raise DataError(f"no purchases on or before calibration_end {_day_to_timestamp(cal_day).date()}; "
                        "choose a later calibration end", table=TABLE, column=date_col, source=source)
    n = len(uniques)
    stats = _summarize(codes[cal], n, days[cal], None if amounts is None else amounts[cal],
                       cal_day, unit_days)
    in_cohort = stats.pop("_first") <= cal_day

    hold = ~cal
    h_codes = codes[hold]
    # Holdout purchase days, merged per day like the calibration ones.
    h_freq = np.bincount(unique_pairs(h_codes, days[hold])[0], minlength=n).astype(np.float64)

    frame = pd.DataFrame({f"{k}_cal": v for k, v in stats.items()}, index=pd.Index(uniques, name=customer_col))
    frame["frequency_holdout"] = h_freq
    if amounts is not None:
        h_total = np.bincount(h_codes, weights=amounts[hold], minlength=n)
        frame["monetary_value_holdout"] = np.where(h_freq > 0, h_total / np.maximum(h_freq, 1), 0.0)
    frame["duration_holdout"] = (end_day - cal_day) / unit_days
    return frame.loc[in_cohort]


def load_cdnow(path) -> pd.DataFrame:
    """Read Hardie's CDNOW sample (``CDNOW_sample.txt``) as a canonical transaction log.

    The file is whitespace separated without a header: master id, sample id (used as
    ``customer_id``), date ``YYYYMMDD`` (``timestamp``), number of CDs, dollar value (``amount``).
    """
    from .config import resolve_path

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
