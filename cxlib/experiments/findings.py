"""The experiment lesson's key findings: the sentences the report index shows first, built from
the values the notebook writes to ``metrics.json`` so that every number in them is a result."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .sentences import format_difference, format_p

__all__ = ["effect_metrics", "cuped_metrics", "key_findings"]

_EFFECT_FIELDS = ["difference", "ci_lower", "ci_upper", "relative_lift", "rel_ci_lower",
                  "rel_ci_upper", "p", "p_adjusted"]


def effect_metrics(summary: pd.DataFrame) -> dict:
    """``{metric: {variant: {difference, ..., p_adjusted, kind, significant}}}`` for metrics.json."""
    out: dict = {}
    for _, r in summary.iterrows():
        values = {k: float(r[k]) for k in _EFFECT_FIELDS}
        values.update(kind=str(r["kind"]), significant=bool(r["significant"]))
        out.setdefault(str(r["metric"]), {})[str(r["variant"])] = values
    return out


def cuped_metrics(cuped: pd.DataFrame) -> dict:
    """``{metric: {variant: {difference, ci_lower, ci_upper, variance_reduction}}}``."""
    out: dict = {}
    for _, r in cuped.iterrows():
        out.setdefault(str(r["metric"]), {})[str(r["variant"])] = {
            k: float(r[k]) for k in ("difference", "ci_lower", "ci_upper", "variance_reduction")}
    return out


def key_findings(metrics: Mapping, units: Mapping[str, str] | None = None,
                 alpha: float = 0.05) -> list[str]:
    """Two or three sentences: a failed split first, then what worked and what stays unclear.

    Parameters
    ----------
    metrics : mapping
        The notebook's ``metrics.json`` values: ``srm_ok``, ``srm_statistic``, ``srm_p``,
        ``effects`` (:func:`effect_metrics`), optionally ``cuped`` (:func:`cuped_metrics`) and
        ``peeking``.
    units : mapping, optional
        Unit of each numeric metric.
    alpha : float
        The level the effects were tested at.

    A "not significant" effect is stated with its interval, never as "no effect".
    """
    units = dict(units or {})
    rows = [dict(v, metric=m, variant=var) for m, by in metrics["effects"].items()
            for var, v in by.items()]

    def between(r):
        unit = units.get(r["metric"], "")
        return (f"{format_difference(r['ci_lower'], r['kind'], unit)} to "
                f"{format_difference(r['ci_upper'], r['kind'], unit)}")

    found = []
    if not metrics["srm_ok"]:
        found.append(f"The traffic split failed its check (chi-square {metrics['srm_statistic']:.1f}, "
                     f"{format_p(metrics['srm_p'])}), so every effect in this report is unreliable "
                     "until the cause is found.")
    significant = sorted((r for r in rows if r["significant"]), key=lambda r: r["p_adjusted"])
    if significant:
        r = significant[0]
        unit = units.get(r["metric"], "")
        found.append(f"In {r['variant']}, {r['metric']} changed by "
                     f"{format_difference(r['difference'], r['kind'], unit)} "
                     f"({r['relative_lift']:+.1%}; {1 - alpha:.0%} CI {between(r)}, Holm-adjusted "
                     f"{format_p(r['p_adjusted'])}).")
    unclear = sorted((r for r in rows if not r["significant"]), key=lambda r: r["p_adjusted"])
    if unclear:
        r = unclear[0]
        found.append(f"{r['metric']} shows no significant change in {r['variant']}, but the data "
                     f"allow anything from {between(r)}: not proof of no effect.")
    for metric, by in (metrics.get("cuped") or {}).items():
        if len(found) < 3:
            reduction = next(iter(by.values()))["variance_reduction"]
            found.append(f"Adjusting {metric} for its pre-period value (CUPED) removed "
                         f"{reduction:.0%} of its variance.")
    peeking = metrics.get("peeking")
    if len(found) < 3 and peeking:
        found.append(f"Checking the p-value daily would declare a false winner in "
                     f"{peeking['false_positive_daily']:.0%} of experiments with no effect, against "
                     f"the {alpha:.0%} promised.")
    return found[:3]
