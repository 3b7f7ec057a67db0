"""Figures read right at any size: count axes in whole numbers with thousands separators, and a
legend that leaves the data visible."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxlib.core import count_axis  # noqa: E402
from cxlib.journey.plots import plot_journey_map  # noqa: E402


def tick_texts(fig, axis):
    fig.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()], axis.get_offset_text().get_text()


def test_a_count_axis_of_millions_reads_in_whole_numbers_without_a_scale_factor():
    fig, ax = plt.subplots()
    ax.bar([0, 1], [1_000_000, 250_000])
    assert tick_texts(fig, ax.yaxis)[1] != ""  # matplotlib's own ticks: 0.25 ... with 1e6 above
    count_axis(ax)
    labels, offset = tick_texts(fig, ax.yaxis)
    assert offset == "" and "1,000,000" in labels and "200,000" in labels
    fig, ax = plt.subplots()
    ax.bar([0, 1], [3, 5])
    count_axis(ax)
    assert tick_texts(fig, ax.yaxis)[0][:3] == ["0", "1", "2"]
    ax.set_ylim(0, 2)  # half steps keep their decimal
    ax.set_yticks([0, 0.5, 1])
    assert tick_texts(fig, ax.yaxis)[0] == ["0", "0.5", "1"]
    plt.close("all")


def test_the_journey_map_of_a_million_customers_keeps_its_legend_off_the_bars():
    nan = np.nan
    m = pd.DataFrame({
        "stage": ["signup", "onboarding", "first_purchase", "repeat_purchase", "support", "feedback"],
        "kind": ["funnel"] * 4 + ["touchpoint"] * 2,
        "customers": [1_000_000, 828_444, 489_198, 233_081, 972_329, 956_802],
        "conversion_from_previous": [nan, 0.83, 0.59, 0.49, nan, nan],
        "median_time_from_previous": [nan, 1.4, 5.5, 16.9, nan, nan],
        "mean_score": [nan, 3.54, nan, nan, 3.29, 3.41],
        "ci_lower": [nan, 3.53, nan, nan, 3.28, 3.40], "ci_upper": [nan, 3.55, nan, nan, 3.30, 3.42]})
    fig = plot_journey_map(m, 120)
    top = fig.axes[0]
    labels, offset = tick_texts(fig, top.yaxis)
    assert offset == "" and "1,000,000" in labels
    renderer = fig.canvas.get_renderer()
    legend = top.get_legend().get_window_extent(renderer)
    bars = [p.get_window_extent(renderer) for p in top.patches]
    assert len(bars) == len(m) and not any(legend.overlaps(b) for b in bars)
    plt.close(fig)


def test_a_long_tailed_count_gets_log_bins_that_each_hold_whole_numbers():
    """Log-spaced bins on purchase counts would fall between 1 and 2, 2 and 3, ..., and show
    as gaps; the edges lie halfway between whole numbers, and a bin of several whole numbers
    shows the count per value, so that the bars do not jump up where the bins widen."""
    from cxlib.core import histograms

    rng = np.random.default_rng(3)
    counts = np.minimum(rng.zipf(1.8, 20_000), 300).astype(float)
    fig = histograms(pd.DataFrame({"purchases": counts}), ["purchases"], "t", {"purchases": "count"})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "purchases (count)\nlog scale"
    total = 0
    for bar in ax.patches:
        lo, hi = bar.get_x(), bar.get_x() + bar.get_width()
        whole = np.arange(np.ceil(lo), np.floor(hi) + 1)
        assert len(whole) >= 1 and lo % 1 == 0.5, (lo, hi)  # each bin holds whole numbers
        inside = ((counts >= lo) & (counts < hi)).sum()
        assert bar.get_height() == pytest.approx(inside / len(whole))  # count per value
        total += inside
    assert total == len(counts) and ax.get_ylabel() == "count per value"
    heights = [b.get_height() for b in ax.patches]
    assert heights[0] == (counts == 1).sum() and heights[1] == (counts == 2).sum()  # no gaps at 1, 2
    plt.close(fig)


def test_monthly_counts_are_drawn_from_zero_in_whole_numbers():
    from cxlib.overview import plot_monthly_activity

    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    activity = pd.DataFrame({"signups": 900 * months.days_in_month.to_numpy()}, index=months)  # Feb dips
    fig = plot_monthly_activity(activity)
    ax = fig.axes[0]
    labels, offset = tick_texts(fig, ax.yaxis)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > activity["signups"].max()
    assert offset == "" and "20,000" in labels
    plt.close(fig)


def test_a_long_tailed_count_with_zeros_keeps_zero_as_a_bar_of_its_own():
    """Repeat purchases start at 0, which a log axis cannot show: the axis is linear up to 1 and
    logarithmic beyond, and the bar at 0 counts the customers without repeat purchases."""
    from cxlib.core import histograms

    rng = np.random.default_rng(4)
    counts = (np.minimum(rng.zipf(1.8, 20_000), 300) - 1).astype(float)
    fig = histograms(pd.DataFrame({"frequency": counts}), ["frequency"], "t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlabel() == "frequency\nlog scale beyond 1"
    first = ax.patches[0]
    assert (first.get_x(), first.get_width()) == (-0.5, 1.0) and first.get_height() == (counts == 0).sum()
    assert sum(b.get_height() * b.get_width() for b in ax.patches) == pytest.approx(len(counts))
    labels = tick_texts(fig, ax.xaxis)[0]
    assert labels[:3] == ["0", "1", "10"]
    plt.close(fig)
