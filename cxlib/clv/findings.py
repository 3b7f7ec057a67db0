"""The CLV lesson's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import unit_name

__all__ = ["key_findings"]


def key_findings(metrics: Mapping, currency: str = "") -> list[str]:
    """Two or three sentences built from the notebook's ``metrics.json`` values.

    Parameters
    ----------
    metrics : mapping
        The values the notebook wrote with ``out.metrics`` (full precision).
    currency : str
        Currency symbol put before amounts.

    Totals are whole currency units, per-customer values keep cents, shares and errors are
    percentages with at most one decimal.
    """
    unit = unit_name(metrics["time_unit"])
    value = metrics["clv"]
    found = [f"Over the next {metrics['horizon']:g} {unit} the {int(metrics['n_customers']):,} "
             f"customers are worth {currency}{value['total']:,.0f} in discounted margin: "
             f"{currency}{value['mean']:,.2f} per customer on average, {currency}"
             f"{value['median']:,.2f} at the median.",
             f"The top tenth of customers holds {value['top_decile_share']:.0%} of that value."]
    holdout = metrics.get("holdout")
    if holdout:
        error = holdout["total_error_pct"]
        direction = "over" if error > 0 else "under"
        found.append(f"Checked on a {holdout['length']:.0f}-{unit[:-1]} holdout, the purchase model "
                     f"forecast {holdout['predicted_total']:,.0f} repeat purchases against "
                     f"{holdout['actual_total']:,.0f} made ({abs(error):.1f}% {direction}).")
    return found
