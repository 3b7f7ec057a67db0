"""What checking the p-value every day does to the false-positive rate, and a test that may be
checked as often as one likes.

The simulation replays the experiment day by day on the data's own scale (the control's rate or
standard deviation and the units per day), many times with no true effect (A/A) and with the
smallest effect worth detecting (A/B), and records when each rule would have declared a winner:

- **daily fixed-level test**: stop at the first day with :math:`|z| > z_{1-\\alpha/2}`;
- **single look**: the same test once, on the last day (the design the level is meant for);
- **mSPRT** (Johari, Pekelis and Walsh, 2022, "Always valid inference: continuous monitoring of
  A/B tests", Operations Research 70): stop at the first day the mixture likelihood ratio
  :math:`\\Lambda_n = \\sqrt{V_n / (V_n + \\tau^2)}\\,\\exp\\left(\\frac{\\tau^2 \\hat\\delta_n^2}
  {2 V_n (V_n + \\tau^2)}\\right)` reaches :math:`1/\\alpha`, with :math:`V_n` the variance of the
  difference :math:`\\hat\\delta_n` so far and :math:`\\tau^2` the prior variance of the effect.
  By Ville's inequality its false-positive rate stays below :math:`\\alpha` however often it is
  checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["simulate_peeking", "msprt_ratio", "PEEKING_RULES"]

PEEKING_RULES = ("daily fixed-level test", "single look at the end", "mSPRT (always valid)")


def msprt_ratio(difference, variance, tau2: float):
    """The normal-mixture likelihood ratio :math:`\\Lambda_n` for a difference and its variance."""
    difference, variance = np.asarray(difference, float), np.asarray(variance, float)
    return np.sqrt(variance / (variance + tau2)) * np.exp(
        tau2 * difference ** 2 / (2 * variance * (variance + tau2)))


def simulate_peeking(*, kind: str, control_mean: float, sd: float, units_per_day: float,
                     days: int, effect: float, alpha: float = 0.05, tau: float | None = None,
                     n_simulations: int = 2000, seed: int = 0) -> dict:
    """Replay an experiment day by day with and without a true effect.

    Parameters
    ----------
    kind : {"proportion", "mean"}
        0/1 outcomes are drawn as binomial daily counts at the control's rate (plus ``effect``
        in the treated arm); numbers as normal daily sums with the data's ``sd``.
    control_mean, sd : float
        The control's rate or mean and the per-unit standard deviation.
    units_per_day : float
        New units per arm per day.
    days : int
        Days the experiment runs, one look per day.
    effect : float
        True difference in the A/B runs (the smallest effect worth detecting).
    tau : float, optional
        Prior standard deviation of the effect for the mSPRT; defaults to ``effect``.
    n_simulations : int
        Experiments per scenario.
    seed : int
        Seed of the simulation (``numpy.random.default_rng``).

    Returns
    -------
    dict with ``by_day`` (day, rule, scenario, share_stopped: the cumulative share of runs that
    declared a winner by that day) and ``summary`` (rule, false_positive_rate, power,
    mean_stopping_day among the A/B runs that stopped, mc_se).
    """
    rng = np.random.default_rng(seed)
    n_day = max(round(units_per_day), 1)
    n = n_day * np.arange(1, days + 1)  # units per arm after each day
    tau2 = float(tau if tau not in (None, 0) else effect) ** 2
    crit = stats.norm.ppf(1 - alpha / 2)
    stopped, day_rows, summary = {}, [], []
    for scenario, delta in (("A/A", 0.0), ("A/B", float(effect))):
        if kind == "proportion":
            p_t = float(np.clip(control_mean + delta, 1e-9, 1 - 1e-9))
            sc = rng.binomial(n_day, control_mean, size=(n_simulations, days)).cumsum(1)
            st = rng.binomial(n_day, p_t, size=(n_simulations, days)).cumsum(1)
            pc, pt = sc / n, st / n
            diff = pt - pc
            pooled = (sc + st) / (2 * n)
            var = np.maximum(2 * pooled * (1 - pooled) / n, 1e-300)
        else:
            scale = sd * np.sqrt(n_day)
            sc = rng.normal(n_day * control_mean, scale, size=(n_simulations, days)).cumsum(1)
            st = rng.normal(n_day * (control_mean + delta), scale, size=(n_simulations, days)).cumsum(1)
            diff = (st - sc) / n
            var = np.broadcast_to(2 * sd ** 2 / n, diff.shape)
        z = diff / np.sqrt(var)
        rules = {
            PEEKING_RULES[0]: np.abs(z) > crit,
            PEEKING_RULES[1]: np.zeros_like(z, dtype=bool),
            PEEKING_RULES[2]: msprt_ratio(diff, var, tau2) >= 1 / alpha,
        }
        rules[PEEKING_RULES[1]][:, -1] = np.abs(z[:, -1]) > crit
        for rule, crossed in rules.items():
            ever = np.maximum.accumulate(crossed, axis=1)
            share = ever.mean(0)
            for d in range(days):
                day_rows.append({"day": d + 1, "rule": rule, "scenario": scenario,
                                 "share_stopped": float(share[d])})
            first = np.where(ever[:, -1], ever.argmax(1) + 1, np.nan)
            stopped[(rule, scenario)] = (float(share[-1]), first)
    for rule in PEEKING_RULES:
        fpr, _ = stopped[(rule, "A/A")]
        power, first = stopped[(rule, "A/B")]
        summary.append({"rule": rule, "false_positive_rate": fpr, "power": power,
                        "mean_stopping_day": float(np.nanmean(first)) if np.isfinite(first).any()
                        else np.nan,
                        "mc_se": float(np.sqrt(max(fpr * (1 - fpr), 1e-12) / n_simulations))})
    return {"by_day": pd.DataFrame(day_rows), "summary": pd.DataFrame(summary),
            "units_per_day": n_day, "days": days, "tau": float(np.sqrt(tau2)),
            "n_simulations": n_simulations}
