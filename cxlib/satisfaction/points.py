"""Ratings between the whole points of a scale (3.5 on 1-5, or averages of several items).

What each analysis of the lesson does with them:

- **NPS** sorts answers into detractors (0-6), passives (7-8) and promoters (9-10); a value such
  as 6.5 or 8.5 falls between two classes, so fractional NPS answers are refused
  (:func:`require_whole_points`).
- **The ordinal logit** needs ordered categories, the scale's whole points; fractional targets
  would become extra levels nobody asked for. The model refuses them with the rows
  (:func:`whole_points_error`), and the lesson's ordinal check is skipped with that reason.
- **CSAT, top box, OLS and relative importance** use ratings as numbers, so fractional values
  are valid there: the loader says how many there are (:func:`warn_fractional_target`), and a
  value counts as top box only at or above ``top_box_from`` (3.5 is not top box on 1-5).
- **Driver ratings** only enter linear models and means, where whole points do not matter, so
  fractional driver values are accepted as they are.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..core import DataError, DataWarning, describe_rows, location

__all__ = ["TOLERANCE", "between_points", "whole_points_error", "require_whole_points",
           "warn_fractional_target"]

#: A value this close to a whole number is that number (4.0000000001 from a float export is 4).
TOLERANCE = 1e-9

# What to do, said once for every message about fractional ratings.
_FIX = ("round the answers in the file to the scale's points, or, for a half-point scale, double "
        "the values and the scale (1-5 in half points becomes 2-10 in whole points)")


def between_points(values) -> np.ndarray:
    """Flag answers that are not whole numbers (blank answers are not flagged).

    Parameters
    ----------
    values : array-like of float

    Returns
    -------
    ndarray of bool, one per value.
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(v) & (np.abs(v - np.round(v)) > TOLERANCE)


def _share(mask: np.ndarray, values) -> str:
    answered = int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=float))))
    return f"{int(mask.sum()):,} of {answered:,} answers ({mask.sum() / max(answered, 1):.1%})"


def whole_points_error(df: pd.DataFrame, column: str, values, *, reason: str, table: str,
                       source=None, fix: str | None = None) -> DataError | None:
    """The error for fractional answers in ``column``, or ``None`` when every answer is whole.

    Parameters
    ----------
    df : DataFrame
        The rows as read, for the row numbers and examples of the message.
    column : str
        The column checked.
    values : array-like of float
        Its answers as numbers, aligned with ``df``.
    reason : str
        Why this analysis needs whole points, in words.
    table, source : str, optional
        Names for the message.
    fix : str, optional
        What the user can do, in words (default: round, or double a half-point scale).
    """
    bad = between_points(values)
    if not bad.any():
        return None
    return DataError(f"{describe_rows(df, bad, column)} lie between the scale's whole points "
                     f"({_share(bad, values)}); {reason}. To use them, {fix or _FIX}.",
                     table=table, source=source, column=column, n_rows=int(bad.sum()))


def require_whole_points(df: pd.DataFrame, column: str, values, *, reason: str, table: str,
                         source=None, fix: str | None = None) -> None:
    """Raise :func:`whole_points_error` when some answers of ``column`` are fractional."""
    error = whole_points_error(df, column, values, reason=reason, table=table, source=source, fix=fix)
    if error is not None:
        raise error


def warn_fractional_target(df: pd.DataFrame, column: str, values, *, top_box_from=None,
                           table: str, source=None) -> int:
    """Say how fractional overall scores are used; return how many there are.

    They stay numbers for CSAT, top box, OLS and relative importance, while the ordinal check,
    whose categories are the scale's whole points, is skipped.
    """
    bad = between_points(values)
    if not bad.any():
        return 0
    box = "the top-box threshold" if top_box_from is None else f"{top_box_from:g}"
    warnings.warn(
        f"{location(source, table, column)}: {describe_rows(df, bad, column)} lie between the "
        f"scale's whole points ({_share(bad, values)}). CSAT, top box, the driver regression and "
        f"relative importance use them as numbers (a score counts as top box only at or above "
        f"{box}); the ordinal check is skipped, because its categories are the scale's whole "
        f"points. To run it, {_FIX}.", DataWarning, stacklevel=3)
    return int(bad.sum())
