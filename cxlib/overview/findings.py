"""The overview's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["key_findings"]

_TABLES = [("n_customers", "customers"), ("n_transactions", "transactions"),
           ("n_survey", "survey responses")]


def key_findings(metrics: Mapping) -> list[str]:
    """Two or three sentences built from the notebook's ``metrics.json`` values.

    Counts are written in full, shares as whole percentages, so each number can be traced
    back to ``metrics.json``.
    """
    parts = [f"{int(metrics[key]):,} {label}" for key, label in _TABLES if key in metrics]
    if not parts:
        raise ValueError("no table sizes in the metrics: nothing was loaded")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    found = [f"The data hold {listed}."]
    if metrics.get("churned_share") is not None:
        found.append(f"{metrics['churned_share']:.0%} of the customers had churned by the end of "
                     "the observation window.")
    missing = int(metrics.get("missing_cells", 0))
    found.append("No cell is missing where a value is expected." if missing == 0 else
                 f"{missing:,} cells are missing where a value is expected; the data-quality "
                 "table shows which columns.")
    return found
