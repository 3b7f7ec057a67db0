"""Plain-language sentences for the satisfaction lesson."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .metrics import ALL, segment_difference

__all__ = ["describe_joins", "describe_headline", "describe_drivers", "describe_index", "describe_fix_first",
           "describe_referrals"]


MIN_NPS_COMPARE = 30  # fewest NPS answers per segment for the segment comparison sentence


def describe_joins(joins, segment_col: str | None = None) -> list[str]:
    """The survey's join with the customers table in words, one sentence per join.

    Each :class:`~cxlib.core.JoinCoverage` gives its own sentence, followed by the share of
    customers who answered. That share counts customers whose id is found among the
    respondents' ids, never rows of two unrelated tables, so a customers file that describes
    other people cannot make it look high.
    """
    if not joins:
        where = f"'{segment_col}' is a column of the survey" if segment_col else "no segments are compared"
        return [f"No join with the customers table was needed: {where}."]
    out = []
    for cov in joins:
        out.append(cov.sentence())
        out.append(f"So {cov.right_share:.0%} of the customers in {cov.right} answered the survey "
                   f"({cov.right_matched:,} of {cov.right_rows:,}, counted by matched "
                   f"{cov.key}).")
    return out


def describe_headline(headline: pd.DataFrame, scale: tuple[float, float],
                      confidence: float = 0.95) -> str:
    """Overall CSAT and NPS in words, with the spread between segments."""
    a = headline.loc[ALL]
    pct = f"{confidence:.0%}"
    top = headline.attrs.get("top_box_from", scale[1] - 1)
    box = "one of the top two scores" if top == scale[1] - 1 else f"a score of {top:g} or more"
    text = (f"Mean satisfaction is {a['csat_mean']:.2f} on {scale[0]:g}-{scale[1]:g} ({pct} CI "
            f"{a['csat_mean_ci_lower']:.2f}-{a['csat_mean_ci_upper']:.2f}, n = {int(a['n']):,}); "
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
