"""What customers are worth: teaching formulas, discounted model-based CLV, tiers and a holdout
check of the purchase model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import limited_sample, load_truth, unit_days
from ..core.transactions import to_day, transaction_log

__all__ = [
    "simple_clv",
    "dcf_clv",
    "ltv_cac_ratio",
    "monthly_rate",
    "customer_lifetime_value",
    "score_customers",
    "fit_sample",
    "outlier_effect",
    "describe_outlier_effect",
    "clv_tiers",
    "tier_summary",
    "top_share",
    "describe_value",
    "describe_purchase_model",
    "describe_spend_model",
    "describe_holdout",
    "describe_holdout_by_frequency",
    "describe_model_comparison",
    "frequency_fit",
    "describe_frequency_fit",
    "holdout_by_frequency",
    "compare_with_truth",
    "holdout_errors",
    "compare_models",
    "cumulative_tracking",
]


# --- teaching formulas -----------------------------------------------------------------------

def simple_clv(margin: float, purchase_rate: float, expected_lifetime: float) -> float:
    """CLV as margin per purchase x purchases per period x expected lifetime in periods.

    With a constant retention rate ``m`` per period the expected lifetime is ``1 / (1 - m)``
    periods. No discounting and one average customer: a baseline, not a forecast.
    """
    return float(margin) * float(purchase_rate) * float(expected_lifetime)


def dcf_clv(cash_flows: Sequence[float], discount_rate: float, costs: Sequence[float] | None = None,
            start: int = 1) -> float:
    """Discounted cash-flow CLV, ``sum_t (R_t - C_t) / (1 + d)^t`` for ``t = start, start+1, ...``.

    With ``start=1`` (the usual convention: flows arrive at the end of each period) the
    textbook example 1000, 800, 900, 1200, 1100 at 10% is 3,749.06; with ``start=0`` (the first
    flow undiscounted) it is 4,123.97.
    """
    r = np.asarray(cash_flows, dtype=float)
    c = np.zeros_like(r) if costs is None else np.asarray(costs, dtype=float)
    if c.shape != r.shape:
        raise ValueError(f"costs has {c.size} values but cash_flows has {r.size}")
    t = np.arange(start, start + r.size)
    return float(np.sum((r - c) / (1.0 + discount_rate) ** t))


def ltv_cac_ratio(order_value: float, frequency: float, retention: float, acquisition_cost: float) -> float:
    """The ratio ``order value x frequency x retention / acquisition cost``.

    This is a value-to-acquisition-cost ratio (a rough LTV:CAC), not a CLV: it is unitless and
    compares one period's retained revenue with the cost of winning the customer.
    """
    if acquisition_cost <= 0:
        raise ValueError(f"acquisition_cost must be > 0, got {acquisition_cost}")
    return float(order_value) * float(frequency) * float(retention) / float(acquisition_cost)


def monthly_rate(annual_rate: float) -> float:
    """The monthly discount rate equivalent to an annual one, ``(1 + d)^(1/12) - 1``."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


# --- model-based CLV --------------------------------------------------------------------------

def customer_lifetime_value(bgf, ggf, summary: pd.DataFrame, horizon: float, time_unit: str = "W",
                            discount_rate: float = 0.10, margin: float = 1.0,
                            frequency_col: str = "frequency", recency_col: str = "recency",
                            T_col: str = "T", monetary_col: str = "monetary_value") -> pd.Series:
    """Discounted CLV over the next ``horizon`` time units.

    ``CLV = margin x E[spend] x sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d_m)^k``, where the
    horizon is cut into months ``t_k`` (the last one may be partial), ``E[Y(t)]`` is the BG/NBD
    conditional expectation, ``E[spend]`` the Gamma-Gamma expected spend per purchase and
    ``d_m = (1 + discount_rate)^(1/12) - 1`` the monthly rate of the annual ``discount_rate``.

    Parameters
    ----------
    bgf, ggf : fitted BetaGeoFitter and GammaGammaFitter (on the same time unit as ``summary``).
    horizon : float
        Length of the forecast in ``time_unit`` (52 weeks is a year).
    discount_rate : float
        Annual discount rate.
    margin : float
        Profit margin as a share of spend (1 gives revenue).
    """
    month = unit_days("M") / unit_days(time_unit)
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in (frequency_col, recency_col, T_col))
    spend = ggf.predict_spend(x, summary[monetary_col].to_numpy(dtype=float))
    d_m = monthly_rate(discount_rate)
    n_months = max(1, math.ceil(horizon / month - 1e-9))
    value = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for k in range(1, n_months + 1):
        cumulative = bgf.predict_purchases(min(k * month, horizon), x, t_x, T)
        value += (cumulative - previous) / (1.0 + d_m) ** k
        previous = cumulative
    return pd.Series(margin * spend * value, index=summary.index, name="clv")


#: Customers scored at a time by :func:`score_customers`: bounds the memory of the monthly sums.
SCORE_CHUNK_ROWS = 100_000


def fit_sample(summary: pd.DataFrame, max_rows: int, seed: int = 0) -> pd.DataFrame:
    """The customers to fit the models on: all of them, or a seeded random sample of ``max_rows``.

    Maximum likelihood on a random sample of customers estimates the same population
    parameters, with standard errors that grow as ``1 / sqrt(max_rows)``; every customer is still
    scored with them (:func:`score_customers`). The sample keeps the summary's order.

    Parameters
    ----------
    summary : DataFrame
        The per-customer summary (:func:`~cxlib.clv.rfm_summary`).
    max_rows : int
        Largest number of customers to fit on; 0 (or ``None``) for no limit.
    seed : int
        Seed of the sample, so a rerun fits the same customers.
    """
    rows = limited_sample(len(summary), max_rows, seed)
    return summary if rows is None else summary.iloc[rows]


def score_customers(bgf, ggf, summary: pd.DataFrame, horizon: float, time_unit: str = "W",
                    discount_rate: float = 0.10, margin: float = 1.0,
                    chunk_rows: int = SCORE_CHUNK_ROWS) -> pd.DataFrame:
    """The per-customer table: summary, P(alive), expected purchases and spend over the horizon, CLV.

    Columns: ``customer_id, frequency, recency, T, monetary_value, p_alive, expected_purchases,
    expected_spend, clv`` (the summary must use the canonical column names). Customers are
    scored ``chunk_rows`` at a time, so memory stays bounded however many there are.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    parts = [_score_chunk(bgf, ggf, summary.iloc[start:start + chunk_rows], horizon, time_unit,
                          discount_rate, margin)
             for start in range(0, max(len(summary), 1), chunk_rows)]
    out = pd.concat(parts) if len(parts) > 1 else parts[0]
    out.index.name = "customer_id"
    return out.reset_index()


def _score_chunk(bgf, ggf, summary: pd.DataFrame, horizon: float, time_unit: str, discount_rate: float,
                 margin: float) -> pd.DataFrame:
    pred = bgf.predict(summary, horizon)
    out = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = pred["p_alive"]
    out["expected_purchases"] = pred["expected_purchases"]
    out["expected_spend"] = ggf.predict_spend(summary["frequency"], summary["monetary_value"])
    out["clv"] = customer_lifetime_value(bgf, ggf, summary, horizon, time_unit, discount_rate, margin)
    return out


def outlier_effect(all_purchases: pd.DataFrame, capped: pd.DataFrame, ggf_all, ggf_capped) -> pd.DataFrame:
    """Headline value with all purchase amounts and with the flagged ones capped, side by side.

    ``all_purchases`` and ``capped`` are :func:`score_customers` tables; ``ggf_all`` and
    ``ggf_capped`` the Gamma-Gamma fits behind them. Rows: total CLV, mean CLV and the
    Gamma-Gamma mean spend per purchase (``v p / (q - 1)``); columns ``all_purchases``,
    ``flagged_capped`` and ``change_pct`` (capped relative to all, in percent).
    """
    values = {
        "total CLV": (all_purchases["clv"].sum(), capped["clv"].sum()),
        "mean CLV": (all_purchases["clv"].mean(), capped["clv"].mean()),
        "Gamma-Gamma mean spend": (ggf_all.population_mean_spend(), ggf_capped.population_mean_spend()),
    }
    out = pd.DataFrame(values, index=["all_purchases", "flagged_capped"]).T.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_pct"] = 100.0 * (out["flagged_capped"] / out["all_purchases"] - 1.0)
    return out.rename_axis("quantity").reset_index()


def describe_outlier_effect(effect: pd.DataFrame, n_flagged: int, limit: float | None, currency: str = "") -> str:
    """A plain-language reading of :func:`outlier_effect`."""
    if limit is None:
        return "The outlier check of the amounts is off (outlier_mads = 0), so nothing was flagged or capped."
    if not n_flagged:
        return (f"No purchase amount is above the outlier limit of {currency}{limit:,.2f}, so the value "
                "below rests on no extreme amount; capping changes nothing.")
    row = effect.set_index("quantity")
    total, mean, spend = (row.loc[k] for k in ("total CLV", "mean CLV", "Gamma-Gamma mean spend"))
    return (f"{n_flagged:,} purchase{'s are' if n_flagged != 1 else ' is'} above the outlier limit of "
            f"{currency}{limit:,.2f}. Capping {'them' if n_flagged != 1 else 'it'} at the limit moves the total "
            f"CLV from {currency}{total['all_purchases']:,.0f} to {currency}{total['flagged_capped']:,.0f} "
            f"({total['change_pct']:+.1f}%), the mean CLV from {currency}{mean['all_purchases']:,.2f} to "
            f"{currency}{mean['flagged_capped']:,.2f} and the mean spend per purchase from "
            f"{currency}{spend['all_purchases']:,.2f} to {currency}{spend['flagged_capped']:,.2f}. "
            "A change of more than a few percent means the headline rests on these few rows: check "
            "them before using it.")


# --- tiers and reading --------------------------------------------------------------------------

TIER_LABELS = ("top 10%", "next 20%", "middle 30%", "bottom 40%")


def clv_tiers(clv, cuts: Sequence[float] = (0.1, 0.3, 0.6), labels: Sequence[str] = TIER_LABELS) -> pd.Series:
    """Tier customers by CLV rank: by default the top 10%, the next 20%, the middle 30% and the
    bottom 40% (ties broken by order, so tier sizes are exact)."""
    clv = pd.Series(clv)
    if len(labels) != len(cuts) + 1:
        raise ValueError(f"{len(cuts)} cuts need {len(cuts) + 1} labels, got {len(labels)}")
    rank = clv.rank(ascending=False, method="first").to_numpy()
    # The same rounding as top_share, so the top tier holds exactly the value it reports.
    bounds = np.round(np.asarray(cuts, dtype=float) * len(clv))
    codes = np.searchsorted(bounds, rank, side="left")
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(labels), ordered=True),
                     index=clv.index, name="tier")


def tier_summary(table: pd.DataFrame, tier_col: str = "tier") -> pd.DataFrame:
    """Customers, value and behaviour per tier: count, share of customers, total and share of
    CLV, mean CLV, mean P(alive), mean expected purchases."""
    g = table.groupby(tier_col, observed=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "total_clv": g["clv"].sum(),
        "mean_clv": g["clv"].mean(),
        "mean_p_alive": g["p_alive"].mean(),
        "mean_expected_purchases": g["expected_purchases"].mean(),
    })
    out.insert(1, "share_of_customers", out["customers"] / out["customers"].sum())
    out.insert(3, "share_of_value", out["total_clv"] / out["total_clv"].sum())
    return out.reset_index()


def top_share(clv, fraction: float = 0.1) -> float:
    """Share of total CLV held by the top ``fraction`` of customers."""
    v = np.sort(np.asarray(clv, dtype=float))[::-1]
    k = max(1, int(round(fraction * len(v))))
    return float(v[:k].sum() / v.sum())


def describe_value(table: pd.DataFrame, horizon: float, time_unit: str = "W",
                   acquisition_cost: float | None = None, currency: str = "") -> str:
    """A plain-language reading of the CLV table."""
    unit = {"D": "days", "W": "weeks", "M": "months"}[time_unit.upper()]
    clv = table["clv"].to_numpy(dtype=float)
    top = top_share(clv, 0.1)
    text = (f"Over the next {horizon:g} {unit}, the {len(clv):,} customers are expected to be worth "
            f"{currency}{clv.sum():,.0f} in discounted margin, {currency}{clv.mean():,.2f} each on "
            f"average (median {currency}{np.median(clv):,.2f}). The top 10% of customers hold "
            f"{top:.0%} of that value. ")
    alive = table["p_alive"].to_numpy(dtype=float)
    text += (f"{np.mean(alive < 0.5):.0%} of customers are more likely gone than still buying "
             "(P(alive) < 0.5).")
    if acquisition_cost:
        ratio = clv.mean() / acquisition_cost
        text += (f" Against an acquisition cost of {currency}{acquisition_cost:,.2f}, the average "
                 f"customer returns {ratio:.2f} times their cost over this horizon "
                 f"({np.mean(clv > acquisition_cost):.0%} of customers are worth more than it).")
    return text


def describe_purchase_model(bgf, time_unit: str = "W") -> str:
    """A plain-language reading of fitted BG/NBD parameters."""
    unit = {"D": "day", "W": "week", "M": "month"}[time_unit.upper()]
    per_year = 365.25 / unit_days(time_unit)
    r, alpha, a, b = (float(bgf.params_[k]) for k in ("r", "alpha", "a", "b"))
    rate = r / alpha
    spread = ("most customers buy rarely and a few buy often (r < 1: a skewed, L-shaped spread)"
              if r < 1 else "rates are spread around that mean (r >= 1)")
    year = float(bgf.expected_purchases_unconditional(per_year))
    return (f"While active, a customer makes on average r/alpha = {rate:.3f} purchases per {unit} "
            f"({rate * per_year:.1f} per year); {spread}. After each purchase a customer leaves for "
            f"good with probability a/(a+b) = {a / (a + b):.2f} on average. A new customer is "
            f"expected to make {year:.2f} repeat purchases in their first year.")


def describe_spend_model(ggf, currency: str = "") -> str:
    """A plain-language reading of fitted Gamma-Gamma parameters."""
    p, q = float(ggf.params_["p"]), float(ggf.params_["q"])
    weight = [p * x / (p * x + q - 1) for x in (1, 5)]
    return (f"The average customer spends {currency}{ggf.population_mean_spend():,.2f} per purchase "
            f"(v p / (q - 1)). A customer's own average counts for {weight[0]:.0%} of their expected "
            f"spend after one repeat purchase and {weight[1]:.0%} after five; the rest is the "
            "population mean, so a single large order does not make a customer look rich.")


def describe_holdout(errors: dict, holdout_length: float, time_unit: str = "W") -> str:
    """A plain-language reading of :func:`holdout_errors`."""
    unit = {"D": "days", "W": "weeks", "M": "months"}[time_unit.upper()]
    direction = "over" if errors["total_error_pct"] > 0 else "under"
    return (f"Fitted on the calibration period only, the model predicted "
            f"{errors['predicted_total']:,.0f} repeat purchases by these {errors['customers']:,} "
            f"customers in the next {holdout_length:.0f} {unit}; they made {errors['actual_total']:,.0f} "
            f"({abs(errors['total_error_pct']):.1f}% {direction}-prediction in total). Per customer the "
            f"mean absolute error is {errors['mae']:.2f} purchases (the naive forecast \"same rate as "
            f"before\" misses by {errors['mae_naive']:.2f}) and predicted and actual counts correlate "
            f"at {errors['correlation']:.2f}: trust the ranking and the totals more than any single "
            "customer's number.")


def describe_holdout_by_frequency(table: pd.DataFrame, min_customers: int = 30,
                                  tolerance: float = 0.10) -> str:
    """A plain-language reading of :func:`holdout_by_frequency`: where the predicted mean misses.

    Buckets with fewer than ``min_customers`` customers are left out of the reading (their means
    are noise); a bucket counts as missed when the predicted mean is more than ``tolerance``
    (relative) away from the actual mean.
    """
    rows = table[(table["customers"] >= min_customers) & (table["actual"] > 0)]
    if rows.empty:
        return f"No frequency bucket has {min_customers} or more customers with holdout purchases to compare."
    rel = rows["predicted"] / rows["actual"] - 1
    worst = rel.abs().idxmax()
    missed = rows.loc[rel.abs() > tolerance, "frequency_cal"].tolist()
    text = (f"Over the {len(rows)} buckets with at least {min_customers} customers, the predicted mean "
            f"is always within {rel.abs().max():.0%} of the actual one; the largest gap is in bucket "
            f"{rows.loc[worst, 'frequency_cal']} (predicted "
            f"{rows.loc[worst, 'predicted']:.2f} against {rows.loc[worst, 'actual']:.2f}, "
            f"{rel[worst]:+.0%}). ")
    if missed:
        under = [f for f, r in zip(rows["frequency_cal"], rel) if r < -tolerance]
        over = [f for f, r in zip(rows["frequency_cal"], rel) if r > tolerance]
        parts = []
        if under:
            parts.append(f"under-predicts the buckets {', '.join(under)}")
        if over:
            parts.append(f"over-predicts the buckets {', '.join(over)}")
        text += f"Beyond {tolerance:.0%}, the model " + " and ".join(parts) + "."
    else:
        text += f"No bucket is off by more than {tolerance:.0%}: the model separates light from heavy buyers well."
    return text


def describe_model_comparison(table: pd.DataFrame) -> str:
    """A plain-language reading of :func:`compare_models` for two models with the same number
    of parameters (BG/NBD and Pareto/NBD have four each), so log-likelihoods compare directly."""
    t = table.sort_values("log_likelihood", ascending=False).reset_index(drop=True)
    best, other = t.iloc[0], t.iloc[1]
    gap = float(best["log_likelihood"] - other["log_likelihood"])
    # Burnham & Anderson (2002): an AIC gap below 2 is negligible, above 10 decisive.
    strength = ("a negligible difference" if gap < 1 else "a moderate difference" if gap < 5
                else "a clear difference")
    closer = t.loc[t["total_error_pct"].abs().idxmin(), "model"]
    return (f"{best['model']} fits the calibration data better: log-likelihood "
            f"{best['log_likelihood']:,.1f} against {other['log_likelihood']:,.1f} for {other['model']}, "
            f"{gap:,.1f} units apart with the same number of parameters ({strength}; the AIC differs "
            f"by twice the gap). In the holdout {best['model']} misses the total by "
            f"{best['total_error_pct']:+.1f}% and {other['model']} by {other['total_error_pct']:+.1f}% "
            f"({closer} is closer); the per-customer mean absolute errors are {best['mae']:.3f} and "
            f"{other['mae']:.3f}.")


# --- validation --------------------------------------------------------------------------------

def frequency_fit(bgf, summary: pd.DataFrame, max_frequency: int = 7, frequency_col: str = "frequency",
                  T_col: str = "T") -> pd.DataFrame:
    """Customers by number of repeat purchases, actual against expected by the fitted model
    (FHL 2005, Fig. 1), an in-sample check of the purchase model.

    The expected number of customers with ``x`` repeat purchases is ``sum_i P(X(T_i) = x)``
    (FHL 2005, eq. 8) over each customer's own observation time ``T_i``; frequencies from
    ``max_frequency`` up are pooled into one bucket labelled ``"7+"``.

    Returns
    -------
    DataFrame with ``frequency``, ``actual`` and ``expected`` (numbers of customers).
    """
    x = summary[frequency_col].to_numpy(dtype=float)
    T_values, T_counts = np.unique(summary[T_col].to_numpy(dtype=float), return_counts=True)
    expected = [float(T_counts @ bgf.probability_of_purchases(k, T_values)) for k in range(max_frequency)]
    expected.append(float(len(x) - sum(expected)))
    actual = np.bincount(np.minimum(x, max_frequency).astype(int), minlength=max_frequency + 1)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.DataFrame({"frequency": labels, "actual": actual.astype(float), "expected": expected})


def describe_frequency_fit(table: pd.DataFrame) -> str:
    """A plain-language reading of :func:`frequency_fit`: the largest gap between actual and
    expected numbers of customers."""
    gap = table["expected"] - table["actual"]
    worst = gap.abs().idxmax()
    share = float(gap.abs().sum() / (2 * table["actual"].sum()))
    return (f"The model's expected number of customers per purchase count misses the actual one by at "
            f"most {abs(gap[worst]):,.0f} customers (in bucket {table.loc[worst, 'frequency']}: "
            f"{table.loc[worst, 'expected']:,.0f} expected, {table.loc[worst, 'actual']:,.0f} actual); "
            f"{share:.1%} of customers would have to move between buckets to make the two match.")


def holdout_by_frequency(bgf, cal_holdout: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (FHL 2005, Fig. 4).

    ``cal_holdout`` is the frame of :func:`~cxlib.rfm_summary.calibration_and_holdout`; frequencies
    from ``max_frequency`` up are pooled into one bucket labelled ``"7+"``.
    """
    pred = bgf.predict_purchases(cal_holdout["duration_holdout"], cal_holdout["frequency_cal"],
                                 cal_holdout["recency_cal"], cal_holdout["T_cal"])
    x = cal_holdout["frequency_cal"].to_numpy(dtype=int)
    bucket = np.minimum(x, max_frequency)
    frame = pd.DataFrame({"bucket": bucket, "actual": cal_holdout["frequency_holdout"].to_numpy(),
                          "predicted": pred})
    out = frame.groupby("bucket").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                      predicted=("predicted", "mean")).reset_index()
    out["frequency_cal"] = [f"{b}+" if b == max_frequency else str(b) for b in out["bucket"]]
    return out[["frequency_cal", "customers", "actual", "predicted"]]


def holdout_errors(bgf, cal_holdout: pd.DataFrame) -> dict:
    """Per-customer and aggregate errors of predicted against actual holdout purchases.

    Returns ``mae`` and ``rmse`` per customer, ``correlation``, ``actual_total``,
    ``predicted_total``, ``total_error_pct`` (predicted minus actual, in % of actual) and
    ``mae_naive``, the error of the naive forecast "the same purchase rate as in calibration"
    (``frequency_cal / T_cal x holdout length``, no dropout) for comparison.
    """
    pred = bgf.predict_purchases(cal_holdout["duration_holdout"], cal_holdout["frequency_cal"],
                                 cal_holdout["recency_cal"], cal_holdout["T_cal"])
    actual = cal_holdout["frequency_holdout"].to_numpy(dtype=float)
    T = cal_holdout["T_cal"].to_numpy(dtype=float)
    rate = np.divide(cal_holdout["frequency_cal"].to_numpy(dtype=float), T, out=np.zeros_like(T), where=T > 0)
    naive = rate * cal_holdout["duration_holdout"].to_numpy(dtype=float)
    err = pred - actual
    return {
        "customers": int(len(actual)),
        "mae": float(np.mean(np.abs(err))),
        "mae_naive": float(np.mean(np.abs(naive - actual))),
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "correlation": float(np.corrcoef(pred, actual)[0, 1]) if actual.std() > 0 else float("nan"),
        "actual_total": float(actual.sum()),
        "predicted_total": float(pred.sum()),
        "total_error_pct": float(100 * (pred.sum() - actual.sum()) / actual.sum()) if actual.sum() else float("nan"),
    }


def compare_models(models: dict, cal_holdout: pd.DataFrame) -> pd.DataFrame:
    """Purchase models fitted on the same calibration data, side by side.

    ``models`` maps a label to a fitted model with ``log_likelihood_`` and ``predict_purchases``
    (BG/NBD, Pareto/NBD). Columns: ``model``, ``log_likelihood``, ``predicted_total``,
    ``actual_total``, ``total_error_pct``, ``mae``, ``correlation``.
    """
    rows = []
    for label, model in models.items():
        err = holdout_errors(model, cal_holdout)
        rows.append({"model": label, "log_likelihood": model.log_likelihood_,
                     **{k: err[k] for k in ("predicted_total", "actual_total", "total_error_pct",
                                            "mae", "correlation")}})
    return pd.DataFrame(rows)


def cumulative_tracking(bgf, transactions, customer_col: str = "customer_id",
                        date_col: str = "timestamp", calibration_end=None, observation_end=None,
                        time_unit: str = "W", *, engine: str = "duckdb", con=None) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort, actual against predicted.

    The cohort is every customer whose first purchase is on or before ``calibration_end``. For
    each period end ``tau`` the prediction is ``sum_i E[X(tau - s_i)]`` (FHL 2005, eq. 9) over
    the cohort's first purchase days ``s_i``; the actual is the cohort's repeat purchase days
    (same-day purchases merged) up to ``tau``. Periods run from the cohort's first purchase to
    ``observation_end``. The counting runs in the engine; only counts per day reach pandas.

    Returns
    -------
    DataFrame with ``period`` (1, 2, ...), ``date`` (period end), ``actual``, ``predicted`` and
    ``holdout`` (True after ``calibration_end``).
    """
    unit = unit_days(time_unit)
    log = transaction_log(transactions, customer_col, date_col, None, observation_end, engine=engine, con=con)
    end_day = log.last_day()
    cal_day = to_day(calibration_end) if calibration_end not in (None, "") else end_day
    days = log.days().select("c", "day")
    firsts = days.group_by("c").aggregate(first=days.day.min())
    cohort = firsts.filter(firsts["first"] <= cal_day)
    starts = log.to_pandas(cohort.group_by("first").aggregate(n=cohort.count())).sort_values("first")
    joined = days.join(cohort, "c")
    repeat = joined.filter(joined.day > joined["first"])
    per_day = log.to_pandas(repeat.group_by("day").aggregate(n=repeat.count())).sort_values("day")

    start = int(starts["first"].min())
    n_periods = max(1, math.ceil((end_day - start) / unit - 1e-9))
    ends = np.minimum(start + unit * np.arange(1, n_periods + 1), end_day)
    cumulative = np.concatenate([[0], np.cumsum(per_day["n"].to_numpy(dtype=np.int64))])
    actual = cumulative[np.searchsorted(per_day["day"].to_numpy(dtype=np.float64), ends, side="right")]
    predicted = np.zeros(n_periods)
    for s, c in zip(starts["first"].to_numpy(), starts["n"].to_numpy()):
        age = np.clip(ends - s, 0, None) / unit
        predicted += c * bgf.expected_purchases_unconditional(age)
    dates = pd.to_datetime(np.floor(ends).astype(np.int64), unit="D")
    return pd.DataFrame({"period": np.arange(1, n_periods + 1), "date": dates,
                         "actual": actual.astype(float), "predicted": predicted,
                         "holdout": ends > cal_day})


def compare_with_truth(bgf, ggf, truth_path, n_customers: int, observation_end,
                       time_unit: str = "W") -> pd.DataFrame | None:
    """Estimates against the known parameters of a synthetic world (``truth.json``).

    Returns None when there is no such file or it describes another data set (a different
    number of customers or observation end), so the notebook can run on any log. ``alpha`` is
    converted from the truth's weeks to ``time_unit``.

    Returns
    -------
    DataFrame with ``model``, ``parameter``, ``estimate``, ``se``, ``truth`` and ``z``
    (estimate minus truth in standard errors).
    """
    known = load_truth(truth_path, n_customers=n_customers, observation_end=observation_end)
    if known is None or not known.section("bgnbd") or not known.section("gamma_gamma"):
        return None
    truth = known.values
    alpha_scale = unit_days("W") / unit_days(time_unit)
    rows = []
    for model, fitter, known in (("BG/NBD", bgf, truth["bgnbd"]), ("Gamma-Gamma", ggf, truth["gamma_gamma"])):
        for name, value in known.items():
            value = value * alpha_scale if name == "alpha" else value
            est, se = float(fitter.params_[name]), float(fitter.standard_errors_[name])
            rows.append({"model": model, "parameter": name, "estimate": est, "se": se,
                         "truth": value, "z": (est - value) / se})
    return pd.DataFrame(rows)
