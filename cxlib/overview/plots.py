"""The overview's figure: activity per month."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..core import count_axis


def monthly_activity(activity: pd.DataFrame, title: str = "Activity per month"):
    """Line chart of the columns of :func:`cxlib.overview.monthly_activity` (counts per month)."""
    cols = list(activity.columns)
    fig, axes = plt.subplots(len(cols), 1, figsize=(9, 2.4 * len(cols)), sharex=True, squeeze=False)
    for ax, col in zip(axes[:, 0], cols):
        ax.plot(activity.index, activity[col], marker="o", markersize=3)
        ax.set_ylabel(f"{col}\n(count per month)")
        count_axis(ax)
        # from zero: a count axis cut just below the data makes February's three missing days
        # look like a slump
        ax.set_ylim(bottom=0, top=max(float(activity[col].max()), 1.0) * 1.08)
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel("month")
    fig.tight_layout()
    return fig
