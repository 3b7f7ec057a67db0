"""Segments in plain language: profiles, descriptive names and the feature summary.

A segment is described by the features whose standardized means (in the space the clusterer
used: logged where skewed, standardized) lie furthest from the overall mean of 0. Its name is
built from the two largest such deviations by fixed rules, so the same segments always get the
same names ("High usage / low fee").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["SHORT_LABELS", "FEATURE_UNITS", "NOISE_NAME", "profile_segments", "name_segments",
           "describe_segments", "segment_table", "feature_summary", "describe_preparation"]


#: Short words for the kit's canonical features, used in segment names.
SHORT_LABELS = {
    "age": "age",
    "monthly_fee": "fee",
    "usage_hours": "usage",
    "support_tickets": "tickets",
    "recency": "recency",
    "frequency": "frequency",
    "monetary": "spend",
    "avg_spend": "basket",
    "tenure": "tenure",
}


#: Units of the kit's canonical features (data/README.md; RFM as built by cxlib.rfm.rfm_table),
#: for axis labels. Other features are labelled "original units".
FEATURE_UNITS = {
    "age": "years",
    "monthly_fee": "currency units per month",
    "usage_hours": "hours per month",
    "support_tickets": "tickets in 12 months",
    "recency": "days",
    "frequency": "purchase days",
    "monetary": "currency units",
    "avg_spend": "currency units per purchase day",
    "tenure": "days",
}


NOISE_NAME = "Unassigned (noise)"


def _label(feature: str, labels: Mapping[str, str] | None) -> str:
    labels = {**SHORT_LABELS, **(labels or {})}
    return labels.get(feature, feature.replace("_", " "))


def name_segments(z: pd.DataFrame, *, threshold: float = 0.3, max_terms: int = 2,
                  labels: Mapping[str, str] | None = None) -> pd.Series:
    """A short descriptive name per segment from its standardized mean deviations.

    Parameters
    ----------
    z : DataFrame
        Rows: segments; columns: features; values: segment mean minus overall mean, in
        standard deviations.
    threshold : float
        A feature enters a name when ``|z| >= threshold`` (0.3 standard deviations: between
        Cohen's "small" 0.2 and "medium" 0.5, a difference a marketer can see in the data).
    max_terms : int
        At most this many features per name, largest ``|z|`` first (ties: column order).

    Rules: "High x / low y"; a segment with no feature past the threshold is "Average
    profile". When two segments would share a name, more features are added to both, and as
    a last resort the segment number.
    """
    order = {}
    for seg, row in z.iterrows():
        ranked = sorted(range(len(row)), key=lambda i: (-abs(row.iloc[i]), i))
        order[seg] = [(z.columns[i], row.iloc[i]) for i in ranked if abs(row.iloc[i]) >= threshold]

    def build(seg, n_terms):
        terms = order[seg][:n_terms]
        if not terms:
            return "Average profile"
        words = [("high " if v > 0 else "low ") + _label(f, labels) for f, v in terms]
        text = " / ".join(words)
        return text[0].upper() + text[1:]

    n_terms = {seg: max_terms for seg in z.index}
    names = {seg: build(seg, n_terms[seg]) for seg in z.index}
    for _ in range(z.shape[1]):
        counts = pd.Series(names).value_counts()
        dup = [s for s in z.index if counts[names[s]] > 1]
        if not dup:
            break
        for s in dup:
            n_terms[s] += 1
            names[s] = build(s, n_terms[s])
    counts = pd.Series(names).value_counts()
    for s in z.index:
        if counts[names[s]] > 1:
            names[s] = f"{names[s]} ({s})"
    out = pd.Series(names, name="segment_name")
    out.index.name = z.index.name
    if -1 in out.index:
        out[-1] = NOISE_NAME
    return out


def profile_segments(features: pd.DataFrame, labels, z=None, *, churned: pd.Series | None = None,
                     satisfaction: pd.Series | None = None, names: pd.Series | None = None,
                     labels_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per segment (and a last row ``all``) describing who is in it.

    Parameters
    ----------
    features : DataFrame
        The clustered features in their original units, indexed by customer id.
    labels : array-like
        Segment of each row of ``features``.
    z : array-like, optional
        The features as the clusterer saw them (:meth:`Segmenter.prepare`); standardized
        means and names are computed there. Default: plain standardization of ``features``.
    churned : Series, optional
        0/1 by customer id (from the customers table): adds ``churn_rate``.
    satisfaction : Series, optional
        Mean overall satisfaction by customer id (from the survey): adds ``satisfaction`` and
        ``n_surveyed``.
    names : Series, optional
        Segment names; default :func:`name_segments` of the standardized means.

    Returns
    -------
    DataFrame with ``segment``, ``segment_name``, ``n``, ``share``, ``<feature>`` (mean),
    ``<feature>_median``, ``<feature>_z`` (standardized mean deviation), and ``churn_rate``,
    ``satisfaction``, ``n_surveyed`` when given.
    """
    labels = pd.Series(np.asarray(labels), index=features.index, name="segment")
    if z is None:
        sd = features.std(ddof=0).replace(0, 1)
        zf = (features - features.mean()) / sd
    else:
        zf = pd.DataFrame(np.asarray(z), index=features.index, columns=features.columns)
    zf = zf - zf.mean()
    means = features.groupby(labels).mean()
    medians = features.groupby(labels).median()
    zmeans = zf.groupby(labels).mean()
    sizes = labels.value_counts().reindex(means.index)
    if names is None:
        names = name_segments(zmeans, labels=labels_map)
    prof = pd.DataFrame({"segment": means.index, "segment_name": names.reindex(means.index).to_numpy(),
                         "n": sizes.to_numpy(), "share": (sizes / len(labels)).to_numpy()})
    for col in features.columns:
        prof[col] = means[col].to_numpy()
    for col in features.columns:
        prof[f"{col}_median"] = medians[col].to_numpy()
    for col in features.columns:
        prof[f"{col}_z"] = zmeans[col].to_numpy()
    overall = {"segment": "all", "segment_name": "All customers", "n": len(labels), "share": 1.0,
               **features.mean().to_dict(),
               **{f"{c}_median": v for c, v in features.median().items()},
               **{f"{c}_z": 0.0 for c in features.columns}}
    if churned is not None:
        ch = churned.reindex(features.index)
        prof["churn_rate"] = ch.groupby(labels).mean().reindex(means.index).to_numpy()
        overall["churn_rate"] = float(ch.mean())
    if satisfaction is not None:
        sat = satisfaction.reindex(features.index)
        prof["satisfaction"] = sat.groupby(labels).mean().reindex(means.index).to_numpy()
        prof["n_surveyed"] = sat.notna().groupby(labels).sum().reindex(means.index).to_numpy()
        overall["satisfaction"] = float(sat.mean())
        overall["n_surveyed"] = int(sat.notna().sum())
    # noise (-1) last; float first, as int cannot hold inf (pandas warns on the cast)
    prof = prof.sort_values("segment", key=lambda s: s.astype(float).where(s >= 0, np.inf)).reset_index(drop=True)
    return pd.concat([prof, pd.DataFrame([overall])], ignore_index=True)


def segment_table(ids: pd.Index, labels, profiles: pd.DataFrame) -> pd.DataFrame:
    """``customer_id``, ``segment``, ``segment_name``: the table a CRM system imports."""
    names = profiles.loc[profiles["segment"] != "all"].set_index("segment")["segment_name"]
    labels = np.asarray(labels)
    return pd.DataFrame({"customer_id": np.asarray(ids), "segment": labels,
                         "segment_name": pd.Series(labels).map(names).to_numpy()})


def describe_segments(profiles: pd.DataFrame, features: Sequence[str], *, top: int = 3,
                      threshold: float = 0.3) -> str:
    """Plain-language paragraph per segment: size, what stands out, churn and satisfaction."""
    overall = profiles.loc[profiles["segment"] == "all"].iloc[0]
    lines = []
    for _, row in profiles.loc[profiles["segment"] != "all"].iterrows():
        zs = sorted(features, key=lambda f: -abs(row[f"{f}_z"]))
        parts = []
        for f in zs[:top]:
            zval = row[f"{f}_z"]
            if abs(zval) < threshold:
                continue
            # medians, not means: a few heavy users move the mean of a skewed feature; but
            # when the medians coincide (a whole-number feature) they hide the difference
            # that the standardized mean shows, so the means are quoted instead
            stat = "median" if row[f + "_median"] != overall[f + "_median"] else "mean"
            suffix = "_median" if stat == "median" else ""
            parts.append(f"{f.replace('_', ' ')} {'above' if zval > 0 else 'below'} average "
                         f"({stat} {row[f + suffix]:,.1f} vs {overall[f + suffix]:,.1f}; "
                         f"{abs(zval):.1f} SD)")
        text = (f"Segment {row['segment']} \"{row['segment_name']}\": {int(row['n']):,} customers "
                f"({row['share']:.0%}). ")
        text += ("Stands out by " + "; ".join(parts) + ".") if parts else "Close to the average on every feature."
        if "churn_rate" in profiles and pd.notna(row.get("churn_rate")):
            text += f" Churn {row['churn_rate']:.0%} (all customers {overall['churn_rate']:.0%})."
        if "satisfaction" in profiles and pd.notna(row.get("satisfaction")):
            text += (f" Mean satisfaction {row['satisfaction']:.2f} (all {overall['satisfaction']:.2f}, "
                     f"{int(row['n_surveyed'])} surveyed).")
        lines.append(text)
    return "\n".join(lines)


def feature_summary(features: pd.DataFrame, preparation: pd.DataFrame) -> pd.DataFrame:
    """Per feature: mean, SD, min, max, skewness before and after, logged or not."""
    desc = features.describe().T[["mean", "std", "min", "max"]]
    return desc.join(preparation[["skew", "skew_after", "log1p"]])


def describe_preparation(preparation: pd.DataFrame, scaled: bool = True) -> str:
    """Which features were logged and why, and how they were scaled, in one paragraph."""
    logged = preparation.loc[preparation["log1p"]]
    kept = preparation.loc[~preparation["log1p"]]
    parts = []
    if len(logged):
        parts.append("Log-transformed (right-skewed, non-negative): " + ", ".join(
            f"{f} (skew {r['skew']:.1f} -> {r['skew_after']:.1f})" for f, r in logged.iterrows()) + ".")
    if len(kept):
        parts.append("Kept as they are: " + ", ".join(
            f"{f} (skew {r['skew']:.1f})" for f, r in kept.iterrows()) + ".")
    if scaled:
        parts.append("Then every feature was standardized to mean 0 and standard deviation 1, so "
                     "a one-SD difference counts the same for each, whatever its unit.")
    return " ".join(parts)
