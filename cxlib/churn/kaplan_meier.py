"""Kaplan-Meier curves, their medians and the log-rank test (lifelines does the estimation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import DataError
from .data import TABLE

__all__ = ["kaplan_meier", "survival_table", "median_survival_table", "logrank_test"]


def _group_labels(s: pd.Series) -> pd.Series:
    """Group values as text; whole numbers stored as floats print as 0, 1 rather than 0.0, 1.0."""
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.dropna(), 1) == 0):
        s = s.astype("Int64")
    return s.astype(str)


def kaplan_meier(df: pd.DataFrame, group_col: str | None = None, *, duration_col: str = "duration",
                 event_col: str = "event", alpha: float = 0.05) -> dict:
    """Kaplan-Meier fits overall (key ``"all"``) or per group (sorted group labels).

    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)` (Kaplan and Meier, 1958,
    "Nonparametric estimation from incomplete observations"), with Greenwood log-log bands.
    """
    from lifelines import KaplanMeierFitter

    groups = {"all": df} if group_col is None else {
        k: g for k, g in df.groupby(_group_labels(df[group_col]), sort=True)}
    fits = {}
    for label, g in groups.items():
        fits[label] = KaplanMeierFitter(alpha=alpha, label=label).fit(
            g[duration_col], g[event_col])
    return fits


def survival_table(fits: dict, times) -> pd.DataFrame:
    """Tidy KM table: ``group, time, survival, ci_lower, ci_upper, at_risk`` at ``times``."""
    rows = []
    times = np.atleast_1d(np.asarray(times, dtype=float))
    for label, kmf in fits.items():
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        t = sf.index.to_numpy(dtype=float)
        durations = kmf.durations
        for time in times:
            i = max(np.searchsorted(t, time, side="right") - 1, 0)
            rows.append({"group": label, "time": time, "survival": float(sf.iloc[i]),
                         "ci_lower": float(ci.iloc[i, 0]), "ci_upper": float(ci.iloc[i, 1]),
                         "at_risk": int((durations >= time).sum())})
    return pd.DataFrame(rows)


def median_survival_table(fits: dict) -> pd.DataFrame:
    """Median lifetime per group with its confidence interval (NaN when not reached)."""
    from lifelines.utils import median_survival_times

    rows = []
    for label, kmf in fits.items():
        med = float(kmf.median_survival_time_)
        ci = median_survival_times(kmf.confidence_interval_survival_function_)
        rows.append({"group": label, "n": int(len(kmf.durations)),
                     "events": int(np.sum(kmf.event_observed)),
                     "median": med if np.isfinite(med) else np.nan,
                     "ci_lower": float(ci.iloc[0, 0]) if np.isfinite(ci.iloc[0, 0]) else np.nan,
                     "ci_upper": float(ci.iloc[0, 1]) if np.isfinite(ci.iloc[0, 1]) else np.nan})
    return pd.DataFrame(rows)


def logrank_test(df: pd.DataFrame, group_col: str, *, duration_col: str = "duration",
                 event_col: str = "event") -> dict:
    """Log-rank test that all groups share one survival curve (Mantel, 1966).

    Returns ``{"statistic", "df", "p", "groups"}``.
    """
    from lifelines.statistics import multivariate_logrank_test

    groups = _group_labels(df[group_col])
    if groups.nunique() < 2:
        raise DataError(f"the log-rank test needs at least two groups; '{group_col}' has one",
                        table=TABLE, column=group_col, source=df.attrs.get("source"))
    res = multivariate_logrank_test(df[duration_col], groups, df[event_col])
    return {"statistic": float(res.test_statistic), "df": int(res.degrees_of_freedom),
            "p": float(res.p_value), "groups": sorted(groups.unique())}
