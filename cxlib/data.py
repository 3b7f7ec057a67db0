"""Load the canonical CX tables from CSV or Parquet and validate them in one place.

Three tables make up the kit's data model (see ``data/README.md``):

- **customers**: one row per customer: ``customer_id``, ``signup_date``, ``churn_date``
  (blank while the customer is still active) and any attribute columns.
- **transactions**: ``customer_id``, ``timestamp``, ``amount``.
- **survey**: ``respondent_id``, ``customer_id`` (optional), ``date``, ``overall``,
  ``nps`` (0-10, optional) and attribute-rating columns.

Users keep their own column names and pass a mapping ``{canonical: theirs}``. Every problem is
reported by :class:`DataError` (a ``ValueError``) with the file, table, column, number of bad rows
and a few examples; doubtful but usable data raises a :class:`DataWarning` that says what was done.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .config import resolve_path

__all__ = [
    "DataError",
    "DataWarning",
    "read_table",
    "load_customers",
    "load_transactions",
    "load_survey",
    "require_columns",
    "require_not_empty",
    "require_unique",
    "to_numeric",
    "to_datetime",
    "require_range",
    "require_rows",
    "describe_rows",
    "location",
]

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


def _show(value) -> str:
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
        shown = ", ".join(f"{c}={_show(row[c])}" for c in (columns or [])[:4] if c in df.columns)
        examples.append(f"row {pos + 1}" + (f" ({shown})" if shown else ""))
    more = ", ..." if n > len(positions) else ""
    return f"{n} row{'s' if n != 1 else ''} (" + "; ".join(examples) + more + ")"


def read_table(path: str | os.PathLike, table: str) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame with every column as read.

    CSV columns are read as text so that coercion (and its error messages) happens in one
    place, :func:`to_numeric` and :func:`to_datetime`.
    """
    p = resolve_path(path)
    if not p.exists():
        raise DataError(f"file not found (looked for {p})", table=table, source=path)
    suffix = p.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            df = pd.read_parquet(p)
        elif suffix in {".csv", ".txt", ".gz", ".tsv"}:
            sep = "\t" if suffix == ".tsv" else ","
            df = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
        else:
            raise DataError(f"unsupported file type '{suffix}': expected .csv or .parquet",
                            table=table, source=p)
    except DataError:
        raise
    except Exception as exc:  # pandas/pyarrow parse errors become one readable message
        raise DataError(f"could not be read as a table: {exc}", table=table, source=p) from exc
    df.attrs["source"] = str(p)
    df.attrs["table"] = table
    return df


def require_not_empty(df: pd.DataFrame, *, table: str, source=None) -> None:
    """Raise if the table has no rows."""
    if len(df) == 0:
        raise DataError("the table is empty: expected at least one row", source=source, table=table)


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, table: str, source=None,
                    mapping: Mapping[str, str] | None = None) -> None:
    """Raise once, listing every required column that is missing."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hint = ""
        if mapping:
            hint = " (after mapping " + ", ".join(f"{k}<-{v}" for k, v in mapping.items()) + ")"
        raise DataError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}{hint}; "
            f"the table has {', '.join(map(repr, df.columns))}",
            source=source, table=table, column=missing[0], n_rows=0)


def require_unique(df: pd.DataFrame, column: str, *, table: str, source=None) -> None:
    """Raise if ``column`` has duplicated values (an id column)."""
    dup = df[column].duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(f"duplicate ids: {describe_rows(df, dup, column)}; expected one row per id",
                        source=source, table=table, column=column, n_rows=int(dup.sum()))


def require_rows(df: pd.DataFrame, bad, message: str, *, table: str, column: str | None = None,
                 source=None, show: Sequence[str] | None = None) -> None:
    """Raise if any row is flagged ``bad``; ``message`` says what was expected."""
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        cols = list(show) if show is not None else ([column] if column else [])
        raise DataError(f"{describe_rows(df, bad, cols)}: {message}", source=source, table=table,
                        column=column, n_rows=int(bad.sum()))


def to_numeric(df: pd.DataFrame, column: str, *, table: str, source=None,
               allow_missing: bool = True, integer: bool = False,
               expected: str = "expected numbers", warn_missing: bool = True) -> pd.Series:
    """Coerce a column to numbers.

    Text that is not a number is an error whose message ends with ``expected``. Blank cells
    become NaN when ``allow_missing`` (the caller decides what NaN means), with a
    :class:`DataWarning` unless ``warn_missing`` is off because the caller says more; an error
    otherwise.
    """
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        text = s.astype("string").str.strip()
        blank = text.isna() | (text == "")
        num = pd.to_numeric(text.where(~blank), errors="coerce")
        bad = (num.isna() & ~blank).to_numpy()
        require_rows(df, bad, expected, table=table, column=column, source=source)
        s = num.astype(float)
    missing = s.isna().to_numpy()
    if missing.any() and (warn_missing or not allow_missing):
        if not allow_missing:
            require_rows(df, missing, "blank cells; expected a number in every row",
                         table=table, column=column, source=source)
        warnings.warn(
            f"{location(source, table, column)}: {describe_rows(df, missing, column)} are blank; "
            "they are kept as missing (NaN)", DataWarning, stacklevel=2)
    if integer:
        frac = (s.notna() & (s != np.floor(s))).to_numpy()
        require_rows(df, frac, "expected whole numbers", table=table, column=column, source=source)
    return s.astype(float)


def to_datetime(df: pd.DataFrame, column: str, *, table: str, source=None,
                allow_missing: bool = False) -> pd.Series:
    """Coerce a column to timestamps; text that is not a date is an error."""
    s = df[column]
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
    else:
        text = s.astype("string").str.strip()
        blank = text.isna() | (text == "")
        out = pd.to_datetime(text.where(~blank), errors="coerce", format="mixed")
        bad = (out.isna() & ~blank).to_numpy()
        require_rows(df, bad, "expected dates (for example 2024-03-31)", table=table, column=column,
                     source=source)
    if not allow_missing:
        require_rows(df, out.isna().to_numpy(), "blank dates; expected a date in every row",
                     table=table, column=column, source=source)
    return out.astype("datetime64[ns]")


def require_range(df: pd.DataFrame, values: pd.Series, lo: float | None, hi: float | None, *,
                  table: str, column: str, source=None, what: str = "values") -> None:
    """Raise if non-missing ``values`` fall outside ``[lo, hi]``."""
    v = values.to_numpy(dtype=float)
    bad = np.zeros(len(v), dtype=bool)
    if lo is not None:
        bad |= v < lo
    if hi is not None:
        bad |= v > hi
    bad &= ~np.isnan(v)
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    require_rows(df, bad, f"{what} outside the scale [{lo_s}, {hi_s}]", table=table, column=column,
                 source=source)


def _rename(df: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    """Rename the user's columns to canonical names ({canonical: theirs})."""
    if not columns:
        return df
    inverse = {theirs: canonical for canonical, theirs in columns.items() if theirs}
    out = df.rename(columns=inverse)
    out.attrs.update(df.attrs)
    return out


def _observation_end(observation_end) -> pd.Timestamp | None:
    return None if observation_end in (None, "") else pd.Timestamp(observation_end)


def after_end(values: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Flag timestamps after the observation end; a date without a time covers its whole day."""
    if end == end.normalize():
        return (values >= end + pd.Timedelta(days=1)).to_numpy()
    return (values > end).to_numpy()


def load_customers(path, *, columns: Mapping[str, str] | None = None,
                   observation_end=None, numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Load the customers table.

    Parameters
    ----------
    path : str or path-like
        CSV or Parquet file.
    columns : mapping, optional
        ``{canonical: your_column}`` for ``customer_id``, ``signup_date``, ``churn_date``.
    observation_end : date-like, optional
        End of the observation window; signups and churn dates after it are errors.
    numeric : sequence of str
        Attribute columns to coerce to numbers (blank cells warn and become NaN).

    Returns
    -------
    DataFrame with ``customer_id`` (str), ``signup_date``, ``churn_date`` (NaT while active),
    ``churned`` (0/1) and the attribute columns.
    """
    table = "customers"
    raw = read_table(path, table)
    source = raw.attrs["source"]
    df = _rename(raw, columns)
    require_columns(df, ["customer_id", "signup_date"], table=table, source=source, mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df.copy()
    df["customer_id"] = df["customer_id"].astype(str).str.strip()
    require_unique(df, "customer_id", table=table, source=source)
    df["signup_date"] = to_datetime(df, "signup_date", table=table, source=source)
    if "churn_date" in df.columns:
        df["churn_date"] = to_datetime(df, "churn_date", table=table, source=source, allow_missing=True)
        before = (df["churn_date"] < df["signup_date"]).to_numpy()
        require_rows(df, before, "churn date before signup date", table=table, column="churn_date",
                     source=source, show=["customer_id", "signup_date", "churn_date"])
    else:
        df["churn_date"] = pd.NaT
    end = _observation_end(observation_end)
    if end is not None:
        for col in ("signup_date", "churn_date"):
            late = after_end(df[col], end)
            require_rows(df, late, f"dates after the observation end {end.date()}", table=table,
                         column=col, source=source, show=["customer_id", col])
    for col in numeric:
        require_columns(df, [col], table=table, source=source, mapping=columns)
        df[col] = to_numeric(df, col, table=table, source=source)
    df["churned"] = df["churn_date"].notna().astype(int)
    df.attrs["source"] = source
    return df


def load_transactions(path, *, columns: Mapping[str, str] | None = None, observation_end=None,
                      allow_returns: bool = False) -> pd.DataFrame:
    """Load the transactions table (``customer_id``, ``timestamp``, ``amount``).

    Negative amounts (returns) are an error unless ``allow_returns``; transactions after
    ``observation_end`` are an error.
    """
    table = "transactions"
    raw = read_table(path, table)
    source = raw.attrs["source"]
    df = _rename(raw, columns)
    require_columns(df, ["customer_id", "timestamp", "amount"], table=table, source=source,
                    mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df[["customer_id", "timestamp", "amount"]].copy()
    df["customer_id"] = df["customer_id"].astype(str).str.strip()
    df["timestamp"] = to_datetime(df, "timestamp", table=table, source=source)
    df["amount"] = to_numeric(df, "amount", table=table, source=source, allow_missing=False)
    if not allow_returns:
        require_rows(df, (df["amount"] < 0).to_numpy(),
                     "negative amounts; expected amounts >= 0 (pass allow_returns=True to keep returns)",
                     table=table, column="amount", source=source, show=["customer_id", "amount"])
    end = _observation_end(observation_end)
    if end is not None:
        late = after_end(df["timestamp"], end)
        require_rows(df, late, f"transactions after the observation end {end.date()}", table=table,
                     column="timestamp", source=source, show=["customer_id", "timestamp"])
    df.attrs["source"] = source
    return df


def load_survey(path, *, columns: Mapping[str, str] | None = None, ratings: Sequence[str] = (),
                overall_scale: tuple[float, float] = (1, 5), rating_scale: tuple[float, float] = (1, 5),
                nps: bool = True, observation_end=None) -> pd.DataFrame:
    """Load survey responses.

    Parameters
    ----------
    columns : mapping, optional
        ``{canonical: your_column}`` for ``respondent_id``, ``customer_id``, ``date``,
        ``overall``, ``nps``.
    ratings : sequence of str
        Attribute-rating columns, each on ``rating_scale``.
    overall_scale, rating_scale : (low, high)
        Allowed range of the overall satisfaction score and of the attribute ratings.
    nps : bool
        Whether an ``nps`` column (0-10 likelihood to recommend) is expected.

    Blank answers are kept as NaN with a warning; the analysis decides how to treat them.
    """
    table = "survey"
    raw = read_table(path, table)
    source = raw.attrs["source"]
    df = _rename(raw, columns)
    required = ["respondent_id", "overall", *ratings] + (["nps"] if nps else [])
    require_columns(df, required, table=table, source=source, mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df.copy()
    df["respondent_id"] = df["respondent_id"].astype(str).str.strip()
    require_unique(df, "respondent_id", table=table, source=source)
    if "customer_id" in df.columns:
        df["customer_id"] = df["customer_id"].astype(str).str.strip()
    if "date" in df.columns:
        df["date"] = to_datetime(df, "date", table=table, source=source, allow_missing=True)
        end = _observation_end(observation_end)
        if end is not None:
            require_rows(df, after_end(df["date"], end),
                         f"responses dated after the observation end {end.date()}", table=table,
                         column="date", source=source, show=["respondent_id", "date"])
    checks = [("overall", overall_scale, "scores")] + [(c, rating_scale, "ratings") for c in ratings]
    if nps:
        checks.append(("nps", (0, 10), "likelihood-to-recommend answers"))
    for col, (lo, hi), what in checks:
        df[col] = to_numeric(df, col, table=table, source=source)
        require_range(df, df[col], lo, hi, table=table, column=col, source=source, what=what)
    df.attrs["source"] = source
    return df


def fingerprint(path: str | os.PathLike) -> str:
    """A short content hash of a data file, recorded in reports to tell inputs apart."""
    import hashlib

    h = hashlib.sha256()
    with open(resolve_path(path), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]
