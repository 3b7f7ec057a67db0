"""A randomized experiment on the synthetic company's customers, with its known truth.

:func:`make_experiment` assigns units (customers) at random to a control and a treatment (a new
onboarding flow, say) and draws their outcomes so that every effect is known exactly:

- ``converted`` (0/1): upgraded within the test window, 20% in control, 24% with the treatment;
- ``spend`` (currency): log-normal, 5% higher with the treatment; ``pre_spend``, the same
  customer's spend in the period before the test, shares the log-scale customer factor with
  correlation ``SPEND["rho"]``, which gives CUPED a known variance reduction;
- ``csat`` (1-5): satisfaction, drawn from the same distribution in both arms: the null metric;
- ``days_observed``, ``churned``: days from assignment to churn, censored at the end of
  follow-up; exponential, with a hazard ratio of 0.8 for the treatment.

Assignment, the customer factor, each outcome and churn draw from their own child generators of
one ``SeedSequence``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..core import SEED

__all__ = ["make_experiment", "CONVERSION", "SPEND", "CSAT", "RETENTION", "VARIANTS"]

VARIANTS = ("control", "treatment")
CONVERSION = {"control": 0.20, "treatment": 0.24}
# spend = exp(mu + sigma (rho u + sqrt(1 - rho^2) e)) x (1 + lift if treated) and
# pre_spend = exp(mu + sigma u): log-normal with the same mu and sigma, logs correlated rho
SPEND = {"mean": 40.0, "sigma": 0.5, "rho": 0.8, "lift": 0.05}
CSAT = {"levels": [1, 2, 3, 4, 5], "probabilities": [0.05, 0.10, 0.25, 0.35, 0.25]}
RETENTION = {"monthly_churn": 0.15, "hazard_ratio": 0.8, "follow_up_days": 60}


def _spend_truth() -> dict:
    """Exact means and the correlation of spend with pre_spend on the original scale."""
    s2 = SPEND["sigma"] ** 2
    control = SPEND["mean"]
    # corr of two log-normals whose logs correlate rho (equal sigma): (e^{rho s2} - 1) / (e^{s2} - 1)
    corr = (np.exp(SPEND["rho"] * s2) - 1) / (np.exp(s2) - 1)
    return {"control_mean": control, "treatment_mean": control * (1 + SPEND["lift"]),
            "correlation": float(corr)}


def make_experiment(customers: pd.DataFrame | None = None, seed=SEED, n_units: int = 20_000,
                    split: tuple[float, float] = (0.5, 0.5)) -> tuple[pd.DataFrame, dict]:
    """Simulate one A/B test and return ``(table, truth)``.

    Parameters
    ----------
    customers : DataFrame, optional
        The world's customers; when given, every customer is a unit (``unit_id`` is its
        ``customer_id``) and ``n_units`` is ignored.
    seed : int or numpy.random.SeedSequence
        Seed of the experiment's ``SeedSequence`` (the world passes one of its children).
    n_units : int
        Units when ``customers`` is None.
    split : (float, float)
        Chance of control and of treatment per unit (they are normalised); ``(0.5, 0.5)`` is
        the design, another value simulates a broken assignment.

    Returns
    -------
    table : DataFrame
        ``unit_id, variant, converted, spend, pre_spend, csat, days_observed, churned``.
    truth : dict
        JSON-able: the design split, the true means, differences and relative lifts of every
        metric, the null metric, the pre-period pairing and its expected CUPED variance
        reduction, and the true hazard ratio.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng_assign, rng_factor, rng_convert, rng_spend, rng_csat, rng_churn = (
        np.random.default_rng(s) for s in ss.spawn(6))
    if customers is not None:
        ids = customers["customer_id"].astype(str).to_numpy(dtype=object)
    else:
        n = int(n_units)
        if n < 2:
            raise ValueError(f"n_units must be at least 2, got {n_units!r}")
        ids = np.char.add("U", np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object)
    n = len(ids)
    share = np.asarray(split, dtype=float) / np.sum(split)
    treated = rng_assign.random(n) < share[1]

    p = np.where(treated, CONVERSION["treatment"], CONVERSION["control"])
    converted = (rng_convert.random(n) < p).astype(np.int64)

    sigma, rho = SPEND["sigma"], SPEND["rho"]
    mu = np.log(SPEND["mean"]) - sigma ** 2 / 2  # so that E[spend | control] = SPEND["mean"]
    u = rng_factor.standard_normal(n)  # the customer's lasting spending level
    e = rng_spend.standard_normal(n)
    pre_spend = np.round(np.exp(mu + sigma * u), 2)
    spend = np.exp(mu + sigma * (rho * u + np.sqrt(1 - rho ** 2) * e))
    spend = np.round(spend * np.where(treated, 1 + SPEND["lift"], 1.0), 2)

    csat = rng_csat.choice(CSAT["levels"], size=n, p=CSAT["probabilities"]).astype(np.int64)

    follow = RETENTION["follow_up_days"]
    rate = -np.log(1 - RETENTION["monthly_churn"]) / 30.0  # per day
    hazard = rate * np.where(treated, RETENTION["hazard_ratio"], 1.0)
    lifetime = rng_churn.standard_exponential(n) / hazard
    churned = (lifetime <= follow).astype(np.int64)
    days = np.where(churned == 1, np.maximum(np.ceil(lifetime), 1), follow).astype(np.int64)

    table = pd.DataFrame({
        "unit_id": ids,
        "variant": np.where(treated, VARIANTS[1], VARIANTS[0]).astype(object),
        "converted": converted, "spend": spend, "pre_spend": pre_spend, "csat": csat,
        "days_observed": days, "churned": churned,
    })
    sp = _spend_truth()
    csat_mean = float(np.dot(CSAT["levels"], CSAT["probabilities"]))
    pc, pt = CONVERSION["control"], CONVERSION["treatment"]
    truth = {
        "n_units": int(n),
        "control": VARIANTS[0],
        "variants": list(VARIANTS),
        "split": dict(zip(VARIANTS, [0.5, 0.5])),
        "simulated_split": dict(zip(VARIANTS, [float(s) for s in share])),
        "metrics": {
            "converted": {"kind": "proportion", "control_mean": pc, "treatment_mean": pt,
                          "difference": pt - pc, "relative_lift": pt / pc - 1},
            "spend": {"kind": "mean", "control_mean": sp["control_mean"],
                      "treatment_mean": sp["treatment_mean"],
                      "difference": sp["treatment_mean"] - sp["control_mean"],
                      "relative_lift": SPEND["lift"]},
            "csat": {"kind": "mean", "control_mean": csat_mean, "treatment_mean": csat_mean,
                     "difference": 0.0, "relative_lift": 0.0},
        },
        "null_metrics": ["csat"],
        "pre_metrics": {"spend": "pre_spend"},
        "cuped": {"spend": {"correlation": round(sp["correlation"], 6),
                            "variance_reduction": round(sp["correlation"] ** 2, 6)}},
        "retention": {"duration_col": "days_observed", "event_col": "churned",
                      "hazard_ratio": RETENTION["hazard_ratio"],
                      "follow_up_days": follow, "daily_hazard_control": rate},
        "rules": {
            "spend": "exp(mu + sigma (rho u + sqrt(1 - rho^2) e)) x (1 + lift if treated), "
                     "pre_spend = exp(mu + sigma u), u and e standard normal, "
                     f"mu = log({SPEND['mean']}) - sigma^2 / 2, sigma = {sigma}, rho = {rho}; "
                     "rounded to cents",
            "csat": f"categorical {CSAT['levels']} with probabilities {CSAT['probabilities']} "
                    "in both arms",
            "churn": "exponential lifetime, daily hazard from a monthly churn of "
                     f"{RETENTION['monthly_churn']}, x hazard_ratio if treated; rounded up to "
                     f"whole days, censored at {follow} days",
        },
    }
    return table, json.loads(json.dumps(truth))  # plain JSON types, as truth.json holds them
