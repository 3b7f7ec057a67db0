"""Figures for the journey lesson: the funnel, time to the next stage, the flow between stages,
the journey map and the moments of truth. Each function returns the matplotlib figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import count_axis

__all__ = ["plot_funnel", "plot_time_to_next", "plot_flow", "plot_journey_map", "plot_moments"]


def plot_funnel(funnel: pd.DataFrame, title: str = "The funnel: customers reaching each stage"):
    """Bars of customers per stage, labelled with the conversion from the stage before."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.7 * len(funnel) + 1.5))
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["customers"], color="C0", alpha=0.85)
    for yi, r in zip(y, funnel.itertuples()):
        label = f"{r.customers:,}"
        if np.isfinite(r.conversion_from_previous):
            label += f"  ({100 * r.conversion_from_previous:.1f}% from previous)"
        ax.text(r.customers, yi, " " + label, va="center", fontsize=9)
    ax.set_yticks(y, funnel["stage"])
    ax.set_xlim(0, funnel["customers"].max() * 1.6)
    ax.set_xlabel("Customers who reached the stage (in order)")
    count_axis(ax, "x")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_time_to_next(fits: dict, window: float, title: str = "Time to the next stage (Kaplan-Meier)"):
    """Cumulative share converted over days since the stage before, with 95% bands."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (label, kmf) in enumerate(fits.items()):
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        ax.step(sf.index, 1 - sf.to_numpy(), where="post", color=f"C{i}", label=label)
        ax.fill_between(sf.index, 1 - ci.iloc[:, 1], 1 - ci.iloc[:, 0], step="post", color=f"C{i}", alpha=0.2)
    ax.axvline(window, color="grey", ls="--", lw=1, label=f"window ({window:g} days)")
    ax.set_xlim(0, window * 1.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Days since reaching the stage before")
    ax.set_ylabel("Share reached the next stage")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_flow(transitions: pd.DataFrame, order: list[str], title: str = "How customers move between stages"):
    """Heatmap of the share of moves out of each stage (rows) that go to each stage (columns)."""
    import matplotlib.pyplot as plt

    rows = [s for s in order if s in set(transitions["from"])]
    cols = [s for s in order if s in set(transitions["to"])]
    share = transitions.pivot_table(index="from", columns="to", values="share_of_from", aggfunc="sum")
    moves = transitions.pivot_table(index="from", columns="to", values="moves", aggfunc="sum")
    share = share.reindex(index=rows, columns=cols).fillna(0.0)
    moves = moves.reindex(index=rows, columns=cols).fillna(0).astype(int)
    fig, ax = plt.subplots(figsize=(1.3 * len(cols) + 2.5, 0.6 * len(rows) + 2))
    im = ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if moves.iat[i, j]:
                v = share.iat[i, j]
                ax.text(j, i, f"{100 * v:.0f}%\n{moves.iat[i, j]:,}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.55 else "black")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("Next event")
    ax.set_ylabel("Event")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="Share of moves out of the event")
    fig.tight_layout()
    return fig


def plot_journey_map(journey_map: pd.DataFrame, window: float, scale=(1, 5),
                     title: str = "Journey map: volume, conversion, time and satisfaction per stage"):
    """One column per stage, four rows: customers, conversion, median days, mean score."""
    import matplotlib.pyplot as plt

    m = journey_map.reset_index(drop=True)
    x = np.arange(len(m))
    colors = np.where(m["kind"] == "funnel", "C0", "C1")
    fig, axes = plt.subplots(4, 1, figsize=(max(7, 1.3 * len(m) + 2), 8.5), sharex=True)
    axes[0].bar(x, m["customers"], color=colors)
    axes[0].set_ylabel("Customers")
    count_axis(axes[0])
    # room above the bars for the legend, which would otherwise cover the last ones
    axes[0].set_ylim(0, 1.3 * max(float(np.nanmax(m["customers"].to_numpy(dtype=float), initial=0.0)), 1.0))
    conv = m["conversion_from_previous"].to_numpy(dtype=float)
    axes[1].bar(x, np.nan_to_num(conv * 100), color=colors)
    axes[1].set_ylabel(f"Conversion from\nprevious, % ({window:g} d)")
    axes[1].set_ylim(0, 100)
    axes[2].bar(x, np.nan_to_num(m["median_time_from_previous"].to_numpy(dtype=float)), color=colors)
    axes[2].set_ylabel("Median days\nfrom previous")
    score = m["mean_score"].to_numpy(dtype=float)
    lo, hi = m["ci_lower"].to_numpy(dtype=float), m["ci_upper"].to_numpy(dtype=float)
    ok = np.isfinite(score)
    axes[3].errorbar(x[ok], score[ok], yerr=[score[ok] - lo[ok], hi[ok] - score[ok]], fmt="o", color="black", capsize=4)
    axes[3].set_ylim(scale[0], scale[1])
    axes[3].set_ylabel("Mean score\n(95% CI)")
    for ax, values in zip(axes, [m["customers"], conv, m["median_time_from_previous"], score]):
        for xi, v in zip(x, np.asarray(values, dtype=float)):
            if not np.isfinite(v):
                ax.text(xi, ax.get_ylim()[0], "n/a", ha="center", va="bottom", fontsize=7, color="grey")
    axes[3].set_xticks(x, m["stage"], rotation=20, ha="right")
    axes[0].set_title(title)
    from matplotlib.patches import Patch
    axes[0].legend(handles=[Patch(color="C0", label="funnel stage"), Patch(color="C1", label="touchpoint")],
                   fontsize=8, loc="upper right", ncol=2)
    fig.tight_layout()
    return fig


def plot_moments(summary: pd.DataFrame, title: str = "Moments of truth: churn hazard ratio per bad experience"):
    """Forest plot of the time-varying hazard ratios (with intervals) beside the naive ones."""
    import matplotlib.pyplot as plt

    s = summary.reset_index(drop=True)
    y = np.arange(len(s))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.8 * len(s) + 1.8))
    ax.errorbar(s["hazard_ratio"], y + 0.12, xerr=[s["hazard_ratio"] - s["ci_lower"], s["ci_upper"] - s["hazard_ratio"]],
                fmt="o", color="C0", capsize=4, label="time-varying Cox (bad experiences so far)")
    if "naive_ci_lower" in s:
        ax.errorbar(s["naive_hazard_ratio"], y - 0.12,
                    xerr=[s["naive_hazard_ratio"] - s["naive_ci_lower"], s["naive_ci_upper"] - s["naive_hazard_ratio"]],
                    fmt="s", color="C3", capsize=4, label="naive (lifetime counts per customer)")
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(y, s["touchpoint"])
    ax.set_xlabel("Hazard ratio per bad experience (log scale; 1 = no effect)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
