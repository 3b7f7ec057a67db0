"""What to fix first: the ranked driver table, the ordinal check of the driver model, mean ratings
and the importance-performance map (Martilla & James, 1977)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import DataError, limited_sample
from .drivers import DriverModel, OrdinalDriverModel, rank_agreement
from .metrics import csat_summary

__all__ = ["QUADRANTS", "driver_table", "ordinal_check", "mean_ratings", "importance_performance"]


QUADRANTS = {  # Martilla & James (1977) names
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


def driver_table(model: DriverModel, importance, mean_ratings: pd.Series,
                 johnson=None) -> pd.DataFrame:
    """One ranked row per driver: OLS effect, relative importance with interval, mean rating.

    Parameters
    ----------
    model : DriverModel
        Fitted OLS driver model.
    importance : RelativeImportance
        Fitted relative importance (LMG by default).
    mean_ratings : Series
        Mean rating of each driver (available-case), the "performance" axis.
    johnson : RelativeImportance, optional
        Johnson's relative weights, added as ``johnson_weight`` and ``johnson_rank``.
    """
    s = model.summary_
    imp = importance.summary_.reindex(s.index)
    out = pd.DataFrame({
        "driver": s.index, "coef": s["coef"].to_numpy(), "std_coef": s["std_coef"].to_numpy(),
        "p": s["p"].to_numpy(), "importance": imp["importance"].to_numpy(),
        "importance_ci_lower": imp["ci_lower"].to_numpy(),
        "importance_ci_upper": imp["ci_upper"].to_numpy(),
        "importance_share": imp["share"].to_numpy(), "rank": imp["rank"].to_numpy(),
        "rank_stability": imp["rank_stability"].to_numpy(),
        "mean_rating": pd.Series(mean_ratings).reindex(s.index).to_numpy(),
        "vif": s["vif"].to_numpy(),
    })
    if johnson is not None:
        jw = johnson.summary_.reindex(s.index)
        out["johnson_weight"] = jw["importance"].to_numpy()
        out["johnson_rank"] = jw["rank"].to_numpy()
    return out.sort_values("rank").reset_index(drop=True)


#: Responses the ordinal logit check is fitted on at most (a seeded sample beyond): the check
#: compares rankings, which this many answers settle, and the fit's time grows with the rows.
ORDINAL_MAX_ROWS = 50_000


def ordinal_check(df: pd.DataFrame, target: str, drivers: Sequence[str],
                  model: DriverModel, *, max_rows: int | None = ORDINAL_MAX_ROWS,
                  seed: int = 0) -> tuple[pd.DataFrame | None, str]:
    """Refit as an ordinal logit and compare its driver ranking with OLS.

    With more than ``max_rows`` responses the ordinal logit is fitted on a seeded random sample
    of that many (None or 0: all), and the sentence says so.

    Returns the comparison table (``None`` when the ordinal model does not apply or fails) and a
    sentence saying what it showed.
    """
    n_all = len(df)
    rows = limited_sample(n_all, max_rows, seed)
    sampled = rows is not None
    if sampled:
        df = df.iloc[rows]
    try:
        ordinal = OrdinalDriverModel().fit(df, target, drivers)
    except DataError as exc:
        return None, f"Ordinal logit check skipped: {exc}"
    table = pd.DataFrame({
        "ols_std_coef": model.summary_["std_coef"],
        "ols_rank": model.summary_["std_coef"].rank(ascending=False).astype(int),
        "ordinal_coef": ordinal.summary_["coef"], "ordinal_odds_ratio": ordinal.summary_["odds_ratio"],
        "ordinal_p": ordinal.summary_["p"], "ordinal_std_coef": ordinal.summary_["std_coef"],
        "ordinal_rank": ordinal.summary_["std_coef"].rank(ascending=False).astype(int),
    })
    tau = rank_agreement(table["ols_std_coef"], table["ordinal_std_coef"])
    same = (table["ols_rank"] == table["ordinal_rank"]).all()
    verdict = ("ranks the drivers exactly as OLS does" if same else
               f"ranks the drivers much like OLS (Kendall's tau = {tau:.2f})" if tau >= 0.6 else
               f"ranks the drivers differently from OLS (Kendall's tau = {tau:.2f}); the equal-"
               "spacing assumption of OLS matters here, prefer the ordinal ranking")
    note = "" if ordinal.converged_ else " (the fit did not fully converge)"
    on = (f"a random sample of {ordinal.n_:,} of the {n_all:,} responses (seed {seed})" if sampled
          else f"{ordinal.n_:,} responses")
    return table.sort_values("ordinal_rank"), f"The ordinal logit on {on}{note} {verdict}."


def mean_ratings(df: pd.DataFrame, columns: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean of each rating column over the answers given, with a t interval
    (``mean``, ``ci_lower``, ``ci_upper``, ``n``; one row per column)."""
    rows = {}
    for c in columns:
        r = csat_summary(df[c], confidence=confidence)
        rows[c] = {"mean": r["csat_mean"], "ci_lower": r["csat_mean_ci_lower"],
                   "ci_upper": r["csat_mean_ci_upper"], "n": int(r["n"])}
    out = pd.DataFrame(rows).T
    out.index.name = "driver"
    return out.astype({"mean": float, "ci_lower": float, "ci_upper": float, "n": int})


def importance_performance(importance: pd.Series, performance: pd.Series, *,
                           importance_ci: pd.DataFrame | None = None,
                           performance_ci: pd.DataFrame | None = None) -> pd.DataFrame:
    """Importance-performance map (Martilla & James, 1977, "Importance-Performance Analysis",
    Journal of Marketing 41(1)).

    Importance is normalised to shares summing to 1; the quadrant lines sit at the mean
    importance (1/p) and the mean performance. ``fix_first`` marks "Concentrate here": above
    average importance, below average performance. Rows come fix-first, then by importance.

    ``importance_ci`` (interval of each driver's share: ``share_ci_lower`` / ``share_ci_upper``,
    as in ``RelativeImportance.summary_``, else ``ci_lower`` / ``ci_upper``) and ``performance_ci``
    (``ci_lower`` / ``ci_upper`` of :func:`mean_ratings`) are optional; with them, ``close_call``
    marks drivers whose interval crosses a quadrant line, so their quadrant could change in
    another sample.
    """
    imp = pd.Series(importance, dtype=float)
    imp = imp / imp.sum()
    perf = pd.Series(performance, dtype=float).reindex(imp.index)
    imp_line, perf_line = imp.mean(), perf.mean()
    high_imp = imp >= imp_line
    high_perf = perf >= perf_line
    out = pd.DataFrame({
        "driver": imp.index, "importance": imp.to_numpy(), "performance": perf.to_numpy(),
        "quadrant": [QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_imp, high_perf)],
    })
    out["fix_first"] = out["quadrant"] == QUADRANTS[(True, False)]
    close = np.zeros(len(out), dtype=bool)
    for ci, line, prefix in [(importance_ci, imp_line, "importance"),
                             (performance_ci, perf_line, "performance")]:
        if ci is None:
            continue
        ci = pd.DataFrame(ci).reindex(imp.index)
        key = "share_ci" if prefix == "importance" and "share_ci_lower" in ci else "ci"
        lower = ci[f"{key}_lower"].to_numpy(dtype=float)
        upper = ci[f"{key}_upper"].to_numpy(dtype=float)
        out[f"{prefix}_ci_lower"], out[f"{prefix}_ci_upper"] = lower, upper
        close |= (lower <= line) & (line <= upper)
    if importance_ci is not None or performance_ci is not None:
        out["close_call"] = close
    out.attrs.update(importance_line=float(imp_line), performance_line=float(perf_line))
    return out.sort_values(["fix_first", "importance"], ascending=[False, False]).reset_index(drop=True)
