"""Plain-language sentences for the journey lesson, computed from its tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["describe_log", "describe_funnel", "describe_censoring", "describe_group_test",
           "describe_paths", "describe_loops", "describe_touchpoints", "describe_moments",
           "describe_naive_bias", "describe_truth", "describe_window", "describe_proportional",
           "key_findings"]


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def describe_log(n_events: int, n_customers: int, first, last, funnel: list[str], touchpoints: list[str],
                 set_aside: int = 0) -> str:
    """How much the log holds, in one or two sentences."""
    tps = ", ".join(touchpoints) if touchpoints else "none"
    text = (f"The log holds {n_events:,} events of {n_customers:,} customers, from {pd.Timestamp(first).date()} "
            f"to {pd.Timestamp(last).date()}: {len(funnel)} funnel stages ({' → '.join(funnel)}) and "
            f"{len(touchpoints)} other touchpoints ({tps}), about {n_events / max(n_customers, 1):.1f} events per customer.")
    if set_aside:
        text += f" {set_aside:,} events of customers missing from the customers table were set aside."
    return text


def describe_funnel(funnel: pd.DataFrame, window: float, overall: float) -> str:
    """Each step's conversion with its interval, the overall conversion and the largest drop."""
    steps = funnel.iloc[1:]
    parts = [f"{r.stage}: {_pct(r.conversion_from_previous)} (95% CI {_pct(r.ci_lower)} to {_pct(r.ci_upper)}, "
             f"of {int(r.eligible):,} customers)" for r in steps.itertuples() if np.isfinite(r.conversion_from_previous)]
    worst = steps.loc[steps["conversion_from_previous"].idxmin()]
    start = funnel["stage"].iloc[0]
    return (f"Within {window:g} days of the stage before, customers move on to {'; '.join(parts)}. "
            f"Step by step, {_pct(overall)} of the customers at {start} go all the way to "
            f"{funnel['stage'].iloc[-1]}. The largest loss is the step to {worst['stage']}, where "
            f"{_pct(1 - worst['conversion_from_previous'])} of the customers stop.")


def describe_censoring(funnel: pd.DataFrame, km: pd.DataFrame, window: float) -> str:
    """What the naive share (everyone not yet there counted as lost) gets wrong, per step."""
    merged = funnel.merge(km, on="stage")
    parts = []
    for r in merged.itertuples():
        parts.append(f"to {r.stage} the naive share is {_pct(r.naive_conversion)}, the complete-window share "
                     f"{_pct(r.conversion_from_previous)} and Kaplan-Meier {_pct(r.km_conversion)} "
                     f"(95% CI {_pct(r.km_ci_lower)} to {_pct(r.km_ci_upper)})")
    gap = (merged["conversion_from_previous"] - merged["naive_conversion"]).abs().max()
    return (f"Counting every customer who has not moved on yet as lost understates conversion: {'; '.join(parts)}. "
            f"Here the naive share is off by up to {100 * gap:.1f} percentage points, because only the "
            f"customers of the last {window:g} days are still inside their window; in a young or fast-growing "
            "customer base most customers are, and the naive share falls far below the truth.")


def describe_group_test(test: pd.DataFrame, group_col: str, alpha: float = 0.05) -> str:
    """Which steps convert differently across the groups (Pearson's chi-square test)."""
    t = test.dropna(subset=["p"])
    if t.empty:
        return f"There are too few groups of {group_col} to compare."
    differ = t[t["p"] < alpha]
    same = t[t["p"] >= alpha]
    parts = []
    if len(differ):
        parts.append(f"conversion differs by {group_col} at " + ", ".join(
            f"{r.stage} (chi-square {r.statistic:.1f}, df {int(r.df)}, {_p(r.p)})" for r in differ.itertuples()))
    if len(same):
        parts.append(f"the data show no difference by {group_col} at " + ", ".join(
            f"{r.stage} ({_p(r.p)})" for r in same.itertuples()))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def describe_paths(paths: pd.DataFrame, length: int) -> str:
    """The most common first steps and how concentrated the paths are."""
    top = paths[paths["path"] != "(other paths)"]
    if top.empty:
        return "No paths to show."
    first = top.iloc[0]
    return (f"The most common first {length} events are {first['path']} ({int(first['customers']):,} customers, "
            f"{_pct(first['share'])}); the {len(top)} most common paths cover {_pct(top['share'].sum())} of the customers.")


def describe_loops(loops: pd.DataFrame) -> str:
    """Repeated touchpoints per customer."""
    if loops.empty:
        return "The log has no touchpoints outside the funnel, so there are no loops to count."
    parts = [f"{_pct(r.repeat_share, 0)} of the {r.customers:,} customers with a {r.touchpoint} touchpoint had it "
             f"more than once (mean {r.mean_per_customer:.1f}, up to {r.max_per_customer}), "
             f"{r.back_to_back:,} times straight after another" for r in loops.itertuples()]
    return "Loops: " + "; ".join(parts) + ". Longer-staying customers have more of them, which matters below."


def describe_touchpoints(touchpoints: pd.DataFrame, bad_score: float | None) -> str:
    """Mean satisfaction per scored touchpoint, lowest first."""
    t = touchpoints.dropna(subset=["mean_score"]).sort_values("mean_score")
    if t.empty:
        return "No touchpoint has satisfaction scores."
    parts = [f"{r.touchpoint} {r.mean_score:.2f} (95% CI {r.ci_lower:.2f} to {r.ci_upper:.2f}"
             + (f", {_pct(r.bad_share, 0)} bad" if bad_score is not None and np.isfinite(r.bad_share) else "") + ")"
             for r in t.itertuples()]
    bad = f" A score of {bad_score:g} or less counts as a bad experience." if bad_score is not None else ""
    return f"Mean satisfaction, lowest first: {'; '.join(parts)}.{bad}"


def describe_moments(summary: pd.DataFrame, alpha: float = 0.05) -> str:
    """Each touchpoint's hazard ratio per bad experience, from the time-varying model."""
    parts = []
    for r in summary.sort_values("p").itertuples():
        verdict = ("a moment of truth" if r.p < alpha and r.hazard_ratio > 1 else
                   "protective" if r.p < alpha else "not distinguishable from no effect")
        parts.append(f"each bad {r.touchpoint} experience multiplies the churn hazard from then on by "
                     f"{r.hazard_ratio:.2f} (95% CI {r.ci_lower:.2f} to {r.ci_upper:.2f}, {_p(r.p)}): {verdict}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def describe_naive_bias(summary: pd.DataFrame) -> str:
    """The per-customer count model's answer beside the time-varying one."""
    parts = [f"{r.touchpoint} {r.naive_hazard_ratio:.2f} instead of {r.hazard_ratio:.2f}" for r in summary.itertuples()]
    lower = int((summary["naive_hazard_ratio"] < summary["hazard_ratio"]).sum())
    return (f"The naive model, which counts each customer's bad experiences over the whole lifetime, gives "
            f"{'; '.join(parts)}. It is lower for {lower} of {len(summary)} touchpoints: customers who stay "
            "longer collect more touchpoints, so a high count goes with a long life (immortal time), and a "
            "harmful experience can even look protective.")


def describe_truth(comparison: pd.DataFrame) -> str:
    """How many known quantities fall inside their intervals."""
    if comparison.empty:
        return "No known truth for these data: nothing to compare."
    ci = comparison.dropna(subset=["ci_lower"])
    inside = int(ci["inside"].sum())
    misses = ci[~ci["inside"].astype(bool)]["quantity"].tolist()
    text = f"{inside} of {len(ci)} known quantities fall inside their 95% intervals"
    text += f" (outside: {', '.join(misses)})." if misses else "."
    med = comparison[comparison["ci_lower"].isna()]
    if len(med):
        text += " Median days between stages: " + "; ".join(
            f"{r.quantity.replace('median days to ', '')} {r.estimate:.1f} (truth {r.truth:.1f})" for r in med.itertuples()) + "."
    return text


def key_findings(metrics: dict) -> list[str]:
    """Two or three findings, from the values written to ``metrics.json``.

    Uses ``overall_conversion``, ``funnel_start``, ``funnel_end``, ``largest_drop_stage``,
    ``largest_drop_conversion``, ``conversion_window``, and when the churn part ran
    ``moment_touchpoint``, ``moment_hazard_ratio``, ``moment_ci_lower``, ``moment_ci_upper``,
    ``moment_naive_hazard_ratio``.
    """
    out = [f"{100 * metrics['overall_conversion']:.1f}% of customers go from {metrics['funnel_start']} to "
           f"{metrics['funnel_end']}; the weakest step is {metrics['largest_drop_stage']}, reached by "
           f"{100 * metrics['largest_drop_conversion']:.1f}% within {metrics['conversion_window']:g} days."]
    if metrics.get("moment_touchpoint"):
        out.append(f"Each bad {metrics['moment_touchpoint']} experience multiplies the churn hazard by "
                   f"{metrics['moment_hazard_ratio']:.2f} (95% CI {metrics['moment_ci_lower']:.2f} to "
                   f"{metrics['moment_ci_upper']:.2f}).")
        out.append(f"Counting bad experiences per customer instead puts that factor at "
                   f"{metrics['moment_naive_hazard_ratio']:.2f}, because customers who stay longer collect "
                   "more touchpoints.")
    return out


def describe_window(steps: pd.DataFrame, window: float) -> str:
    """Whether the conversion window is long enough: the share of moves that took longer."""
    done = steps[steps["event"] == 1]
    late = done.groupby("stage", sort=False)["duration"].apply(lambda d: float((d > window).mean()))
    worst = late.max() if len(late) else 0.0
    verdict = ("the window is long enough" if worst <= 0.02 else
               "a longer window would count them (set conversion_window)")
    return (f"Of the observed moves to the next stage, at most {_pct(worst)} per step took longer than "
            f"{window:g} days ({', '.join(f'{k} {_pct(v)}' for k, v in late.items())}): {verdict}.")


def describe_proportional(check: pd.DataFrame) -> str:
    """The proportional-hazards check of the moments-of-truth model in words."""
    cut = check["cut"].iloc[0]
    bad = check[~check["proportional"]]
    head = (f"Splitting follow-up at {cut:.0f} days (the median churn time), the hazard ratios before and after are "
            + "; ".join(f"{r.touchpoint} {r.hazard_ratio_early:.2f} and {r.hazard_ratio_late:.2f} ({_p(r.p)})"
                        for r in check.itertuples()) + ". ")
    if bad.empty:
        return head + "None changes detectably, so one hazard ratio per touchpoint is a fair summary."
    return head + (f"The effect of {', '.join(bad['touchpoint'])} changes over follow-up: its hazard ratio is an "
                   "average over time; report the two periods separately if the difference matters.")
