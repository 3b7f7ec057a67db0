"""Satisfaction, loyalty and what to fix first.

- Loading a ratings table (:func:`load_ratings`), canonical survey or any flat file.
- Headline metrics with intervals (:func:`headline_metrics`): CSAT mean, top-2-box share and
  the distribution-weighted score; NPS (Reichheld, 2003, "The One Number You Need to Grow", HBR).
- A weighted satisfaction index (:func:`satisfaction_index`).
- The ranked driver table (:func:`driver_table`) joining :class:`~cxlib.drivers.DriverModel`
  and :class:`~cxlib.importance.RelativeImportance`.
- The importance-performance map (:func:`importance_performance`; Martilla & James, 1977).
- Word of mouth: promoters, passives and detractors by segment and a referral projection.

Missing answers: headline metrics use every answer given to the question at hand
(available-case); the driver models use the respondents who answered the target and every
driver (listwise deletion, with a warning that says how many rows were dropped).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .data import (DataError, DataWarning, load_survey, read_table, require_columns,
                   require_not_empty, require_range, require_unique, to_numeric)
from .drivers import DriverModel, OrdinalDriverModel, rank_agreement

__all__ = [
    "load_ratings", "count_customers", "csat_summary", "nps_summary", "headline_metrics",
    "headline_display", "segment_difference", "satisfaction_index",
    "driver_table", "ordinal_check", "mean_ratings", "importance_performance", "word_of_mouth",
    "referral_projection", "referral_comparison", "describe_headline", "describe_drivers",
    "describe_index", "describe_fix_first", "describe_referrals", "plot_importance", "plot_ipa",
    "plot_word_of_mouth", "plot_residuals", "readable", "rounded",
]

ALL = "All"
MIN_NPS_COMPARE = 30  # fewest NPS answers per segment for the segment comparison sentence
QUADRANTS = {  # Martilla & James (1977) names
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


# --- loading --------------------------------------------------------------------------------

def load_ratings(path, target: str, drivers: Sequence[str], *,
                 scale: tuple[float, float] = (1, 5),
                 driver_scale: tuple[float, float] | None = None,
                 nps_col: str | None = None, segment_col: str | None = None,
                 customers_path=None, table: str = "survey") -> pd.DataFrame:
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
        ``customer_id``; respondents without a match get the segment ``"(unknown)"``.

    Returns
    -------
    DataFrame with the target, drivers and NPS as floats (blank answers kept as NaN, with a
    :class:`~cxlib.data.DataWarning`) and the segment as text.
    """
    drivers = list(drivers)
    driver_scale = scale if driver_scale is None else driver_scale
    nps_col = nps_col or None
    segment_col = segment_col or None
    raw = read_table(path, table)
    source = raw.attrs["source"]
    if "respondent_id" in raw.columns:
        mapping = {"overall": target} | ({"nps": nps_col} if nps_col else {})
        df = load_survey(path, columns=mapping, ratings=drivers, overall_scale=scale,
                         rating_scale=driver_scale, nps=nps_col is not None)
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
    if segment_col:
        df = _attach_segment(df, segment_col, customers_path, table=table, source=source)
    df.attrs.update(source=source, table=table)
    return df


def count_customers(customers_path, default: int) -> int:
    """Rows in the customers table, or ``default`` when no table is given."""
    if not customers_path:
        return int(default)
    return len(read_table(customers_path, "customers"))


def _attach_segment(df, segment_col, customers_path, *, table, source) -> pd.DataFrame:
    if segment_col not in df.columns:
        if not customers_path:
            raise DataError(f"segment column '{segment_col}' is not in the survey and no customers "
                            "table was given to take it from", table=table, source=source,
                            column=segment_col)
        require_columns(df, ["customer_id"], table=table, source=source)
        customers = read_table(customers_path, "customers")
        require_columns(customers, ["customer_id", segment_col], table="customers",
                        source=customers.attrs["source"])
        require_unique(customers, "customer_id", table="customers", source=customers.attrs["source"])
        seg = customers.set_index(customers["customer_id"].str.strip())[segment_col]
        df = df.copy()
        df[segment_col] = df["customer_id"].astype(str).map(seg)
    df[segment_col] = df[segment_col].astype("string").str.strip()
    missing = df[segment_col].isna() | (df[segment_col] == "")
    if missing.any():
        warnings.warn(f"table '{table}': {int(missing.sum())} respondent(s) have no "
                      f"'{segment_col}'; they are grouped as '(unknown)'", DataWarning, stacklevel=3)
        df[segment_col] = df[segment_col].mask(missing, "(unknown)")
    df[segment_col] = df[segment_col].astype(str)
    return df


# --- headline metrics -----------------------------------------------------------------------

def _wilson(k: float, n: int, confidence: float) -> tuple[float, float]:
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
    mean = s.mean() if n else np.nan
    if n > 1:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * s.std(ddof=1) / np.sqrt(n)
    else:
        half = np.nan
    k = int((s >= threshold).sum())
    lo, hi = _wilson(k, n, confidence)
    return pd.Series({
        "n": n, "csat_mean": mean, "csat_mean_ci_lower": mean - half,
        "csat_mean_ci_upper": mean + half, "csat_top2box": k / n if n else np.nan,
        "csat_top2box_ci_lower": lo, "csat_top2box_ci_upper": hi,
        "csat_distribution_score": float((counts.index * counts).sum() / n) if n else np.nan,
    })


def nps_summary(scores, *, confidence: float = 0.95) -> pd.Series:
    """Net Promoter Score (share of 9-10 minus share of 0-6, in points) with a Wald interval.

    Scoring promoters +1, passives 0 and detractors -1, NPS/100 is a mean whose variance is
    ``(p_P + p_D - (p_P - p_D)^2) / n`` (Rocks, 2016, "Interval estimation for the 'net
    promoter score'", The American Statistician 70(4)).
    """
    s = pd.Series(scores, dtype=float).dropna()
    n = len(s)
    if n == 0:
        return pd.Series({"n": 0} | {k: np.nan for k in ["promoters", "passives", "detractors", "nps",
                                                          "nps_se", "nps_ci_lower", "nps_ci_upper"]})
    p_pro = float((s >= 9).mean())
    p_det = float((s <= 6).mean())
    nps = p_pro - p_det
    se = np.sqrt(max(p_pro + p_det - nps ** 2, 0.0) / n)
    z = stats.norm.ppf(0.5 + confidence / 2)
    return pd.Series({
        "n": n, "promoters": p_pro, "passives": 1 - p_pro - p_det, "detractors": p_det,
        "nps": 100 * nps, "nps_se": 100 * se,
        "nps_ci_lower": 100 * max(nps - z * se, -1.0), "nps_ci_upper": 100 * min(nps + z * se, 1.0),
    })


def _by_segment(df: pd.DataFrame, segment_col: str | None, fn) -> pd.DataFrame:
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
        if nps_col:
            nps = nps_summary(part[nps_col], confidence=confidence)
            row = pd.concat([row, nps.drop("n").rename({"promoters": "nps_promoters",
                                                        "passives": "nps_passives",
                                                        "detractors": "nps_detractors"}),
                             pd.Series({"nps_n": nps["n"]})])
        return row

    out = _by_segment(df, segment_col or None, one)
    out["n"] = out["n"].astype(int)
    if "nps_n" in out:
        out["nps_n"] = out["nps_n"].astype(int)
    out.attrs.update(top_box_from=scale[1] - 1 if top_box_from is None else top_box_from,
                     segment_col=segment_col or None)
    return out


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

    out = _by_segment(df, segment_col or None, one)
    out["n"] = out["n"].astype(int)
    out.attrs["weights"] = w.to_dict()
    return out


# --- drivers --------------------------------------------------------------------------------

def driver_table(model: DriverModel, importance, mean_ratings: pd.Series,
                 johnson=None) -> pd.DataFrame:
    """One ranked row per driver: OLS effect, relative importance with interval, mean rating.

    Parameters
    ----------
    model : DriverModel
        Fitted OLS driver model.
    importance : RelativeImportance
        Fitted relative importance (LMG by default).
    mean_ratings : Series
        Mean rating of each driver (available-case), the "performance" axis.
    johnson : RelativeImportance, optional
        Johnson's relative weights, added as ``johnson_weight`` and ``johnson_rank``.
    """
    s = model.summary_
    imp = importance.summary_.reindex(s.index)
    out = pd.DataFrame({
        "driver": s.index, "coef": s["coef"].to_numpy(), "std_coef": s["std_coef"].to_numpy(),
        "p": s["p"].to_numpy(), "importance": imp["importance"].to_numpy(),
        "importance_ci_lower": imp["ci_lower"].to_numpy(),
        "importance_ci_upper": imp["ci_upper"].to_numpy(),
        "importance_share": imp["share"].to_numpy(), "rank": imp["rank"].to_numpy(),
        "rank_stability": imp["rank_stability"].to_numpy(),
        "mean_rating": pd.Series(mean_ratings).reindex(s.index).to_numpy(),
        "vif": s["vif"].to_numpy(),
    })
    if johnson is not None:
        jw = johnson.summary_.reindex(s.index)
        out["johnson_weight"] = jw["importance"].to_numpy()
        out["johnson_rank"] = jw["rank"].to_numpy()
    return out.sort_values("rank").reset_index(drop=True)


def ordinal_check(df: pd.DataFrame, target: str, drivers: Sequence[str],
                  model: DriverModel) -> tuple[pd.DataFrame | None, str]:
    """Refit as an ordinal logit and compare its driver ranking with OLS.

    Returns the comparison table (``None`` when the ordinal model does not apply or fails) and a
    sentence saying what it showed.
    """
    try:
        ordinal = OrdinalDriverModel().fit(df, target, drivers)
    except DataError as exc:
        return None, f"Ordinal logit check skipped: {exc}"
    table = pd.DataFrame({
        "ols_std_coef": model.summary_["std_coef"],
        "ols_rank": model.summary_["std_coef"].rank(ascending=False).astype(int),
        "ordinal_coef": ordinal.summary_["coef"], "ordinal_odds_ratio": ordinal.summary_["odds_ratio"],
        "ordinal_p": ordinal.summary_["p"], "ordinal_std_coef": ordinal.summary_["std_coef"],
        "ordinal_rank": ordinal.summary_["std_coef"].rank(ascending=False).astype(int),
    })
    tau = rank_agreement(table["ols_std_coef"], table["ordinal_std_coef"])
    same = (table["ols_rank"] == table["ordinal_rank"]).all()
    verdict = ("ranks the drivers exactly as OLS does" if same else
               f"ranks the drivers much like OLS (Kendall's tau = {tau:.2f})" if tau >= 0.6 else
               f"ranks the drivers differently from OLS (Kendall's tau = {tau:.2f}); the equal-"
               "spacing assumption of OLS matters here, prefer the ordinal ranking")
    note = "" if ordinal.converged_ else " (the fit did not fully converge)"
    return table.sort_values("ordinal_rank"), (
        f"The ordinal logit on {ordinal.n_} responses{note} {verdict}.")


def mean_ratings(df: pd.DataFrame, columns: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean of each rating column over the answers given, with a t interval
    (``mean``, ``ci_lower``, ``ci_upper``, ``n``; one row per column)."""
    rows = {}
    for c in columns:
        r = csat_summary(df[c], confidence=confidence)
        rows[c] = {"mean": r["csat_mean"], "ci_lower": r["csat_mean_ci_lower"],
                   "ci_upper": r["csat_mean_ci_upper"], "n": int(r["n"])}
    out = pd.DataFrame(rows).T
    out.index.name = "driver"
    return out.astype({"mean": float, "ci_lower": float, "ci_upper": float, "n": int})


def importance_performance(importance: pd.Series, performance: pd.Series, *,
                           importance_ci: pd.DataFrame | None = None,
                           performance_ci: pd.DataFrame | None = None) -> pd.DataFrame:
    """Importance-performance map (Martilla & James, 1977, "Importance-Performance Analysis",
    Journal of Marketing 41(1)).

    Importance is normalised to shares summing to 1; the quadrant lines sit at the mean
    importance (1/p) and the mean performance. ``fix_first`` marks "Concentrate here": above
    average importance, below average performance. Rows come fix-first, then by importance.

    ``importance_ci`` (interval of each driver's share: ``share_ci_lower`` / ``share_ci_upper``,
    as in ``RelativeImportance.summary_``, else ``ci_lower`` / ``ci_upper``) and ``performance_ci``
    (``ci_lower`` / ``ci_upper`` of :func:`mean_ratings`) are optional; with them, ``close_call``
    marks drivers whose interval crosses a quadrant line, so their quadrant could change in
    another sample.
    """
    imp = pd.Series(importance, dtype=float)
    imp = imp / imp.sum()
    perf = pd.Series(performance, dtype=float).reindex(imp.index)
    imp_line, perf_line = imp.mean(), perf.mean()
    high_imp = imp >= imp_line
    high_perf = perf >= perf_line
    out = pd.DataFrame({
        "driver": imp.index, "importance": imp.to_numpy(), "performance": perf.to_numpy(),
        "quadrant": [QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_imp, high_perf)],
    })
    out["fix_first"] = out["quadrant"] == QUADRANTS[(True, False)]
    close = np.zeros(len(out), dtype=bool)
    for ci, line, prefix in [(importance_ci, imp_line, "importance"),
                             (performance_ci, perf_line, "performance")]:
        if ci is None:
            continue
        ci = pd.DataFrame(ci).reindex(imp.index)
        key = "share_ci" if prefix == "importance" and "share_ci_lower" in ci else "ci"
        lower = ci[f"{key}_lower"].to_numpy(dtype=float)
        upper = ci[f"{key}_upper"].to_numpy(dtype=float)
        out[f"{prefix}_ci_lower"], out[f"{prefix}_ci_upper"] = lower, upper
        close |= (lower <= line) & (line <= upper)
    if importance_ci is not None or performance_ci is not None:
        out["close_call"] = close
    out.attrs.update(importance_line=float(imp_line), performance_line=float(perf_line))
    return out.sort_values(["fix_first", "importance"], ascending=[False, False]).reset_index(drop=True)


# --- word of mouth --------------------------------------------------------------------------

def word_of_mouth(df: pd.DataFrame, nps_col: str, segment_col: str | None = None, *,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Promoters (9-10), passives (7-8) and detractors (0-6) for everyone and by segment, with
    NPS and its interval and a Wilson interval for the promoter share."""
    def one(part):
        row = nps_summary(part[nps_col], confidence=confidence)
        n = int(row["n"])
        lo, hi = _wilson(row["promoters"] * n, n, confidence)
        return pd.concat([row, pd.Series({"promoters_ci_lower": lo, "promoters_ci_upper": hi})])

    out = _by_segment(df, segment_col or None, one)
    out["n"] = out["n"].astype(int)
    return out


def referral_projection(wom: pd.DataFrame, n_customers: int, referral_rate: float) -> pd.DataFrame:
    """Expected new customers from referrals: ``N_new = referral_rate x N x promoter_share``.

    Parameters
    ----------
    wom : DataFrame
        Output of :func:`word_of_mouth`.
    n_customers : int
        Customers in the base; split over segments in proportion to the respondents.
    referral_rate : float
        New customers brought in per promoter over the horizon of interest.

    Assumes only promoters refer, at the same rate in every segment, and that respondents
    represent the customer base. Segment rows sum to the ``"All"`` row.
    """
    if n_customers <= 0 or referral_rate < 0:
        raise DataError("n_customers must be positive and referral_rate non-negative")
    total = wom.loc[ALL, "n"]
    segments = wom.drop(index=ALL) if len(wom) > 1 else wom
    rows = []
    for seg, r in segments.iterrows():
        customers = n_customers * r["n"] / total
        rows.append({"segment": seg, "customers": customers, "promoter_share": r["promoters"],
                     "new_customers": referral_rate * customers * r["promoters"],
                     "new_customers_ci_lower": referral_rate * customers * r["promoters_ci_lower"],
                     "new_customers_ci_upper": referral_rate * customers * r["promoters_ci_upper"]})
    out = pd.DataFrame(rows)
    if len(wom) > 1:
        all_row = wom.loc[ALL]
        out = pd.concat([pd.DataFrame([{
            "segment": ALL, "customers": float(n_customers),
            "promoter_share": all_row["promoters"],
            "new_customers": referral_rate * n_customers * all_row["promoters"],
            "new_customers_ci_lower": referral_rate * n_customers * all_row["promoters_ci_lower"],
            "new_customers_ci_upper": referral_rate * n_customers * all_row["promoters_ci_upper"],
        }]), out], ignore_index=True)
    return out


def referral_comparison(n_customers: int, referral_rate: float, promoter_share: float,
                        csat_mean: float, scale: tuple[float, float] = (1, 5)) -> pd.DataFrame:
    """The share-based projection next to the literature's ``N_new = r x N x CSAT``.

    The mean-score version multiplies by a score, not a share: the same answers rescaled from
    1-5 to 1-10 (or 0-100) give a different number of new customers, and any mean above 1 means
    more referrals than the referral rate allows.
    """
    lo, hi = scale
    frac = (csat_mean - lo) / (hi - lo)
    rows = [("promoter share (used here)", promoter_share)]
    rows.append((f"literature: mean score on {lo:g}-{hi:g}", csat_mean))
    if (lo, hi) != (1, 10):
        rows.append(("literature: same answers rescaled to 1-10", 1 + 9 * frac))
    if (lo, hi) != (0, 100):
        rows.append(("literature: same answers rescaled to 0-100", 100 * frac))
    out = pd.DataFrame(rows, columns=["version", "multiplier"])
    out["new_customers"] = referral_rate * n_customers * out["multiplier"]
    return out


# --- display --------------------------------------------------------------------------------

def readable(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A copy for display: floats rounded to ``digits`` and p-value columns (``p`` or ending in
    ``_p``) shown as text, with values below ``10**-digits`` written as ``<0.0001`` rather than
    a misleading ``0.0000``. The saved tables keep full precision."""
    out = table.copy()
    floor = 10.0 ** -digits
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col == "p" or str(col).endswith("_p"):
            out[col] = [f"<{floor:.{digits}f}" if v < floor else f"{v:.{digits}f}"
                        if pd.notna(v) else "" for v in out[col]]
        else:
            out[col] = out[col].round(digits)
    return out


def rounded(value, digits: int = 4):
    """``value`` with every float (also inside lists and dicts) rounded, for display."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(v, digits) for v in value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    return value


# --- sentences ------------------------------------------------------------------------------

def describe_headline(headline: pd.DataFrame, scale: tuple[float, float],
                      confidence: float = 0.95) -> str:
    """Overall CSAT and NPS in words, with the spread between segments."""
    a = headline.loc[ALL]
    pct = f"{confidence:.0%}"
    top = headline.attrs.get("top_box_from", scale[1] - 1)
    box = "one of the top two scores" if top == scale[1] - 1 else f"a score of {top:g} or more"
    text = (f"Mean satisfaction is {a['csat_mean']:.2f} on {scale[0]:g}-{scale[1]:g} ({pct} CI "
            f"{a['csat_mean_ci_lower']:.2f}-{a['csat_mean_ci_upper']:.2f}, n = {int(a['n'])}); "
            f"{a['csat_top2box']:.0%} give {box} ({a['csat_top2box_ci_lower']:.0%}-"
            f"{a['csat_top2box_ci_upper']:.0%}).")
    if "nps" in headline:
        text += (f" NPS is {a['nps']:+.0f} ({pct} CI {a['nps_ci_lower']:+.0f} to "
                 f"{a['nps_ci_upper']:+.0f}).")
    segs = headline.drop(index=ALL)
    if len(segs) > 1:
        best, worst = segs["csat_mean"].idxmax(), segs["csat_mean"].idxmin()
        col = headline.attrs.get("segment_col")
        b_name, w_name = (f"{col} = {best}", f"{col} = {worst}") if col else (f"'{best}'", f"'{worst}'")
        text += (f" By segment, {b_name} is most satisfied ({segs.loc[best, 'csat_mean']:.2f}) and "
                 f"{w_name} least ({segs.loc[worst, 'csat_mean']:.2f})")
        diff = segment_difference(headline, best, worst, confidence)
        if np.isfinite(diff["p"]):
            k = int((segs["n"] >= 2).sum())
            pairs = k * (k - 1) // 2
            p_adj = min(1.0, diff["p"] * pairs)
            adj = (f", Bonferroni-adjusted over the {pairs} segment pairs p = {p_adj:.2g}"
                   if pairs > 1 else "")
            verdict = ("unlikely to be chance alone" if p_adj < 1 - confidence else
                       "which chance alone could produce")
            text += (f": a difference of {diff['diff']:.2f} points ({pct} CI {diff['ci_lower']:.2f} to "
                     f"{diff['ci_upper']:.2f}; Welch t-test p = {diff['p']:.2g}{adj}), {verdict}.")
        else:
            text += "."
        # The Wald standard error is unreliable for small segments (Rocks, 2016): compare NPS only
        # between segments with at least MIN_NPS_COMPARE answers.
        big = segs[segs["nps_n"] >= MIN_NPS_COMPARE] if "nps_n" in segs else segs.iloc[:0]
        if "nps_se" in segs and len(big) > 1:
            hi_seg, lo_seg = big["nps"].idxmax(), big["nps"].idxmin()
            d = big.loc[hi_seg, "nps"] - big.loc[lo_seg, "nps"]
            se = float(np.hypot(big.loc[hi_seg, "nps_se"], big.loc[lo_seg, "nps_se"]))
            if se > 0:
                z = stats.norm.ppf(0.5 + confidence / 2)
                p = float(2 * stats.norm.sf(abs(d) / se))
                pairs = len(big) * (len(big) - 1) // 2
                p_adj = min(1.0, p * pairs)
                hi_name, lo_name = (f"{col} = {hi_seg}", f"{col} = {lo_seg}") if col else (
                    f"'{hi_seg}'", f"'{lo_seg}'")
                only = "" if len(big) == len(segs) else f" (among segments with {MIN_NPS_COMPARE}+ answers)"
                text += (f" NPS is highest for {hi_name} ({big.loc[hi_seg, 'nps']:+.0f}) and lowest "
                         f"for {lo_name} ({big.loc[lo_seg, 'nps']:+.0f}){only}: {d:.0f} points apart "
                         f"({pct} CI {max(d - z * se, -200):.0f} to {min(d + z * se, 200):.0f}; "
                         f"z-test p = {p:.2g}"
                         + (f", Bonferroni-adjusted p = {p_adj:.2g}" if pairs > 1 else "") + "), "
                         + ("unlikely to be chance alone." if p_adj < 1 - confidence else
                            "which chance alone could produce."))
    return text


def headline_display(headline: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """A compact, readable view of :func:`headline_metrics`: one column per measure with its
    interval as text (the full table with every bound is what gets saved)."""
    h = headline
    fmt = f"{{:.{decimals}f}}"

    def interval(col, scale=1.0, spec=fmt):
        return [f"{spec.format(scale * m)} ({spec.format(scale * lo)} to {spec.format(scale * hi)})"
                if pd.notna(m) else "" for m, lo, hi in
                zip(h[col], h[f"{col}_ci_lower"], h[f"{col}_ci_upper"])]

    out = pd.DataFrame({"n": h["n"].astype(int)}, index=h.index)
    out["CSAT mean (CI)"] = interval("csat_mean")
    out["top box % (CI)"] = interval("csat_top2box", 100, "{:.0f}")
    out["sum k N_k / N"] = h["csat_distribution_score"].round(decimals)
    if "nps" in h:
        out["NPS (CI)"] = interval("nps", 1, "{:+.0f}")
        for part in ["promoters", "passives", "detractors"]:
            out[f"{part} %"] = (100 * h[f"nps_{part}"]).round(0).astype("Int64")
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


def describe_drivers(table: pd.DataFrame, r2: float, confidence: float = 0.95) -> str:
    """The ranked drivers in words.

    ``importance`` is a driver's part of R^2 (the parts sum to R^2); ``importance_share`` is that
    part divided by R^2 (the shares sum to 1). Drivers whose OLS p-value is at or above
    ``1 - confidence`` are named as having no clear effect of their own.
    """
    top = table.iloc[0]
    others = table.iloc[1:3]["driver"].tolist()
    text = (f"The drivers explain {r2:.0%} of the variation in overall satisfaction (R^2 = {r2:.3f}). "
            f"'{top['driver']}' matters most: {top['importance_share']:.0%} of the explained part")
    if pd.notna(top["importance_ci_lower"]):
        text += (f" (it accounts for {top['importance']:.3f} of the R^2, {confidence:.0%} bootstrap "
                 f"interval {top['importance_ci_lower']:.3f}-{top['importance_ci_upper']:.3f}; first "
                 f"in {top['rank_stability']:.0%} of the resamples)")
    if others:
        text += ", followed by " + " and ".join(f"'{d}'" for d in others)
    text += "."
    if pd.notna(top["rank_stability"]) and top["rank_stability"] < 0.9 and len(table) > 1:
        text += (f" With the top rank that unstable, '{top['driver']}' and "
                 f"'{table.iloc[1]['driver']}' are not clearly separated.")
    if "johnson_rank" in table and (table["johnson_rank"] != table["rank"]).any():
        j_order = table.sort_values("johnson_rank")["driver"].tolist()
        text += (" Johnson's relative weights order the drivers differently ("
                 + ", ".join(f"'{d}'" for d in j_order) + "): treat close ranks as ties.")
    weak = table.loc[table["p"] >= 1 - confidence, "driver"].tolist()
    text += (f" No clear effect once the others are known (p >= {1 - confidence:.2g}): "
             f"{', '.join(weak)}." if weak else "")
    return text


def describe_index(index: pd.DataFrame, n_drivers: int, scale: tuple[float, float],
                   confidence: float = 0.95) -> str:
    """The satisfaction index and what the literature's extra division by n would print."""
    a = index.loc[ALL]
    text = (f"The weighted satisfaction index is {a['index']:.2f} on {scale[0]:g}-{scale[1]:g} "
            f"({confidence:.0%} CI {a['ci_lower']:.2f}-{a['ci_upper']:.2f}, weights held fixed)"
            + ("" if tuple(scale) == (0, 100) else f", {a['index_100']:.0f} on 0-100")
            + ". "
            f"Dividing by the number of drivers again, as some texts do, would print "
            f"{a['literature_value']:.2f}: off by a factor of {n_drivers}")
    if a["literature_value"] < scale[0]:
        text += f", below the lowest possible rating ({scale[0]:g})"
    return text + "."


def describe_fix_first(ipa: pd.DataFrame) -> str:
    """Name the drivers to fix first."""
    fix = ipa[ipa["fix_first"]].sort_values("importance", ascending=False)
    if fix.empty:
        strong = ipa.loc[ipa["quadrant"] == "Keep up the good work", "driver"].tolist()
        return ("No driver is both above-average in importance and below-average in rating; "
                + (f"keep up {', '.join(strong)}." if strong else "nothing stands out."))
    names = ", ".join(f"'{d}' (importance {i:.0%}, rating {p:.2f})"
                      for d, i, p in fix[["driver", "importance", "performance"]].itertuples(index=False))
    many = len(fix) > 1
    text = (f"Fix first, most important first: {names}. {'They matter' if many else 'It matters'} "
            f"more than the average driver but {'are' if many else 'is'} rated below the average "
            "rating.")
    if "close_call" in ipa:
        close = []
        for _, r in ipa[ipa["close_call"]].iterrows():
            axes = [name for name, col, line in [("importance", "importance", "importance_line"),
                                                 ("rating", "performance", "performance_line")]
                    if f"{col}_ci_lower" in ipa
                    and r[f"{col}_ci_lower"] <= ipa.attrs[line] <= r[f"{col}_ci_upper"]]
            close.append(f"{r['driver']} ({' and '.join(axes)})")
        text += (" Close calls, whose interval crosses a quadrant line so that another sample could "
                 f"put them in a different quadrant: {', '.join(close)}." if close else
                 " No driver's interval crosses a quadrant line.")
    return text


def describe_referrals(projection: pd.DataFrame, comparison: pd.DataFrame,
                       referral_rate: float, confidence: float = 0.95) -> str:
    """The referral projection and why the mean-score version is not used.

    The interval carries only the sampling uncertainty of the promoter share (its Wilson
    interval); the referral rate is an assumption and has none.
    """
    a = projection.iloc[0]
    lit = comparison.iloc[1:]
    spread = ", ".join(f"{m:,.0f} ({v.split(': ')[-1]})" for v, m in
                       zip(lit["version"], lit["new_customers"]))
    return (f"At {referral_rate:g} new customers per promoter, {a['customers']:,.0f} customers with "
            f"{a['promoter_share']:.0%} promoters bring about {a['new_customers']:,.0f} new customers "
            f"({confidence:.0%} interval {a['new_customers_ci_lower']:,.0f}-"
            f"{a['new_customers_ci_upper']:,.0f}, from the promoter share alone). The mean-score "
            f"formula would give {spread} from the same answers: its answer depends on the scale.")


# --- figures --------------------------------------------------------------------------------

def plot_importance(table: pd.DataFrame, r2: float | None = None, confidence: float | None = None):
    """Horizontal bars of each driver's part of R^2 (the bars sum to R^2) with its bootstrap
    interval."""
    import matplotlib.pyplot as plt

    t = table.sort_values("importance")
    fig, ax = plt.subplots()
    err = None
    if t["importance_ci_lower"].notna().all():
        err = np.vstack([t["importance"] - t["importance_ci_lower"],
                         t["importance_ci_upper"] - t["importance"]])
    ax.barh(t["driver"], t["importance"], xerr=err, capsize=3, color="C0")
    title = "Relative importance of satisfaction drivers (LMG)"
    ax.set_title(title + (f", total R² = {r2:.2f}" if r2 is not None else ""))
    level = f"{confidence:.0%} " if confidence is not None else ""
    total = f" = {r2:.2f}" if r2 is not None else ""
    ax.set_xlabel(f"Part of R² (bars sum to R²{total}); whiskers: {level}bootstrap interval")
    ax.set_ylabel("Driver")
    fig.tight_layout()
    return fig


def plot_ipa(ipa: pd.DataFrame, scale_label: str = ""):
    """Importance-performance map with quadrant lines at the means."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    colors = {q: f"C{i}" for i, q in enumerate(QUADRANTS.values())}
    for quadrant, part in ipa.groupby("quadrant"):
        ax.scatter(part["performance"], 100 * part["importance"], s=60, color=colors[quadrant],
                   label=quadrant, zorder=3)
    has_ci = {"importance_ci_lower", "performance_ci_lower"} & set(ipa.columns)
    if has_ci:
        yerr = xerr = None
        if "importance_ci_lower" in ipa:
            yerr = 100 * np.vstack([ipa["importance"] - ipa["importance_ci_lower"],
                                    ipa["importance_ci_upper"] - ipa["importance"]])
        if "performance_ci_lower" in ipa:
            xerr = np.vstack([ipa["performance"] - ipa["performance_ci_lower"],
                              ipa["performance_ci_upper"] - ipa["performance"]])
        ax.errorbar(ipa["performance"], 100 * ipa["importance"], xerr=xerr, yerr=yerr, fmt="none",
                    ecolor="grey", elinewidth=1, capsize=2, zorder=2)
    x, y = ipa["performance"].to_numpy(), 100 * ipa["importance"].to_numpy()
    dx = max(np.ptp(x), 1e-9) * 0.12
    dy = max(np.ptp(y), 1e-9) * 0.08
    for i, name in enumerate(ipa["driver"]):
        # Put the label below the point when another point sits just above it.
        crowded = np.any((np.abs(x - x[i]) < dx) & (y > y[i]) & (y - y[i] < dy))
        ax.annotate(name, (x[i], y[i]), xytext=(5, -13 if crowded else 5),
                    textcoords="offset points", fontsize=9, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
    ax.axvline(ipa.attrs["performance_line"], color="grey", ls="--", lw=1)
    ax.axhline(100 * ipa.attrs["importance_line"], color="grey", ls="--", lw=1)
    ax.set_title("Importance-performance map: fix the upper-left quadrant first"
                 + ("\nwhiskers: intervals of importance and mean rating" if has_ci else ""))
    ax.set_xlabel(f"Performance: mean rating{' (' + scale_label + ')' if scale_label else ''}")
    ax.set_ylabel("Importance: share of explained variance (%)")
    ax.legend(title="Quadrant", fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_word_of_mouth(wom: pd.DataFrame):
    """Stacked shares of detractors, passives and promoters by segment, NPS printed on the bars."""
    import matplotlib.pyplot as plt

    parts = wom[["detractors", "passives", "promoters"]].iloc[::-1] * 100  # "All" on top
    fig, ax = plt.subplots()
    left = np.zeros(len(parts))
    colors = {"detractors": "#d55e00", "passives": "#bbbbbb", "promoters": "#009e73"}
    labels = parts.index.astype(str)
    for col in parts.columns:
        ax.barh(labels, parts[col], left=left, color=colors[col], label=col)
        left += parts[col].to_numpy()
    for i, nps in enumerate(wom["nps"].iloc[::-1]):
        ax.text(101, i, f"NPS {nps:+.0f}", va="center", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xlim(0, 115)
    ax.set_xticks(range(0, 101, 20))
    ax.grid(axis="y", visible=False)
    ax.set_title("Word of mouth by segment\ndetractors (0-6), passives (7-8), promoters (9-10)")
    ax.set_xlabel("Share of respondents (%)")
    ax.set_ylabel("Segment")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


def plot_residuals(model: DriverModel, df: pd.DataFrame):
    """Residuals against fitted values and a normal Q-Q plot of the residuals."""
    import matplotlib.pyplot as plt

    res = model.residuals(df)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.scatter(res["fitted"], res["residual"], s=8, alpha=0.3)
    ax1.axhline(0, color="grey", lw=1)
    ax1.set_title("Residuals vs fitted")
    ax1.set_xlabel(f"Fitted {model.target_} (scale points)")
    ax1.set_ylabel("Residual (scale points)")
    stats.probplot(res["residual"], dist="norm", plot=ax2)
    ax2.set_title("Normal Q-Q plot of residuals")
    ax2.set_xlabel("Theoretical normal quantile")
    ax2.set_ylabel("Residual quantile (scale points)")
    fig.suptitle("OLS driver model: residual diagnostics", fontweight="bold")
    fig.tight_layout()
    return fig
