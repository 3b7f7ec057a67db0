"""Whether the overview's tables describe the same customers: the coverage of each join.

Every purchase and every survey answer that names a customer should find that customer in the
customers table; a customer without purchases or answers is normal. So the transactions and the
survey are the tables expected to match in full (see :func:`cxlib.core.join_coverage`).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core import JoinCoverage, join_coverage, log_coverage

__all__ = ["table_joins", "joins_metrics"]


def _name(table: str, source) -> str:
    return f"{table} ({source})" if source else table


def table_joins(tables: Mapping) -> dict[str, JoinCoverage]:
    """The coverage of transactions and survey against the customers table, by ``customer_id``.

    The transactions are counted per customer in the engine, so only one row per customer reaches
    pandas. Returns ``{"transactions": ..., "survey": ...}`` for the tables present (empty without
    a customers table); a join with no match at all raises a :class:`~cxlib.core.DataError`.
    """
    customers = tables.get("customers")
    if customers is None:
        return {}
    right = _name("customers", customers.attrs.get("source"))
    out = {}
    log = tables.get("transactions")
    if log is not None:
        out["transactions"] = log_coverage(log, customers["customer_id"],
                                           left=_name("transactions", log.source.name), right=right)
    survey = tables.get("survey")
    if survey is not None and "customer_id" in survey.columns:
        out["survey"] = join_coverage(survey["customer_id"], customers["customer_id"],
                                      left=_name("survey", survey.attrs.get("source")), right=right)
    return out


def joins_metrics(joins: Mapping[str, JoinCoverage]) -> dict[str, float]:
    """``{table}_unmatched_rows`` and ``{table}_matched_share`` (rows of the table whose customer
    is known) and ``customers_with_{table}_share`` for ``metrics.json``."""
    out = {}
    for table, cov in joins.items():
        out[f"{table}_unmatched_rows"] = cov.left_rows - cov.left_matched
        out[f"{table}_matched_share"] = float(cov.left_share)
        out[f"customers_with_{table}_share"] = float(cov.right_share)
    return out
