"""The data at a glance (``00_overview``): counts, date ranges, a data-quality table and activity per
month for the canonical tables.
"""

from .plots import monthly_activity as plot_monthly_activity
from .tables import (counts_table, describe_tables, load_tables, monthly_activity, quality_table,
                     unexpected_missing)

__all__ = ["counts_table", "describe_tables", "load_tables", "monthly_activity", "plot_monthly_activity",
           "quality_table", "unexpected_missing"]
