"""Plain-language readings of the experiment: the split, each effect with its interval, CUPED,
retention, peeking, the design and the truth. "Not significant" is always read with its interval,
never as "no effect"."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd

__all__ = ["format_p", "format_difference", "describe_srm", "describe_effects", "describe_cuped",
           "describe_design", "describe_retention", "describe_peeking", "describe_influence",
           "describe_truth"]


def format_p(p: float) -> str:
    """A p-value as the lesson writes it: ``p < 0.001``, four decimals below 0.01, else three."""
    return _p(p)


def _p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.4f}" if p < 0.01 else f"p = {p:.3f}"


def format_difference(value: float, kind: str, unit: str = "", signed: bool = True) -> str:
    """A difference as a reader says it: percentage points for rates, the metric's unit otherwise."""
    sign = "+" if signed else ""
    if kind == "proportion":
        return f"{100 * value:{sign}.2f} pp"
    digits = 3 if abs(value) < 1 else 2
    return f"{value:{sign}.{digits}f}" + (f" {unit}" if unit else "")


def describe_srm(srm: dict) -> str:
    """The sample-ratio check in words, prominent when it fails."""
    t = srm["table"]
    split = ", ".join(f"{r.variant} {r.observed:,} ({r.observed_share:.2%}, designed "
                      f"{r.expected_share:.0%})" for r in t.itertuples())
    test = f"chi-square {srm['statistic']:.2f} on {srm['df']} df, {_p(srm['p'])}"
    if srm["ok"]:
        return (f"The split is as designed: {split}; {test}. Nothing suggests that units were "
                "lost or moved by variant.")
    return (f"**Sample-ratio mismatch: the split is not what was designed** ({split}; {test}, "
            f"below the check's level {srm['alpha']:g}). Something removed or added units "
            "depending on the variant, so the arms may no longer be comparable: **treat every "
            "effect below as unreliable** until the cause is found (assignment, redirects, "
            "logging, bot filters).")


def describe_effects(summary: pd.DataFrame, alpha: float = 0.05,
                     units: Mapping[str, str] | None = None, reliable: bool = True,
                     control: str = "control") -> str:
    """One line per metric and variant: the change, its interval, the adjusted p, what it means."""
    units = dict(units or {})
    lines = []
    conf = f"{1 - alpha:.0%}"
    for _, r in summary.iterrows():
        unit = units.get(r["metric"], "")
        d = format_difference(r["difference"], r["kind"], unit)
        lo = format_difference(r["ci_lower"], r["kind"], unit)
        hi = format_difference(r["ci_upper"], r["kind"], unit)
        rel = (f"; relative {r['relative_lift']:+.1%} ({r['rel_ci_lower']:+.1%} to "
               f"{r['rel_ci_upper']:+.1%})" if np.isfinite(r["relative_lift"]) else "")
        head = (f"- **{r['metric']}**, {r['variant']} vs {control}: {d} ({conf} CI {lo} to {hi}{rel}; "
                f"Holm-adjusted {_p(r['p_adjusted'])}).")
        if r["significant"]:
            direction = "raises" if r["difference"] > 0 else "lowers"
            tail = (f" The {r['variant']} variant {direction} {r['metric']}, and the evidence survives the "
                    f"adjustment for testing {len(summary)} comparisons.")
        else:
            tail = (f" Not significant after adjustment, which is not the same as no effect: the "
                    f"data are consistent with any change from {lo} to {hi}.")
        lines.append(head + tail)
    text = "\n".join(lines)
    if not reliable:
        text = ("**Unreliable: the sample-ratio check failed**, so these comparisons may be "
                "biased.\n\n" + text)
    return text


def describe_cuped(cuped: pd.DataFrame, units: Mapping[str, str] | None = None) -> str:
    """What the pre-period covariate bought: variance removed and the narrower interval."""
    if cuped.empty:
        return "No metric has a pre-period column, so there is no CUPED adjustment."
    units = dict(units or {})
    parts = []
    for _, r in cuped.iterrows():
        unit = units.get(r["metric"], "")
        f = partial(format_difference, kind="mean", unit=unit)
        parts.append(
            f"For {r['metric']} ({r['variant']}), the pre-period value correlates "
            f"{r['correlation']:.2f} with the outcome; adjusting for it removes "
            f"{r['variance_reduction']:.0%} of the variance: the difference is {f(r['difference'])} "
            f"(95% CI {f(r['ci_lower'])} to {f(r['ci_upper'])}) against {f(r['plain_difference'])} "
            f"({f(r['plain_ci_lower'])} to {f(r['plain_ci_upper'])}) without it, an interval "
            f"{1 - r['width_ratio']:.0%} narrower, as if the experiment had "
            f"{1 / r['width_ratio'] ** 2:.1f} times as many units.")
    return " ".join(parts)


def describe_design(design: pd.DataFrame, alpha: float, power: float,
                    units: Mapping[str, str] | None = None) -> str:
    """Which metrics the experiment was large enough for."""
    units = dict(units or {})
    parts = []
    for _, r in design.iterrows():
        if r["kind"] == "hazard ratio":
            mde, det = f"a hazard ratio of {r['mde']:.2f}", f"{r['detectable_effect']:.2f}"
        else:
            unit = units.get(r["metric"], "")
            mde = (format_difference(r["mde"], r["kind"], unit, signed=False)
                   if np.isfinite(r["mde"]) else "")
            det = (format_difference(r["detectable_effect"], r["kind"], unit, signed=False)
                   if np.isfinite(r["detectable_effect"]) else "no achievable change")
        if np.isfinite(r["n_per_group_needed"]):
            enough = "enough" if r["n_per_group_observed"] >= r["n_per_group_needed"] else "too few"
            parts.append(f"{r['metric']}: {int(r['n_per_group_needed']):,} units per group detect "
                         f"{mde}; there are {int(r['n_per_group_observed']):,} ({enough}), which "
                         f"detect {det}.")
        else:
            parts.append(f"{r['metric']}: no smallest effect given; the "
                         f"{int(r['n_per_group_observed']):,} units per group detect {det}.")
    return (f"At level {alpha:g} with power {power:.0%}: " + " ".join(parts))


def describe_retention(summary: pd.DataFrame, alpha: float = 0.05) -> str:
    """Hazard ratio and log-rank result in words."""
    parts = []
    for _, r in summary.iterrows():
        change = (r["hazard_ratio"] - 1) * 100
        word = "lower" if change < 0 else "higher"
        verdict = ("a clear difference" if r["logrank_p"] < alpha else
                   f"not significant, which leaves room for anything from a "
                   f"{abs(r['ci_lower'] - 1):.0%} {'lower' if r['ci_lower'] < 1 else 'higher'} to a "
                   f"{abs(r['ci_upper'] - 1):.0%} {'higher' if r['ci_upper'] > 1 else 'lower'} churn hazard")
        parts.append(f"Units in {r['variant']} churn at a {abs(change):.1f}% {word} rate than the "
                     f"control (hazard ratio {r['hazard_ratio']:.3f}, {1 - alpha:.0%} CI "
                     f"{r['ci_lower']:.3f} to {r['ci_upper']:.3f}; log-rank {_p(r['logrank_p'])}, "
                     f"{r['events']:,} churns among {r['n']:,} units): {verdict}.")
    return " ".join(parts)


def describe_peeking(result: dict, alpha: float = 0.05) -> str:
    """False positives of daily peeking against the always-valid test."""
    s = result["summary"].set_index("rule")
    daily, single, msprt = (s.iloc[i] for i in range(3))
    return (f"Over {result['n_simulations']:,} simulated experiments with no true effect, "
            f"checking every day for {result['days']} days and stopping at the first p < "
            f"{alpha:g} declares a winner in {daily['false_positive_rate']:.1%} of them, "
            f"{daily['false_positive_rate'] / alpha:.1f} times the promised {alpha:.0%}; one look "
            f"at the end gives {single['false_positive_rate']:.1%}. The always-valid mSPRT, "
            f"checked just as often, gives {msprt['false_positive_rate']:.1%}. With a true effect "
            f"of the chosen size it detects it in {msprt['power']:.0%} of runs (single look: "
            f"{single['power']:.0%}), on average after {msprt['mean_stopping_day']:.1f} days: "
            "the price of being allowed to look every day is some power, not a broken error rate.")


def describe_influence(table: pd.DataFrame, units: Mapping[str, str] | None = None) -> str:
    """Whether capping changed a comparison of means."""
    if table.empty:
        return "All metrics are 0/1 outcomes: no unit can weigh more than one count."
    units = dict(units or {})
    parts = []
    for _, r in table.iterrows():
        unit = units.get(r["metric"], "")
        f = partial(format_difference, kind="mean", unit=unit)
        parts.append(
            f"{r['metric']} ({r['variant']}): median {r['median']:g}, largest value "
            f"{r['max']:g}; the largest single unit holds {r['top_unit_share']:.1%} of its "
            f"variant's total. Raw means differ by {f(r['raw_difference'])} (95% CI "
            f"{f(r['raw_ci_lower'])} to {f(r['raw_ci_upper'])}), {f(r['without_top_difference'])} "
            f"without that one unit; capped at {r['cap']:g} the difference is "
            f"{f(r['capped_difference'])} ({f(r['capped_ci_lower'])} to {f(r['capped_ci_upper'])}).")
    return " ".join(parts)


def describe_truth(table: pd.DataFrame) -> str:
    """How many known quantities the intervals cover ('' without a truth)."""
    if table.empty:
        return ""
    k, n = int(table["inside"].sum()), len(table)
    missed = ", ".join(table.loc[~table["inside"], "quantity"])
    return (f"{k} of {n} true effects lie inside their 95% intervals"
            + (f" (missed: {missed}); about one miss in twenty is expected by chance."
               if missed else "."))
