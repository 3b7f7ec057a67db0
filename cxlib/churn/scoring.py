"""Per-customer output: churn probability within the horizon, risk tiers and remaining lifetime."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .cox import CoxChurnModel

__all__ = ["risk_tiers", "score_active_customers", "SCORE_CHUNK_ROWS"]


def risk_tiers(churn_probability, cutoffs: Sequence[float] = (0.2, 0.5)) -> pd.Series:
    """Label churn probabilities ``low`` (< first cut-off), ``medium`` or ``high`` (>= second).

    Fixed cut-offs keep a tier's meaning the same from one run to the next (tertiles would
    always put a third of customers in "high", whatever the risk).
    """
    lo, hi = cutoffs
    p = np.asarray(churn_probability, dtype=float)
    labels = np.where(p >= hi, "high", np.where(p >= lo, "medium", "low"))
    index = churn_probability.index if isinstance(churn_probability, pd.Series) else None
    return pd.Series(pd.Categorical(labels, categories=["low", "medium", "high"], ordered=True),
                     index=index, name="risk_tier")


#: Active customers scored at a time by :func:`score_active_customers`: bounds the memory of the
#: remaining-lifetime sums (one row per customer and baseline churn time).
SCORE_CHUNK_ROWS = 100_000


def score_active_customers(model: CoxChurnModel, df: pd.DataFrame, horizon: float,
                           cutoffs: Sequence[float] = (0.2, 0.5), *,
                           chunk_rows: int = SCORE_CHUNK_ROWS) -> pd.DataFrame:
    """Scores for customers still active (``event == 0``): the table ``customers.csv``.

    Columns: ``customer_id, tenure, survival_horizon, churn_probability, risk_tier,
    remaining_lifetime, window_end, capped`` (see :meth:`CoxChurnModel.predict_remaining`).

    When the window is cut at the longest follow-up (``capped``) the probabilities cover a
    shorter window than the horizon and would look safer than they are, so those customers get
    the tier ``"beyond follow-up"`` instead of a risk tier.

    Customers are scored ``chunk_rows`` at a time, so memory stays bounded however many there
    are; each customer's score depends only on their own row, so the table is the same for any
    ``chunk_rows``. ``df`` may hold more customers than the model was fitted on (a model fitted
    on a :func:`~cxlib.churn.fit_sample` scores everyone).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    active = df[df["event"] == 0]
    parts = [_score_chunk(model, active.iloc[start:start + chunk_rows], horizon, cutoffs)
             for start in range(0, max(len(active), 1), chunk_rows)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _score_chunk(model: CoxChurnModel, active: pd.DataFrame, horizon: float,
                 cutoffs: Sequence[float]) -> pd.DataFrame:
    rem = model.predict_remaining(active, horizon)
    out = pd.DataFrame({"customer_id": active["customer_id"].to_numpy(),
                        "tenure": active["duration"].to_numpy()})
    out["survival_horizon"] = rem["survival_horizon"].to_numpy()
    out["churn_probability"] = 1.0 - out["survival_horizon"]
    tier = risk_tiers(out["churn_probability"], cutoffs).astype(str).to_numpy(dtype=object)
    tier[rem["capped"].to_numpy()] = "beyond follow-up"
    out["risk_tier"] = tier
    out["remaining_lifetime"] = rem["remaining_lifetime"].to_numpy()
    out["window_end"] = rem["window_end"].to_numpy()
    out["capped"] = rem["capped"].to_numpy()
    return out
