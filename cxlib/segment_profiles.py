"""Segments in plain language: profiles, descriptive names, cross-tabs and the figures.

A segment is described by the features whose standardized means (in the space the clusterer
used: logged where skewed, standardized) lie furthest from the overall mean of 0. Its name is
built from the two largest such deviations by fixed rules, so the same segments always get the
same names ("High usage / low fee").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .data import load_customers, load_survey

__all__ = [
    "SHORT_LABELS",
    "FEATURE_UNITS",
    "profile_segments",
    "name_segments",
    "describe_segments",
    "segment_table",
    "segment_crosstab",
    "chi_square_by_segment",
    "kruskal_by_segment",
    "describe_test",
    "effect_size_label",
    "churn_by_customer",
    "satisfaction_by_customer",
    "feature_summary",
    "plot_k_selection",
    "plot_segment_map",
    "plot_profile_heatmap",
    "plot_distributions",
    "plot_correlations",
    "plot_crosstab",
    "plot_rfm_segments",
    "describe_preparation",
]

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


def segment_crosstab(segments: pd.Series, values: pd.Series, *, normalize: str | bool = "index",
                     names: pd.Series | None = None) -> pd.DataFrame:
    """Cross-tab of segment by another customer attribute, matched on customer id.

    ``normalize="index"`` gives each segment's row shares (what share of the segment churned).
    """
    both = pd.concat([segments.rename("segment"), values.rename("value")], axis=1, join="inner").dropna()
    tab = pd.crosstab(both["segment"], both["value"], normalize=normalize)
    if names is not None:
        tab.index = [f"{s} {names.get(s, '')}".strip() for s in tab.index]
    tab.index.name = "segment"
    return tab


def _matched(segments: pd.Series, values: pd.Series) -> pd.DataFrame:
    both = pd.concat([segments.rename("segment"), values.rename("value")], axis=1, join="inner")
    both = both.dropna()
    return both.loc[both["segment"] >= 0]  # DBSCAN noise is not a segment


def chi_square_by_segment(segments: pd.Series, values: pd.Series) -> dict:
    """Pearson's chi-square test that a categorical attribute is independent of the segment.

    ``X^2 = sum (O - E)^2 / E`` over the segment x value table of counts, with
    ``E = row total x column total / n`` and ``(r - 1)(c - 1)`` degrees of freedom (Pearson
    1900); effect size Cramer's ``V = sqrt(X^2 / (n (min(r, c) - 1)))`` (Cramer 1946), 0 for
    no association and 1 for a segment that fixes the value. ``min_expected`` below 5 means
    the chi-square approximation is rough.
    """
    from scipy.stats import chi2_contingency

    both = _matched(segments, values)
    tab = pd.crosstab(both["segment"], both["value"])
    n = int(tab.to_numpy().sum())
    r, c = tab.shape
    if r < 2 or c < 2:
        return {"test": "chi-square", "statistic": float("nan"), "df": 0, "p_value": float("nan"),
                "effect": float("nan"), "effect_name": "Cramer's V", "n": n, "min_expected": float("nan")}
    stat, p, dof, expected = chi2_contingency(tab.to_numpy(), correction=False)
    return {"test": "chi-square", "statistic": float(stat), "df": int(dof), "p_value": float(p),
            "effect": float(np.sqrt(stat / (n * (min(r, c) - 1)))), "effect_name": "Cramer's V",
            "n": n, "min_expected": float(expected.min()), "min_dim": int(min(r, c))}


def kruskal_by_segment(segments: pd.Series, values: pd.Series) -> dict:
    """Kruskal-Wallis test that an ordinal score (satisfaction 1-5) has the same distribution
    in every segment (Kruskal & Wallis 1952): ``H`` on the mid-ranks, with the tie correction,
    referred to chi-square with ``g - 1`` degrees of freedom for ``g`` segments. Effect size
    ``epsilon^2 = H / (n - 1)`` (Tomczak & Tomczak 2014), the share of rank variance between
    segments.
    """
    from scipy.stats import kruskal

    both = _matched(segments, values)
    groups = [g["value"].to_numpy() for _, g in both.groupby("segment")]
    n = len(both)
    if len(groups) < 2 or both["value"].nunique() < 2:
        return {"test": "Kruskal-Wallis", "statistic": float("nan"), "df": len(groups) - 1,
                "p_value": float("nan"), "effect": float("nan"), "effect_name": "epsilon squared",
                "n": n}
    stat, p = kruskal(*groups)
    return {"test": "Kruskal-Wallis", "statistic": float(stat), "df": len(groups) - 1,
            "p_value": float(p), "effect": float(stat / (n - 1)), "effect_name": "epsilon squared",
            "n": n}


def effect_size_label(result: dict) -> str:
    """Cohen's (1988) words for an effect size: negligible, small, medium or large.

    Cramer's V is Cohen's ``w`` divided by ``sqrt(min(r, c) - 1)``, so his marks 0.1, 0.3 and
    0.5 for ``w`` are scaled the same way; ``epsilon^2`` is read on the eta-squared marks 0.01,
    0.06 and 0.14.
    """
    if result["effect_name"] == "Cramer's V":
        marks = np.array([0.1, 0.3, 0.5]) / np.sqrt(max(result.get("min_dim", 2) - 1, 1))
    else:
        marks = np.array([0.01, 0.06, 0.14])
    words = ["negligible", "small", "medium", "large"]
    return words[int(np.searchsorted(marks, result["effect"], side="right"))]


def describe_test(result: dict, what: str) -> str:
    """One sentence: the test, its statistic with df, the p-value and the effect size."""
    if not np.isfinite(result["statistic"]):
        return f"{what}: not testable (fewer than two segments or values)."
    symbol = "X^2" if result["test"] == "chi-square" else "H"
    p = result["p_value"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    text = (f"{what}: {result['test']} {symbol}({result['df']}) = {result['statistic']:,.1f}, "
            f"{p_text}, {result['effect_name']} {result['effect']:.{3 if result['effect'] < 0.1 else 2}f} "
            f"(n = {result['n']:,}). ")
    text += ("The segments differ by more than chance" if p < 0.05 else
             "No difference between the segments beyond chance")
    text += f"; the effect is {effect_size_label(result)}."
    if result.get("min_expected", 5) < 5:
        text += (f" The smallest expected count is {result['min_expected']:.1f} (below 5): read the "
                 "p-value as approximate.")
    return text


def churn_by_customer(customers_path, *, observation_end=None, columns=None) -> pd.Series:
    """0/1 churn flag by customer id from the customers table (blank churn date = active).

    ``columns`` maps canonical names to yours, as in :func:`cxlib.data.load_customers`.
    """
    cust = load_customers(customers_path, observation_end=observation_end, columns=columns)
    return cust.set_index("customer_id")["churned"]


def satisfaction_by_customer(survey_path, *, column: str = "overall", columns=None) -> pd.Series:
    """Mean overall satisfaction by customer id (customers answering twice are averaged).

    ``columns`` maps canonical names to yours, as in :func:`cxlib.data.load_survey`.
    """
    survey = load_survey(survey_path, nps=False, columns=columns)  # only the overall score is used
    survey = survey.dropna(subset=["customer_id"]) if "customer_id" in survey else survey.iloc[0:0]
    return survey.groupby("customer_id")[column].mean().rename("satisfaction")


def feature_summary(features: pd.DataFrame, preparation: pd.DataFrame) -> pd.DataFrame:
    """Per feature: mean, SD, min, max, skewness before and after, logged or not."""
    desc = features.describe().T[["mean", "std", "min", "max"]]
    return desc.join(preparation[["skew", "skew_after", "log1p"]])


# --------------------------------------------------------------------------- figures


def plot_k_selection(selection: pd.DataFrame):
    """Silhouette, Calinski-Harabasz and BIC against k, the chosen k marked."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    chosen = int(selection.loc[selection["chosen"], "k"].iloc[0])
    specs = [("silhouette", "Silhouette (higher is better)", "mean silhouette width"),
             ("calinski_harabasz", "Calinski-Harabasz (higher is better)", "Calinski-Harabasz index"),
             ("bic", "Mixture BIC (lower is better)", "Gaussian mixture BIC")]
    for ax, (col, title, ylabel) in zip(axes, specs):
        ax.plot(selection["k"], selection[col], marker="o")
        ax.axvline(chosen, color="grey", linestyle="--", label=f"chosen k = {chosen}")
        ax.set_xticks(selection["k"].to_numpy())
        ax.set_xlim(selection["k"].min() - 0.4, selection["k"].max() + 0.4)
        ax.set_xlabel("number of segments k")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    if "bic_degenerate" in selection and selection["bic_degenerate"].any():
        bad = ", ".join(str(int(v)) for v in selection.loc[selection["bic_degenerate"], "k"])
        axes[2].text(0.97, 0.96, f"k = {bad} not shown:\na component collapsed\n(singular covariance)",
                     transform=axes[2].transAxes, ha="right", va="top", fontsize=8, color="grey")
    axes[0].legend()
    fig.suptitle("Choosing the number of segments")
    fig.tight_layout()
    return fig


def plot_segment_map(Z: np.ndarray, labels, names: pd.Series | None = None, *,
                     max_points: int = 5_000, seed=None):
    """Customers on the first two principal components of the prepared features."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    idx = np.arange(len(Z)) if len(Z) <= max_points else rng.choice(len(Z), max_points, replace=False)
    pca = PCA(n_components=2).fit(Z)
    xy = pca.transform(Z[idx])
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for seg in np.unique(labels):
        m = labels[idx] == seg
        label = f"{seg}: {names.get(seg, '')}" if names is not None else str(seg)
        ax.scatter(xy[m, 0], xy[m, 1], s=6, alpha=0.5, label=label,
                   color="lightgrey" if seg < 0 else None)
    ev = pca.explained_variance_ratio_
    ax.set_xlabel(f"principal component 1 ({ev[0]:.0%} of variance, standardized units)")
    ax.set_ylabel(f"principal component 2 ({ev[1]:.0%} of variance, standardized units)")
    ax.set_title("Segment map (PCA of the prepared features)")
    ax.legend(markerscale=3, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_profile_heatmap(profiles: pd.DataFrame, features: Sequence[str]):
    """Standardized segment means: red above the average, blue below."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = profiles.loc[profiles["segment"] != "all"]
    data = rows[[f"{f}_z" for f in features]].to_numpy(dtype=float)
    index = [f"{s}: {n} ({share:.0%})" for s, n, share in
             zip(rows["segment"], rows["segment_name"], rows["share"])]
    frame = pd.DataFrame(data, index=index, columns=list(features))
    lim = max(1.0, float(np.nanmax(np.abs(data))))
    fig, ax = plt.subplots(figsize=(1.6 * len(features) + 4, 0.6 * len(rows) + 1.8))
    sns.heatmap(frame, annot=True, fmt=".1f", cmap="RdBu_r", center=0, vmin=-lim, vmax=lim, ax=ax,
                cbar_kws={"label": "segment mean - overall mean (SD)"})
    ax.set_xlabel("feature")
    ax.set_ylabel("segment")
    ax.set_title("Segment profiles (standardized means)")
    fig.tight_layout()
    return fig


def plot_distributions(features: pd.DataFrame, preparation: pd.DataFrame, *, max_points: int = 20_000,
                       seed=None):
    """Each feature before and after its transformation (log1p where it was applied)."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    df = features if len(features) <= max_points else features.iloc[
        np.sort(rng.choice(len(features), max_points, replace=False))]
    cols = list(features.columns)
    fig, axes = plt.subplots(2, len(cols), figsize=(3.2 * len(cols), 5.5), squeeze=False)
    for j, col in enumerate(cols):
        v = df[col].dropna().to_numpy()
        axes[0, j].hist(v, bins=40)
        axes[0, j].set_title(f"{col}\nskew {preparation.loc[col, 'skew']:.2f}")
        axes[0, j].set_xlabel(f"{col}\n({FEATURE_UNITS.get(col, 'original units')})")
        logged = bool(preparation.loc[col, "log1p"])
        axes[1, j].hist(np.log1p(v) if logged else v, bins=40, color="C1")
        axes[1, j].set_title(f"{'log1p' if logged else 'unchanged'}, skew "
                             f"{preparation.loc[col, 'skew_after']:.2f}")
        axes[1, j].set_xlabel(f"log(1 + {col})" if logged else
                              f"{col}\n({FEATURE_UNITS.get(col, 'original units')})")
    axes[0, 0].set_ylabel("customers")
    axes[1, 0].set_ylabel("customers")
    fig.suptitle("Feature distributions before (top) and after (bottom) the log step")
    fig.tight_layout()
    return fig


def plot_correlations(features: pd.DataFrame):
    """Spearman correlations between the features."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    corr = features.corr(method="spearman")
    fig, ax = plt.subplots(figsize=(1.2 * len(corr) + 3, 1.0 * len(corr) + 2))
    sns.heatmap(corr, annot=True, fmt=".2f", cmap="RdBu_r", vmin=-1, vmax=1, ax=ax,
                cbar_kws={"label": "Spearman correlation"})
    ax.set_xlabel("feature")
    ax.set_ylabel("feature")
    ax.set_title("Correlations between the clustering features")
    fig.tight_layout()
    return fig


def plot_crosstab(tab: pd.DataFrame, *, title: str, xlabel: str, legend_title: str | None = None,
                  colormap: str = "RdYlGn"):
    """Stacked horizontal bars of a row-normalized cross-tab, first segment on top."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.5 * len(tab) + 2))
    tab.plot(kind="barh", stacked=True, ax=ax, colormap=colormap)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("segment")
    ax.set_title(title)
    ax.legend(title=legend_title, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig


def plot_rfm_segments(summary: pd.DataFrame):
    """Customers per named RFM segment."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.4 * len(summary) + 1.8))
    ax.barh(summary.index[::-1], summary["n"].to_numpy()[::-1])
    for y, (n, share) in enumerate(zip(summary["n"].to_numpy()[::-1], summary["share"].to_numpy()[::-1])):
        ax.text(n, y, f" {share:.0%}", va="center", fontsize=9)
    ax.set_xlabel("customers")
    ax.set_ylabel("RFM segment")
    ax.set_title("Named RFM segments (R x F score grid)")
    fig.tight_layout()
    return fig


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
