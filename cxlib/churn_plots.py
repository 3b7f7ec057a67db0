"""Figures for the churn lesson: retention curves, the forest plot, calibration and Brier curves.

Every function returns the matplotlib figure so the notebook can save it with
:meth:`cxlib.artifacts.Artifacts.figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_retention", "plot_forest", "plot_calibration", "plot_brier"]


def plot_retention(fits: dict, time_unit: str, title: str = "Customer retention (Kaplan-Meier)",
                   at_risk: bool = True):
    """Kaplan-Meier curves with 95% bands and, below the axis, the customers still at risk."""
    import matplotlib.pyplot as plt
    from lifelines.plotting import add_at_risk_counts

    fig, ax = plt.subplots(figsize=(8, 5))
    for kmf in fits.values():
        kmf.plot_survival_function(ax=ax, ci_show=True)
    ax.set_title(title)
    ax.set_xlabel(f"Time since signup ({time_unit})")
    ax.set_ylabel("Share of customers still active")
    ax.set_ylim(0, 1.02)
    if at_risk:
        add_at_risk_counts(*fits.values(), ax=ax, rows_to_show=["At risk"])
    fig.tight_layout()
    return fig


def plot_forest(summary: pd.DataFrame, title: str = "Hazard ratios with 95% confidence intervals"):
    """Forest plot of hazard ratios on a log axis; the dashed line is 'no effect' (HR = 1)."""
    import matplotlib.pyplot as plt

    s = summary.iloc[::-1].reset_index(drop=True)
    labels = [f"{c} (vs {r})" if r else c for c, r in zip(s["covariate"], s["reference"])]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(s) + 1.5))
    y = np.arange(len(s))
    ax.errorbar(s["hazard_ratio"], y, xerr=[s["hazard_ratio"] - s["ci_lower"],
                                            s["ci_upper"] - s["hazard_ratio"]],
                fmt="o", color="C0", capsize=3)
    ax.axvline(1, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    lo, hi = float(s["ci_lower"].min()), float(s["ci_upper"].max())
    ticks = [t for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20)
             if lo / 1.2 <= t <= hi * 1.2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_yticks(y, labels)
    ax.set_title(title)
    ax.set_xlabel("Hazard ratio (log scale; > 1 = churns sooner)")
    fig.tight_layout()
    return fig


def plot_calibration(table: pd.DataFrame, horizon: float, time_unit: str):
    """Predicted vs Kaplan-Meier observed churn by the horizon, per decile of predicted risk."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    yerr = [table["observed"] - table["observed_lower"], table["observed_upper"] - table["observed"]]
    ax.errorbar(table["predicted"], table["observed"], yerr=yerr, fmt="o", capsize=3)
    hi = float(max(table["predicted"].max(), table["observed_upper"].max())) * 1.05
    ax.plot([0, hi], [0, hi], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_title(f"Calibration of churn by {horizon:g} {time_unit} (held-out deciles)")
    ax.set_xlabel(f"Predicted probability of churn by {horizon:g} {time_unit}")
    ax.set_ylabel("Observed churn (Kaplan-Meier, 95% CI)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_brier(curve: pd.DataFrame, time_unit: str):
    """Held-out Brier score over time for each model column of ``curve`` (lower is better)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for col in curve.columns.drop("time"):
        ax.plot(curve["time"], curve[col], label=col.replace("_", "-"))
    ax.set_title("Prediction error over time (IPCW Brier score, held-out)")
    ax.set_xlabel(f"Time since signup ({time_unit})")
    ax.set_ylabel("Brier score (lower is better)")
    ax.legend()
    fig.tight_layout()
    return fig
