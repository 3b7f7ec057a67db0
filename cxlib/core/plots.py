"""The plot theme and the figure helpers shared by several analyses."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter


def count_axis(ax, which: str = "y") -> None:
    """Write the ticks of a count axis as whole numbers with thousands separators (250,000),
    never as a scale factor above the axis (0.25 with 1e6), which large tables would get."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"))


def histograms(df: pd.DataFrame, columns: Sequence[str], title: str, units: dict | None = None,
               ncols: int = 3, bins: int = 30):
    """Small-multiple histograms of numeric columns; ``units`` labels each x axis."""
    units = units or {}
    columns = list(columns)
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 2.6 * nrows), squeeze=False)
    for ax, col in zip(axes.flat, columns):
        values = df[col].dropna()
        ylabel = "count"
        unit = units.get(col)
        label = f"{col} ({unit})" if unit else col
        levels = np.sort(values.unique())
        whole = bool(np.allclose(levels, np.round(levels)))
        low = values.min()
        if len(levels) <= 12 and whole:
            # a rating or a small count: one bar per value
            counts = values.value_counts().reindex(levels, fill_value=0)
            ax.bar(levels, counts.to_numpy(), width=0.8, color="C0", alpha=0.85)
            ax.set_xticks(levels)
        elif values.skew() > 2 and (low > 0 or (low == 0 and whole)):
            # long right tail: log-spaced bins so the bulk of customers is visible
            weights = None
            if not whole:
                edges = np.geomspace(low, values.max(), bins)
            else:
                # whole numbers (purchases): edges halfway between them, or the bins between 1
                # and 2, 2 and 3, ... hold none and show as gaps. A wide bin holds several whole
                # numbers: its bar is the count per value, or it would jump up where bins widen.
                edges = np.unique(np.round(np.geomspace(max(low, 1), values.max() + 1, bins))) - 0.5
                if low == 0:  # zero repeat purchases: a bar of its own, left of the log part
                    edges = np.concatenate([[-0.5], edges])
                per_bin = np.diff(edges)  # whole numbers in each bin
                weights = 1.0 / per_bin[np.searchsorted(edges, values.to_numpy(), side="right") - 1]
                ylabel = "count per value"
            ax.hist(values, bins=edges, weights=weights, color="C0", alpha=0.85)
            if low == 0:
                ax.set_xscale("symlog", linthresh=1, linscale=0.5)  # linear from 0 to 1, log beyond
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0, 1, 10, 100
                label += "\nlog scale beyond 1"
            else:
                ax.set_xscale("log")
                label += "\nlog scale"
        else:
            ax.hist(values, bins=bins, color="C0", alpha=0.85)
        ax.set_xlabel(label)
        ax.set_ylabel(ylabel)
        count_axis(ax)
    for ax in list(axes.flat)[len(columns):]:
        ax.set_visible(False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def set_theme() -> None:
    """Apply the kit's one plotting theme (seaborn whitegrid, readable sizes)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
        }
    )
