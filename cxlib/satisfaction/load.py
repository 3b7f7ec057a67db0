"""Loading a ratings table (the canonical survey or any flat file) and attaching a segment column."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from ..core import (DataError, DataWarning, load_survey, read_table, require_columns,
                   require_not_empty, require_range, require_unique, to_numeric)

__all__ = ["load_ratings", "count_customers"]


def load_ratings(path, target: str, drivers: Sequence[str], *,
                 scale: tuple[float, float] = (1, 5),
                 driver_scale: tuple[float, float] | None = None,
                 nps_col: str | None = None, segment_col: str | None = None,
                 customers_path=None, table: str = "survey") -> pd.DataFrame:
    """Load survey answers: the target, the driver ratings, and optionally NPS and a segment.

    Parameters
    ----------
    path : str or path-like
        CSV or Parquet. A canonical survey (with ``respondent_id``) goes through
        :func:`cxlib.data.load_survey`; any other flat table is validated column by column.
    target : str
        Overall satisfaction column, on ``scale``.
    drivers : sequence of str
        Attribute ratings, on ``driver_scale`` (default: ``scale``).
    nps_col : str, optional
        Likelihood to recommend, 0-10.
    segment_col : str, optional
        Grouping column. When the survey lacks it, it is taken from ``customers_path`` by
        ``customer_id``; respondents without a match get the segment ``"(unknown)"``.

    Returns
    -------
    DataFrame with the target, drivers and NPS as floats (blank answers kept as NaN, with a
    :class:`~cxlib.data.DataWarning`) and the segment as text.
    """
    drivers = list(drivers)
    driver_scale = scale if driver_scale is None else driver_scale
    nps_col = nps_col or None
    segment_col = segment_col or None
    raw = read_table(path, table)
    source = raw.attrs["source"]
    if "respondent_id" in raw.columns:
        mapping = {"overall": target} | ({"nps": nps_col} if nps_col else {})
        df = load_survey(path, columns=mapping, ratings=drivers, overall_scale=scale,
                         rating_scale=driver_scale, nps=nps_col is not None)
        df = df.rename(columns=mapping)  # back to the caller's names
    else:
        cols = [target, *drivers] + ([nps_col] if nps_col else [])
        require_columns(raw, cols, table=table, source=source)
        require_not_empty(raw, table=table, source=source)
        df = raw.copy()
        ranges = [(target, scale)] + [(c, driver_scale) for c in drivers]
        ranges += [(nps_col, (0, 10))] if nps_col else []
        for col, (lo, hi) in ranges:
            df[col] = to_numeric(raw, col, table=table, source=source)
            require_range(raw, df[col], lo, hi, table=table, column=col, source=source,
                          what="ratings")
    if segment_col:
        df = _attach_segment(df, segment_col, customers_path, table=table, source=source)
    df.attrs.update(source=source, table=table)
    return df


def count_customers(customers_path, default: int) -> int:
    """Rows in the customers table, or ``default`` when no table is given."""
    if not customers_path:
        return int(default)
    return len(read_table(customers_path, "customers"))


def _attach_segment(df, segment_col, customers_path, *, table, source) -> pd.DataFrame:
    if segment_col not in df.columns:
        if not customers_path:
            raise DataError(f"segment column '{segment_col}' is not in the survey and no customers "
                            "table was given to take it from (give customers_path, or segment_col \"\" for no "
                            "segments)", table=table, source=source,
                            column=segment_col)
        require_columns(df, ["customer_id"], table=table, source=source)
        customers = read_table(customers_path, "customers")
        require_columns(customers, ["customer_id", segment_col], table="customers",
                        source=customers.attrs["source"])
        require_unique(customers, "customer_id", table="customers", source=customers.attrs["source"])
        seg = customers.set_index(customers["customer_id"].str.strip())[segment_col]
        df = df.copy()
        df[segment_col] = df["customer_id"].astype(str).map(seg)
    df[segment_col] = df[segment_col].astype("string").str.strip()
    missing = df[segment_col].isna() | (df[segment_col] == "")
    if missing.any():
        warnings.warn(f"table '{table}': {int(missing.sum())} respondent(s) have no "
                      f"'{segment_col}'; they are grouped as '(unknown)'", DataWarning, stacklevel=3)
        df[segment_col] = df[segment_col].mask(missing, "(unknown)")
    df[segment_col] = df[segment_col].astype(str)
    return df
