"""Churn as time to event: Kaplan-Meier curves, the log-rank test, the Cox model and per-customer
scores, with plain-language sentences for the lesson.

The heavy lifting is done by lifelines (Davidson-Pilon, 2019). The pieces live in small modules,
all re-exported here so a notebook needs one import:

- :mod:`cxlib.churn_data`: loading, durations from dates, validation, encoding, pre-fit checks;
- :mod:`cxlib.cox`: the Cox model, its predictions and the proportional-hazards test;
- :mod:`cxlib.survival_metrics`: held-out validation;
- :mod:`cxlib.churn_logistic`: the logistic baseline at a horizon;
- :mod:`cxlib.churn_plots`: the figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .churn_data import (
    TABLE,
    TIME_UNITS,
    CovariateEncoder,
    check_covariates,
    describe_data,
    load_churn_data,
    prepare_churn_data,
)
from .config import resolve_path
from .cox import CoxChurnModel, schoenfeld_test, stratified_alternative, stratify_candidates
from .data import DataError

__all__ = [
    "TIME_UNITS",
    "prepare_churn_data",
    "load_churn_data",
    "CovariateEncoder",
    "check_covariates",
    "CoxChurnModel",
    "schoenfeld_test",
    "stratify_candidates",
    "stratified_alternative",
    "kaplan_meier",
    "median_survival_table",
    "logrank_test",
    "survival_table",
    "risk_tiers",
    "score_active_customers",
    "compare_with_truth",
    "describe_data",
    "describe_hazard_ratios",
    "describe_proportional_hazards",
    "describe_logrank",
    "describe_medians",
    "describe_truth",
    "describe_scores",
]


# --------------------------------------------------------------------------------------------
# Kaplan-Meier and the log-rank test
# --------------------------------------------------------------------------------------------

def _group_labels(s: pd.Series) -> pd.Series:
    """Group values as text; whole numbers stored as floats print as 0, 1 rather than 0.0, 1.0."""
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.dropna(), 1) == 0):
        s = s.astype("Int64")
    return s.astype(str)


def kaplan_meier(df: pd.DataFrame, group_col: str | None = None, *, duration_col: str = "duration",
                 event_col: str = "event", alpha: float = 0.05) -> dict:
    """Kaplan-Meier fits overall (key ``"all"``) or per group (sorted group labels).

    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)` (Kaplan and Meier, 1958,
    "Nonparametric estimation from incomplete observations"), with Greenwood log-log bands.
    """
    from lifelines import KaplanMeierFitter

    groups = {"all": df} if group_col is None else {
        k: g for k, g in df.groupby(_group_labels(df[group_col]), sort=True)}
    fits = {}
    for label, g in groups.items():
        fits[label] = KaplanMeierFitter(alpha=alpha, label=label).fit(
            g[duration_col], g[event_col])
    return fits


def survival_table(fits: dict, times) -> pd.DataFrame:
    """Tidy KM table: ``group, time, survival, ci_lower, ci_upper, at_risk`` at ``times``."""
    rows = []
    times = np.atleast_1d(np.asarray(times, dtype=float))
    for label, kmf in fits.items():
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        t = sf.index.to_numpy(dtype=float)
        durations = kmf.durations
        for time in times:
            i = max(np.searchsorted(t, time, side="right") - 1, 0)
            rows.append({"group": label, "time": time, "survival": float(sf.iloc[i]),
                         "ci_lower": float(ci.iloc[i, 0]), "ci_upper": float(ci.iloc[i, 1]),
                         "at_risk": int((durations >= time).sum())})
    return pd.DataFrame(rows)


def median_survival_table(fits: dict) -> pd.DataFrame:
    """Median lifetime per group with its confidence interval (NaN when not reached)."""
    from lifelines.utils import median_survival_times

    rows = []
    for label, kmf in fits.items():
        med = float(kmf.median_survival_time_)
        ci = median_survival_times(kmf.confidence_interval_survival_function_)
        rows.append({"group": label, "n": int(len(kmf.durations)),
                     "events": int(np.sum(kmf.event_observed)),
                     "median": med if np.isfinite(med) else np.nan,
                     "ci_lower": float(ci.iloc[0, 0]) if np.isfinite(ci.iloc[0, 0]) else np.nan,
                     "ci_upper": float(ci.iloc[0, 1]) if np.isfinite(ci.iloc[0, 1]) else np.nan})
    return pd.DataFrame(rows)


def logrank_test(df: pd.DataFrame, group_col: str, *, duration_col: str = "duration",
                 event_col: str = "event") -> dict:
    """Log-rank test that all groups share one survival curve (Mantel, 1966).

    Returns ``{"statistic", "df", "p", "groups"}``.
    """
    from lifelines.statistics import multivariate_logrank_test

    groups = _group_labels(df[group_col])
    if groups.nunique() < 2:
        raise DataError(f"the log-rank test needs at least two groups; '{group_col}' has one",
                        table=TABLE, column=group_col, source=df.attrs.get("source"))
    res = multivariate_logrank_test(df[duration_col], groups, df[event_col])
    return {"statistic": float(res.test_statistic), "df": int(res.degrees_of_freedom),
            "p": float(res.p_value), "groups": sorted(groups.unique())}


# --------------------------------------------------------------------------------------------
# Per-customer output
# --------------------------------------------------------------------------------------------

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


def score_active_customers(model: CoxChurnModel, df: pd.DataFrame, horizon: float,
                           cutoffs: Sequence[float] = (0.2, 0.5)) -> pd.DataFrame:
    """Scores for customers still active (``event == 0``): the table ``customers.csv``.

    Columns: ``customer_id, tenure, survival_horizon, churn_probability, risk_tier,
    remaining_lifetime, window_end, capped`` (see :meth:`CoxChurnModel.predict_remaining`).

    When the window is cut at the longest follow-up (``capped``) the probabilities cover a
    shorter window than the horizon and would look safer than they are, so those customers get
    the tier ``"beyond follow-up"`` instead of a risk tier.
    """
    active = df[df["event"] == 0]
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


def compare_with_truth(summary: pd.DataFrame, data_path) -> pd.DataFrame:
    """Estimated vs true hazard coefficients when ``truth.json`` sits next to the data file.

    Returns ``covariate, true_coef, coef, ci_lower, ci_upper, inside`` (log-hazard scale);
    an empty table (same columns) when there is no truth file or it has no hazard section.
    """
    cols = ["covariate", "true_coef", "coef", "ci_lower", "ci_upper", "inside"]
    path = Path(resolve_path(data_path)).parent / "truth.json"
    if not path.exists():
        return pd.DataFrame(columns=cols)
    truth = json.loads(path.read_text()).get("hazard", {}).get("coefficients", {})
    rows = []
    for _, r in summary.iterrows():
        if r["covariate"] in truth:
            lo, hi = np.log(r["ci_lower"]), np.log(r["ci_upper"])
            true = float(truth[r["covariate"]])
            rows.append({"covariate": r["covariate"], "true_coef": true, "coef": r["coef"],
                         "ci_lower": lo, "ci_upper": hi, "inside": bool(lo <= true <= hi)})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Plain-language sentences
# --------------------------------------------------------------------------------------------

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
