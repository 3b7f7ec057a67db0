"""The data at a glance (``00_overview``): counts, date ranges, a data-quality table and activity per
month for the canonical tables.
"""

from .findings import key_findings
from .joins import joins_metrics, table_joins
from .plots import monthly_activity as plot_monthly_activity
from .purchases import purchase_facts, purchases_per_customer, transaction_quality, transactions_per_month
from .tables import (counts_table, describe_tables, load_tables, monthly_activity, quality_table,
                     unexpected_missing)

__all__ = ["key_findings", "joins_metrics", "table_joins", "counts_table", "describe_tables", "load_tables", "monthly_activity", "plot_monthly_activity",
           "quality_table", "unexpected_missing", "purchase_facts", "purchases_per_customer",
           "transaction_quality", "transactions_per_month"]
