"""Figures of the experiment lesson: effects with intervals, CUPED, retention curves, peeking."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["plot_effects", "plot_cuped", "plot_retention", "plot_peeking"]


def plot_effects(summary: pd.DataFrame, alpha: float = 0.05, reliable: bool = True):
    """Relative lift of every metric and variant with its interval; significant ones filled."""
    s = summary.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(s) + 1.8))
    y = np.arange(len(s))
    for i, r in s.iterrows():
        color = "C2" if r["significant"] and r["relative_lift"] > 0 else (
            "C3" if r["significant"] else "0.45")
        ax.plot([100 * r["rel_ci_lower"], 100 * r["rel_ci_upper"]], [i, i], color=color, lw=2.5)
        ax.plot(100 * r["relative_lift"], i, "o", color=color,
                mfc=color if r["significant"] else "white", ms=8)
    ax.axvline(0, color="black", lw=1, ls="--")
    ax.set_yticks(y, [f"{r.metric}\n({r.variant})" for r in s.itertuples()])
    ax.set_xlabel(f"relative lift vs control (%), {1 - alpha:.0%} interval")
    title = "Effect of each variant on each metric"
    if not reliable:
        title += "\nUNRELIABLE: the sample-ratio check failed"
    ax.set_title(title, color="C3" if not reliable else "black")
    fig.tight_layout()
    return fig


def plot_cuped(cuped: pd.DataFrame):
    """The plain and the CUPED interval of each adjusted metric, one above the other."""
    fig, ax = plt.subplots(figsize=(8, 0.9 * len(cuped) + 1.8))
    for i, r in enumerate(cuped.itertuples()):
        ax.plot([r.plain_ci_lower, r.plain_ci_upper], [i + 0.15] * 2, color="0.45", lw=2.5,
                label="plain difference" if i == 0 else None)
        ax.plot(r.plain_difference, i + 0.15, "o", color="0.45")
        ax.plot([r.ci_lower, r.ci_upper], [i - 0.15] * 2, color="C0", lw=2.5,
                label="CUPED difference" if i == 0 else None)
        ax.plot(r.difference, i - 0.15, "o", color="C0")
    ax.axvline(0, color="black", lw=1, ls="--")
    ax.set_yticks(range(len(cuped)), [f"{r.metric}\n({r.variant})" for r in cuped.itertuples()])
    ax.set_xlabel("difference vs control (metric units), 95% interval")
    ax.set_title("CUPED: the same effect, a narrower interval")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def plot_retention(fits: dict, time_unit: str = "days"):
    """Kaplan-Meier curves per variant with their bands."""
    fig, ax = plt.subplots()
    for kmf in fits.values():
        kmf.plot_survival_function(ax=ax, ci_show=True)
    ax.set_xlabel(f"time since assignment ({time_unit})")
    ax.set_ylabel("share of units not yet churned")
    ax.set_title("Retention by variant (Kaplan-Meier, 95% bands)")
    fig.tight_layout()
    return fig


def plot_peeking(result: dict, alpha: float = 0.05):
    """Cumulative share of A/A experiments that declared a winner, by day and stopping rule."""
    d = result["by_day"]
    fig, ax = plt.subplots()
    for rule, g in d[d["scenario"] == "A/A"].groupby("rule", sort=False):
        style = "o" if "single" in rule else "-"
        g = g[g["day"] == g["day"].max()] if "single" in rule else g
        ax.plot(g["day"], 100 * g["share_stopped"], style, label=rule, ms=8)
    ax.axhline(100 * alpha, color="black", lw=1, ls="--", label=f"promised {alpha:.0%}")
    ax.set_xlabel("day of the experiment (one look per day)")
    ax.set_ylabel("false winners so far (% of A/A runs)")
    ax.set_title("Peeking: false positives when there is no effect")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
