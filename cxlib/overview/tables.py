"""The data at a glance: counts, date ranges and a data-quality table for the canonical tables."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..core import TransactionLog, load_customers, load_survey, transaction_log
from .purchases import purchase_facts, transaction_quality, transactions_per_month


def counts_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows, distinct customers and the date range of each table.

    Parameters
    ----------
    tables : mapping of str to DataFrame or TransactionLog
        Canonical tables as returned by :func:`load_tables`, keyed by table name; the
        transactions stay in the engine (:class:`~cxlib.core.TransactionLog`).
    """
    date_col = {"customers": "signup_date", "transactions": "timestamp", "survey": "date"}
    rows = []
    for name, df in tables.items():
        if isinstance(df, TransactionLog):
            facts = df.describe()
            rows.append({"table": name, "rows": facts["n_transactions"], "customers": facts["n_customers"],
                         "first_date": facts["first_date"], "last_date": facts["last_date"],
                         "source": df.source.name})
            continue
        col = date_col.get(name)
        dates = df[col] if col in df.columns else pd.Series(dtype="datetime64[ns]")
        rows.append({
            "table": name,
            "rows": len(df),
            "customers": df["customer_id"].nunique() if "customer_id" in df.columns else np.nan,
            "first_date": dates.min(),
            "last_date": dates.max(),
            "source": df.attrs.get("source", ""),
        })
    return pd.DataFrame(rows)


# Columns where blank cells carry meaning rather than signal missing data.
EXPECTED_BLANKS = {("customers", "churn_date"): "blank = still active (censored)"}


def unexpected_missing(quality: pd.DataFrame) -> int:
    """Missing cells in :func:`quality_table` other than the blanks that carry meaning."""
    expected = [(t, c) in EXPECTED_BLANKS for t, c in zip(quality["table"], quality["column"])]
    return int(quality.loc[~np.array(expected, dtype=bool), "missing"].sum())


def quality_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per table and column: type, missing cells, distinct values, range and an example."""
    rows = []
    for name, df in tables.items():
        if isinstance(df, TransactionLog):
            rows += [{"table": name, **r, "note": ""} for r in transaction_quality(df)]
            continue
        for col in df.columns:
            s = df[col]
            numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            dated = pd.api.types.is_datetime64_any_dtype(s)
            non_null = s.dropna()
            rows.append({
                "table": name,
                "column": col,
                "dtype": str(s.dtype),
                "missing": int(s.isna().sum()),
                "missing_pct": round(100 * s.isna().mean(), 2) if len(s) else np.nan,
                "distinct": int(s.nunique(dropna=True)),
                "min": non_null.min() if (numeric or dated) and len(non_null) else None,
                "max": non_null.max() if (numeric or dated) and len(non_null) else None,
                "example": non_null.iloc[0] if len(non_null) else None,
                "note": EXPECTED_BLANKS.get((name, col), ""),
            })
    return pd.DataFrame(rows)


def describe_tables(tables: Mapping[str, pd.DataFrame], observation_end=None) -> str:
    """A few plain sentences about the data: sizes, churn so far, spend and survey coverage."""
    parts = []
    customers = tables.get("customers")
    if customers is not None:
        n = len(customers)
        churned = int(customers["churn_date"].notna().sum()) if "churn_date" in customers else 0
        parts.append(
            f"{n:,} customers signed up between {customers['signup_date'].min():%Y-%m-%d} and "
            f"{customers['signup_date'].max():%Y-%m-%d}; {churned:,} ({churned / n:.0%}) had churned by "
            f"{'the observation end' if observation_end is None else pd.Timestamp(observation_end).date()}."
        )
    tx = tables.get("transactions")
    if tx is not None:
        f = purchase_facts(tx)
        parts.append(
            f"{f['n_transactions']:,} transactions from {f['n_customers']:,} customers "
            f"(median {f['median_per_customer']:.0f} per customer, "
            f"{f['repeat_share']:.0%} bought more than once); "
            f"median amount {f['median_amount']:,.2f}, total {f['total_amount']:,.0f}."
        )
    survey = tables.get("survey")
    if survey is not None:
        text = f"{len(survey):,} survey responses"
        if customers is not None and "customer_id" in survey.columns:
            # Only customers the table knows count: answers from unknown ids are not "customers".
            answered = customers["customer_id"].isin(set(survey["customer_id"].dropna())).mean()
            text += f" ({answered:.0%} of customers answered)"
        parts.append(text + f"; mean overall satisfaction {survey['overall'].mean():.2f}.")
    return " ".join(parts)


def monthly_activity(customers: pd.DataFrame | None = None,
                     transactions: TransactionLog | None = None) -> pd.DataFrame:
    """Signups, churns and transactions per calendar month (one row per month); the
    transactions are counted in the engine."""
    series = {}
    if customers is not None:
        series["signups"] = customers["signup_date"].dt.to_period("M").value_counts()
        if "churn_date" in customers:
            series["churns"] = customers["churn_date"].dropna().dt.to_period("M").value_counts()
    if transactions is not None:
        series["transactions"] = transactions_per_month(transactions)
    out = pd.DataFrame(series).sort_index().fillna(0).astype(int)
    out.index = out.index.to_timestamp()
    out.index.name = "month"
    return out


def load_tables(customers_path: str = "", transactions_path: str = "", survey_path: str = "", *,
                observation_end=None, customer_numeric=(), ratings=(), overall_scale=(1, 5),
                rating_scale=(1, 5), nps: bool = True, customer_columns=None,
                transaction_columns=None, survey_columns=None, date_format: str | None = None,
                engine: str = "duckdb", spark_master: str | None = None,
                encoding: str | None = None) -> dict:
    """Load whichever canonical tables have a path; an empty path skips that table.

    ``*_columns`` map canonical names to yours, e.g. ``{"customer_id": "CustomerID"}``. The
    transactions are validated and kept in the engine (``engine``: duckdb or spark), as a
    :class:`~cxlib.core.TransactionLog`; the customer and survey tables, one row per customer or
    answer, are loaded into pandas. ``encoding`` is the text encoding of the CSV files (UTF-8 when
    not given).
    """
    encoding = encoding or None  # "" (a blank notebook parameter) means UTF-8
    tables = {}
    if customers_path:
        tables["customers"] = load_customers(customers_path, observation_end=observation_end,
                                             numeric=customer_numeric, columns=customer_columns,
                                             date_format=date_format, encoding=encoding)
    if transactions_path:
        names = {"customer_id": "customer_id", "timestamp": "timestamp", "amount": "amount",
                 **{k: v for k, v in (transaction_columns or {}).items() if v}}
        tables["transactions"] = transaction_log(
            transactions_path, names["customer_id"], names["timestamp"], names["amount"],
            observation_end, engine=engine, spark_master=spark_master, date_format=date_format,
            encoding=encoding)
    if survey_path:
        tables["survey"] = load_survey(
            survey_path, ratings=ratings, overall_scale=tuple(overall_scale),
            rating_scale=tuple(rating_scale), nps=nps, observation_end=observation_end,
            columns=survey_columns, date_format=date_format, encoding=encoding)
    if not tables:
        raise ValueError("no table to look at: give at least one of customers_path, "
                         "transactions_path, survey_path")
    return tables
