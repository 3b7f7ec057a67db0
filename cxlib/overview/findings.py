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
    # One sentence on data quality: joins that leave rows out come first, then missing cells.
    problems, where = [], []
    for table, label in (("transactions", "purchases"), ("survey", "survey answers")):
        unmatched = int(metrics.get(f"{table}_unmatched_rows", 0))
        if unmatched:
            problems.append(f"{unmatched:,} {label} ({1 - metrics[f'{table}_matched_share']:.1%}) name a "
                            "customer the customers table does not have")
    if problems:
        where.append("the join-coverage table shows which")
    missing = int(metrics.get("missing_cells", 0))
    if missing:
        problems.append(f"{missing:,} cells are missing where a value is expected")
        where.append("the data-quality table shows which columns")
    if problems:
        text = "; ".join(problems) + "; " + " and ".join(where) + "."
        found.append(text[0].upper() + text[1:])
    else:
        joined = any(f"{t}_matched_share" in metrics for t in ("transactions", "survey"))
        found.append("No cell is missing where a value is expected" + (
            ", and every purchase and answer names a known customer." if joined else "."))
    return found
