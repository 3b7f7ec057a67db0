"""The survey's headline counts by segment, computed in the data engine.

CSAT and NPS by segment need only a few numbers per segment: answers, mean and standard deviation
of the overall score, top-box answers, and NPS answers, promoters, passives and detractors. They
are counted where the survey lives (DuckDB by default, Spark, or a warehouse; see
:mod:`cxlib.core.engine`), so a survey of any size reaches pandas as one row per segment; the
segment taken from the customers table is joined there too. The intervals are then computed by
the same formulas as the pandas path (:func:`~cxlib.satisfaction.headline_from_counts`,
:func:`~cxlib.satisfaction.word_of_mouth_from_counts`).

The per-respondent models (OLS, ordinal logit, relative importance) still need the respondents
in pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import DataError
from ..core.engine import blank, read_source, strip
from .load import UNKNOWN
from .metrics import ALL

__all__ = ["COUNT_COLUMNS", "survey_counts"]

COUNT_COLUMNS = ["n", "mean", "sd", "top_box", "nps_n", "promoters", "passives", "detractors"]
_SEGMENT = "_cx_segment"


def _number(col):
    """An answer as a float in the engine: blank text, null and NaN become null."""
    import ibis
    import ibis.expr.types as ir

    value = strip(col).cast("float64") if isinstance(col, ir.StringValue) else col.cast("float64")
    return ibis.ifelse(blank(col), ibis.null("float64"), value)


def _text(col):
    """A segment as text, spelled as pandas spells it (``True``, not ``true``), stripped."""
    import ibis
    import ibis.expr.types as ir

    if isinstance(col, ir.BooleanValue):
        return ibis.ifelse(col.isnull(), ibis.null("string"), ibis.ifelse(col, "True", "False"))
    return strip(col.cast("string"))


def _segment(col):
    """Blank segments are counted as ``"(unknown)"``, as :func:`load_ratings` groups them."""
    import ibis

    text = _text(col)
    return ibis.ifelse(text.isnull() | (text == ""), UNKNOWN, text)


def _with_segment(survey, segment_col: str, customers_path, *, engine, spark_master, con,
                  encoding=None):
    """The survey table with a ``_cx_segment`` column, joined from the customers table if needed."""
    t = survey.table
    if segment_col in survey.columns:
        return t.mutate(**{_SEGMENT: _segment(t[segment_col])})
    if not customers_path:
        raise DataError(f"segment column '{segment_col}' is not in the survey and no customers table "
                        "was given to take it from", table="survey", source=survey.name,
                        column=segment_col)
    customers = read_source(customers_path, table="customers", engine=engine, spark_master=spark_master,
                            con=con if con is not None else survey.con, encoding=encoding)
    if segment_col not in customers.columns:
        raise DataError(f"column '{segment_col}' is not in the customers table", table="customers",
                        source=customers.name, column=segment_col)
    c = customers.table
    # Ids are compared stripped with letter case kept, as core.clean_ids and core.join_coverage do.
    right = (c.filter(~blank(c["customer_id"]))
             .select(_cx_id=strip(c["customer_id"].cast("string")), _cx_seg=_text(c[segment_col])))
    left = t.mutate(_cx_key=strip(t["customer_id"].cast("string")))
    joined = left.left_join(right, left["_cx_key"] == right["_cx_id"])
    seg = joined["_cx_seg"]
    return joined.mutate(**{_SEGMENT: _segment(seg)})


def _aggregates(t, target: str, nps_col: str | None, threshold: float) -> dict:
    y = _number(t[target])
    aggs = {"n": y.count(), "mean": y.mean(), "sd": y.std(how="sample"),
            "top_box": (y >= threshold).fill_null(False).cast("int64").sum()}
    if nps_col:
        s = _number(t[nps_col])
        aggs |= {"nps_n": s.count(),
                 "promoters": (s >= 9).fill_null(False).cast("int64").sum(),
                 "passives": ((s > 6) & (s < 9)).fill_null(False).cast("int64").sum(),
                 "detractors": (s <= 6).fill_null(False).cast("int64").sum()}
    return aggs


def survey_counts(data_path, target: str, *, scale: tuple[float, float] = (1, 5),
                  nps_col: str | None = None, segment_col: str | None = None, customers_path=None,
                  top_box_from: float | None = None, engine: str = "duckdb",
                  spark_master: str | None = None, con=None, encoding: str | None = None) -> pd.DataFrame:
    """Per segment: answers, mean and sd of ``target``, top-box answers and the NPS classes.

    Parameters
    ----------
    data_path : str, path-like, DataFrame or ibis.Table
        The survey (any source :func:`cxlib.core.engine.read_source` opens). Validate it first
        with :func:`~cxlib.satisfaction.load_ratings`: here the answers are only counted.
    target : str
        Overall satisfaction column.
    scale : (low, high)
        Its scale; the top box starts at ``top_box_from`` (default ``high - 1``).
    nps_col, segment_col : str, optional
        Likelihood to recommend (0-10) and the grouping column. A segment the survey lacks is
        joined from ``customers_path`` by ``customer_id``; blank or unmatched segments count as
        ``"(unknown)"``.
    engine, spark_master, con
        Where the rows are counted (:func:`cxlib.core.engine.connect`).
    encoding : str, optional
        Text encoding of CSV inputs; UTF-8 when not given.

    Returns
    -------
    DataFrame indexed by ``segment``, ``"All"`` first and then the segments in sorted order,
    with columns :data:`COUNT_COLUMNS` (the NPS ones only with ``nps_col``). ``sd`` is the
    sample standard deviation (NaN below two answers).
    """
    nps_col = nps_col or None
    segment_col = segment_col or None
    encoding = encoding or None  # "" means UTF-8
    survey = read_source(data_path, table="survey", engine=engine, spark_master=spark_master, con=con,
                         encoding=encoding)
    threshold = scale[1] - 1 if top_box_from is None else top_box_from
    t = survey.table
    if segment_col:
        t = _with_segment(survey, segment_col, customers_path, engine=engine, spark_master=spark_master,
                          con=con, encoding=encoding)
    aggs = _aggregates(t, target, nps_col, threshold)
    frames = [survey.to_pandas(t.aggregate(**aggs)).assign(segment=ALL)]
    if segment_col:
        by = survey.to_pandas(t.group_by(_SEGMENT).aggregate(**_aggregates(t, target, nps_col, threshold)))
        frames.append(by.rename(columns={_SEGMENT: "segment"}).sort_values("segment"))
    out = pd.concat(frames, ignore_index=True).set_index("segment")
    columns = [c for c in COUNT_COLUMNS if c in out.columns]
    out = out[columns]
    for c in columns:  # engines return counts as floats or decimals when a group is empty
        out[c] = out[c].astype(float) if c in ("mean", "sd") else out[c].fillna(0).astype(np.int64)
    out.attrs.update(source=survey.name, top_box_from=threshold, segment_col=segment_col)
    return out
