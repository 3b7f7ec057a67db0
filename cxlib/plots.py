"""Figure helpers shared by the notebooks. The theme itself is set by :func:`cxlib.config.set_theme`."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd


def monthly_activity(activity: pd.DataFrame, title: str = "Activity per month"):
    """Line chart of the columns of :func:`cxlib.overview.monthly_activity` (counts per month)."""
    cols = list(activity.columns)
    fig, axes = plt.subplots(len(cols), 1, figsize=(9, 2.4 * len(cols)), sharex=True, squeeze=False)
    for ax, col in zip(axes[:, 0], cols):
        ax.plot(activity.index, activity[col], marker="o", markersize=3)
        ax.set_ylabel(f"{col}\n(count per month)")
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel("month")
    fig.tight_layout()
    return fig


def histograms(df: pd.DataFrame, columns: Sequence[str], title: str, units: dict | None = None,
               ncols: int = 3, bins: int = 30):
    """Small-multiple histograms of numeric columns; ``units`` labels each x axis."""
    units = units or {}
    columns = list(columns)
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, col in zip(axes.flat, columns):
        values = df[col].dropna()
        discrete = values.nunique() <= 12
        ax.hist(values, bins=sorted(values.unique()) + [values.max() + 1] if discrete else bins,
                align="left" if discrete else "mid", rwidth=0.85 if discrete else None,
                color="C0", alpha=0.85)
        unit = units.get(col)
        ax.set_xlabel(f"{col} ({unit})" if unit else col)
        ax.set_ylabel("count")
    for ax in list(axes.flat)[len(columns):]:
        ax.set_visible(False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig
