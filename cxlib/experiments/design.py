"""How many units an experiment needs, and what the units it has can detect.

- two proportions: Fleiss, Levin and Paik (2003, *Statistical Methods for Rates and Proportions*,
  3rd ed., eq. 4.14, without continuity correction), the formula of R's ``power.prop.test``;
- two means: the two-sample t test with its noncentral t distribution (statsmodels'
  ``TTestIndPower``, as R's ``power.t.test``);
- retention: Schoenfeld's (1983, "Sample-size formula for the proportional-hazards regression
  model", Biometrics 39) number of events for the log-rank test.

All two-sided at level ``alpha``, equal allocation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["n_two_proportions", "n_two_means", "schoenfeld_events", "detectable_difference",
           "detectable_hazard_ratio", "design_table", "retention_design", "DESIGN_COLUMNS"]

DESIGN_COLUMNS = ["metric", "mde", "n_per_group_needed", "n_per_group_observed",
                  "detectable_effect"]


def _z(alpha: float, power: float) -> tuple[float, float]:
    return stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)


def n_two_proportions(p_control: float, mde: float, alpha: float = 0.05,
                      power: float = 0.8) -> float:
    """Units per group to detect ``p_control`` -> ``p_control + mde``.

    :math:`n = \\left(z_{1-\\alpha/2}\\sqrt{2\\bar p\\bar q} + z_{1-\\beta}\\sqrt{p_0q_0 + p_1q_1}\\right)^2
    / \\delta^2`, :math:`\\bar p = (p_0 + p_1)/2`.
    """
    p1 = p_control + mde
    if not (0 < p_control < 1 and 0 < p1 < 1 and mde != 0):
        raise ValueError(f"need 0 < p < 1 for both rates and mde != 0; got p = {p_control}, "
                         f"mde = {mde}")
    za, zb = _z(alpha, power)
    pbar = (p_control + p1) / 2
    root = za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p_control * (1 - p_control)
                                                              + p1 * (1 - p1))
    return float(root ** 2 / mde ** 2)


def n_two_means(sd: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Units per group for the two-sample t test to detect a difference ``mde`` (common ``sd``)."""
    from statsmodels.stats.power import TTestIndPower

    return float(TTestIndPower().solve_power(effect_size=abs(mde) / sd, alpha=alpha, power=power,
                                             ratio=1.0, alternative="two-sided"))


def schoenfeld_events(hazard_ratio: float, alpha: float = 0.05, power: float = 0.8,
                      share: float = 0.5) -> float:
    """Events needed for the log-rank test to detect ``hazard_ratio``.

    :math:`D = (z_{1-\\alpha/2} + z_{1-\\beta})^2 / \\left(\\pi(1-\\pi)(\\log \\mathrm{HR})^2\\right)`,
    :math:`\\pi` the share of units in one group (4 / (log HR)^2 times the z term when equal).
    """
    za, zb = _z(alpha, power)
    return float((za + zb) ** 2 / (share * (1 - share) * np.log(hazard_ratio) ** 2))


def detectable_difference(kind: str, n_per_group: float, *, p_control: float | None = None,
                          sd: float | None = None, alpha: float = 0.05,
                          power: float = 0.8) -> float:
    """The smallest increase that ``n_per_group`` units per group detect with ``power``."""
    if kind == "proportion":
        top = 1 - p_control - 1e-12
        if n_two_proportions(p_control, top, alpha, power) > n_per_group:
            return np.nan  # not even the largest possible increase
        return float(optimize.brentq(
            lambda d: n_two_proportions(p_control, d, alpha, power) - n_per_group, 1e-9, top,
            xtol=1e-12))
    from statsmodels.stats.power import TTestIndPower

    es = TTestIndPower().solve_power(nobs1=n_per_group, alpha=alpha, power=power, ratio=1.0)
    return float(es * sd)


def detectable_hazard_ratio(events: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The hazard ratio below one that ``events`` events detect (Schoenfeld, equal groups)."""
    za, zb = _z(alpha, power)
    return float(np.exp(-2 * (za + zb) / np.sqrt(events)))


def design_table(moments: pd.DataFrame, control: str, kinds: Mapping[str, str],
                 mde: Mapping[str, float], alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Per metric: units per group needed for its ``mde``, units per group observed, and the
    increase the observed units detect.

    The control's rate (proportions) or standard deviation (means) stands in for the
    planning values; the observed units per group are those of the smallest variant.
    """
    rows = []
    for metric, kind in kinds.items():
        m = moments[moments["metric"] == metric].set_index("variant")
        c = m.loc[control]
        n_obs = float(m["n"].min())
        sd = float(np.sqrt(c["var"]))
        effect = mde.get(metric)
        effect = None if effect in (None, "") else float(effect)
        if effect is None:
            needed = np.nan
        elif kind == "proportion":
            needed = n_two_proportions(c["mean"], effect, alpha, power)
        else:
            needed = n_two_means(sd, effect, alpha, power)
        rows.append({"metric": metric, "mde": np.nan if effect is None else effect,
                     "n_per_group_needed": np.ceil(needed) if np.isfinite(needed) else np.nan,
                     "n_per_group_observed": int(n_obs),
                     "detectable_effect": detectable_difference(kind, n_obs, p_control=c["mean"],
                                                                sd=sd, alpha=alpha, power=power),
                     "kind": kind})
    return pd.DataFrame(rows)


def retention_design(counts: pd.DataFrame, hazard_ratio: float, alpha: float = 0.05,
                     power: float = 0.8, label: str = "retention (hazard ratio)") -> dict:
    """The design row for retention from :func:`~cxlib.experiments.statistics.retention_counts`.

    Units needed per group are Schoenfeld's events divided by the share of units that had the
    event in the data (both variants together), halved for two equal groups; the detectable
    effect is the hazard ratio the observed events detect.
    """
    per_variant = counts.groupby("variant")["count"].sum()
    events = float((counts["count"] * counts["event"]).sum())
    total = float(counts["count"].sum())
    needed = schoenfeld_events(hazard_ratio, alpha, power) / (events / total) / 2 \
        if events > 0 else np.nan
    return {"metric": label, "mde": hazard_ratio,
            "n_per_group_needed": np.ceil(needed) if np.isfinite(needed) else np.nan,
            "n_per_group_observed": int(per_variant.min()),
            "detectable_effect": detectable_hazard_ratio(events, alpha, power) if events else np.nan,
            "kind": "hazard ratio"}
