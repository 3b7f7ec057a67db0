"""Figures of the CLV lesson. Each returns a matplotlib figure with a title and labelled axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core import count_axis, unit_name


def holdout_by_frequency(table: pd.DataFrame, holdout_length: float, time_unit: str = "W"):
    """Mean actual against predicted holdout purchases per calibration-frequency bucket."""
    fig, ax = plt.subplots()
    pos = np.arange(len(table))
    ax.plot(pos, table["actual"], marker="o", label="actual")
    ax.plot(pos, table["predicted"], marker="s", linestyle="--", label="predicted (BG/NBD)")
    if "customers" in table:
        # The number of customers under each bucket shows which means are noisy.
        ax.set_xticks(pos, [f"{f}\nn={n:,}" for f, n in zip(table["frequency_cal"], table["customers"])])
    else:
        ax.set_xticks(pos, table["frequency_cal"])
    ax.set_xlabel("repeat purchases in the calibration period (count; n customers)")
    ax.set_ylabel(f"mean purchases in the next {holdout_length:.0f} {unit_name(time_unit)}")
    ax.set_title("Holdout check: purchases by calibration frequency")
    ax.legend()
    fig.tight_layout()
    return fig


def frequency_fit(table: pd.DataFrame):
    """Customers by number of repeat purchases in their own observation window, actual against
    expected by the fitted BG/NBD model (FHL 2005, Fig. 1)."""
    fig, ax = plt.subplots()
    pos = np.arange(len(table))
    ax.bar(pos - 0.2, table["actual"], width=0.4, label="actual")
    ax.bar(pos + 0.2, table["expected"], width=0.4, label="expected (BG/NBD)")
    ax.set_xticks(pos, table["frequency"])
    ax.set_xlabel("repeat purchases in the customer's observation window (count)")
    ax.set_ylabel("customers (count)")
    count_axis(ax)
    ax.set_title("Does the purchase model reproduce the frequency distribution?")
    ax.legend()
    fig.tight_layout()
    return fig


def cumulative_tracking(track: pd.DataFrame, time_unit: str = "W"):
    """Repeat purchases of the cohort, actual against predicted, calibration end marked: the
    cumulative totals (FHL 2005, Fig. 2) and, below, the purchases per period (Fig. 3), where a
    drift that the cumulative curve hides becomes visible."""
    per = unit_name(time_unit)[:-1]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 6.4),
                                      gridspec_kw={"height_ratios": [3, 2]})
    # A last period cut short by the observation end would show a false drop per period.
    span = np.diff(track["date"].to_numpy(dtype="datetime64[D]").astype(np.int64))
    keep = len(track) - 1 if len(span) > 1 and span[-1] < 0.9 * np.median(span) else len(track)
    increments = {c: np.diff(track[c].to_numpy(dtype=float), prepend=0.0)[:keep] for c in ("actual", "predicted")}
    increments["date"] = track["date"].iloc[:keep]
    cumulative = {c: track[c] for c in ("date", "actual", "predicted")}
    for ax, values in ((top, cumulative), (bottom, increments)):
        ax.plot(values["date"], values["actual"], label="actual")
        ax.plot(values["date"], values["predicted"], linestyle="--", label="predicted (BG/NBD)")
        if track["holdout"].any():
            cal_end = track.loc[~track["holdout"], "date"].max()
            ax.axvline(cal_end, color="grey", linestyle=":", label="end of calibration")
    top.set_ylabel("cumulative repeat\npurchases (count)")
    bottom.set_ylabel(f"repeat purchases\nper {per} (count)")
    count_axis(top)
    count_axis(bottom)
    bottom.set_xlabel(f"date (end of each {per})")
    top.set_title(f"Repeat purchases of the calibration cohort, tracked per {per}")
    top.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def spend_vs_frequency(summary: pd.DataFrame, currency: str = "",
                       frequency_col: str = "frequency", monetary_col: str = "monetary_value"):
    """Mean spend per repeat purchase against the number of repeat purchases (repeat buyers)."""
    rep = summary[summary[frequency_col] > 0]
    fig, ax = plt.subplots()
    # Multiplicative jitter spreads the overlapping integer counts on the log axis.
    jitter = np.exp(np.random.default_rng(0).uniform(-0.12, 0.12, len(rep)))
    ax.scatter(rep[frequency_col] * jitter, rep[monetary_col], s=8, alpha=0.35)
    med = rep.groupby(np.minimum(rep[frequency_col], 10))[monetary_col].median()
    ax.plot(med.index, med.to_numpy(), color="C3", marker="o", label="median (10 = 10 or more)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("repeat purchases (count, log scale)")
    ax.set_ylabel(f"mean spend per repeat purchase ({currency or 'currency'}, log scale)")
    ax.set_title("Is spend independent of purchase frequency?")
    ax.legend()
    fig.tight_layout()
    return fig


def value_concentration(clv, currency: str = ""):
    """Share of total CLV against share of customers, customers ranked from most valuable."""
    v = np.sort(np.asarray(clv, dtype=float))[::-1]
    share_customers = np.arange(1, len(v) + 1) / len(v)
    share_value = np.cumsum(v) / v.sum()
    top = share_value[max(0, int(round(0.1 * len(v))) - 1)]
    fig, ax = plt.subplots()
    ax.plot(100 * share_customers, 100 * share_value, label="customers ranked by CLV")
    ax.plot([0, 100], [0, 100], color="grey", linestyle=":", label="every customer worth the same")
    ax.axvline(10, color="C3", linestyle="--", alpha=0.6)
    ax.plot([10], [100 * top], marker="o", color="C3")
    # An explicit arrow colour: the theme draws patch edges in white, which hid the arrow.
    ax.annotate(f"top 10% hold {top:.0%}", (10, 100 * top), xytext=(18, 100 * top - 12),
                arrowprops={"arrowstyle": "->", "color": "0.25"})
    ax.set_xlabel("share of customers (%), most valuable first")
    # A share of value has no currency unit; ``currency`` is kept for compatibility.
    ax.set_ylabel("share of total CLV (%)")
    ax.set_title("How concentrated is customer value?")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def p_alive_by_recency(bgf, T: float, frequencies=(1, 2, 5, 10), time_unit: str = "W"):
    """P(alive) against the time of the last purchase for customers observed for ``T``."""
    fig, ax = plt.subplots()
    t_x = np.linspace(0, T, 200)
    for x in frequencies:
        ax.plot(t_x, bgf.predict_p_alive(np.full_like(t_x, x), t_x, np.full_like(t_x, T)),
                label=f"{x} repeat purchase{'s' if x > 1 else ''}")
    ax.set_xlabel(f"time of the last purchase since the first ({unit_name(time_unit)}; observed for {T:.0f})")
    ax.set_ylabel("P(alive)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Probability a customer is still active, by recency and frequency")
    ax.legend()
    fig.tight_layout()
    return fig
