"""The funnel: who reaches each stage in order, conversion with Wilson intervals, conversion by
channel or segment with a test of difference, and the time to the next stage as a survival
question.

The engine reduces the log to one row per customer (:func:`customer_journeys`); everything else
here works on that per-customer table.

A customer who reached a stage recently has not had the time to move on. Counting such a
customer as lost biases conversion down, the more so the more recent the customers. Conversion is
therefore measured over a **window**: among customers who reached the stage before at least
``window`` days before the end of observation, the share who reached the stage within ``window``
days. The Kaplan-Meier estimate of the time to the next stage, censored at the end, uses every
customer instead (Kaplan & Meier, 1958).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..churn import kaplan_meier, survival_table
from ..core import DataError
from ..core.engine import backend_name, first_by
from .log import TABLE, EventLog

__all__ = ["wilson_interval", "customer_journeys", "funnel_table", "funnel_by_group", "group_test",
           "time_to_next", "km_conversion", "overall_conversion", "FUNNEL_COLUMNS", "GROUP_COLUMNS"]

FUNNEL_COLUMNS = ["stage", "customers", "share_of_start", "conversion_from_previous", "ci_lower",
                  "ci_upper", "median_time_from_previous"]
GROUP_COLUMNS = ["stage", "customers", "conversion_from_previous", "ci_lower", "ci_upper"]


def wilson_interval(k, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for a proportion ``k / n`` (Wilson, 1927).

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    NaN where ``n`` is 0.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _key(i: int) -> str:
    return f"s{i}"


def customer_journeys(log: EventLog, bad_score: float | None = None,
                      moments: list[str] | None = None) -> pd.DataFrame:
    """One row per customer, aggregated in the engine.

    Returns
    -------
    DataFrame ``customer_id``, ``first_<stage>`` for each funnel stage (first time, days since
    1970-01-01, NaN when never reached), ``n_events``, ``n_<touchpoint>`` for each touchpoint,
    ``bad_<touchpoint>`` (experiences scored at or below ``bad_score``) for each of ``moments``,
    ``channel`` (of the customer's first event at the first funnel stage) when the log has
    channels, and from the customers table ``segment``, ``signup_t``, ``duration``, ``event``.
    """
    r = log.rows
    aggs = {"n_events": r.count()}
    for i, stage in enumerate(log.funnel):
        aggs[f"f_{_key(i)}"] = r.t.min(where=r.stage == stage)
    touch = log.touchpoints
    for i, stage in enumerate(touch):
        aggs[f"n_{_key(i)}"] = (r.stage == stage).cast("int64").sum()
    moments = list(moments or [])
    if moments and log.has_score and bad_score is not None:
        for i, stage in enumerate(moments):
            aggs[f"b_{_key(i)}"] = ((r.stage == stage) & (r.score <= bad_score)).cast("int64").sum()
    if log.has_channel:
        aggs["channel"] = first_by(r.ch, r.t, backend_name(log.source), where=r.stage == log.funnel[0])
    df = log.to_pandas(r.group_by("c").aggregate(**aggs))
    names = {"c": "customer_id"}
    names.update({f"f_{_key(i)}": f"first_{s}" for i, s in enumerate(log.funnel)})
    names.update({f"n_{_key(i)}": f"n_{s}" for i, s in enumerate(touch)})
    names.update({f"b_{_key(i)}": f"bad_{s}" for i, s in enumerate(moments)})
    df = df.rename(columns=names)
    for s in log.funnel:
        df[f"first_{s}"] = df[f"first_{s}"].astype(float)
    if log.customers is not None:
        keep = ["customer_id", "signup_t", "duration", "event"] + (
            ["segment"] if "segment" in log.customers else [])
        df = df.merge(log.customers[keep], on="customer_id", how="left")
    return df.sort_values("customer_id").reset_index(drop=True)


def _reached(journeys: pd.DataFrame, funnel: list[str]) -> pd.DataFrame:
    """Whether (and when) each customer reached each stage in order: after the stage before."""
    out = pd.DataFrame(index=journeys.index)
    prev_t = None
    for s in funnel:
        t = journeys[f"first_{s}"].to_numpy(dtype=float)
        if prev_t is not None:
            # later events at a stage do not count if the first came before the stage before
            t = np.where(np.isfinite(prev_t) & (t >= prev_t), t, np.nan)
        out[s] = t
        prev_t = t
    return out


def _transitions(times: pd.DataFrame, funnel: list[str], end: float, window: float) -> list[dict]:
    rows = []
    start = np.isfinite(times[funnel[0]]).sum()
    rows.append({"stage": funnel[0], "customers": int(start), "eligible": np.nan, "converted": np.nan,
                 "naive_conversion": np.nan, "median_time_from_previous": np.nan})
    for prev, s in zip(funnel[:-1], funnel[1:]):
        a, b = times[prev].to_numpy(), times[s].to_numpy()
        at_prev, at_s = np.isfinite(a), np.isfinite(b)
        eligible = at_prev & (a + window <= end)
        converted = eligible & at_s & (b - a <= window)
        gaps = (b - a)[converted]
        rows.append({"stage": s, "customers": int(at_s.sum()), "eligible": int(eligible.sum()),
                     "converted": int(converted.sum()),
                     "naive_conversion": at_s.sum() / at_prev.sum() if at_prev.any() else np.nan,
                     "median_time_from_previous": float(np.median(gaps)) if len(gaps) else np.nan})
    return rows


def funnel_table(journeys: pd.DataFrame, funnel: list[str], end: float, window: float,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Customers at each funnel stage and conversion from the stage before.

    Parameters
    ----------
    journeys : DataFrame
        From :func:`customer_journeys`.
    funnel : list of str
        The stages in order.
    end : float
        End of observation (days since 1970-01-01, :func:`~cxlib.journey.log.end_of_observation`).
    window : float
        Days a customer has to reach the next stage.

    Returns
    -------
    DataFrame with :data:`FUNNEL_COLUMNS` and ``eligible`` (customers whose window is complete),
    ``converted`` (of them, reached the stage within the window) and ``naive_conversion``
    (customers at the stage over customers at the stage before, counting everyone not yet
    there as lost). ``customers`` counts every customer who reached the stage in order;
    ``conversion_from_previous`` is ``converted / eligible`` with Wilson's interval, and
    ``median_time_from_previous`` is in days, over the converted.
    """
    times = _reached(journeys, funnel)
    df = pd.DataFrame(_transitions(times, funnel, end, window))
    start = df["customers"].iloc[0]
    if start == 0:
        raise DataError(f"no customer has an event at the first funnel stage '{funnel[0]}'", table=TABLE)
    df["share_of_start"] = df["customers"] / start
    with np.errstate(invalid="ignore", divide="ignore"):
        df["conversion_from_previous"] = df["converted"] / df["eligible"]
    lo, hi = wilson_interval(df["converted"], df["eligible"], alpha)
    df["ci_lower"], df["ci_upper"] = lo, hi
    # counts, and none for the first stage: nullable integers, so a table shows 891405, not 891405.0
    df = df.astype({"eligible": "Int64", "converted": "Int64"})
    return df[FUNNEL_COLUMNS + ["eligible", "converted", "naive_conversion"]]


def overall_conversion(funnel: pd.DataFrame) -> float:
    """The chance of going from the first stage to the last: the product of step conversions."""
    return float(np.prod(funnel["conversion_from_previous"].iloc[1:]))


def funnel_by_group(journeys: pd.DataFrame, group_col: str, funnel: list[str], end: float,
                    window: float, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`funnel_table` per value of ``group_col``: ``<group_col>, stage, customers, ...``."""
    if group_col not in journeys:
        raise DataError(f"no column '{group_col}' to split the funnel by", table=TABLE, column=group_col)
    parts = []
    for value, g in journeys.groupby(journeys[group_col].fillna("(missing)").astype(str), sort=True):
        f = funnel_table(g, funnel, end, window, alpha) if np.isfinite(g[f"first_{funnel[0]}"]).any() else None
        if f is None:
            continue
        f.insert(0, group_col, value)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)[[group_col] + GROUP_COLUMNS + ["eligible", "converted"]]


def group_test(by_group: pd.DataFrame, group_col: str) -> pd.DataFrame:
    """Pearson's chi-square test that every group converts alike, one test per step.

    Returns ``stage, statistic, df, p, groups``; a step with fewer than two groups that have
    eligible customers has NaN.
    """
    rows = []
    for stage, g in by_group.dropna(subset=["eligible"]).groupby("stage", sort=False):
        g = g[g["eligible"] > 0]
        table = np.column_stack([g["converted"], g["eligible"] - g["converted"]]).astype(float)
        table = table[:, table.sum(axis=0) > 0]
        if len(g) < 2 or table.shape[1] < 2:
            rows.append({"stage": stage, "statistic": np.nan, "df": np.nan, "p": np.nan, "groups": len(g)})
            continue
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        rows.append({"stage": stage, "statistic": float(chi2), "df": int(dof), "p": float(p), "groups": len(g)})
    return pd.DataFrame(rows, columns=["stage", "statistic", "df", "p", "groups"])


def time_to_next(journeys: pd.DataFrame, funnel: list[str], end: float) -> pd.DataFrame:
    """Time from each stage to the next as survival data, censored at the end of observation.

    Returns ``step, duration, event`` (days; ``event`` 1 when the next stage was reached) for
    every customer who reached the stage before. A customer who churned before moving on stays
    at risk until the end: churned customers do not come back, so they count as not converted.
    """
    times = _reached(journeys, funnel)
    parts = []
    for prev, s in zip(funnel[:-1], funnel[1:]):
        a, b = times[prev].to_numpy(), times[s].to_numpy()
        at = np.isfinite(a)
        done = np.isfinite(b[at])
        parts.append(pd.DataFrame({"step": f"{prev} → {s}", "stage": s,
                                   "duration": np.where(done, b[at] - a[at], end - a[at]),
                                   "event": done.astype(int)}))
    return pd.concat(parts, ignore_index=True)


def km_conversion(steps: pd.DataFrame, window: float, alpha: float = 0.05) -> tuple[pd.DataFrame, dict]:
    """Kaplan-Meier share converted within ``window`` days, per step, from :func:`time_to_next`.

    :math:`1 - \\hat S(w)` with :math:`\\hat S(t) = \\prod_{t_j \\le t}(1 - d_j/n_j)`, and its
    interval from Greenwood's log-log band (Kaplan & Meier, 1958).

    Returns
    -------
    table : DataFrame
        ``stage, km_conversion, km_ci_lower, km_ci_upper, at_risk``.
    fits : dict
        The fitted ``KaplanMeierFitter`` per step, for the figure.
    """
    fits = kaplan_meier(steps, "step", alpha=alpha)
    order = list(dict.fromkeys(steps["step"]))
    fits = {k: fits[k] for k in order if k in fits}
    curve = survival_table(fits, [window])
    stage_of = dict(zip(steps["step"], steps["stage"]))
    table = pd.DataFrame({"stage": [stage_of[g] for g in curve["group"]],
                          "km_conversion": 1 - curve["survival"].to_numpy(),
                          "km_ci_lower": 1 - curve["ci_upper"].to_numpy(),
                          "km_ci_upper": 1 - curve["ci_lower"].to_numpy(),
                          "at_risk": curve["at_risk"].to_numpy()})
    return table, fits
