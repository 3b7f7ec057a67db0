"""Satisfaction per touchpoint, with intervals, and the journey map that puts each stage's
volume, conversion, time and satisfaction side by side.

The sums behind each mean (count, sum, sum of squares, bad experiences) are computed in the
engine, one row per stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .log import EventLog

__all__ = ["touchpoint_table", "journey_map", "TOUCHPOINT_COLUMNS"]

TOUCHPOINT_COLUMNS = ["touchpoint", "events", "customers", "mean_score", "ci_lower", "ci_upper"]


def touchpoint_table(log: EventLog, bad_score: float | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Events, customers and mean score per stage, with Student's t interval (Student, 1908).

    .. math:: \\bar x \\pm t_{1-\\alpha/2,\\,n-1}\\, s / \\sqrt{n}

    over the events that have a score. Returns :data:`TOUCHPOINT_COLUMNS` and ``scored``
    (events with a score), ``sd`` and ``bad_share`` (share of scored events at or below
    ``bad_score``). Funnel stages come first, in order, then touchpoints by volume.
    """
    r = log.rows
    aggs = {"events": r.count(), "customers": r.c.nunique()}
    if log.has_score:
        s = r.score
        aggs.update(scored=s.count(), total=s.sum(), squares=(s * s).sum())
        if bad_score is not None:
            aggs["bad"] = (s <= bad_score).cast("int64").sum()
    df = log.to_pandas(r.group_by("stage").aggregate(**aggs)).rename(columns={"stage": "touchpoint"})
    for col in ("events", "customers"):
        df[col] = df[col].astype(int)
    if log.has_score:
        n = df["scored"].fillna(0).astype(float).to_numpy()
        total = df["total"].astype(float).fillna(0).to_numpy()
        squares = df["squares"].astype(float).fillna(0).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
            var = (squares - n * mean ** 2) / (n - 1)
            sd = np.sqrt(np.clip(var, 0, None))
            half = stats.t.ppf(1 - alpha / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        ok = n >= 2
        df["scored"] = n.astype(int)
        df["mean_score"] = np.where(n > 0, mean, np.nan)
        df["sd"] = np.where(ok, sd, np.nan)
        df["ci_lower"] = np.where(ok, mean - half, np.nan)
        df["ci_upper"] = np.where(ok, mean + half, np.nan)
        df["bad_share"] = df["bad"].astype(float) / n if "bad" in df else np.nan
    else:
        for col in ("mean_score", "ci_lower", "ci_upper", "sd", "bad_share"):
            df[col] = np.nan
        df["scored"] = 0
    rank = {s: i for i, s in enumerate(log.funnel)}
    df["_funnel"] = df["touchpoint"].map(rank).fillna(len(rank))
    df = df.sort_values(["_funnel", "events", "touchpoint"], ascending=[True, False, True])
    return df[TOUCHPOINT_COLUMNS + ["scored", "sd", "bad_share"]].reset_index(drop=True)


def journey_map(funnel: pd.DataFrame, touchpoints: pd.DataFrame) -> pd.DataFrame:
    """One row per stage: ``stage, kind, customers, events, conversion_from_previous,
    median_time_from_previous, mean_score, ci_lower, ci_upper``; funnel stages first."""
    tp = touchpoints.rename(columns={"touchpoint": "stage"})
    f = funnel[["stage", "conversion_from_previous", "median_time_from_previous"]]
    out = tp.merge(f, on="stage", how="left")
    out.insert(1, "kind", np.where(out["stage"].isin(funnel["stage"]), "funnel", "touchpoint"))
    return out[["stage", "kind", "customers", "events", "conversion_from_previous",
                "median_time_from_previous", "mean_score", "ci_lower", "ci_upper"]]
