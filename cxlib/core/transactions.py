"""A transaction log in the engine: validated row by row there, and reduced to purchase days.

:func:`transaction_log` opens the log (a file, a DuckDB table, a warehouse table, a DataFrame or
an Ibis table; see :mod:`cxlib.core.engine`), checks every row in the engine (blank ids, dates
that do not parse, blank or negative amounts, purchases after the observation end) and keeps the
typed rows lazily. A 100-million-row file gets the same message as a small one without being
loaded. Everything built from it (the CLV summary, the overview's counts) starts from
:meth:`TransactionLog.days`:
one row per customer and calendar day, amounts summed, as in Fader, Hardie & Lee (2005).

Dates follow the rules of :mod:`cxlib.core.dates`, computed in the engine: a ``date_format``
given by the user is applied strictly; ISO 8601 needs none (an offset such as ``+02:00`` is
converted to UTC wall-clock time, with a warning); numeric day/month dates (``03/04/2024``) are
read the way the column itself settles (a first number above 12 somewhere: day-first; a second
number above 12: month-first) and refused when nothing settles it.

Amounts far above the bulk (by default above ``exp(median + 5 x 1.4826 x MAD)`` of the log
amounts, :data:`OUTLIER_MADS`) are kept and reported with a warning; :meth:`TransactionLog.capped`
gives the log with them capped at that limit, to see what they change.

Negative amounts (returns) are refused unless ``allow_returns``. A log that keeps them is for
measures that net them (RFM's net spend); the purchase summaries of :mod:`cxlib.clv` refuse it,
because a return is not a purchase day and a negative amount breaks the spend model:
:meth:`TransactionLog.purchases` gives the log without them.
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .dates import ISO_PATTERN, NUMERIC_PATTERN
from .engine import (ROW, LogFence, RowRule, Source, backend_name, blank, check_rows, count_rows, examples,
                     log_center, log_upper_fence, padded_conditions, padded_counts, read_source, strip,
                     strptime, unpadded)
from .errors import DataError, DataWarning, location

__all__ = ["TABLE", "OUTLIER_MADS", "TransactionLog", "transaction_log", "to_day", "day_to_timestamp"]

TABLE = "transactions"
SECONDS_PER_DAY = 86_400
#: Amounts above exp(median + OUTLIER_MADS x 1.4826 x MAD) of the log amounts are flagged. Leys et
#: al. (2013) suggest 2.5 or 3 for roughly normal data, but purchase amounts have a long right tail
#: even on the log scale (the Gamma-Gamma mixture has a power-law tail), and at 3 about 80 genuine
#: orders of the kit's 20,000-row log would be flagged. 5 robust standard deviations (about 28 times
#: the median amount there) flags none of them, nor any CDNOW purchase, and still catches the
#: errors that matter: an extra digit or two, cents read as units, a 1e12 typo.
OUTLIER_MADS = 5.0
_ZONE = r"\s*(?:Z|[+-]\d{2}:?\d{2})$"


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
    amount_fence : LogFence or None
        The outlier limit of the amounts (:func:`cxlib.core.engine.log_upper_fence`); None without
        amounts or with the check switched off.
    n_outliers : int
        Rows with an amount above ``amount_fence.limit``.
    allow_returns : bool
        Whether negative amounts (returns) were kept.
    n_returns : int
        Rows with a negative amount (0 unless ``allow_returns``).
    typed : dict
        The columns of :attr:`rows` as expressions on ``source.table``, as opened (before
        :meth:`capped` or :meth:`purchases`), for queries that need other columns of the table
        beside them (the purchase counts per item).
    """

    source: Source
    rows: object
    customer_col: str
    end_day: int | None
    has_amount: bool
    date_col: str = "timestamp"
    amount_col: str | None = "amount"
    amount_fence: LogFence | None = None
    n_outliers: int = 0
    allow_returns: bool = False
    n_returns: int = 0
    typed: dict = field(default_factory=dict, repr=False)
    _facts: dict | None = field(default=None, init=False, repr=False)

    def capped(self) -> TransactionLog:
        """The same log with every amount above the outlier limit set to the limit.

        The purchases stay (they still count in frequency and recency); only their amounts are
        capped, so comparing results with and without capping isolates what the flagged amounts
        do to spend and value. Without a limit, the log itself.
        """
        import ibis

        if not self.has_amount or self.amount_fence is None or not self.n_outliers:
            return self
        rows = self.rows.mutate(amt=ibis.least(self.rows.amt, ibis.literal(self.amount_fence.limit)))
        return replace(self, rows=rows)

    def purchases(self) -> TransactionLog:
        """The log without its returns (negative amounts), keeping its observation end.

        The observation end stays the one given, else the last day of the whole log, returns
        included, so that recency is measured to the same day with or without returns. Without
        returns, the log itself.
        """
        if not self.n_returns:
            return self
        return replace(self, rows=self.rows.filter(self.rows.amt >= 0), end_day=self.last_day(),
                       allow_returns=False, n_returns=0)

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
                    con=None, spark_master: str | None = None, date_format: str | None = None,
                    outlier_mads: float | None = OUTLIER_MADS, encoding: str | None = None,
                    allow_returns: bool = False) -> TransactionLog:
    """Open and validate a transaction log in the engine.

    Parameters
    ----------
    transactions : str, path-like, DataFrame, ibis.Table, Source or TransactionLog
        The log (see :func:`cxlib.core.engine.read_source`). A ``TransactionLog`` is returned as
        it is, unless it kept returns and ``allow_returns`` is not set (see Raises).
    customer_col, date_col, amount_col : str
        Column names; ``amount_col=None`` (or ``""``) for a log without amounts.
    observation_end : date-like, optional
        Last day of observation; purchases on a later day are an error.
    engine, con, spark_master
        Where the rows are processed (:func:`cxlib.core.engine.connect`).
    date_format : str, optional
        A strftime format for text dates (``"%d/%m/%Y"``, ``"%m/%d/%Y %H:%M"``), applied strictly
        in the engine (:func:`cxlib.core.engine.strptime`). Without it, dates are read as the
        module docstring says.
    outlier_mads : float, optional
        Flag amounts above ``exp(median + outlier_mads x 1.4826 x MAD)`` of the log of the
        positive amounts (:data:`OUTLIER_MADS`); 0 or None switches the check off.
    encoding : str, optional
        Text encoding of a CSV file (``latin-1``, ``cp1252``, ``utf-16``; UTF-8 when not given),
        see :func:`cxlib.core.engine.csv_encoding`.
    allow_returns : bool
        Keep negative amounts (returns) instead of refusing them; the outlier limit is still
        computed from, and applied to, the positive amounts only. Such a log is for measures that
        net returns against purchases (RFM's net spend); :meth:`TransactionLog.purchases` drops
        them.

    Raises
    ------
    DataError
        Missing columns (all listed at once), blank ids, blank or unparseable dates, numeric
        dates that read both day-first and month-first (or mix the two), blank, non-numeric,
        non-finite (inf, nan) or negative amounts (unless ``allow_returns``), purchases after
        ``observation_end``, a CSV file that is not valid text in its encoding; and a
        ``TransactionLog`` that kept returns, given where returns are not allowed (the purchase
        summaries of :mod:`cxlib.clv`).
    ValueError
        A negative ``outlier_mads``, a ``date_format`` directive the engine cannot read, or an
        encoding it cannot read.

    Warns
    -----
    DataWarning
        Amounts of 0 (kept), timestamps with a time zone (converted to UTC), a numeric date
        layout the column settles, and amounts above the outlier limit (kept; see
        :meth:`TransactionLog.capped`).
    """
    import ibis.expr.types as ir

    if isinstance(transactions, TransactionLog):
        if transactions.n_returns and not allow_returns:
            _refuse_returns(transactions)
        return transactions
    outlier_mads = _check_mads(outlier_mads)
    amount_col = amount_col or None
    src = read_source(transactions, table=TABLE, engine=engine, con=con, spark_master=spark_master,
                      encoding=encoding)
    _require_columns(src, [customer_col, date_col] + ([amount_col] if amount_col else []))
    t = src.table
    raw_id = t[customer_col]
    dates = _DateColumn(src, date_col, date_format or None)
    amt = _amounts(t[amount_col]) if amount_col else None
    end_day = None if observation_end in (None, "") else to_day(observation_end)
    zero = (lambda t, a=amt: a == 0) if amount_col else None
    also = {**dates.conditions(), **({"zero": zero} if zero else {})}
    if amount_col and allow_returns:  # counted in the same pass
        also["returns"] = lambda t, a=amt: a < 0
    # text cells that may need stripping, so that later passes strip only columns that have them
    text = [customer_col, date_col, amount_col]
    also.update(padded_conditions(t, text))
    rules = _rules(dates, amt, customer_col, amount_col, end_day, allow_returns)
    # the outlier limit's median is taken in the same pass as the checks
    center = log_center(src, lambda t, a=amt: a) if amount_col and outlier_mads else None
    counts = check_rows(src, rules, table=TABLE, also=also, values=center)
    n_padded = padded_counts(t, text, counts).get
    if dates.settle(counts):  # numeric dates: check them again, now that the layout is known
        check_rows(src, _rules(dates, amt, customer_col, amount_col, end_day, allow_returns), table=TABLE)
    else:
        dates.plain(counts, n_padded(date_col))
    dates.warn(counts)
    if counts.get("zero"):
        _warn_rows(src, counts["zero"], zero, [customer_col, amount_col], amount_col,
                   "have amount 0; they are kept as purchases (they count in frequency and recency "
                   "and lower the mean spend)", stacklevel=3)
    if amount_col:
        amt = _amounts(t[amount_col], n_padded(amount_col))
    fence, n_outliers = _outliers(src, amt, outlier_mads, [customer_col, date_col, amount_col], amount_col,
                                  counts)
    ts = dates.ts
    cid = unpadded(raw_id, n_padded(customer_col)) if isinstance(raw_id, ir.StringValue) else raw_id
    # Whole calendar days since the epoch: integer arithmetic is several times faster than dates.
    typed = {"c": cid, "ts": ts, "day": (ts.epoch_seconds() // SECONDS_PER_DAY).cast("int64")}
    if amount_col:
        typed["amt"] = amt
    if src.has_row_numbers:
        typed[ROW] = t[ROW]
    return TransactionLog(src, t.select(**typed), customer_col, end_day, amount_col is not None,
                          date_col, amount_col, fence, n_outliers, bool(amount_col and allow_returns),
                          counts.get("returns", 0), typed)


def _refuse_returns(log: TransactionLog) -> None:
    """A log that kept returns, where only purchases make sense."""
    a = log.rows.amt
    shown = log.to_pandas(log.rows.filter(a < 0).select("c", "amt").limit(3))
    examples_ = ", ".join(f"{c!r}: {v:g}" for c, v in zip(shown["c"], shown["amt"]))
    n = log.n_returns
    raise DataError(f"the log keeps {n:,} row{'s' if n != 1 else ''} with negative amounts (returns; "
                    f"e.g. {examples_}), opened with allow_returns. The purchase summary counts purchase "
                    "days and models spend per purchase, and a return is neither: pass log.purchases() "
                    "(the log without returns), or net each return against its purchase first",
                    source=log.source.name, table=TABLE, column=log.amount_col, n_rows=n)


def _check_mads(outlier_mads) -> float:
    if outlier_mads in (None, ""):
        return 0.0
    value = float(outlier_mads)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"outlier_mads must be a number >= 0 (0 switches the check off), got {outlier_mads!r}")
    return value


def _require_columns(src: Source, wanted: list[str]) -> None:
    missing = [c for c in wanted if c not in src.columns]
    if missing:
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                        f"the table has {', '.join(map(repr, src.columns))}",
                        source=src.name, table=TABLE, column=missing[0], n_rows=0)


def _amounts(raw, n_padded: int | None = None):
    """The amount column as float64: text is stripped (unless ``n_padded`` is 0) and cast; bad
    text becomes null."""
    import ibis.expr.types as ir

    if isinstance(raw, ir.StringValue):
        return unpadded(raw, n_padded).try_cast("float64")
    return raw.cast("float64")


def _rules(dates: _DateColumn, amt, customer_col: str, amount_col: str | None, end_day: int | None,
           allow_returns: bool = False) -> list[RowRule]:
    """The rules every row must keep, in the order their messages are given."""
    date_col = dates.column
    rules = [
        RowRule(lambda t: blank(t[customer_col]), "blank customer ids; expected an id in every row", customer_col),
        RowRule(lambda t: blank(t[date_col]), "blank dates; expected a date in every row", date_col),
        RowRule(dates.unparsed, dates.expected, date_col),
    ]
    if amount_col:
        rules += [
            RowRule(lambda t: blank(t[amount_col]), "blank amounts; expected a number in every row", amount_col),
            RowRule(lambda t, a=amt: a.isnull() & ~blank(t[amount_col]), "expected numbers", amount_col),
            # before the sign rule: -inf is not a return, and nan compares false with everything
            # |a| above the largest double, not isinf(): Ibis' Spark isinf compares with a literal
            # that does not match the infinity Spark reads from "inf"
            RowRule(lambda t, a=amt: (a.abs() > sys.float_info.max) | (a.isnan() & ~blank(t[amount_col])),
                    "non-finite amounts (inf or nan); expected a finite number in every row", amount_col,
                    show=[customer_col, dates.column, amount_col]),
        ]
        if not allow_returns:
            rules.append(RowRule(
                lambda t, a=amt: a < 0,
                "negative amounts (returns); purchase counts and the spend model need purchase "
                "values, not refunds. Net each return against its purchase, or drop returns, before "
                "summarizing (the RFM net spend of 03_segmentation nets them itself: there "
                "allow_returns: true keeps them)",
                amount_col, show=[customer_col, date_col, amount_col]))
    if end_day is not None:
        day = (dates.ts.epoch_seconds() // SECONDS_PER_DAY).cast("int64")
        rules.append(RowRule(
            lambda t, d=day: d > end_day,
            f"purchases after the observation end {day_to_timestamp(end_day).date()}; set "
            "observation_end to the last day of the data or filter the log",
            date_col, show=[customer_col, date_col]))
    return rules


def _warn_rows(src: Source, n: int, cond, show, column, what: str, stacklevel: int = 4) -> None:
    """A DataWarning naming ``n`` rows with examples, for rows that are kept."""
    warnings.warn(
        f"{location(src.name, TABLE, column)}: {n} row{'s' if n != 1 else ''} "
        f"({examples(src, cond, show)}{', ...' if n > 5 else ''}) {what}", DataWarning, stacklevel=stacklevel)


def _outliers(src: Source, amt, mads: float, show, amount_col, center: dict) -> tuple[LogFence | None, int]:
    """The amounts' outlier limit and how many rows exceed it (warned about, never dropped)."""
    if amt is None or not mads:
        return None, 0
    fence = log_upper_fence(src, lambda t, a=amt: a, mads, center=center)
    if fence is None:
        return None, 0
    above = lambda t, a=amt, limit=fence.limit: a > limit  # noqa: E731
    # the largest amount is known: a pass to count those above the limit only when there are any
    n = count_rows(src, {"above": above})["above"] if fence.largest > fence.limit else 0
    if n:
        _warn_rows(src, n, above, show, amount_col,
                   f"have amounts above {fence.limit:,.2f}, far outside the bulk: the limit is "
                   f"{fence.describe()}. They are kept; check them (an extra digit, cents read as "
                   "units, a test order). The CLV lesson shows what they change; outlier_mads sets "
                   "the limit (0 switches the check off)", stacklevel=4)
    return fence, n


class _DateColumn:
    """How the engine reads the date column, by the rules of :mod:`cxlib.core.dates`.

    ``ts`` is the timestamp expression. Without ``date_format``, numeric day/month dates are
    null in ``ts`` until :meth:`settle` has seen the counts of the first pass and chosen the
    layout the column settles (or refused the column).
    """

    def __init__(self, src: Source, column: str, date_format: str | None):
        import ibis
        import ibis.expr.types as ir

        self.src, self.column, self.format = src, column, date_format
        raw = src.table[column]
        self.numeric = self.zoned = None
        self.expected = "expected dates (for example 2024-03-31 or 2024-03-31 14:05:00)"
        if not isinstance(raw, ir.StringValue):
            self.text, self.ts = None, raw.cast("timestamp")
            return
        self.text = strip(raw).nullif("")
        if date_format:
            self.ts = strptime(self.text, date_format, backend_name(src))
            self.expected = f"expected dates in the format {date_format}"
            return
        self.expected = ("expected dates (for example 2024-03-31; for another layout set date_format, "
                         "e.g. %d/%m/%Y)")
        self.numeric = self.text.re_search(NUMERIC_PATTERN.pattern).fill_null(False)
        self.zoned = (self.text.re_search(ISO_PATTERN.pattern) & self.text.re_search(_ZONE)).fill_null(False)
        self._parts = [self.text.re_extract(NUMERIC_PATTERN.pattern, i) for i in (1, 2, 3, 4)]
        self.ts = ibis.ifelse(self.numeric, ibis.null("timestamp"), self._iso())

    def _iso(self):
        """ISO text as a timestamp; an offset (``+02:00``, ``Z``) is taken off, to UTC wall-clock time."""
        import ibis

        text = self.text
        zone = text.re_extract(_ZONE, 0).re_replace(r"\s", "")
        digits = zone.re_replace(r"[^0-9]", "")
        # "Z" has no digits: an offset of 0
        minutes = (digits.substr(0, 2).try_cast("int64").fill_null(0) * 60
                   + digits.substr(2, 2).try_cast("int64").fill_null(0))
        minutes = ibis.ifelse(zone.substr(0, 1) == "-", -minutes, minutes)
        local = ibis.ifelse(self.zoned, text.re_replace(_ZONE, ""), text).try_cast("timestamp")
        return ibis.ifelse(self.zoned, local - minutes.as_interval("m"), local)

    def _first_second(self):
        first, second = (p.try_cast("int64") for p in self._parts[:2])
        return first, second

    def conditions(self) -> dict:
        """Counted with the first pass: numeric dates and which layout they show, zoned timestamps."""
        if self.numeric is None:
            return {}
        first, second = self._first_second()
        return {"_numeric": lambda t: self.numeric, "_day_first": lambda t: self.numeric & (first > 12),
                "_month_first": lambda t: self.numeric & (second > 12), "_zoned": lambda t: self.zoned}

    def unparsed(self, t):
        """Rows whose date is not blank but did not parse (numeric ones only once settled)."""
        bad = self.ts.isnull() & ~blank(t[self.column])
        if self.numeric is not None and not getattr(self, "_settled", False):
            bad = bad & ~self.numeric
        return bad

    def settle(self, counts: dict) -> bool:
        """Choose the numeric layout the column settles, or refuse it; True if there are numeric dates."""
        import ibis

        if not counts.get("_numeric"):
            return False
        first, second = self._first_second()
        day_first, month_first = self.numeric & (first > 12), self.numeric & (second > 12)
        if counts["_day_first"] and counts["_month_first"]:
            self._refuse(day_first | month_first, counts["_day_first"] + counts["_month_first"],
                         "the column mixes day-first dates (first number above 12) and month-first "
                         "dates (second number above 12); make them one layout, or set date_format")
        if not (counts["_day_first"] or counts["_month_first"]):
            self._refuse(self.numeric, counts["_numeric"],
                         "these dates read both day-first and month-first (no day above 12 settles it); "
                         "set date_format to %d/%m/%Y (day first) or %m/%d/%Y (month first)")
        self.order = "%d/%m" if counts["_day_first"] else "%m/%d"
        self._settling = day_first if counts["_day_first"] else month_first
        day, month = (self._parts[0], self._parts[1]) if self.order == "%d/%m" else (self._parts[1], self._parts[0])
        self.ts = ibis.ifelse(self.numeric, self._numeric_ts(day, month), self.ts)
        self._settled = True
        return True

    def plain(self, counts: dict, n_padded: int | None = None) -> None:
        """Without numeric or zoned dates every date is ISO text without a zone (the checks passed),
        so later passes cast it directly instead of testing every row against the patterns (and
        without stripping it when ``n_padded`` is 0)."""
        if self.numeric is not None and not counts.get("_numeric") and not counts.get("_zoned"):
            self.ts = unpadded(self.src.table[self.column], n_padded).try_cast("timestamp")

    def _numeric_ts(self, day, month):
        """A settled numeric date as ISO text, cast: two-digit years as Python's %y (69-99: 1900s)."""
        import ibis

        year, clock = self._parts[2], self._parts[3]
        century = ibis.ifelse(year.try_cast("int64") < 69, "20", "19")
        year = ibis.ifelse(year.length() == 2, century.concat(year), year)
        clock = ibis.ifelse(clock.re_search(r"^\d:"), ibis.literal("0").concat(clock), clock)
        clock = ibis.ifelse(clock.fill_null("") == "", "", ibis.literal(" ").concat(clock))
        iso = year.concat("-", month.lpad(2, "0"), "-", day.lpad(2, "0"), clock)
        return iso.try_cast("timestamp")

    def _refuse(self, bad, n: int, message: str):
        shown = examples(self.src, lambda t: bad, [self.column])
        raise DataError(f"{n} row{'s' if n != 1 else ''} ({shown}{', ...' if n > 5 else ''}): {message}",
                        source=self.src.name, table=TABLE, column=self.column, n_rows=n)

    def warn(self, counts: dict) -> None:
        """Say how the column was read when it was not plain ISO 8601 without a zone."""
        where = location(self.src.name, TABLE, self.column)
        if getattr(self, "_settled", False):
            values = self.src.to_pandas(self.src.table.filter(self._settling).select(v=self.text).limit(3))["v"]
            layout = "day-first (%d/%m/%Y)" if self.order == "%d/%m" else "month-first (%m/%d/%Y)"
            warnings.warn(f"{where}: dates such as {', '.join(map(repr, values))} settle the layout: the "
                          f"column is read {layout}", DataWarning, stacklevel=3)
        n = counts.get("_zoned", 0)
        if n:
            warnings.warn(f"{where}: {n} timestamp{'s carry' if n != 1 else ' carries'} a time zone; "
                          f"{'they are' if n != 1 else 'it is'} converted to UTC and kept as UTC "
                          "wall-clock time", DataWarning, stacklevel=3)
