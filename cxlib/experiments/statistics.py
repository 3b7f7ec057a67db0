"""Rows to per-variant sufficient statistics: everything the tests below need from the data.

Every estimate of this package is a function of a few sums per variant (counts, sums, sums of
squares and, for CUPED, sums of the pre-period value and of the cross-product), so the
row-heavy step is one aggregation that a database engine can run where the data live. This
module is that step on a pandas DataFrame; the estimators take its output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["STATISTICS", "variant_statistics", "retention_counts", "cap_values", "moments", "as_records"]

#: Columns of :func:`variant_statistics`: per variant and metric, the sums every test uses.
STATISTICS = ["variant", "metric", "n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross",
              "n_capped", "cap"]


def cap_values(df: pd.DataFrame, metrics: Sequence[str], kinds: Mapping[str, str],
               quantile: float) -> dict[str, float]:
    """Upper caps for the numeric metrics: their pooled ``quantile`` (``{}`` when ``quantile >= 1``).

    Capping (winsorizing) the largest values at a high quantile of both variants together keeps
    one extreme unit from deciding a difference of means; the cap is the same for every variant,
    so it does not favour one. 0/1 metrics are never capped.
    """
    if quantile >= 1:
        return {}
    return {m: float(np.quantile(df[m].to_numpy(dtype=float), quantile))
            for m in metrics if kinds[m] == "mean"}


def variant_statistics(df: pd.DataFrame, metrics: Sequence[str], *,
                       pre_metrics: Mapping[str, str] | None = None,
                       caps: Mapping[str, float] | None = None,
                       variant_col: str = "variant") -> pd.DataFrame:
    """Per variant and metric: ``n``, ``sum``, ``sum_sq`` and the CUPED sums.

    Parameters
    ----------
    df : DataFrame
        One row per unit (as from :func:`prepare_experiment`).
    metrics : sequence of str
        Outcome columns.
    pre_metrics : mapping, optional
        ``{metric: pre-period column}``; adds ``pre_sum``, ``pre_sum_sq`` and ``cross``
        (:math:`\\sum x_i y_i`); NaN for metrics without one.
    caps : mapping, optional
        ``{metric: cap}``; values above the cap count as the cap (``n_capped`` says how many).
        A pre-period column is capped at its own pooled quantile only through ``caps[column]``.

    Returns
    -------
    DataFrame with the columns :data:`STATISTICS`, one row per (variant, metric).
    """
    pre_metrics, caps = dict(pre_metrics or {}), dict(caps or {})
    groups = df.groupby(variant_col, sort=False, observed=True).indices
    rows = []
    for variant, idx in groups.items():
        for m in metrics:
            y = df[m].to_numpy(dtype=float)[idx]
            cap = caps.get(m, np.nan)
            n_capped = int((y > cap).sum()) if np.isfinite(cap) else 0
            if n_capped:
                y = np.minimum(y, cap)
            row = {"variant": variant, "metric": m, "n": len(y), "sum": y.sum(),
                   "sum_sq": (y * y).sum(), "pre_sum": np.nan, "pre_sum_sq": np.nan,
                   "cross": np.nan, "n_capped": n_capped, "cap": cap}
            if m in pre_metrics:
                x = df[pre_metrics[m]].to_numpy(dtype=float)[idx]
                pre_cap = caps.get(pre_metrics[m], np.nan)
                if np.isfinite(pre_cap):
                    x = np.minimum(x, pre_cap)
                row.update(pre_sum=x.sum(), pre_sum_sq=(x * x).sum(), cross=(x * y).sum())
            rows.append(row)
    return pd.DataFrame(rows, columns=STATISTICS)


def moments(stats: pd.DataFrame) -> pd.DataFrame:
    """Means, variances (n - 1 in the denominator) and the covariance with the pre-period value.

    Computed from the sums of :func:`variant_statistics` with centred formulas, so that large
    sums lose as little precision as the algebra allows.
    """
    cols = {c: stats[c].to_numpy(dtype=float) for c in
            ("n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross")}
    n = cols["n"]
    mean = cols["sum"] / n
    pre_mean = cols["pre_sum"] / n
    # plain numpy on the few rows: pandas' per-operation overhead would dominate a simulation
    extra = {"mean": mean,
             "var": np.maximum(cols["sum_sq"] - n * mean ** 2, 0.0) / (n - 1),
             "pre_mean": pre_mean,
             "pre_var": np.maximum(cols["pre_sum_sq"] - n * pre_mean ** 2, 0.0) / (n - 1),
             "cov": (cols["cross"] - n * mean * pre_mean) / (n - 1)}
    return pd.concat([stats.reset_index(drop=True), pd.DataFrame(extra)], axis=1)


def as_records(df: pd.DataFrame) -> list[dict]:
    """The rows of a small table as dicts (much faster than ``DataFrame.to_dict("records")``)."""
    columns = list(df.columns)
    return [dict(zip(columns, row)) for row in zip(*(df[c].tolist() for c in columns))]


def retention_counts(df: pd.DataFrame, duration_col: str, event_col: str, *,
                     variant_col: str = "variant") -> pd.DataFrame:
    """Units per (variant, duration, event): the whole input of Kaplan-Meier, log-rank and Cox.

    With durations in whole days there are only a few hundred distinct rows per variant however
    many units there are; the survival fits use them with ``count`` as a case weight.
    """
    out = (df.groupby([variant_col, duration_col, event_col], sort=True, observed=True).size()
           .rename("count").reset_index())
    return out.rename(columns={variant_col: "variant", duration_col: "duration", event_col: "event"})
