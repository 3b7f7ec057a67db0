"""The next-best-action lesson's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping

from .sentences import method_name

__all__ = ["key_findings"]


def key_findings(metrics: Mapping, currency: str = "") -> list[str]:
    """Three sentences from ``metrics.json``: value at risk, what the list could save, the recommender.

    Amounts are whole currency units, recall a percentage with one decimal, the ratio two decimals.
    """
    found = [f"{currency}{metrics['value_at_risk_total']:,.0f} of the {metrics['n_active_valued']:,} active "
             f"customers' value over the next {metrics['value_horizon']} is at risk of churn within "
             f"{metrics['churn_horizon']}."]
    if metrics["customers_contacted"]:
        found.append(f"Contacting the {metrics['customers_contacted']:,} customers on the list would save "
                     f"{currency}{metrics['expected_saving_total']:,.0f} in expectation "
                     f"({currency}{metrics['net_saving_total']:,.0f} after contact costs), if a contact removes "
                     f"{metrics['contact_effect']:.0%} of their churn probability.")
    else:
        found.append(f"No contact pays at {currency}{metrics['contact_cost']:,.2f} if it removes "
                     f"{metrics['contact_effect']:.0%} of a customer's churn probability.")
    best, recall = metrics["best_method"], metrics["recall_at_k"]
    if best != "popularity" and "popularity" in recall:
        found.append(f"{method_name(best)[0].upper() + method_name(best)[1:]} finds {recall[best]:.1%} of the new "
                     f"products customers bought in the holdout within its top {metrics['k']}, against "
                     f"{recall['popularity']:.1%} for popularity ({metrics['recall_ratio']:.2f} times as many).")
    else:
        found.append(f"No recommender beats popularity in the holdout: recall@{metrics['k']} "
                     f"{recall[best]:.1%}.")
    return found
