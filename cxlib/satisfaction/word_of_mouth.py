"""Word of mouth: promoters, passives and detractors by segment, and a referral projection."""

from __future__ import annotations

import pandas as pd

from ..core import DataError
from .metrics import ALL, by_segment, nps_from_counts, nps_summary, wilson_interval

__all__ = ["word_of_mouth", "word_of_mouth_from_counts", "referral_projection", "referral_comparison"]


def word_of_mouth(df: pd.DataFrame, nps_col: str, segment_col: str | None = None, *,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Promoters (9-10), passives (7-8) and detractors (0-6) for everyone and by segment, with
    NPS and its interval and a Wilson interval for the promoter share."""
    def one(part):
        return _with_promoter_interval(nps_summary(part[nps_col], confidence=confidence), confidence)

    out = by_segment(df, segment_col or None, one)
    out["n"] = out["n"].astype(int)
    return out


def word_of_mouth_from_counts(counts: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`word_of_mouth` from per-segment counts (:func:`~cxlib.satisfaction.survey_counts`,
    made with an NPS column): the same formulas, with the counting done in the data engine."""
    if "nps_n" not in counts:
        raise DataError("the counts have no NPS columns; count them with nps_col given")
    rows = {seg: _with_promoter_interval(nps_from_counts(int(c["nps_n"]), int(c["promoters"]),
                                                         int(c["detractors"]), confidence=confidence),
                                         confidence)
            for seg, c in counts.iterrows()}
    out = pd.DataFrame(rows).T
    out.index.name = "segment"
    out["n"] = out["n"].astype(int)
    return out


def _with_promoter_interval(row: pd.Series, confidence: float) -> pd.Series:
    """The NPS row with a Wilson interval for the promoter share."""
    n = int(row["n"])
    lo, hi = wilson_interval(row["promoters"] * n, n, confidence)
    return pd.concat([row, pd.Series({"promoters_ci_lower": lo, "promoters_ci_upper": hi})])


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
