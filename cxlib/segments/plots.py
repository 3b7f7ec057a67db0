"""Figures of the segmentation lesson."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import count_axis
from .profiles import FEATURE_UNITS

__all__ = ["plot_k_selection", "plot_segment_map", "plot_profile_heatmap", "plot_distributions",
           "plot_correlations", "plot_crosstab", "plot_rfm_segments"]


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
    for ax in axes.flat:
        count_axis(ax)
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
    count_axis(ax, "x")
    ax.set_ylabel("RFM segment")
    ax.set_title("Named RFM segments (R x F score grid)")
    fig.tight_layout()
    return fig
