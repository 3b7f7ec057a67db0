"""How well two tables join on their ids, said before any result depends on it.

Every analysis that brings two inputs together (transactions with customers, a survey with its
customers, events with the customers table) first measures the join with :func:`join_coverage`:
how many rows of each table find a partner, which ids do not, and whether ignoring letter case
would match many more. No match at all is a :class:`~cxlib.core.errors.DataError` (the files do not
describe the same customers); rows of a table that should all match but do not raise a
:class:`~cxlib.core.errors.DataWarning` with counts and examples. Ids are compared after one
normalisation, :func:`~cxlib.core.tables.clean_ids` (stripped text, blanks missing); letter case is
kept, because ``C001`` and ``c001`` may be different customers in the user's system.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import MAX_EXAMPLES, DataError, DataWarning, show_value

__all__ = ["JoinCoverage", "join_coverage", "log_coverage", "coverage_table", "COVERAGE_COLUMNS"]

COVERAGE_COLUMNS = ["left", "right", "key", "left_rows", "left_matched", "left_share", "right_rows",
                    "right_matched", "right_share", "matched_ignoring_case"]

# Ignoring case must win this share of the left rows before the message suggests it: a handful of
# ids that differ only in case is a data-entry slip worth a warning of its own, not a hint.
CASE_HINT_SHARE = 0.01


@dataclass(frozen=True)
class JoinCoverage:
    """Rows of each table whose id is found in the other.

    Attributes
    ----------
    left, right : str
        The tables as the user knows them: a name and the file, e.g. ``"transactions (data/t.csv)"``.
    key : str
        The id column compared.
    left_rows, right_rows : int
        Rows with an id (blank ids are not counted: they cannot match anything).
    left_matched, right_matched : int
        Of those, rows whose id appears in the other table.
    matched_ignoring_case : int
        Left rows that would match if letter case were ignored.
    left_missing, right_missing : list
        A few ids of each table that the other lacks.
    """

    left: str
    right: str
    key: str
    left_rows: int
    left_matched: int
    right_rows: int
    right_matched: int
    matched_ignoring_case: int
    left_missing: list = field(default_factory=list)
    right_missing: list = field(default_factory=list)

    @property
    def left_share(self) -> float:
        return self.left_matched / self.left_rows if self.left_rows else float("nan")

    @property
    def right_share(self) -> float:
        return self.right_matched / self.right_rows if self.right_rows else float("nan")

    def row(self) -> dict:
        """One row of the coverage table (``joins.csv``)."""
        return {"left": self.left, "right": self.right, "key": self.key,
                "left_rows": self.left_rows, "left_matched": self.left_matched,
                "left_share": self.left_share, "right_rows": self.right_rows,
                "right_matched": self.right_matched, "right_share": self.right_share,
                "matched_ignoring_case": self.matched_ignoring_case}

    def sentence(self) -> str:
        """The join in one plain sentence."""
        return (f"{self.left_matched:,} of {self.left_rows:,} rows of {self.left} "
                f"({self.left_share:.1%}) have a {self.key} found in {self.right}; "
                f"{self.right_matched:,} of {self.right_rows:,} rows of {self.right} "
                f"({self.right_share:.1%}) have one found in {self.left}.")

    def case_hint(self) -> str:
        """A note when ignoring letter case would match clearly more rows, else ``""``."""
        extra = self.matched_ignoring_case - self.left_matched
        if extra <= 0 or extra < CASE_HINT_SHARE * max(self.left_rows, 1):
            return ""
        return (f" Ignoring letter case, {extra:,} more row{'s' if extra != 1 else ''} of {self.left} would match "
                f"({self.matched_ignoring_case:,} in all): the ids look alike but differ in case. "
                "The kit keeps case (C001 and c001 can be different customers); make the ids' case "
                "agree in the files if they are the same customers.")


def _examples(ids) -> list:
    return [show_value(v) for v in list(ids[:MAX_EXAMPLES])]


def _row_counts(ids, counts) -> tuple[np.ndarray, np.ndarray]:
    """Ids as text (as ``astype(str)`` writes them) and rows per id, blank ids dropped: one id
    per row, or distinct ids with their row counts."""
    ids = pd.Series(np.asarray(ids, dtype=object))
    keep = ids.notna().to_numpy()
    n = np.ones(len(ids), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
    return ids[keep].astype(str).to_numpy(dtype=object), n[keep]


def join_coverage(left_ids, right_ids, *, left: str, right: str, key: str = "customer_id",
                  expect: str = "left", warn: bool = True, left_counts=None,
                  right_counts=None) -> JoinCoverage:
    """Measure the join of two id columns; refuse no match, warn on a partial one.

    Parameters
    ----------
    left_ids, right_ids : array-like
        The id column of each table, one value per row (repeats allowed, blanks ignored). Pass
        ids cleaned with :func:`~cxlib.core.tables.clean_ids`.
    left, right : str
        How messages name the tables, ideally with their files.
    key : str
        Name of the id column, for the messages.
    expect : {"left", "right", "both", "none"}
        Which table's rows should all find a partner (e.g. every purchase belongs to a known
        customer, while not every customer has purchased). Unmatched rows there raise a
        :class:`DataWarning`; the other side's coverage is only reported.
    warn : bool
        Set False to measure without warning (the coverage is still returned).
    left_counts, right_counts : array-like, optional
        Rows per id when the ids were already reduced to one per customer (for a log counted in
        the engine): then ``left_ids`` are distinct and ``left_counts`` their row counts.

    Returns
    -------
    JoinCoverage

    Raises
    ------
    DataError
        When no row of either table matches: the tables do not describe the same customers.
    """
    if expect not in ("left", "right", "both", "none"):
        raise ValueError(f"expect must be 'left', 'right', 'both' or 'none', not {expect!r}")
    (l_ids, l_n), (r_ids, r_n) = _row_counts(left_ids, left_counts), _row_counts(right_ids, right_counts)
    # one hash of both sides: every id gets a code, numbered in order of first appearance
    codes, uniques = pd.factorize(np.concatenate([l_ids, r_ids]))
    lcode, rcode = codes[:len(l_ids)], codes[len(l_ids):]
    lc = np.bincount(lcode, weights=l_n, minlength=len(uniques))
    rc = np.bincount(rcode, weights=r_n, minlength=len(uniques))
    in_left, in_right = np.bincount(lcode, minlength=len(uniques)) > 0, np.bincount(rcode, minlength=len(uniques)) > 0
    left_rows, right_rows = int(lc.sum()), int(rc.sum())
    left_matched, right_matched = int(lc[in_right].sum()), int(rc[in_left].sum())
    ci = left_matched
    if left_matched < left_rows:  # only unmatched ids can match once case is ignored
        folded = pd.factorize(pd.Series(uniques, dtype=object).str.casefold().to_numpy(dtype=object))[0]
        ci = int(lc[np.isin(folded, folded[in_right])].sum())
    cov = JoinCoverage(left, right, key, left_rows, left_matched, right_rows, right_matched, ci,
                       _examples(uniques[in_left & ~in_right]), _examples(uniques[in_right & ~in_left]))
    if cov.left_rows and cov.right_rows and cov.left_matched == 0:
        raise DataError(f"no {key} of {left} is found in {right} ({cov.left_rows:,} rows against "
                        f"{cov.right_rows:,}; e.g. {', '.join(cov.left_missing[:3])} against "
                        f"{', '.join(_examples(uniques[in_right])[:3])}): the two files do not "
                        "describe the same customers." + cov.case_hint())
    if warn:
        sides = [("left", left, right, cov.left_rows, cov.left_matched, cov.left_missing),
                 ("right", right, left, cov.right_rows, cov.right_matched, cov.right_missing)]
        for side, name, other, rows, matched, missing in sides:
            if expect in (side, "both") and matched < rows:
                hint = cov.case_hint() if side == "left" else ""
                warnings.warn(f"{rows - matched:,} of {rows:,} rows of {name} ({1 - matched / rows:.1%}) "
                              f"have a {key} not found in {other} (e.g. {', '.join(missing)}); they are "
                              f"left out of every result that needs both tables.{hint}",
                              DataWarning, stacklevel=2)
    return cov


def log_coverage(log, right_ids, *, left: str, right: str, **kwargs) -> JoinCoverage:
    """:func:`join_coverage` of a log kept in the engine (a ``TransactionLog`` or ``EventLog``, whose
    ``rows`` have the id column ``c``) against the ids of a table: the rows are counted per
    customer in the engine, so only one row per customer reaches pandas."""
    r = log.rows
    per = log.to_pandas(r.group_by("c").aggregate(n=r.count()))
    return join_coverage(per["c"], right_ids, left_counts=per["n"], left=left, right=right, **kwargs)


def coverage_table(coverages) -> pd.DataFrame:
    """The coverage of several joins as one table (saved as ``joins.csv``)."""
    return pd.DataFrame([c.row() for c in coverages], columns=COVERAGE_COLUMNS)
