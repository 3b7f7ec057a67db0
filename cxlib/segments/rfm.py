"""RFM: recency, frequency and monetary value per customer, quintile scores and named segments.

The marketer's baseline before any clustering (Hughes 1994, *Strategic Database Marketing*):
score each customer 1-5 on how recently, how often and how much they bought, and read the
score grid as named segments ("champions", "at risk", ...).

The purchase summary comes from :func:`cxlib.clv.rfm_summary`, the code the CLV notebook uses,
so both notebooks agree on what a purchase, a repeat and a day are. Both reduce the log in the
engine (:func:`cxlib.core.transaction_log`): only one row per customer reaches pandas.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..core import DataError, DataWarning, location, transaction_log
from ..clv import rfm_summary

__all__ = ["rfm_table", "rfm_and_rows", "rfm_scores", "rfm_segments", "rfm_segment_summary", "RF_GRID",
           "SEGMENT_ACTIONS", "score"]

#: The R x F score grid read as named segments: ``(name, recency scores, frequency scores)``.
#: This is the widely used 10-cell-group map of open-source RFM analyses (its regular-expression
#: form ``[1-2][1-2] hibernating, [1-2][3-4] at risk, [1-2]5 can't lose them, 3[1-2] about to
#: sleep, 33 need attention, [3-4][4-5] loyal, 41 promising, 51 new, [4-5][2-3] potential
#: loyalists, 5[4-5] champions``). It covers all 25 cells exactly once. "Lost" is split off
#: "hibernating" by monetary score <= 2, the "Lost" rule (R, F and M all at most 2) of the
#: ``rfm_segment`` example of the R package ``rfm`` (Hebbali) up to version 0.2.2 (version
#: 0.3.0's example calls every R = 1 customer lost), so that low-value lapsed customers are
#: told apart from lapsed customers who used to spend.
RF_GRID = [
    ("Champions", {5}, {4, 5}),
    ("Loyal", {3, 4}, {4, 5}),
    ("Potential loyalists", {4, 5}, {2, 3}),
    ("New", {5}, {1}),
    ("Promising", {4}, {1}),
    ("Need attention", {3}, {3}),
    ("About to sleep", {3}, {1, 2}),
    ("Can't lose them", {1, 2}, {5}),
    ("At risk", {1, 2}, {3, 4}),
    ("Hibernating", {1, 2}, {1, 2}),
]

#: What a marketing team usually does with each named segment (one line for the profile table).
SEGMENT_ACTIONS = {
    "Champions": "reward; early access; ask for reviews and referrals",
    "Loyal": "upsell higher tiers; loyalty programme",
    "Potential loyalists": "membership or loyalty offer; recommend products",
    "New": "onboarding; make the second purchase easy",
    "Promising": "build awareness; free trials",
    "Need attention": "limited-time offers based on past purchases",
    "About to sleep": "reactivate with popular products and discounts",
    "Can't lose them": "win back with personal contact; find out what went wrong",
    "At risk": "personal emails; renewal offers",
    "Hibernating": "low-cost reactivation; otherwise let go",
    "Lost": "do not spend on them unless reactivation is cheap",
}


def rfm_table(transactions, *, customer_col: str = "customer_id", date_col: str = "timestamp",
              amount_col: str = "amount", observation_end=None, time_unit: str = "D",
              allow_returns: bool = False, engine: str = "duckdb", con=None, spark_master: str | None = None,
              date_format: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, as a marketer defines them.

    The log is validated and reduced in the engine (:func:`cxlib.core.transaction_log`); only
    one row per customer reaches pandas.

    Parameters
    ----------
    transactions : str, path-like, DataFrame, ibis.Table or TransactionLog
        One row per purchase: a file or table the engine reads, a DataFrame, or a log already
        opened (then with ``allow_returns`` if it kept returns).
    customer_col, date_col, amount_col : str
        The log's column names.
    observation_end : date-like, optional
        The day the analysis is made; defaults to the last day of the log (returns included).
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``tenure`` (days by default, as RFM reports usually are).
    allow_returns : bool
        Keep rows with negative amounts as returns. They are not purchases: a day with only
        returns counts in neither frequency nor recency, while ``monetary`` is **net spend**,
        purchases minus returns, and a ``returned`` column holds the amount returned. Without
        it a negative amount is an error.
    engine, con, spark_master, date_format, encoding
        Where the rows are processed and how the file is read (:func:`cxlib.core.transaction_log`).

    Returns
    -------
    DataFrame indexed by customer id (a DataFrame's customers in order of first purchase, a
    file's sorted by id) with

    - ``recency``: time since the last purchase (``T - recency`` in the CLV summary);
    - ``frequency``: number of purchase days, the first one included (CLV's ``frequency + 1``);
    - ``monetary``: total spend over all purchases (net of returns with ``allow_returns``);
    - ``avg_spend``: mean spend per purchase day (``monetary / frequency``);
    - ``tenure``: time since the first purchase (CLV's ``T``);
    - ``returned``: amount returned (only with ``allow_returns``).

    Customers whose rows are all returns (the purchase fell before the log starts) have no
    purchase to measure recency or frequency from: they are left out, with a
    :class:`~cxlib.core.DataWarning`.
    """
    log = transaction_log(transactions, customer_col, date_col, amount_col, observation_end or None,
                          engine=engine, con=con, spark_master=spark_master, date_format=date_format,
                          encoding=encoding, allow_returns=allow_returns)
    return rfm_and_rows(log, time_unit=time_unit)[0]


def rfm_and_rows(log, *, time_unit: str = "D") -> tuple[pd.DataFrame, pd.Series]:
    """:func:`rfm_table` of an opened log, and the log's rows per customer (returns included).

    The row counts come with the spend, in the same pass, so that the log's join with another
    table can be measured (:func:`cxlib.core.join_coverage`) without reading it again. Returns
    are kept as such if the log kept them (``transaction_log(..., allow_returns=True)``).
    """
    allow_returns = log.allow_returns
    # The purchase summary is the CLV notebook's own, on the purchases alone (returns are no
    # purchase days); their observation end is the whole log's, so recency does not move.
    summary = rfm_summary(log.purchases(), time_unit=time_unit)
    per = _per_customer(log, allow_returns)
    out = pd.DataFrame(index=summary.index)
    out["recency"] = summary["T"] - summary["recency"]
    out["frequency"] = summary["frequency"] + 1
    # The CLV summary's monetary_value is the mean of the *repeat* purchases (the first one is
    # excluded because the Gamma-Gamma model needs it so); a marketer's M is everything the
    # customer spent, over returns too: net spend.
    out["monetary"] = per["spend"].reindex(out.index).to_numpy()
    out["avg_spend"] = out["monetary"] / out["frequency"]
    out["tenure"] = summary["T"]
    if allow_returns:
        out["returned"] = per["returned"].reindex(out.index).fillna(0.0).to_numpy()
        _warn_returns_only(per.index.difference(out.index), log.source.name)
    return out, per["rows"]


def _per_customer(log, allow_returns: bool) -> pd.DataFrame:
    """Rows, total (net) spend and amount returned per customer, in one pass in the engine."""
    r = log.rows
    aggs = {"rows": r.count(), "spend": r.amt.sum()}
    if allow_returns:
        aggs["returned"] = (-r.amt).sum(where=r.amt < 0)
    per = log.to_pandas(r.group_by("c").aggregate(**aggs))
    return per.set_index(pd.Index(per["c"].to_numpy(), name=log.customer_col)).drop(columns="c")


def _warn_returns_only(ids: pd.Index, source) -> None:
    """Say which customers have only returns: RFM cannot place them."""
    if len(ids):
        ids = ids.sort_values()
        examples = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")
        warnings.warn(f"{location(source, 'transactions', 'amount')}: {len(ids):,} customer"
                      f"{'s have' if len(ids) != 1 else ' has'} only returns and no purchase "
                      f"({examples}); with no purchase there is no recency or frequency, so "
                      "they are left out of RFM", DataWarning, stacklevel=3)


def score(values: pd.Series, q: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Quantile score 1..q; equal values always get the same score.

    A customer's score is ``1 + floor(q * p)`` where ``p`` is the share of customers strictly
    worse. Ties stay together, so with many one-time buyers the frequency scores are not
    equally filled (``pd.qcut`` would fail there, and ranking ties apart by row order would
    give identical customers different scores).
    """
    v = pd.Series(values, dtype=float)
    if v.isna().any():
        raise DataError(f"{int(v.isna().sum())} missing values in '{v.name}'; RFM scores need a "
                        "value for every customer", column=str(v.name))
    ranked = (v if higher_is_better else -v).rank(method="min")
    share_below = (ranked - 1) / len(v)
    return (1 + np.floor(q * share_below)).clip(1, q).astype(int).rename(v.name)


def rfm_scores(rfm: pd.DataFrame, q: int = 5) -> pd.DataFrame:
    """Add ``R``, ``F``, ``M`` quintile scores (5 = best) and the ``RFM`` code such as ``"545"``.

    Recency is scored in reverse: the most recent buyers get 5.
    """
    out = rfm.copy()
    out["R"] = score(rfm["recency"], q, higher_is_better=False)
    out["F"] = score(rfm["frequency"], q)
    out["M"] = score(rfm["monetary"], q)
    out["RFM"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    return out


def rfm_segments(scores: pd.DataFrame) -> pd.Series:
    """Named segment of every customer from its R, F (and, for "Lost", M) scores.

    See :data:`RF_GRID` for the rule table and where it comes from. Needs 5-level scores.
    """
    r, f, m = scores["R"].to_numpy(), scores["F"].to_numpy(), scores["M"].to_numpy()
    if r.min() < 1 or r.max() > 5 or f.min() < 1 or f.max() > 5:
        raise ValueError("rfm_segments needs scores from 1 to 5 (rfm_scores with q=5)")
    names = np.full(len(r), "", dtype=object)
    for name, r_set, f_set in RF_GRID:
        hit = np.isin(r, list(r_set)) & np.isin(f, list(f_set)) & (names == "")
        names[hit] = name
    names[(names == "Hibernating") & (m <= 2)] = "Lost"
    assert (names != "").all(), "the R x F grid must cover every cell"
    return pd.Series(names, index=scores.index, name="rfm_segment")


def rfm_segment_summary(scores: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Per named segment: customers, share, mean recency, frequency and spend, usual action.

    Rows follow the order of :data:`RF_GRID` (best customers first), "Lost" last.
    """
    df = scores.assign(rfm_segment=names)
    order = [n for n, _, _ in RF_GRID] + ["Lost"]
    out = df.groupby("rfm_segment").agg(n=("R", "size"), recency=("recency", "mean"),
                                        frequency=("frequency", "mean"),
                                        monetary=("monetary", "mean"))
    out.insert(1, "share", out["n"] / len(df))
    out["action"] = [SEGMENT_ACTIONS[n] for n in out.index]
    return out.reindex([n for n in order if n in out.index])
