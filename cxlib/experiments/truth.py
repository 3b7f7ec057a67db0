"""Estimates against the synthetic experiment's known truth."""

from __future__ import annotations

import pandas as pd

from ..core import load_truth

__all__ = ["compare_with_truth", "experiment_truth"]


def experiment_truth(truth_path, n_units: int) -> dict:
    """The ``"experiment"`` section of the truth file when it describes these ``n_units`` units.

    ``{}`` when ``truth_path`` is ``""``, the file has no such section, or it describes another
    data set (so a run on other data never compares itself with a world it did not see).
    """
    known = load_truth(truth_path)
    section = known.section("experiment") if known is not None else {}
    return section if section.get("n_units") == n_units else {}


def compare_with_truth(summary: pd.DataFrame, truth: dict, cuped: pd.DataFrame | None = None,
                       retention: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per known quantity: the estimate, its interval, the truth and whether it is inside.

    Parameters
    ----------
    summary : DataFrame
        ``ABTest.summary_``.
    truth : dict
        The ``"experiment"`` section of the truth file (``{}`` when there is none).
    cuped, retention : DataFrame, optional
        ``ABTest.cuped_`` and ``RetentionComparison.summary_``.

    Returns
    -------
    DataFrame ``quantity, variant, estimate, ci_lower, ci_upper, truth, inside`` (empty without a
    truth). Capped means estimate the capped mean, which at a 99.9% cap differs from the true
    mean by far less than the interval's width.
    """
    rows = []
    metrics = truth.get("metrics", {}) if truth else {}
    for _, r in summary.iterrows():
        t = metrics.get(r["metric"])
        if t is None:
            continue
        rows.append({"quantity": f"{r['metric']}: difference", "variant": r["variant"],
                     "estimate": r["difference"], "ci_lower": r["ci_lower"],
                     "ci_upper": r["ci_upper"], "truth": t["difference"]})
        rows.append({"quantity": f"{r['metric']}: relative lift", "variant": r["variant"],
                     "estimate": r["relative_lift"], "ci_lower": r["rel_ci_lower"],
                     "ci_upper": r["rel_ci_upper"], "truth": t["relative_lift"]})
    if cuped is not None:
        for _, r in cuped.iterrows():
            t = metrics.get(r["metric"])
            if t is not None:
                rows.append({"quantity": f"{r['metric']}: CUPED difference", "variant": r["variant"],
                             "estimate": r["difference"], "ci_lower": r["ci_lower"],
                             "ci_upper": r["ci_upper"], "truth": t["difference"]})
    known_hr = (truth or {}).get("retention", {}).get("hazard_ratio")
    if retention is not None and known_hr is not None:
        for _, r in retention.iterrows():
            rows.append({"quantity": "retention: hazard ratio", "variant": r["variant"],
                         "estimate": r["hazard_ratio"], "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"], "truth": known_hr})
    out = pd.DataFrame(rows, columns=["quantity", "variant", "estimate", "ci_lower", "ci_upper",
                                      "truth"])
    out["inside"] = (out["ci_lower"] <= out["truth"]) & (out["truth"] <= out["ci_upper"])
    return out
