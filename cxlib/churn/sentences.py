"""Plain-language sentences for the churn lesson."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["describe_hazard_ratios", "describe_proportional_hazards", "describe_logrank",
           "describe_medians", "describe_truth", "describe_scores"]


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe_hazard_ratios(summary: pd.DataFrame, alpha: float = 0.05,
                           time_unit: str = "") -> str:
    """One sentence per covariate: how much it changes the churn hazard, and how sure we are."""
    lines = []
    for _, r in summary.sort_values("p").iterrows():
        hr, lo, hi = r["hazard_ratio"], r["ci_lower"], r["ci_upper"]
        change = (hr - 1) * 100
        direction = "higher" if change >= 0 else "lower"
        if r.get("reference"):
            subject = f"Customers with {r['covariate']} (vs {r['reference']})"
        else:
            subject = f"Each extra unit of {r['covariate']}"
        verb = "have" if r.get("reference") else "means"
        sure = ("a clear effect" if r["p"] < alpha else
                "not distinguishable from no effect")
        lines.append(f"- {subject} {verb} a {abs(change):.1f}% {direction} churn hazard "
                     f"(HR {hr:.3f}, 95% CI {lo:.3f} to {hi:.3f}, {_fmt_p(r['p'])}): {sure}.")
    return "\n".join(lines)


def describe_proportional_hazards(ph: pd.DataFrame) -> str:
    """Say which covariates keep a constant hazard ratio over time and what to do otherwise."""
    ok = ph.loc[ph["proportional"], "covariate"].tolist()
    bad = ph.loc[~ph["proportional"]]
    parts = []
    if ok:
        parts.append("The hazard ratio looks constant over time (Schoenfeld test p >= 0.05) for "
                     + ", ".join(ok) + ".")
    if len(bad) == 0:
        parts.append("No covariate breaks the proportional-hazards assumption, so one hazard "
                     "ratio per covariate is a fair summary.")
    for _, r in bad.iterrows():
        parts.append(f"The effect of {r['covariate']} changes over time ({_fmt_p(r['p'])}): its "
                     f"hazard ratio is an average over follow-up; {r['advice']}.")
    return " ".join(parts)


def describe_logrank(result: dict, group_col: str) -> str:
    """The log-rank result in words."""
    verdict = ("differ" if result["p"] < 0.05 else "do not differ detectably")
    return (f"Retention curves by {group_col} ({', '.join(result['groups'])}) {verdict}: "
            f"log-rank chi-square {result['statistic']:.1f} on {result['df']} df, "
            f"{_fmt_p(result['p'])}.")


def describe_medians(medians: pd.DataFrame, time_unit: str) -> str:
    """Median lifetime per group in words (``not reached`` when fewer than half churned)."""
    parts = []
    for _, r in medians.iterrows():
        if np.isnan(r["median"]):
            parts.append(f"{r['group']}: not reached (fewer than half churned during follow-up)")
        else:
            parts.append(f"{r['group']}: {r['median']:.1f} {time_unit}")
    return "Median customer lifetime - " + "; ".join(parts) + "."


def describe_truth(table: pd.DataFrame) -> str:
    """How many true coefficients the 95% intervals cover ('' when there is no truth)."""
    if table.empty:
        return ""
    k, n = int(table["inside"].sum()), len(table)
    missed = ", ".join(table.loc[~table["inside"], "covariate"])
    return (f"{k} of {n} true coefficients lie inside their 95% intervals"
            + (f" (missed: {missed}); about one miss in twenty is expected by chance." if missed
               else "."))


def describe_scores(scores: pd.DataFrame, horizon: float, time_unit: str,
                    cutoffs: Sequence[float] = (0.2, 0.5)) -> str:
    """Risk tiers of the active customers in words."""
    counts = scores["risk_tier"].astype(str).value_counts()
    parts = [f"{counts.get(t, 0)} {t}" for t in ("high", "medium", "low")]
    full = scores[~scores["capped"]]
    text = (f"Of {len(scores)} active customers, {', '.join(parts)} risk (churn within the next "
            f"{horizon:g} {time_unit}: high >= {cutoffs[1]:.0%}, low < {cutoffs[0]:.0%}).")
    if len(full):
        text += (f" The {len(full)} with a full window of {horizon:g} {time_unit} are expected, on "
                 f"average, to stay {full['remaining_lifetime'].mean():.1f} of those "
                 f"{horizon:g} {time_unit} (restricted mean).")
    capped = len(scores) - len(full)
    if capped:
        text += (f" {capped} long-tenured customers are closer than {horizon:g} {time_unit} to "
                 "the longest follow-up in the data, beyond which the model cannot see: their "
                 "window is cut there and they get no risk tier ('beyond follow-up').")
    return text
