"""A transaction log in the engine: validated row by row there, and reduced to purchase days.

:func:`transaction_log` opens the log (a file, a DuckDB table, a warehouse table, a DataFrame or
an Ibis table; see :mod:`cxlib.core.engine`), checks every row in the engine (blank ids, dates
that do not parse, blank or negative amounts, purchases after the observation end) and keeps the
typed rows lazily. A 100-million-row file gets the same message as a small one without being
loaded. Everything built from it (the CLV summary, the overview's counts) starts from
:meth:`TransactionLog.days`:
one row per customer and calendar day, amounts summed, as in Fader, Hardie & Lee (2005).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .engine import ROW, RowRule, Source, blank, check_rows, examples, read_source, strip
from .errors import DataError, DataWarning, location

__all__ = ["TABLE", "TransactionLog", "transaction_log", "to_day", "day_to_timestamp"]

TABLE = "transactions"
SECONDS_PER_DAY = 86_400


def to_day(value) -> int:
    """A date-like value as whole days since 1970-01-01 (time of day dropped)."""
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def day_to_timestamp(day: int) -> pd.Timestamp:
    """Whole days since 1970-01-01 as a timestamp."""
    return pd.Timestamp(np.datetime64(int(day), "D"))


@dataclass
class TransactionLog:
    """Validated purchases, lazily, in the engine.

    Attributes
    ----------
    source : Source
        The opened table.
    rows : ibis.Table
        One row per purchase: ``c`` (customer id), ``ts`` (the timestamp), ``day`` (whole days
        since 1970-01-01), ``amt`` (amount; absent without an amount column) and, for
        DataFrames, the row number.
    customer_col, date_col, amount_col : str
        The user's names of the columns (the summary's index is named after the id column;
        ``amount_col`` is None without amounts).
    end_day : int or None
        The observation end as a day number, when given.
    has_amount : bool
        Whether the log has an amount column.
    """

    source: Source
    rows: object
    customer_col: str
    end_day: int | None
    has_amount: bool
    date_col: str = "timestamp"
    amount_col: str | None = "amount"
    _facts: dict | None = field(default=None, init=False, repr=False)

    def to_pandas(self, expr) -> pd.DataFrame:
        return self.source.to_pandas(expr)

    def days(self):
        """One row per customer and purchase day: ``c, day`` and ``amt`` (summed) and the first row."""
        r = self.rows
        aggs = {}
        if self.has_amount:
            aggs["amt"] = r.amt.sum()
        if ROW in r.columns:
            aggs[ROW] = r[ROW].min()
        return r.group_by(["c", "day"]).aggregate(**aggs) if aggs else r.select("c", "day").distinct()

    def last_day(self) -> int:
        """The observation end: the given one, else the last purchase day."""
        if self.end_day is not None:
            return self.end_day
        return int(self.to_pandas(self.rows.aggregate(last=self.rows.day.max()))["last"].iloc[0])

    def describe(self) -> dict:
        """Rows, customers, first and last purchase date and mean amount, counted in the engine.

        Counted once per log: the overview asks for them in several tables.
        """
        if self._facts is not None:
            return dict(self._facts)
        r = self.rows
        aggs = dict(n_transactions=r.count(), n_customers=r.c.nunique(), first=r.ts.min(), last=r.ts.max())
        if self.has_amount:
            aggs["mean_amount"] = r.amt.mean()
        row = self.to_pandas(r.aggregate(**aggs)).iloc[0]
        out = {"n_transactions": int(row["n_transactions"]), "n_customers": int(row["n_customers"]),
               "first_date": pd.Timestamp(row["first"]), "last_date": pd.Timestamp(row["last"])}
        if self.has_amount:
            out["mean_amount"] = float(row["mean_amount"])
        self._facts = out
        return dict(out)


def transaction_log(transactions, customer_col: str = "customer_id", date_col: str = "timestamp",
                    amount_col: str | None = "amount", observation_end=None, *, engine: str = "duckdb",
                    con=None, spark_master: str | None = None) -> TransactionLog:
    """Open and validate a transaction log in the engine.

    Parameters
    ----------
    transactions : str, path-like, DataFrame, ibis.Table, Source or TransactionLog
        The log (see :func:`cxlib.core.engine.read_source`).
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` (or ``""``) for a log without amounts.
    observation_end : date-like, optional
        Last day of observation; purchases on a later day are an error.
    engine, con, spark_master
        Where the rows are processed (:func:`cxlib.core.engine.connect`).

    Raises
    ------
    DataError
        Missing columns (all listed at once), blank ids, blank or unparseable dates, blank,
        non-numeric or negative amounts, purchases after ``observation_end``. Amounts of 0 give a
        :class:`~cxlib.core.DataWarning` and are kept.
    """
    import ibis.expr.types as ir

    if isinstance(transactions, TransactionLog):
        return transactions
    amount_col = amount_col or None
    src = read_source(transactions, table=TABLE, engine=engine, con=con, spark_master=spark_master)
    wanted = [customer_col, date_col] + ([amount_col] if amount_col else [])
    missing = [c for c in wanted if c not in src.columns]
    if missing:
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                        f"the table has {', '.join(map(repr, src.columns))}",
                        source=src.name, table=TABLE, column=missing[0], n_rows=0)
    t = src.table
    raw_id, raw_ts = t[customer_col], t[date_col]
    cid = strip(raw_id).nullif("") if isinstance(raw_id, ir.StringValue) else raw_id
    if isinstance(raw_ts, ir.StringValue):
        ts = strip(raw_ts).nullif("").try_cast("timestamp")
    else:
        ts = raw_ts.cast("timestamp")
    # Whole calendar days since the epoch: integer arithmetic is several times faster than dates.
    day = (ts.epoch_seconds() // SECONDS_PER_DAY).cast("int64")
    typed = {"c": cid, "ts": ts, "day": day}
    rules = [
        RowRule(lambda t: blank(t[customer_col]), "blank customer ids; expected an id in every row", customer_col),
        RowRule(lambda t: blank(t[date_col]), "blank dates; expected a date in every row", date_col),
        RowRule(lambda t, ts=ts: ts.isnull() & ~blank(t[date_col]),
                "expected dates (for example 2024-03-31 or 2024-03-31 14:05:00)", date_col),
    ]
    if amount_col:
        raw_amt = t[amount_col]
        if isinstance(raw_amt, ir.StringValue):
            amt = strip(raw_amt).nullif("").try_cast("float64")
        else:
            amt = raw_amt.cast("float64")
        typed["amt"] = amt
        rules += [
            RowRule(lambda t: blank(t[amount_col]), "blank amounts; expected a number in every row", amount_col),
            RowRule(lambda t, a=amt: a.isnull() & ~blank(t[amount_col]), "expected numbers", amount_col),
            RowRule(lambda t, a=amt: a < 0,
                    "negative amounts (returns); the spend model needs purchase values, not refunds. Net "
                    "each return against its purchase, or drop returns, before summarizing",
                    amount_col, show=[customer_col, date_col, amount_col]),
        ]
    end_day = None if observation_end in (None, "") else to_day(observation_end)
    if end_day is not None:
        rules.append(RowRule(
            lambda t, d=day: d > end_day,
            f"purchases after the observation end {day_to_timestamp(end_day).date()}; set "
            "observation_end to the last day of the data or filter the log",
            date_col, show=[customer_col, date_col]))
    zero = (lambda t, a=typed["amt"]: a == 0) if amount_col else None
    n_zero = check_rows(src, rules, table=TABLE, also={"zero": zero} if zero else None).get("zero", 0)
    if n_zero:
        warnings.warn(
            f"{location(src.name, TABLE, amount_col)}: {n_zero} row{'s' if n_zero != 1 else ''} "
            f"({examples(src, zero, [customer_col, amount_col])}{', ...' if n_zero > 5 else ''}) "
            "have amount 0; they are kept as purchases (they count in frequency and recency "
            "and lower the mean spend)", DataWarning, stacklevel=2)
    if src.has_row_numbers:
        typed[ROW] = t[ROW]
    return TransactionLog(src, t.select(**typed), customer_col, end_day, amount_col is not None,
                          date_col, amount_col)
