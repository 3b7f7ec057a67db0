"""Figures for the churn lesson: retention curves, the forest plot, calibration and Brier curves.

Every function returns the matplotlib figure so the notebook can save it with
:meth:`cxlib.artifacts.Artifacts.figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_retention", "plot_forest", "plot_schoenfeld", "plot_calibration", "plot_brier",
           "plot_leaf_curves", "plot_importance"]


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
    # "column=level (vs reference level)": the reference column is the same, so name it once
    labels = [f"{c} (vs {r.split('=', 1)[-1]})" if r else c
              for c, r in zip(s["covariate"], s["reference"])]
    # widen the figure with the longest label so the plotting area keeps about 4.5 inches
    width = max(8.0, 4.5 + 0.075 * max(len(label) for label in labels))
    fig, ax = plt.subplots(figsize=(width, 0.45 * len(s) + 1.5))
    y = np.arange(len(s))
    ax.errorbar(s["hazard_ratio"], y, xerr=[s["hazard_ratio"] - s["ci_lower"],
                                            s["ci_upper"] - s["hazard_ratio"]],
                fmt="o", color="C0", capsize=3)
    ax.axvline(1, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    lo, hi = float(s["ci_lower"].min()), float(s["ci_upper"].max())
    candidates = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
    if hi / lo < 40:
        candidates = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20)
    if hi / lo < 4:  # a narrow range: label every tenth so each interval can be read off
        candidates = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3)
    ticks = [t for t in candidates if lo / 1.1 <= t <= hi * 1.1]
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

    names = {"cox": "Cox model", "kaplan_meier": "Kaplan-Meier (no covariates)",
             "tree": "Survival tree", "forest": "Random survival forest"}
    fig, ax = plt.subplots()
    for col in curve.columns.drop("time"):
        ax.plot(curve["time"], curve[col], label=names.get(col, col.replace("_", " ")))
    ax.set_title("Prediction error over time (IPCW Brier score, held-out)")
    ax.set_xlabel(f"Time since signup ({time_unit})")
    ax.set_ylabel("Brier score (lower is better)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_schoenfeld(residuals: pd.DataFrame, covariate: str, coef: float, time_unit: str,
                    bins: int = 15, max_points: int = 3000, seed: int = 0):
    """Scaled Schoenfeld residuals of one covariate against churn time.

    Points are :math:`\\hat\\beta + r^*_i` (from
    :meth:`cxlib.cox.CoxChurnModel.scaled_schoenfeld_residuals`; at most ``max_points``, drawn at
    random, are shown); the line joins their means in ``bins`` groups of churn times. A flat line
    at the dashed model estimate supports proportional hazards; a trend means the log hazard
    ratio changes with tenure.
    """
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    shown = residuals if len(residuals) <= max_points else residuals.iloc[
        np.sort(rng.choice(len(residuals), max_points, replace=False))]
    groups = pd.qcut(residuals["rank"], q=min(bins, len(residuals)), labels=False)
    binned = residuals.groupby(groups).agg(time=("time", "median"), value=(covariate, "mean"))
    fig, ax = plt.subplots()
    ax.scatter(shown["time"], shown[covariate], s=6, alpha=0.25, color="C0", label="churns")
    ax.plot(binned["time"], binned["value"], color="C1", marker="o", label="mean per time bin")
    ax.axhline(coef, color="grey", linestyle="--", linewidth=1, label="constant estimate")
    lo, hi = np.quantile(residuals[covariate], [0.02, 0.98])
    pad = 0.1 * (hi - lo)
    ax.set_ylim(min(lo, binned["value"].min()) - pad, max(hi, binned["value"].max()) + pad)
    ax.set_title(f"Is the effect of {covariate} constant over time?")
    ax.set_xlabel(f"Time since signup at churn ({time_unit})")
    ax.set_ylabel("Log hazard ratio at that time")  # the title names the covariate
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def plot_leaf_curves(fits: dict, time_unit: str, horizon: float | None = None):
    """Kaplan-Meier curve of each survival-tree leaf (labelled by its rule), with 95% bands."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    for kmf in fits.values():
        kmf.plot_survival_function(ax=ax, ci_show=True, ci_alpha=0.12)
    if horizon is not None:
        ax.axvline(horizon, color="grey", linestyle=":", linewidth=1)
    ax.set_title("Retention in each leaf of the survival tree (Kaplan-Meier, 95% bands)")
    ax.set_xlabel(f"Time since signup ({time_unit})")
    ax.set_ylabel("Share of customers still active")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_importance(importance: pd.DataFrame):
    """Held-out permutation importance (drop in concordance) with one standard deviation."""
    import matplotlib.pyplot as plt

    s = importance.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(s) + 1.5))
    ax.barh(s["covariate"], s["importance"], xerr=s["sd"], color="C0", capsize=3)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_title("What the forest relies on (permutation importance, held-out)")
    ax.set_xlabel("Drop in concordance when the covariate is shuffled")
    ax.set_ylabel("Covariate")
    fig.tight_layout()
    return fig
