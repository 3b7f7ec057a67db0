"""Figures of the satisfaction lesson."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .drivers import DriverModel
from .priorities import QUADRANTS

__all__ = ["plot_importance", "plot_ipa", "plot_word_of_mouth", "plot_residuals"]


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
