"""Retention by variant: Kaplan-Meier curves, the log-rank test and the Cox hazard ratio.

Everything is computed from the counts of units per (variant, duration, event): the same
estimates as from one row per unit, from a table whose size does not grow with the number of
units. lifelines fits the curves and the log-rank test with the counts as case weights. The Cox
model with the variant as its one covariate is fitted here, because lifelines' Efron correction
for tied churn times treats a weighted row as one unit and so differs from the fit on rows; the
partial likelihood below handles ties exactly as R's ``coxph`` does on one row per unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core import DataError
from .data import TABLE
from .statistics import retention_counts

__all__ = ["RetentionComparison", "RETENTION_COLUMNS", "cox_binary"]

RETENTION_COLUMNS = ["variant", "hazard_ratio", "ci_lower", "ci_upper", "logrank_p"]


def cox_binary(counts: pd.DataFrame) -> tuple[float, float]:
    r"""Cox model with one 0/1 covariate from grouped counts: ``(coef, se)``, Efron ties.

    Parameters
    ----------
    counts : DataFrame
        ``duration, event, treated (0/1), count``.

    Notes
    -----
    At each distinct time :math:`t_j` with :math:`d_{gj}` events and :math:`n_{gj}` units at risk
    in group :math:`g` (1 = treated), :math:`d_j = d_{0j} + d_{1j}`, Efron's (1977) partial
    log-likelihood is

    .. math:: \ell(\beta) = \sum_j \Big[\beta d_{1j} - \sum_{l=0}^{d_j - 1}
              \log\big(e^\beta (n_{1j} - \tfrac{l}{d_j} d_{1j}) + n_{0j} - \tfrac{l}{d_j} d_{0j}\big)\Big],

    maximised by Newton's method; the standard error is the inverse square root of the observed
    information, as in ``coxph``.
    """
    c = counts.assign(ev=counts["count"] * counts["event"])
    times = np.sort(c.loc[c["ev"] > 0, "duration"].unique())
    per = {}
    for g in (0.0, 1.0):
        part = c[c["treated"] == g]
        ev = part.groupby("duration")["ev"].sum().reindex(times, fill_value=0).to_numpy(float)
        order = np.argsort(part["duration"].to_numpy(float), kind="stable")
        dur = part["duration"].to_numpy(float)[order]
        before = np.concatenate([[0.0], np.cumsum(part["count"].to_numpy(float)[order])])
        # units still at risk at t: all minus those whose duration is below t
        risk = before[-1] - before[np.searchsorted(dur, times, side="left")]
        per[g] = (ev, risk.astype(float))
    (d0, n0), (d1, n1) = per[0.0], per[1.0]
    d = d0 + d1
    reps = d.astype(int)
    j = np.repeat(np.arange(len(times)), reps)
    frac = (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)) / np.repeat(d, reps)
    a = n1[j] - frac * d1[j]
    b = n0[j] - frac * d0[j]
    beta = 0.0
    for _ in range(100):
        ea = np.exp(beta) * a
        score = d1.sum() - (ea / (ea + b)).sum()
        info = (ea * b / (ea + b) ** 2).sum()
        step = score / info
        beta += float(np.clip(step, -1.0, 1.0))
        if abs(step) < 1e-12:
            break
    ea = np.exp(beta) * a
    info = (ea * b / (ea + b) ** 2).sum()
    return float(beta), float(1 / np.sqrt(info))


class RetentionComparison:
    """Each variant's retention against the control's.

    Parameters
    ----------
    control : str
    alpha : float
        1 - confidence level of the curves' bands and of the hazard-ratio intervals.

    Attributes
    ----------
    counts_ : DataFrame
        ``variant, duration, event, count``.
    fits_ : dict
        lifelines ``KaplanMeierFitter`` per variant (control first).
    summary_ : DataFrame
        :data:`RETENTION_COLUMNS` plus ``coef``, ``se``, ``logrank_statistic``, ``n``,
        ``events``, one row per non-control variant.

    Notes
    -----
    The Cox model (Cox, 1972) with one 0/1 covariate, variant vs control, Efron ties; the
    log-rank test (Mantel, 1966) of each variant against the control.
    """

    def __init__(self, control: str, alpha: float = 0.05):
        self.control = control
        self.alpha = alpha

    def fit(self, df: pd.DataFrame, duration_col: str, event_col: str) -> RetentionComparison:
        """Fit on a table from :func:`~cxlib.experiments.prepare_experiment`."""
        return self.fit_counts(retention_counts(df, duration_col, event_col))

    def fit_counts(self, counts: pd.DataFrame) -> RetentionComparison:
        """Fit on ``variant, duration, event, count`` computed elsewhere."""
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import logrank_test

        variants = [self.control] + sorted(v for v in counts["variant"].unique() if v != self.control)
        if self.control not in set(counts["variant"]):
            raise DataError(f"the control {self.control!r} has no units", table=TABLE)
        self.counts_ = counts.copy()
        self.fits_ = {}
        for v in variants:
            g = counts[counts["variant"] == v]
            self.fits_[v] = KaplanMeierFitter(alpha=self.alpha, label=str(v)).fit(
                g["duration"], g["event"], weights=g["count"])
        c = counts[counts["variant"] == self.control]
        rows = []
        for v in variants[1:]:
            g = counts[counts["variant"] == v]
            lr = logrank_test(g["duration"], c["duration"], g["event"], c["event"],
                              weights_A=g["count"], weights_B=c["count"])
            both = pd.concat([g.assign(treated=1.0), c.assign(treated=0.0)])
            events = int((both["event"] * both["count"]).sum())
            if events == 0:
                raise DataError(f"no events in {v!r} or the control: retention cannot be compared",
                                table=TABLE)
            coef, se = cox_binary(both)
            z = stats.norm.ppf(1 - self.alpha / 2)
            rows.append({"variant": v, "hazard_ratio": float(np.exp(coef)),
                         "ci_lower": float(np.exp(coef - z * se)),
                         "ci_upper": float(np.exp(coef + z * se)),
                         "logrank_p": float(lr.p_value), "coef": coef, "se": se, "logrank_statistic": float(lr.test_statistic),
                         "n": int(both["count"].sum()), "events": events})
        self.summary_ = pd.DataFrame(rows)
        return self
