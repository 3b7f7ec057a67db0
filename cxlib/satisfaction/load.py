"""Loading a ratings table (the canonical survey or any flat file) and attaching a segment column.

When the segment comes from the customers table, the join is measured first
(:func:`cxlib.core.join_coverage`): no match at all is an error, respondents whose customer is
unknown are kept as ``"(unknown)"`` with a warning that counts them, and the coverage travels
with the loaded table (``attrs["joins"]``) so the lesson can show and save it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import pandas as pd

from ..core import (DataError, DataWarning, clean_ids, join_coverage, load_survey, location, read_table,
                    require_columns, require_not_empty, require_range, require_rows, to_numeric)
from .points import require_whole_points, warn_fractional_target

__all__ = ["UNKNOWN", "load_ratings", "count_customers"]

UNKNOWN = "(unknown)"  # the segment of respondents the customers table cannot place

_NPS_REASON = ("NPS sorts answers into detractors (0-6), passives (7-8) and promoters (9-10), and a "
               "value between two whole points can fall between two classes (6.5, 8.5)")
_NPS_FIX = ("correct them in the file (an NPS answer is one whole point from 0 to 10; averaged or "
            "imputed values are not answers), or give nps_col \"\" to leave NPS out")


def load_ratings(path, target: str, drivers: Sequence[str], *,
                 scale: tuple[float, float] = (1, 5),
                 driver_scale: tuple[float, float] | None = None,
                 nps_col: str | None = None, segment_col: str | None = None,
                 customers_path=None, table: str = "survey",
                 top_box_from: float | None = None, encoding: str | None = None) -> pd.DataFrame:
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
        ``customer_id`` (ids stripped, letter case kept); respondents without a match get the
        segment ``"(unknown)"``, with a :class:`~cxlib.core.DataWarning` that counts them.
    top_box_from : float, optional
        Lowest top-box score, named in the warning about fractional overall scores (default: the
        top two points of ``scale``).
    encoding : str, optional
        Text encoding of CSV inputs (the survey and the customers table); UTF-8 when not given.

    Returns
    -------
    DataFrame with the target, drivers and NPS as floats (blank answers kept as NaN, with a
    :class:`~cxlib.core.DataWarning`) and the segment as text. ``attrs["joins"]`` lists the
    :class:`~cxlib.core.JoinCoverage` of the join with the customers table (empty when no join
    was needed).

    Raises
    ------
    DataError
        Missing columns, text or values off the scale in a rating, NPS answers between whole
        points, or survey ids none of which the customers table has.

    Notes
    -----
    Overall scores between whole points (3.5 on 1-5) are kept as numbers with a warning; the
    ordinal check then declines to run (see :mod:`cxlib.satisfaction.points`).
    """
    drivers = list(drivers)
    driver_scale = scale if driver_scale is None else driver_scale
    nps_col = nps_col or None
    segment_col = segment_col or None
    encoding = encoding or None  # "" (a blank notebook parameter) means UTF-8
    raw = read_table(path, table, encoding=encoding)
    source = raw.attrs["source"]
    if "respondent_id" in raw.columns:
        mapping = {"overall": target} | ({"nps": nps_col} if nps_col else {})
        df = load_survey(path, columns=mapping, ratings=drivers, overall_scale=scale,
                         rating_scale=driver_scale, nps=nps_col is not None, encoding=encoding)
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
    if nps_col:
        require_whole_points(raw, nps_col, df[nps_col], reason=_NPS_REASON, table=table, source=source,
                             fix=_NPS_FIX)
    box = scale[1] - 1 if top_box_from is None else top_box_from
    warn_fractional_target(raw, target, df[target], top_box_from=box, table=table, source=source)
    joins = []
    if segment_col:
        df, joins = _attach_segment(df, segment_col, customers_path, table=table, source=source,
                                    encoding=encoding,
                                    survey_name=path)
    df.attrs.update(source=source, table=table, joins=joins)
    return df


def count_customers(customers_path, default: int, *, encoding: str | None = None) -> int:
    """Rows in the customers table, or ``default`` when no table is given."""
    if not customers_path:
        return int(default)
    return len(read_table(customers_path, "customers", encoding=encoding or None))


def _named(table: str, path) -> str:
    """A table as messages name it: ``survey (data/survey.csv)``, with the path as given."""
    return f"{table} ({os.fspath(path)})"


def _attach_segment(df, segment_col, customers_path, *, table, source, survey_name, encoding=None):
    """The segment column, from the survey or joined from the customers table, blanks as unknown."""
    joins, known = [], None
    if segment_col not in df.columns:
        if not customers_path:
            raise DataError(f"segment column '{segment_col}' is not in the survey and no customers "
                            "table was given to take it from (give customers_path, or segment_col \"\" for no "
                            "segments)", table=table, source=source,
                            column=segment_col)
        df, cov, known = _join_segment(df, segment_col, customers_path, table=table, source=source,
                                       encoding=encoding,
                                       survey_name=survey_name)
        joins.append(cov)
    df[segment_col] = df[segment_col].astype("string").str.strip()
    missing = (df[segment_col].isna() | (df[segment_col] == "")).to_numpy()
    if missing.any():
        why = _why_unknown(df, missing, known, segment_col, joins[0]) if joins else "."
        n = int(missing.sum())
        warnings.warn(f"{location(source, table)}: {n:,} respondent{'s' if n != 1 else ''} "
                      f"{'have' if n != 1 else 'has'} no '{segment_col}'; they are grouped as "
                      f"'{UNKNOWN}'{why}", DataWarning, stacklevel=3)
        df[segment_col] = df[segment_col].mask(missing, UNKNOWN)
    df[segment_col] = df[segment_col].astype(str)
    return df, joins


def _join_segment(df, segment_col, customers_path, *, table, source, survey_name, encoding=None):
    """Map each respondent's customer to its segment, after measuring the join.

    Returns the survey with cleaned ids and the segment, the join's coverage, and which
    respondents' customer the customers table has.
    """
    require_columns(df, ["customer_id"], table=table, source=source)
    customers = read_table(customers_path, "customers", encoding=encoding)
    c_source = customers.attrs["source"]
    require_columns(customers, ["customer_id", segment_col], table="customers", source=c_source)
    customers = customers.assign(customer_id=clean_ids(customers["customer_id"]))
    customers.attrs["source"] = c_source
    # Blank ids cannot be looked up; repeated ones would give a respondent two segments.
    ids_c = customers["customer_id"]
    require_rows(customers, (ids_c.notna() & ids_c.duplicated(keep=False)).to_numpy(),
                 "duplicate ids; expected one row per id", table="customers", column="customer_id",
                 source=c_source)
    ids = clean_ids(df["customer_id"])
    cov = join_coverage(ids, customers["customer_id"], left=_named(table, survey_name),
                        right=_named("customers", customers_path), key="customer_id",
                        expect="left", warn=False)  # the warning below says what happens to them
    seg = customers.dropna(subset=["customer_id"]).set_index("customer_id")[segment_col]
    df = df.copy()
    df["customer_id"] = ids
    df[segment_col] = ids.map(seg)
    return df, cov, ids.isin(seg.index).to_numpy()


def _why_unknown(df, missing, known, segment_col, cov) -> str:
    """Why respondents have no segment after the join: unknown id, blank id or blank segment."""
    blank_id = df["customer_id"].isna().to_numpy()
    parts = []
    unmatched = cov.left_rows - cov.left_matched
    if unmatched:
        parts.append(f"{unmatched:,} of {cov.left_rows:,} respondents with a customer_id "
                     f"({1 - cov.left_share:.1%}) name a customer not found in {cov.right} "
                     f"(e.g. {', '.join(cov.left_missing)})")
    if blank_id.any():
        k = int(blank_id.sum())
        parts.append(f"{k:,} {'have' if k != 1 else 'has'} no customer_id")
    blank_segment = int((missing & known).sum())
    if blank_segment:
        parts.append(f"{blank_segment:,} belong{'s' if blank_segment == 1 else ''} to a customer whose "
                     f"'{segment_col}' is blank in {cov.right}")
    return (": " + "; ".join(parts) if parts else "") + "." + cov.case_hint()
