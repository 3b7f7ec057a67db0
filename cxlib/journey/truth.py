"""Estimates against the synthetic journey's known truth (the ``"journey"`` section)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import load_truth

__all__ = ["journey_truth", "compare_with_truth", "TRUTH_COLUMNS"]

TRUTH_COLUMNS = ["quantity", "estimate", "ci_lower", "ci_upper", "truth", "inside"]


def journey_truth(truth_path, n_customers: int, observation_end=None) -> dict:
    """The ``"journey"`` section of the truth file when it describes these data, else ``{}``.

    It describes them when its ``n_customers`` and ``observation_end`` are those of the data
    (so a run on other data never compares itself with a world it did not see).
    """
    known = load_truth(truth_path, observation_end=observation_end)
    section = known.section("journey") if known is not None else {}
    if section.get("n_customers") != n_customers:
        return {}
    if observation_end not in (None, "") and section.get("observation_end") is not None and \
            pd.Timestamp(section["observation_end"]) != pd.Timestamp(observation_end):
        return {}
    return section


def compare_with_truth(by_channel: pd.DataFrame | None, moments: pd.DataFrame | None, funnel: pd.DataFrame,
                       truth: dict, channel_col: str = "channel") -> pd.DataFrame:
    """One row per known quantity: estimate, interval, truth and whether the interval holds it.

    Conversions by channel (Wilson intervals), hazard ratios of bad experiences (time-varying
    Cox intervals) and the median days between stages (no interval: ``inside`` is blank).
    """
    if not truth:
        return pd.DataFrame(columns=TRUTH_COLUMNS)
    rows = []
    conv = truth.get("conversion", {})
    if by_channel is not None:
        for _, r in by_channel.dropna(subset=["conversion_from_previous"]).iterrows():
            t = conv.get(str(r[channel_col]), {}).get(r["stage"])
            if t is not None:
                rows.append({"quantity": f"conversion to {r['stage']} ({r[channel_col]})",
                             "estimate": r["conversion_from_previous"], "ci_lower": r["ci_lower"],
                             "ci_upper": r["ci_upper"], "truth": t})
    ratios = truth.get("hazard", {}).get("hazard_ratios", {})
    if moments is not None:
        for _, r in moments.iterrows():
            if r["touchpoint"] in ratios:
                rows.append({"quantity": f"hazard ratio of a bad {r['touchpoint']} experience",
                             "estimate": r["hazard_ratio"], "ci_lower": r["ci_lower"],
                             "ci_upper": r["ci_upper"], "truth": ratios[r["touchpoint"]]})
    times = truth.get("stage_times", {})
    for _, r in funnel.dropna(subset=["median_time_from_previous"]).iterrows():
        if r["stage"] in times:
            rows.append({"quantity": f"median days to {r['stage']}", "estimate": r["median_time_from_previous"],
                         "ci_lower": np.nan, "ci_upper": np.nan, "truth": times[r["stage"]]["median_days"]})
    df = pd.DataFrame(rows, columns=TRUTH_COLUMNS[:-1])
    has = df["ci_lower"].notna()
    inside = (df["ci_lower"] <= df["truth"]) & (df["truth"] <= df["ci_upper"])
    df["inside"] = pd.array(np.where(has, inside, pd.NA), dtype="boolean")
    return df
