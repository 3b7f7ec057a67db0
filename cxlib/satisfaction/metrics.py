"""Headline metrics with intervals: CSAT mean, top-2-box share, NPS (Reichheld, 2003, "The One
Number You Need to Grow", HBR), segment differences and the weighted satisfaction index.

Missing answers: every answer given to the question at hand is used (available-case).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..core import DataError

__all__ = ["ALL", "wilson_interval", "csat_summary", "csat_from_moments", "nps_summary", "nps_from_counts",
           "by_segment", "headline_metrics", "headline_from_counts", "segment_difference",
           "satisfaction_index"]


ALL = "All"


def wilson_interval(k: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927) score interval for a proportion."""
    if n == 0:
        return np.nan, np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def csat_summary(scores, scale: tuple[float, float] = (1, 5), *, top_box_from: float | None = None,
                 confidence: float = 0.95) -> pd.Series:
    """CSAT three ways, with intervals, from the answers given (blanks ignored).

    - ``csat_mean`` with a t interval, mean +- t_{n-1} s / sqrt(n);
    - ``csat_top2box``: share at or above ``top_box_from`` (default: the top two points of the
      scale, 4 and 5 on 1-5) with a Wilson (1927) score interval;
    - ``csat_distribution_score`` = sum_k k N_k / N, which is the mean written from the answer
      counts (kept to show the two are the same number).
    """
    s = pd.Series(scores, dtype=float).dropna()
    n = len(s)
    threshold = scale[1] - 1 if top_box_from is None else top_box_from
    counts = s.value_counts()
    row = csat_from_moments(n, s.mean() if n else np.nan, s.std(ddof=1) if n > 1 else np.nan,
                            int((s >= threshold).sum()), confidence=confidence)
    row["csat_distribution_score"] = float((counts.index * counts).sum() / n) if n else np.nan
    return row


def csat_from_moments(n: int, mean: float, sd: float, top_box: int, *,
                      confidence: float = 0.95) -> pd.Series:
    """The :func:`csat_summary` row from counts and moments, as an engine returns them.

    Parameters
    ----------
    n : int
        Answers given.
    mean, sd : float
        Their mean and sample standard deviation (ddof 1; NaN below two answers).
    top_box : int
        Answers at or above the top-box threshold.
    confidence : float
        Level of the intervals.

    Notes
    -----
    ``csat_distribution_score`` (sum_k k N_k / N) is the mean written from the answer counts,
    so here it is the mean itself.
    """
    if n > 1:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    else:
        half = np.nan
    mean = mean if n else np.nan
    lo, hi = wilson_interval(top_box, n, confidence)
    return pd.Series({
        "n": n, "csat_mean": mean, "csat_mean_ci_lower": mean - half,
        "csat_mean_ci_upper": mean + half, "csat_top2box": top_box / n if n else np.nan,
        "csat_top2box_ci_lower": lo, "csat_top2box_ci_upper": hi,
        "csat_distribution_score": mean,
    })


def nps_summary(scores, *, confidence: float = 0.95) -> pd.Series:
    """Net Promoter Score (share of 9-10 minus share of 0-6, in points) with a Wald interval.

    Scoring promoters +1, passives 0 and detractors -1, NPS/100 is a mean whose variance is
    ``(p_P + p_D - (p_P - p_D)^2) / n`` (Rocks, 2016, "Interval estimation for the 'net
    promoter score'", The American Statistician 70(4)).
    """
    s = pd.Series(scores, dtype=float).dropna()
    return nps_from_counts(len(s), int((s >= 9).sum()), int((s <= 6).sum()), confidence=confidence)


def nps_from_counts(n: int, promoters: int, detractors: int, *, confidence: float = 0.95) -> pd.Series:
    """The :func:`nps_summary` row from the numbers of answers, promoters (9-10) and detractors (0-6)."""
    if n == 0:
        return pd.Series({"n": 0} | {k: np.nan for k in ["promoters", "passives", "detractors", "nps",
                                                          "nps_se", "nps_ci_lower", "nps_ci_upper"]})
    p_pro = promoters / n
    p_det = detractors / n
    nps = p_pro - p_det
    se = np.sqrt(max(p_pro + p_det - nps ** 2, 0.0) / n)
    z = stats.norm.ppf(0.5 + confidence / 2)
    return pd.Series({
        "n": n, "promoters": p_pro, "passives": 1 - p_pro - p_det, "detractors": p_det,
        "nps": 100 * nps, "nps_se": 100 * se,
        "nps_ci_lower": 100 * max(nps - z * se, -1.0), "nps_ci_upper": 100 * min(nps + z * se, 1.0),
    })


def by_segment(df: pd.DataFrame, segment_col: str | None, fn) -> pd.DataFrame:
    rows = {ALL: fn(df)}
    if segment_col:
        for seg, part in df.groupby(segment_col, sort=True):
            rows[seg] = fn(part)
    out = pd.DataFrame(rows).T
    out.index.name = "segment"
    return out


def headline_metrics(df: pd.DataFrame, target: str, scale: tuple[float, float] = (1, 5), *,
                     nps_col: str | None = None, segment_col: str | None = None,
                     top_box_from: float | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """CSAT (and NPS when ``nps_col``) for everyone (row ``"All"``) and for each segment."""
    def one(part):
        row = csat_summary(part[target], scale, top_box_from=top_box_from, confidence=confidence)
        return _with_nps(row, nps_summary(part[nps_col], confidence=confidence) if nps_col else None)

    out = by_segment(df, segment_col or None, one)
    return _headline_table(out, scale, top_box_from, segment_col)


def headline_from_counts(counts: pd.DataFrame, scale: tuple[float, float] = (1, 5), *,
                         top_box_from: float | None = None, segment_col: str | None = None,
                         confidence: float = 0.95) -> pd.DataFrame:
    """:func:`headline_metrics` from per-segment counts (:func:`~cxlib.satisfaction.survey_counts`).

    The same formulas on the same counts: only the counting happened in the data engine.
    ``counts`` must have been made with the same ``top_box_from``.
    """
    rows = {}
    for seg, c in counts.iterrows():
        row = csat_from_moments(int(c["n"]), c["mean"], c["sd"], int(c["top_box"]), confidence=confidence)
        nps = (nps_from_counts(int(c["nps_n"]), int(c["promoters"]), int(c["detractors"]),
                               confidence=confidence) if "nps_n" in counts else None)
        rows[seg] = _with_nps(row, nps)
    out = pd.DataFrame(rows).T
    out.index.name = "segment"
    return _headline_table(out, scale, top_box_from, segment_col)


def _with_nps(row: pd.Series, nps: pd.Series | None) -> pd.Series:
    if nps is None:
        return row
    return pd.concat([row, nps.drop("n").rename({"promoters": "nps_promoters", "passives": "nps_passives",
                                                 "detractors": "nps_detractors"}),
                      pd.Series({"nps_n": nps["n"]})])


def _headline_table(out: pd.DataFrame, scale, top_box_from, segment_col) -> pd.DataFrame:
    out["n"] = out["n"].astype(int)
    if "nps_n" in out:
        out["nps_n"] = out["nps_n"].astype(int)
    out.attrs.update(top_box_from=scale[1] - 1 if top_box_from is None else top_box_from,
                     segment_col=segment_col or None)
    return out


def segment_difference(headline: pd.DataFrame, a, b, confidence: float = 0.95) -> pd.Series:
    """Difference in mean CSAT between segments ``a`` and ``b`` of a :func:`headline_metrics`
    table, with a Welch (1947) t interval and two-sided p-value.

    Each segment's standard error is recovered from its t interval (half-width / t_{n-1}), so
    ``confidence`` must be the level the table was built with. Overlapping segment intervals do
    not mean the difference is insignificant; this test is the right comparison.
    """
    t_crit = stats.t.ppf(0.5 + confidence / 2, headline.loc[[a, b], "n"].astype(float) - 1)
    half = (headline.loc[[a, b], "csat_mean_ci_upper"] - headline.loc[[a, b], "csat_mean_ci_lower"]) / 2
    se = (half / t_crit).to_numpy(dtype=float)
    n = headline.loc[[a, b], "n"].to_numpy(dtype=float)
    diff = float(headline.loc[a, "csat_mean"] - headline.loc[b, "csat_mean"])
    se_d = float(np.sqrt((se ** 2).sum()))
    if not np.isfinite(se_d) or se_d == 0:
        return pd.Series({"diff": diff, "se": se_d, "df": np.nan, "ci_lower": np.nan,
                          "ci_upper": np.nan, "p": np.nan})
    df = se_d ** 4 / np.sum(se ** 4 / (n - 1))  # Welch-Satterthwaite
    q = stats.t.ppf(0.5 + confidence / 2, df)
    p = float(2 * stats.t.sf(abs(diff) / se_d, df))
    return pd.Series({"diff": diff, "se": se_d, "df": float(df), "ci_lower": diff - q * se_d,
                      "ci_upper": diff + q * se_d, "p": p})


def satisfaction_index(df: pd.DataFrame, drivers: Sequence[str], weights,
                       scale: tuple[float, float] = (1, 5), *, segment_col: str | None = None,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Weighted satisfaction index ``sum_i w_i s_i`` with the weights normalised to sum to 1.

    Computed per respondent who rated every driver, then averaged (t interval, weights held
    fixed). ``index_100`` puts it on 0-100; ``literature_value`` is the same index divided
    once more by the number of drivers, as some texts print it: with weights that already sum
    to 1 that extra division is wrong and shrinks the index by a factor n.
    """
    drivers = list(drivers)
    w = pd.Series(weights, dtype=float).reindex(drivers)
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise DataError("index weights must be given for every driver, be >= 0 and not all zero; "
                        f"got {dict(pd.Series(weights))}")
    w = w / w.sum()
    lo, hi = scale

    def one(part):
        idx = (part[drivers].dropna() @ w).astype(float)
        n = len(idx)
        mean = idx.mean() if n else np.nan
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * idx.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        return pd.Series({"n": n, "index": mean, "ci_lower": mean - half, "ci_upper": mean + half,
                          "index_100": 100 * (mean - lo) / (hi - lo),
                          "literature_value": mean / len(drivers)})

    out = by_segment(df, segment_col or None, one)
    out["n"] = out["n"].astype(int)
    out.attrs["weights"] = w.to_dict()
    return out
