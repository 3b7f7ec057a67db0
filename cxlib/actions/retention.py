"""Who to save first: value at risk, the expected saving of a contact, and the action list.

A customer who leaves takes the value of the coming horizon with them, so the expected loss is
the churn probability times that value (Reichheld & Sasser 1990; Gupta, Lehmann & Stuart 2004,
"Valuing customers"):

.. math::

    \\text{VaR}_i = P_i(\\text{churn within the horizon}) \\cdot \\text{CLV}_i .

If a contact lowers a customer's churn probability by the share :math:`e` (an assumption the
team states, not an estimate), it saves :math:`e \\cdot \\text{VaR}_i` in expectation. A contact
is worth making when that exceeds its cost :math:`c`; with room for ``budget`` contacts the team
calls the customers with the largest expected saving first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import DataError, unit_days
from ..segments import rfm_scores, rfm_segments

__all__ = ["ACTION_COLUMNS", "rfm_segment_names", "value_at_risk", "choose_customers", "action_list",
           "format_items"]

ACTION_COLUMNS = ["customer_id", "segment", "clv", "p_churn", "value_at_risk", "expected_saving",
                  "recommended_items"]


def rfm_segment_names(summary: pd.DataFrame, spend: pd.Series, time_unit: str = "W") -> pd.Series:
    """The RFM segment of every customer (Champions, At risk, ...), as the segmentation lesson names them.

    ``summary`` is the CLV purchase summary (:func:`cxlib.clv.rfm_summary`) in ``time_unit`` and
    ``spend`` each customer's total amount. Recency goes back to whole days, as the segmentation
    lesson counts it: in weeks, equal day counts can differ in the last bit, and quintile scores
    break such near-ties apart.
    """
    ids = summary.index.astype(str)
    spend = pd.Series(spend).set_axis(pd.Index(spend.index).astype(str))
    days_since = np.rint((summary["T"] - summary["recency"]).to_numpy() * unit_days(time_unit))
    rfm = pd.DataFrame({"recency": days_since,
                        "frequency": (summary["frequency"] + 1).to_numpy(),
                        "monetary": spend.reindex(ids).to_numpy()}, index=ids)
    if rfm["monetary"].isna().any():
        missing = list(rfm.index[rfm["monetary"].isna()][:5])
        raise DataError(f"no spend for customers {missing}; expected a total amount for every customer "
                        "in the summary", table="transactions")
    return rfm_segments(rfm_scores(rfm)).rename("segment")


def value_at_risk(churn_scores: pd.DataFrame, values: pd.DataFrame, segments: pd.Series | None = None
                  ) -> pd.DataFrame:
    """One row per active customer with a value: ``customer_id, segment, clv, p_churn, value_at_risk``.

    Parameters
    ----------
    churn_scores : DataFrame
        :func:`cxlib.churn.score_active_customers` (``customer_id``, ``churn_probability``).
    values : DataFrame
        :func:`cxlib.clv.score_customers` (``customer_id``, ``clv``).
    segments : Series, optional
        Segment per customer id.

    Customers must be in both tables: an active customer who never bought has no value to lose
    and one who churned has nothing left to save. The churn and value numbers are copied as they
    are, so they equal those of the churn and CLV lessons.
    """
    risk = pd.DataFrame({"customer_id": churn_scores["customer_id"].astype(str).str.strip().to_numpy(),
                         "p_churn": churn_scores["churn_probability"].to_numpy(dtype=float)})
    value = pd.DataFrame({"customer_id": values["customer_id"].astype(str).str.strip().to_numpy(),
                          "clv": values["clv"].to_numpy(dtype=float)})
    table = risk.merge(value, on="customer_id", how="inner", validate="one_to_one")
    if table.empty:
        raise DataError("no customer is both active in the customer table and in the purchase log; "
                        "check that both files use the same customer ids", table="customers")
    seg = (pd.Series(segments).set_axis(pd.Index(segments.index).astype(str)) if segments is not None
           else pd.Series(dtype=object))
    table.insert(1, "segment", seg.reindex(table["customer_id"]).fillna("").to_numpy())
    table["value_at_risk"] = table["p_churn"] * table["clv"]
    return table[["customer_id", "segment", "clv", "p_churn", "value_at_risk"]]


def choose_customers(table: pd.DataFrame, contact_effect: float, contact_cost: float,
                     budget: int | None = None) -> pd.DataFrame:
    """Add ``expected_saving`` (``contact_effect x value_at_risk``), ``net_saving`` and ``chosen``.

    Rows come sorted by expected saving, largest first (ties by customer id). ``chosen`` marks the
    customers whose saving exceeds ``contact_cost``, at most ``budget`` of them (``None``, ``""``
    or 0 for no cap).
    """
    if not 0 <= contact_effect <= 1:
        raise ValueError(f"contact_effect is the share of the churn probability a contact removes, "
                         f"between 0 and 1; got {contact_effect!r}")
    if contact_cost < 0:
        raise ValueError(f"contact_cost must be at least 0, got {contact_cost!r}")
    out = table.copy()
    out["expected_saving"] = contact_effect * out["value_at_risk"]
    out["net_saving"] = out["expected_saving"] - contact_cost
    out = out.sort_values(["expected_saving", "customer_id"], ascending=[False, True], kind="stable")
    worth = (out["expected_saving"] > contact_cost).to_numpy()
    cap = None if budget in (None, "", 0) else int(budget)
    if cap is not None and cap < 0:
        raise ValueError(f"budget is the number of customers the team can contact, got {budget!r}")
    chosen = worth & (np.cumsum(worth) <= (cap if cap is not None else len(out)))
    out["chosen"] = chosen
    return out.reset_index(drop=True)


def format_items(items: np.ndarray, labels: pd.Index, sep: str = "; ") -> list[str]:
    """Each row of item codes as ``"P0012; P0044; ..."`` (empty slots left out)."""
    labels = np.asarray(labels, dtype=object)
    return [sep.join(labels[row[row >= 0]]) for row in np.asarray(items)]


def action_list(chosen: pd.DataFrame, recommendations: pd.DataFrame) -> pd.DataFrame:
    """The chosen customers with their recommended items: ``action_list.csv``.

    ``recommendations`` has ``customer_id, rank, item`` (one row per item). A chosen customer
    without recommendations gets an empty ``recommended_items``.
    """
    picked = chosen[chosen["chosen"]]
    recs = recommendations[recommendations["customer_id"].isin(picked["customer_id"])]
    recs = recs.sort_values(["customer_id", "rank"])
    joined = recs.groupby("customer_id", sort=False)["item"].agg(lambda s: "; ".join(map(str, s)))
    out = picked.assign(recommended_items=joined.reindex(picked["customer_id"]).fillna("").to_numpy())
    return out[ACTION_COLUMNS].reset_index(drop=True)
