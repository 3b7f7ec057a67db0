"""What every analysis shares: errors and where they are, validation rules, reading tables, the
time-unit vocabulary, the truth convention, paths and the plot theme.

Analyses import from here (``from ..core import DataError, read_table``), never from each other.
"""

from .dates import parse_dates
from .config import (DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REFERENCE_DATA_DIR, REPORT_CONFIG,
                     REPORTS_DIR, SEED, resolve_path)
from .errors import MAX_EXAMPLES, DataError, DataWarning, describe_rows, location, show_value
from .joins import COVERAGE_COLUMNS, JoinCoverage, coverage_table, join_coverage, log_coverage
from .plots import count_axis, histograms, set_theme
from .sampling import limited_sample, sample_index
from .tables import (clean_ids, fingerprint, load_customers, load_survey, load_transactions, read_table,
                     rename_columns)
from .transactions import TransactionLog, transaction_log
from .timeunits import SPELLINGS, TIME_UNITS, unit_code, unit_days, unit_name
from .truth import KnownTruth, load_truth
from .validation import (after_end, observation_end_timestamp, require_columns, require_not_empty,
                         require_range, require_rows, require_unique, to_datetime, to_numeric)

__all__ = [
    "DATA_DIR", "NOTEBOOKS_DIR", "PROJECT_ROOT", "REFERENCE_DATA_DIR", "REPORT_CONFIG", "REPORTS_DIR",
    "SEED", "resolve_path",
    "MAX_EXAMPLES", "DataError", "DataWarning", "describe_rows", "location", "show_value",
    "COVERAGE_COLUMNS", "JoinCoverage", "coverage_table", "join_coverage", "log_coverage",
    "count_axis", "histograms", "set_theme", "sample_index", "limited_sample",
    "clean_ids", "fingerprint", "load_customers", "load_survey", "load_transactions", "read_table", "rename_columns",
    "TransactionLog", "transaction_log",
    "SPELLINGS", "TIME_UNITS", "unit_code", "unit_days", "unit_name",
    "KnownTruth", "load_truth",
    "parse_dates", "after_end", "observation_end_timestamp", "require_columns", "require_not_empty", "require_range",
    "require_rows", "require_unique", "to_datetime", "to_numeric",
]
