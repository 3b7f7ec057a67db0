"""The kit's one error type for bad data, its warning for doubtful data, and how both say where.

Every problem is reported by :class:`DataError` (a ``ValueError``) with the file, table, column,
number of bad rows and a few examples; doubtful but usable data raises a :class:`DataWarning`
that says what was done.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["DataError", "DataWarning", "location", "describe_rows", "MAX_EXAMPLES"]

MAX_EXAMPLES = 5


class DataError(ValueError):
    """Input data the kit cannot use, explained for a person.

    The message names the source file, the table, the column, how many rows are affected and
    shows a few of them, so the user can find and fix the data without reading a traceback.
    """

    def __init__(self, message: str, *, source=None, table=None, column=None, n_rows=None):
        prefix = location(source, table, column)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.source = None if source is None else str(source)
        self.table = table
        self.column = column
        self.n_rows = n_rows


class DataWarning(UserWarning):
    """Doubtful but usable data; the message says what the kit did about it."""


def location(source=None, table=None, column=None) -> str:
    """Where a problem is, as every message of the kit says it: "file F, table 'T', column 'C'"."""
    parts = []
    if source not in (None, ""):
        parts.append(f"file {source}")
    if table not in (None, ""):
        parts.append(f"table '{table}'")
    if column not in (None, ""):
        parts.append(f"column '{column}'")
    return ", ".join(parts)


def show_value(value) -> str:
    """A cell as a person reads it: text quoted, numbers and dates plain."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "blank"
    return repr(value)


def describe_rows(df: pd.DataFrame, mask, columns: Sequence[str] | str | None = None,
                  max_examples: int = MAX_EXAMPLES) -> str:
    """Say how many rows ``mask`` selects and show a few of them.

    Row numbers are 1-based data rows (the header is not counted), as a spreadsheet user sees them
    minus the header line.
    """
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if isinstance(columns, str):
        columns = [columns]
    positions = np.flatnonzero(mask)[:max_examples]
    examples = []
    for pos in positions:
        row = df.iloc[pos]
        shown = ", ".join(f"{c}={show_value(row[c])}" for c in (columns or [])[:4] if c in df.columns)
        examples.append(f"row {pos + 1}" + (f" ({shown})" if shown else ""))
    more = ", ..." if n > len(positions) else ""
    return f"{n} row{'s' if n != 1 else ''} (" + "; ".join(examples) + more + ")"


