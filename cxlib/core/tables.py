"""Load the canonical CX tables from CSV or Parquet and validate them in one place.

Three tables make up the kit's data model (see ``data/README.md``):

- **customers**: one row per customer: ``customer_id``, ``signup_date``, ``churn_date``
  (blank while the customer is still active) and any attribute columns.
- **transactions**: ``customer_id``, ``timestamp``, ``amount``.
- **survey**: ``respondent_id``, ``customer_id`` (optional), ``date``, ``overall``,
  ``nps`` (0-10, optional) and attribute-rating columns.

Users keep their own column names and pass a mapping ``{canonical: theirs}``; the rules the
loaders apply live in :mod:`cxlib.core.validation`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .config import resolve_path
from .errors import DataError
from .validation import (after_end, observation_end_timestamp, require_columns, require_not_empty,
                         require_range, require_rows, require_unique, to_datetime, to_numeric)

__all__ = ["read_table", "clean_ids", "rename_columns", "load_customers", "load_transactions", "load_survey",
           "fingerprint"]


def read_table(path: str | os.PathLike, table: str, *, encoding: str | None = None) -> pd.DataFrame:
    """Read a table into a DataFrame with every column as read.

    CSV columns are read as text so that coercion (and its error messages) happens in one
    place, :func:`to_numeric` and :func:`to_datetime`; ``encoding`` is the CSV's text encoding
    (UTF-8 unless given). Other sources (a glob or folder of Parquet files,
    ``DB.duckdb::TABLE``, an Ibis ``URL::TABLE``) are read through :mod:`cxlib.core.engine`,
    with the same ``encoding`` (which only CSV files use).
    A header that names a column twice is refused.
    """
    text = os.fspath(path)
    if "::" in text or any(ch in text for ch in "*?[") or resolve_path(text).is_dir():
        from .engine import read_source

        src = read_source(text, table=table, encoding=encoding)
        df = src.to_pandas(src.table)
        df.attrs.update(source=src.name, table=table)
        return df
    p = resolve_path(path)
    if not p.exists():
        raise DataError(f"file not found (looked for {p})", table=table, source=path)
    suffix = p.suffix.lower()
    encoding = encoding or "utf-8"
    try:
        if suffix in {".parquet", ".pq"}:
            df = pd.read_parquet(p)
        elif suffix in {".csv", ".txt", ".gz", ".tsv"}:
            sep = "\t" if suffix == ".tsv" else ","
            _require_unique_header(p, sep, encoding, table)
            df = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                             encoding=encoding)
        else:
            raise DataError(f"unsupported file type '{suffix}': expected .csv or .parquet",
                            table=table, source=p)
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"is not valid {encoding} text ({exc.reason} at byte {exc.start}); give the "
                        "file's encoding, for example encoding: latin-1 (or cp1252 for Windows "
                        "exports)", table=table, source=p) from exc
    except Exception as exc:  # pandas/pyarrow parse errors become one readable message
        raise DataError(f"could not be read as a table: {exc}", table=table, source=p) from exc
    df.attrs["source"] = str(p)
    df.attrs["table"] = table
    return df


def _require_unique_header(path, sep: str, encoding: str, table: str) -> None:
    """pandas would silently rename a repeated column to ``name.1``; refuse it instead."""
    import csv
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding=encoding, newline="") as fh:
        header = next(csv.reader(fh, delimiter=sep), [])
    seen, repeated = set(), []
    for name in (h.strip() for h in header):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise DataError(f"the header names {', '.join(map(repr, repeated))} more than once; "
                        "expected each column once (rename or drop the copies)", table=table,
                        source=path, column=repeated[0])


def clean_ids(values: pd.Series) -> pd.Series:
    """Ids as stripped text; missing and empty ids stay missing (never the text ``"nan"``)."""
    text = values.astype("string").str.strip()
    return text.mask(text == "").astype(object).where(text.notna() & (text != ""), np.nan)


def rename_columns(df: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    """Rename the user's columns to canonical names ({canonical: theirs})."""
    if not columns:
        return df
    inverse = {theirs: canonical for canonical, theirs in columns.items() if theirs}
    out = df.rename(columns=inverse)
    out.attrs.update(df.attrs)
    return out



def load_customers(path, *, columns: Mapping[str, str] | None = None,
                   observation_end=None, numeric: Sequence[str] = (), date_format: str | None = None,
                   timezone: str | None = None, encoding: str | None = None) -> pd.DataFrame:
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

    date_format, timezone, encoding : str, optional
        How to read the dates (:mod:`cxlib.core.dates`: ISO 8601 needs none; numeric dates that
        could be day-first or month-first need one) and the CSV's text encoding.

    Returns
    -------
    DataFrame with ``customer_id`` (str), ``signup_date``, ``churn_date`` (NaT while active),
    ``churned`` (0/1) and the attribute columns.
    """
    table = "customers"
    dates = dict(date_format=date_format, timezone=timezone)  # see cxlib.core.dates
    raw = read_table(path, table, encoding=encoding)
    source = raw.attrs["source"]
    df = rename_columns(raw, columns)
    require_columns(df, ["customer_id", "signup_date"], table=table, source=source, mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df.copy()
    df["customer_id"] = clean_ids(df["customer_id"])
    require_rows(df, df["customer_id"].isna().to_numpy(), "blank customer ids; expected an id in every row",
                 table=table, column="customer_id", source=source)
    require_unique(df, "customer_id", table=table, source=source)
    df["signup_date"] = to_datetime(df, "signup_date", table=table, source=source, **dates)
    if "churn_date" in df.columns:
        df["churn_date"] = to_datetime(df, "churn_date", table=table, source=source, **dates, allow_missing=True)
        before = (df["churn_date"] < df["signup_date"]).to_numpy()
        require_rows(df, before, "churn date before signup date", table=table, column="churn_date",
                     source=source, show=["customer_id", "signup_date", "churn_date"])
    else:
        df["churn_date"] = pd.NaT
    end = observation_end_timestamp(observation_end)
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
                      allow_returns: bool = False, date_format: str | None = None,
                      timezone: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Load the transactions table (``customer_id``, ``timestamp``, ``amount``).

    Negative amounts (returns) are an error unless ``allow_returns``; transactions after
    ``observation_end`` are an error.
    """
    table = "transactions"
    dates = dict(date_format=date_format, timezone=timezone)  # see cxlib.core.dates
    raw = read_table(path, table, encoding=encoding)
    source = raw.attrs["source"]
    df = rename_columns(raw, columns)
    require_columns(df, ["customer_id", "timestamp", "amount"], table=table, source=source,
                    mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df[["customer_id", "timestamp", "amount"]].copy()
    df["customer_id"] = clean_ids(df["customer_id"])
    require_rows(df, df["customer_id"].isna().to_numpy(), "blank customer ids; expected an id in every row",
                 table=table, column="customer_id", source=source)
    df["timestamp"] = to_datetime(df, "timestamp", table=table, source=source, **dates)
    df["amount"] = to_numeric(df, "amount", table=table, source=source, allow_missing=False)
    if not allow_returns:
        require_rows(df, (df["amount"] < 0).to_numpy(),
                     "negative amounts; expected amounts >= 0 (pass allow_returns=True to keep returns)",
                     table=table, column="amount", source=source, show=["customer_id", "amount"])
    end = observation_end_timestamp(observation_end)
    if end is not None:
        late = after_end(df["timestamp"], end)
        require_rows(df, late, f"transactions after the observation end {end.date()}", table=table,
                     column="timestamp", source=source, show=["customer_id", "timestamp"])
    df.attrs["source"] = source
    return df


def load_survey(path, *, columns: Mapping[str, str] | None = None, ratings: Sequence[str] = (),
                overall_scale: tuple[float, float] = (1, 5), rating_scale: tuple[float, float] = (1, 5),
                nps: bool = True, observation_end=None, date_format: str | None = None,
                timezone: str | None = None, encoding: str | None = None) -> pd.DataFrame:
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
    dates = dict(date_format=date_format, timezone=timezone)  # see cxlib.core.dates
    raw = read_table(path, table, encoding=encoding)
    source = raw.attrs["source"]
    df = rename_columns(raw, columns)
    required = ["respondent_id", "overall", *ratings] + (["nps"] if nps else [])
    require_columns(df, required, table=table, source=source, mapping=columns)
    require_not_empty(df, table=table, source=source)
    df = df.copy()
    df["respondent_id"] = clean_ids(df["respondent_id"])
    require_rows(df, df["respondent_id"].isna().to_numpy(), "blank respondent ids; expected an id in every row",
                 table=table, column="respondent_id", source=source)
    require_unique(df, "respondent_id", table=table, source=source)
    if "customer_id" in df.columns:  # a response need not be linked to a customer: blank stays blank
        df["customer_id"] = clean_ids(df["customer_id"])
    if "date" in df.columns:
        df["date"] = to_datetime(df, "date", table=table, source=source, **dates, allow_missing=True)
        end = observation_end_timestamp(observation_end)
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
