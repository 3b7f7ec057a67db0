"""Who bought what: the purchase log reduced in the engine to customer x item counts.

:func:`purchase_counts` opens the log with :func:`cxlib.clv.transaction_log` (the CLV lesson's
checks: blank ids, dates that do not parse, negative amounts, purchases after the observation
end), checks the item column, and groups by customer and item where the rows live (DuckDB by
default). With a ``holdout_start`` it counts each pair's purchases before that day and from it
on in the same pass, so the time split costs nothing extra. Only the pairs come back.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import clv
from ..core import DataError, DataWarning, location
from ..core.engine import RowRule, check_rows, padded_conditions, padded_counts, strip, unpadded

__all__ = ["Purchases", "purchase_counts", "TABLE"]

TABLE = "transactions"


@dataclass
class Purchases:
    """Purchase counts per customer and item, with the holdout split.

    Attributes
    ----------
    customers, items : pandas.Index
        Customer and item ids, sorted; a pair's codes index them.
    user, item : ndarray of int
        Codes of each (customer, item) pair that has at least one purchase.
    before, after : ndarray of float
        Purchases of each pair before ``holdout_start`` and from it on (all in ``before``
        without a holdout).
    spend : Series
        Total amount per customer (index ``customers``); empty without an amount column.
    holdout_start : Timestamp or None
    first_date, last_date : Timestamp
        First purchase day and the end of the log (the observation end when given).
    n_transactions : int
    source : str
        The log, for messages.
    """

    customers: pd.Index
    items: pd.Index
    user: np.ndarray
    item: np.ndarray
    before: np.ndarray
    after: np.ndarray
    spend: pd.Series
    holdout_start: pd.Timestamp | None
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    n_transactions: int
    source: str

    def matrix(self, period: str = "all") -> sp.csr_matrix:
        """Customers x items purchase counts: ``"before"`` or ``"after"`` the holdout start, or ``"all"``."""
        values = {"before": self.before, "after": self.after, "all": self.before + self.after}[period]
        keep = values > 0
        return sp.csr_matrix((values[keep].astype(np.float32), (self.user[keep], self.item[keep])),
                             shape=(len(self.customers), len(self.items)))

    def new_in_holdout(self) -> sp.csr_matrix:
        """1 where a customer bought an item in the holdout that they had not bought before it."""
        keep = (self.after > 0) & (self.before == 0)
        return sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (self.user[keep], self.item[keep])),
                             shape=(len(self.customers), len(self.items)))

    def describe(self) -> dict:
        """Purchases, customers, items and pairs, with the split when there is one."""
        out = {"n_transactions": self.n_transactions, "n_customers": len(self.customers),
               "n_items": len(self.items), "n_pairs": len(self.user),
               "first_date": self.first_date, "last_date": self.last_date}
        if self.holdout_start is not None:
            before = np.bincount(self.user, weights=self.before, minlength=len(self.customers)) > 0
            after = np.bincount(self.user, weights=self.after, minlength=len(self.customers)) > 0
            out.update(purchases_before=float(self.before.sum()), purchases_after=float(self.after.sum()),
                       customers_before=int(before.sum()), customers_both=int((before & after).sum()),
                       customers_only_after=int((after & ~before).sum()))
        return out


def _blank(col):
    import ibis.expr.types as ir

    if isinstance(col, ir.StringValue):
        return col.isnull() | (strip(col) == "")
    return col.isnull()


def _to_day(value) -> int:
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _day_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _to_arrow(src, expr):
    return src.con.to_pyarrow(expr) if src.con is not None else expr.to_pyarrow()


def _sorted_codes(column) -> tuple[pd.Index, np.ndarray]:
    """Dictionary-encode an Arrow column into sorted ids and their codes."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column).combine_chunks()
    labels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return pd.Index(labels[order]), rank[codes].astype(np.int32)


def purchase_counts(transactions, customer_col: str = "customer_id", date_col: str = "timestamp",
                    item_col: str = "item", amount_col: str | None = "amount", observation_end=None,
                    holdout_start=None, *, engine: str = "duckdb", con=None,
                    spark_master: str | None = None) -> Purchases:
    """Count purchases per customer and item in the engine, split at ``holdout_start``.

    Parameters
    ----------
    transactions : str, path-like, DataFrame, ibis.Table or clv.TransactionLog
        The purchase log, one row per purchase (see :func:`cxlib.core.engine.read_source`).
    customer_col, date_col, item_col, amount_col : str
        Column names; ``amount_col`` may be ``""``/None (no spend per customer then).
    observation_end : date-like, optional
        Last day of the log; later purchases are an error.
    holdout_start : date-like, optional
        Purchases on this day or later are the test period. ``""`` and None mean no split.
    engine, con, spark_master
        Where the rows are processed (:func:`cxlib.core.engine.connect`).

    Raises
    ------
    DataError
        The CLV log checks; an item column not given, missing or with blank cells; a holdout
        start on or before the first purchase or after the end of the log; no customer with
        purchases on both sides of the holdout start. Customers whose purchases all fall on or
        after the holdout start give a :class:`~cxlib.core.DataWarning`: they have no history
        to recommend from, so the evaluation leaves them out.
    """
    import ibis.expr.types as ir

    if item_col in (None, ""):
        raise DataError("item_col is not given; name the column that holds the product (item) id",
                        table=TABLE, source=getattr(transactions, "attrs", {}).get("source")
                        if isinstance(transactions, pd.DataFrame) else transactions)
    log = clv.transaction_log(transactions, customer_col, date_col, amount_col or None, observation_end,
                              engine=engine, con=con, spark_master=spark_master)
    src = log.source
    if item_col not in src.columns:
        raise DataError(f"missing column '{item_col}' (the product of each purchase); the table has "
                        f"{', '.join(map(repr, src.columns))}", source=src.name, table=TABLE,
                        column=item_col, n_rows=0)
    t = src.table
    raw_item = t[item_col]
    counts = check_rows(src, [RowRule(lambda t: _blank(t[item_col]), "blank items; expected a product id in every row",
                                      item_col, show=[customer_col, date_col, item_col])], table=TABLE,
                        also=padded_conditions(t, [item_col]))
    n_padded = padded_counts(t, [item_col], counts)
    item = unpadded(raw_item, n_padded[item_col]) if item_col in n_padded else raw_item.cast("string")
    # the log's own typed columns: its ids and days as the CLV summary reads them (date_format too)
    typed = log.typed
    cid = typed["c"] if isinstance(typed["c"], ir.StringValue) else typed["c"].cast("string")
    rows = t.select(c=cid, item=item, day=typed["day"], **({"amt": typed["amt"]} if log.has_amount else {}))

    span = log.to_pandas(rows.aggregate(first=rows.day.min(), last=rows.day.max(), n=rows.count())).iloc[0]
    first_day, n_transactions = int(span["first"]), int(span["n"])
    end_day = log.last_day()
    hold_day = None if holdout_start in (None, "") else _to_day(holdout_start)
    if hold_day is not None and not (first_day < hold_day <= end_day):
        raise DataError(
            f"holdout_start {_day_timestamp(hold_day).date()} is outside the log, whose purchases run from "
            f"{_day_timestamp(first_day).date()} to {_day_timestamp(end_day).date()}; choose a day after "
            "the first purchase day and no later than the last, so that both periods have purchases",
            source=src.name, table=TABLE, column=date_col)
    spend_agg = {"spend": rows.amt.sum()} if log.has_amount else {}
    if hold_day is None:
        pairs = rows.group_by(["c", "item"]).aggregate(before=rows.count(), **spend_agg)
    else:
        pairs = rows.group_by(["c", "item"]).aggregate(before=rows.day.count(where=rows.day < hold_day),
                                                        after=rows.day.count(where=rows.day >= hold_day),
                                                        **spend_agg)
    table = _to_arrow(src, pairs.order_by(["c", "item"]))
    customers, user = _sorted_codes(table.column("c"))
    items, item_code = _sorted_codes(table.column("item"))
    before = table.column("before").to_numpy().astype(np.float64)
    after = (table.column("after").to_numpy().astype(np.float64) if hold_day is not None
             else np.zeros(len(before)))
    if log.has_amount:  # each customer's spend: the sum over their items
        pair_spend = table.column("spend").to_numpy().astype(np.float64)
        spend = pd.Series(np.bincount(user, weights=pair_spend, minlength=len(customers)), index=customers)
    else:
        spend = pd.Series(dtype=float)
    out = Purchases(customers, items, user, item_code, before, after, spend,
                    None if hold_day is None else _day_timestamp(hold_day),
                    _day_timestamp(first_day), _day_timestamp(end_day), n_transactions, src.name)
    if hold_day is not None:
        _check_split(out, src, date_col)
    return out


def _check_split(out: Purchases, src, date_col: str) -> None:
    """Refuse a split with no customer on both sides; warn about customers with no history."""
    facts = out.describe()
    where = location(src.name, TABLE, date_col)
    if facts["customers_both"] == 0:
        raise DataError(f"no customer bought both before and on or after holdout_start "
                        f"{out.holdout_start.date()}; the evaluation needs customers with a history and "
                        "a test period: choose another holdout_start", source=src.name, table=TABLE,
                        column=date_col)
    n_late = facts["customers_only_after"]
    if n_late:
        before = np.bincount(out.user, weights=out.before, minlength=len(out.customers)) > 0
        late = out.customers[~before][:5]
        warnings.warn(
            f"{where}: {n_late:,} customer{'s' if n_late != 1 else ''} ({', '.join(map(repr, late))}"
            f"{', ...' if n_late > 5 else ''}) bought only on or after holdout_start "
            f"{out.holdout_start.date()}: with no purchase before it there is nothing to recommend from, "
            "so the holdout evaluation leaves them out (their final lists use every purchase)",
            DataWarning, stacklevel=3)
