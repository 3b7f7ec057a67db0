"""Dates read as the user meant them: never a silent guess between day-first and month-first.

Text dates are read by these rules, in order:

1. A ``date_format`` given by the user (``"%d/%m/%Y"``, ``"%m/%d/%Y %H:%M"``, ...) is applied
   strictly: a value that does not fit is an error naming its rows.
2. ISO 8601 (``2024-03-31``, ``2024-03-31 14:05``, ``2024-03-31T14:05:00+02:00``) needs no
   format.
3. Numeric dates with separators (``03/04/2024``, ``3.4.24``) are read day-first when some row
   has a first number above 12, month-first when some row has a second number above 12; when
   no row settles it, the column is ambiguous and refused with the rows and the two formats to
   choose from. A column with both kinds of rows is refused too.
4. Anything else (``31 March 2024``, ``Mar 31, 2024``) is read by pandas' flexible parser.

Time zones: timestamps that carry a zone (an offset in the text, or a zone-aware column) are
converted to one stated zone, ``timezone`` (UTC unless given), and kept as that zone's wall-clock
time, with a :class:`~cxlib.core.DataWarning` that says so.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from .errors import DataError, DataWarning, describe_rows, location

__all__ = ["parse_dates", "ISO_PATTERN", "NUMERIC_PATTERN"]

ISO_PATTERN = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")
NUMERIC_PATTERN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$")
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _fail(df, bad, message, *, table, column, source):
    raise DataError(f"{describe_rows(df, bad, column)}: {message}", source=source, table=table,
                    column=column, n_rows=int(np.sum(bad)))


def _to_zone(values: pd.Series, timezone: str, *, table, column, source, n: int) -> pd.Series:
    converted = values.dt.tz_convert(timezone).dt.tz_localize(None)
    warnings.warn(f"{location(source, table, column)}: {n} timestamp{'s carry' if n != 1 else ' carries'} a "
                  f"time zone; {'they are' if n != 1 else 'it is'} converted to {timezone} and kept as {timezone} wall-clock "
                  "time (set timezone to use another zone)", DataWarning, stacklevel=4)
    return converted


def parse_dates(df: pd.DataFrame, column: str, *, table: str, source=None, date_format: str | None = None,
                timezone: str | None = None) -> pd.Series:
    """Parse ``df[column]`` into naive timestamps by the module's rules; blanks become NaT.

    Raises
    ------
    DataError
        For values that are not dates, that do not fit ``date_format``, or numeric dates that
        could be day-first or month-first.
    """
    timezone = timezone or "UTC"
    s = df[column]
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            return _to_zone(s, timezone, table=table, column=column, source=source,
                            n=int(s.notna().sum()))
        return s.astype("datetime64[ns]")
    text = s.astype("string").str.strip()
    blank = (text.isna() | (text == "")).to_numpy()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if blank.all():
        return out
    if date_format:
        parsed = pd.to_datetime(text.where(~blank), format=date_format, errors="coerce")
        _fail_if(df, parsed.isna().to_numpy() & ~blank, f"expected dates in the format {date_format}",
                 table=table, column=column, source=source)
        return _naive(parsed, timezone, table=table, column=column, source=source)

    # The common case first: every value ISO 8601 without a zone, read in one vectorized pass.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # mixed zones: handled below
        fast = pd.to_datetime(text.where(~blank), format="ISO8601", errors="coerce")
    if (pd.api.types.is_datetime64_dtype(fast) and getattr(fast.dt, "tz", None) is None
            and not (fast.isna().to_numpy() & ~blank).any()):
        return fast.astype("datetime64[ns]")
    values = text.fillna("")
    iso = values.str.match(ISO_PATTERN.pattern).to_numpy() & ~blank
    numeric = values.str.match(NUMERIC_PATTERN.pattern).to_numpy() & ~blank
    other = ~blank & ~iso & ~numeric
    if iso.any():
        has_zone = values[iso].str.contains(_ZONE.pattern)
        parsed = pd.to_datetime(values[iso], format="ISO8601", errors="coerce", utc=bool(has_zone.any()))
        if has_zone.any():
            parsed = _to_zone(parsed, timezone, table=table, column=column, source=source,
                              n=int(has_zone.sum()))
        out[iso] = parsed.astype("datetime64[ns]").to_numpy()
    if numeric.any():
        out[numeric] = _numeric_dates(df, values, numeric, table=table, column=column, source=source)
    if other.any():
        parsed = pd.to_datetime(values[other], format="mixed", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = _to_zone(parsed, timezone, table=table, column=column, source=source,
                              n=int(other.sum()))
        out[other] = parsed.astype("datetime64[ns]").to_numpy()
    _fail_if(df, out.isna().to_numpy() & ~blank, "expected dates (for example 2024-03-31; for "
             "another layout set date_format, e.g. %d/%m/%Y)", table=table, column=column, source=source)
    return out


def _fail_if(df, bad, message, **where) -> None:
    if np.any(bad):
        _fail(df, bad, message, **where)


def _naive(parsed: pd.Series, timezone: str, **where) -> pd.Series:
    if getattr(parsed.dt, "tz", None) is not None:
        return _to_zone(parsed, timezone, n=int(parsed.notna().sum()), **where)
    return parsed.astype("datetime64[ns]")


def _numeric_dates(df, values: pd.Series, rows: np.ndarray, *, table, column, source) -> np.ndarray:
    """Day-first or month-first, as the column itself settles it; never a guess."""
    parts = values[rows].str.extract(NUMERIC_PATTERN.pattern)
    first, second = parts[0].astype(int), parts[1].astype(int)
    day_first, month_first = (first > 12).to_numpy(), (second > 12).to_numpy()
    where = dict(table=table, column=column, source=source)
    mask = np.zeros(len(df), dtype=bool)
    if day_first.any() and month_first.any():
        mask[np.flatnonzero(rows)[day_first | month_first]] = True
        _fail(df, mask, "the column mixes day-first dates (first number above 12) and month-first "
              "dates (second number above 12); make them one layout, or set date_format", **where)
    if not (day_first.any() or month_first.any()):
        mask[np.flatnonzero(rows)] = True
        _fail(df, mask, "these dates read both day-first and month-first (no day above 12 settles "
              "it); set date_format to %d/%m/%Y (day first) or %m/%d/%Y (month first)", **where)
    order = "%d/%m" if day_first.any() else "%m/%d"
    year = np.where(parts[2].str.len() == 2, "%y", "%Y")
    normal = (parts[0] + "/" + parts[1] + "/" + parts[2]
              + np.where(parts[3].isna(), "", " " + parts[3].fillna("")))
    parsed = pd.Series(pd.NaT, index=normal.index, dtype="datetime64[ns]")
    for yfmt in ("%Y", "%y"):
        for tfmt in ("", " %H:%M", " %H:%M:%S"):
            sel = (year == yfmt) & parsed.isna().to_numpy()
            if sel.any():
                parsed[sel] = pd.to_datetime(normal[sel], format=f"{order}/{yfmt}{tfmt}", errors="coerce")
    settled = np.flatnonzero(rows)[day_first if order == "%d/%m" else month_first][:3]
    examples = ", ".join(repr(values.iloc[i]) for i in settled)
    warnings.warn(f"{location(source, table, column)}: dates such as {examples} settle the layout: "
                  f"the column is read {'day-first (%d/%m/%Y)' if order == '%d/%m' else 'month-first (%m/%d/%Y)'}",
                  DataWarning, stacklevel=4)
    return parsed.to_numpy()
