"""The effect of each variant on each metric: difference and relative lift with intervals,
p-values and p-values adjusted for testing several metrics at once (Holm, 1979)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core import DataError
from .cuped import cuped_effects
from .data import TABLE
from .intervals import newcombe_interval, relative_lift_interval, two_proportion_z, welch_interval
from .statistics import as_records, cap_values, moments, variant_statistics

__all__ = ["ABTest", "RESULT_COLUMNS", "holm"]

RESULT_COLUMNS = ["metric", "variant", "control_mean", "variant_mean", "difference", "ci_lower",
                  "ci_upper", "relative_lift", "rel_ci_lower", "rel_ci_upper", "p", "p_adjusted",
                  "method"]


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values (family-wise error control, any dependence).

    Sorted :math:`p_{(1)} \\le \\dots \\le p_{(m)}` become
    :math:`\\tilde p_{(k)} = \\max_{j \\le k} \\min(1, (m - j + 1)\\, p_{(j)})`.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


class ABTest:
    """Compare every variant with the control on every metric.

    Parameters
    ----------
    control : str
        The control variant's label.
    alpha : float
        1 - confidence level of every interval, and the level of the tests.
    cap_quantile : float
        Numeric (non 0/1) metrics are capped at this pooled quantile before means are compared,
        so one extreme unit cannot decide the result; 1 compares the raw means.

    Attributes
    ----------
    statistics_ : DataFrame
        The per-variant sufficient statistics everything is computed from
        (:func:`~cxlib.experiments.statistics.variant_statistics`).
    summary_ : DataFrame
        One row per (metric, variant): :data:`RESULT_COLUMNS` plus ``kind``, ``n_control``,
        ``n_variant``, ``significant`` (after adjustment).
    cuped_ : DataFrame
        CUPED estimates for the metrics with a pre-period column (empty without).
    caps_ : dict
        ``{metric: cap}`` applied.

    Notes
    -----
    0/1 metrics: difference of proportions with Newcombe's (1998) hybrid score interval and the
    pooled z test. Numbers: Welch's t interval and test. Relative lift: delta method on the log
    ratio. Holm's adjustment runs over all rows (metrics times non-control variants), the
    family of questions the experiment asks.
    """

    def __init__(self, control: str, alpha: float = 0.05, cap_quantile: float = 0.999):
        self.control = control
        self.alpha = alpha
        self.cap_quantile = cap_quantile

    def fit(self, df: pd.DataFrame, metrics: Sequence[str], *,
            pre_metrics: Mapping[str, str] | None = None) -> ABTest:
        """Fit on a table from :func:`~cxlib.experiments.prepare_experiment`."""
        if not 0.5 < self.cap_quantile <= 1:
            raise DataError(f"cap_quantile must be above 0.5 and at most 1 (1 = no capping), "
                            f"got {self.cap_quantile!r}", table=TABLE)
        pre_metrics = dict(pre_metrics or {})
        kinds = {m: df.attrs["kinds"][m] for m in metrics}
        caps = cap_values(df, metrics, kinds, self.cap_quantile)
        pre_kinds = {pre_metrics[m]: kinds[m] for m in pre_metrics}
        caps.update(cap_values(df, list(pre_kinds), pre_kinds, self.cap_quantile))
        stats = variant_statistics(df, metrics, pre_metrics=pre_metrics, caps=caps)
        return self.fit_statistics(stats, kinds, pre_metrics=pre_metrics, caps=caps)

    def fit_statistics(self, stats: pd.DataFrame, kinds: Mapping[str, str], *,
                       pre_metrics: Mapping[str, str] | None = None,
                       caps: Mapping[str, float] | None = None) -> ABTest:
        """Fit on per-variant statistics computed elsewhere (for example by a database engine)."""
        self.statistics_ = stats.copy()
        self.caps_ = dict(caps or {})
        mom = moments(stats)
        if self.control not in set(mom["variant"]):
            raise DataError(f"the control {self.control!r} is not among the variants "
                            f"{', '.join(map(repr, sorted(set(mom['variant']))))}", table=TABLE)
        cell = {(r["variant"], r["metric"]): r for r in as_records(mom)}
        variants = list(dict.fromkeys(mom["variant"]))
        rows = [self._compare(metric, kind, variant, cell[(variant, metric)],
                              cell[(self.control, metric)])
                for metric, kind in kinds.items() for variant in variants
                if variant != self.control]
        table = pd.DataFrame(rows)
        table["p_adjusted"] = holm(table["p"].to_numpy())
        table["significant"] = table["p_adjusted"] < self.alpha
        extra = ["kind", "n_control", "n_variant", "significant"]
        self.summary_ = table[RESULT_COLUMNS + extra].reset_index(drop=True)
        self.cuped_ = cuped_effects(mom, self.control, dict(pre_metrics or {}), self.alpha)
        return self

    def _compare(self, metric, kind, variant, v, c) -> dict:
        a = self.alpha
        if kind == "proportion":
            x1, x0 = v["sum"], c["sum"]
            lo, hi = newcombe_interval(x1, v["n"], x0, c["n"], a)
            _, p = two_proportion_z(x1, v["n"], x0, c["n"])
            var1, var0 = v["mean"] * (1 - v["mean"]), c["mean"] * (1 - c["mean"])
            method = "Newcombe hybrid score interval; pooled z test"
        else:
            w = welch_interval(v["mean"], v["var"], v["n"], c["mean"], c["var"], c["n"], a)
            lo, hi, p = w["ci_lower"], w["ci_upper"], w["p"]
            var1, var0 = v["var"], c["var"]
            method = "Welch t interval and test"
            n_capped = int(v["n_capped"] + c["n_capped"])
            if n_capped:
                method += (f"; values above {v['cap']:.4g} (the pooled "
                           f"{self.cap_quantile:.4g} quantile) capped there ({n_capped} units)")
        lift, rlo, rhi, scale = relative_lift_interval(v["mean"], var1, v["n"], c["mean"], var0,
                                                       c["n"], a)
        return {"metric": metric, "variant": variant, "control_mean": c["mean"],
                "variant_mean": v["mean"], "difference": v["mean"] - c["mean"], "ci_lower": lo,
                "ci_upper": hi, "relative_lift": lift, "rel_ci_lower": rlo, "rel_ci_upper": rhi,
                "p": p, "method": f"{method}; relative lift by the delta method ({scale})",
                "kind": kind, "n_control": int(c["n"]), "n_variant": int(v["n"])}
