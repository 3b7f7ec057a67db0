"""The transaction log at a glance, counted in the engine: only per-customer or per-month tables
come back, so the overview of a log far larger than memory takes seconds."""

from __future__ import annotations

import pandas as pd

from ..core import TransactionLog

__all__ = ["purchase_facts", "purchases_per_customer", "transactions_per_month", "transaction_quality"]


def purchase_facts(log: TransactionLog) -> dict:
    """Rows, customers, date range, median and total amount, and purchases per customer."""
    facts = log.describe()
    r = log.rows
    per = r.group_by("c").aggregate(n=r.count())
    spread = log.to_pandas(per.aggregate(median=per.n.median(), repeat=(per.n > 1).mean()))
    amounts = log.to_pandas(r.aggregate(median=r.amt.median(), total=r.amt.sum()))
    facts.update(median_per_customer=float(spread["median"].iloc[0]),
                 repeat_share=float(spread["repeat"].iloc[0]),
                 median_amount=float(amounts["median"].iloc[0]), total_amount=float(amounts["total"].iloc[0]))
    return facts


def purchases_per_customer(log: TransactionLog) -> pd.DataFrame:
    """One row per customer: ``purchases`` (rows), ``total_spend`` and ``mean_amount``."""
    r = log.rows
    per = log.to_pandas(r.group_by("c").aggregate(purchases=r.count(), total_spend=r.amt.sum(),
                                                  mean_amount=r.amt.mean()))
    return per.set_index(pd.Index(per["c"].to_numpy(), name="customer_id")).drop(columns="c")


def transactions_per_month(log: TransactionLog) -> pd.Series:
    """Transactions per calendar month, indexed by the month's first day."""
    import ibis

    r = log.rows
    month = (ibis.date("1970-01-01") + r.day.as_interval("D")).truncate("M")
    counts = log.to_pandas(r.group_by(month=month).aggregate(n=r.count()))
    return pd.Series(counts["n"].to_numpy(), index=pd.to_datetime(counts["month"]).dt.to_period("M"),
                     name="transactions")


def transaction_quality(log: TransactionLog) -> list[dict]:
    """Rows of the overview's quality table for the log's columns, counted in the engine.

    The log is validated, so no required cell is missing; the table still says so, and gives
    each column's type as read, distinct values, range and an example.
    """
    r = log.rows
    columns = {"c": log.customer_col, "ts": log.date_col}
    if log.has_amount:
        columns["amt"] = log.amount_col
    aggs = {}
    for typed in columns:
        aggs[f"{typed}_missing"] = r[typed].isnull().cast("int64").sum()
        aggs[f"{typed}_distinct"] = r[typed].nunique()
        aggs[f"{typed}_min"] = r[typed].min()
        aggs[f"{typed}_max"] = r[typed].max()
    row = log.to_pandas(r.aggregate(**aggs)).iloc[0]
    example = log.to_pandas(r.select(*columns).limit(1)).iloc[0]
    n = log.describe()["n_transactions"]
    schema = r.schema()  # the types the kit read the columns as
    out = []
    for typed, name in columns.items():
        lo, hi, ex = row[f"{typed}_min"], row[f"{typed}_max"], example[typed]
        missing = int(row[f"{typed}_missing"])
        out.append({"column": name, "dtype": str(schema[typed]), "missing": missing,
                    "missing_pct": round(100 * missing / n, 2) if n else float("nan"),
                    "distinct": int(row[f"{typed}_distinct"]),
                    "min": None if typed == "c" else lo, "max": None if typed == "c" else hi,
                    "example": ex})
    return out
