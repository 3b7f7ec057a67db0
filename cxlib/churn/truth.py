"""Estimated against true hazard coefficients, when the data come from the synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import load_truth

__all__ = ["compare_with_truth"]


def compare_with_truth(summary: pd.DataFrame, truth_path, *, n_customers: int | None = None,
                       observation_end=None) -> pd.DataFrame:
    """Estimated vs true hazard coefficients, from the truth file named by ``truth_path``.

    Returns ``covariate, true_coef, coef, ci_lower, ci_upper, inside`` (log-hazard scale); an
    empty table (same columns) when there is no truth for these data (``truth_path`` is ``""``,
    or the truth describes another number of customers or observation end) or it has no hazard
    section.
    """
    cols = ["covariate", "true_coef", "coef", "ci_lower", "ci_upper", "inside"]
    known = load_truth(truth_path, n_customers=n_customers, observation_end=observation_end)
    if known is None:
        return pd.DataFrame(columns=cols)
    truth = known.section("hazard").get("coefficients", {})
    rows = []
    for _, r in summary.iterrows():
        if r["covariate"] in truth:
            lo, hi = np.log(r["ci_lower"]), np.log(r["ci_upper"])
            true = float(truth[r["covariate"]])
            rows.append({"covariate": r["covariate"], "true_coef": true, "coef": r["coef"],
                         "ci_lower": lo, "ci_upper": hi, "inside": bool(lo <= true <= hi)})
    return pd.DataFrame(rows, columns=cols)
