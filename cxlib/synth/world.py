"""A synthetic subscription company with known truth.

:func:`make_world` simulates one coherent fictional company: customers that belong to latent
behavioural segments, subscription churn from a Weibull proportional-hazards model, purchases
from a BG/NBD process with Gamma-Gamma spend, and a satisfaction survey whose overall score is
driven by attribute ratings with known weights. Every parameter that generated the data is kept
in :attr:`SyntheticWorld.truth`, so each analysis in the kit can be checked against it.

Each process (segments, attributes, churn, purchases, spend, survey) draws from its own child
generator spawned from one ``SeedSequence``, so changing one process does not shift the random
numbers of another. Everything is vectorized: a million customers take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import SEED
from .experiment import make_experiment
from .products import assign_items, taste_groups
from .journey import make_journey, write_journey

__all__ = ["SyntheticWorld", "make_world", "SEGMENTS", "HAZARD", "BGNBD", "GAMMA_GAMMA", "DRIVERS"]

DAY_NS = 86_400 * 10**9
WEEK_DAYS = 7.0

# --- Latent segments ------------------------------------------------------------------------
# Shares are unequal on purpose; attribute distributions are separated enough for k-means on
# standardized (age, monthly_fee, log1p usage, log1p tickets) to find them.
SEGMENTS = {
    "price-sensitive starters": {
        "share": 0.35, "age": (27.0, 4.0), "usage_median": 4.0, "usage_sigma": 0.40,
        "tickets_mean": 0.5, "plan": (0.75, 0.03, 0.22), "fee_shift": -0.15,
    },
    "engaged loyalists": {
        "share": 0.30, "age": (47.0, 5.0), "usage_median": 20.0, "usage_sigma": 0.25,
        "tickets_mean": 0.8, "plan": (0.30, 0.10, 0.60), "fee_shift": 0.0,
    },
    "premium power users": {
        "share": 0.15, "age": (35.0, 5.0), "usage_median": 70.0, "usage_sigma": 0.25,
        "tickets_mean": 2.0, "plan": (0.03, 0.80, 0.17), "fee_shift": 0.25,
    },
    "support-dependent": {
        "share": 0.20, "age": (62.0, 6.0), "usage_median": 9.0, "usage_sigma": 0.40,
        "tickets_mean": 7.0, "plan": (0.40, 0.15, 0.45), "fee_shift": 0.0,
    },
}
# sorted: the first is the reference level; segment "plan" mixes are in this order
PLANS = ("basic", "premium", "standard")
PLAN_PRICE = {"basic": 12.0, "premium": 45.0, "standard": 25.0}  # list price per month
FEE_SIGMA = 0.25  # log-scale spread of what customers actually pay (discounts, add-ons)
REGIONS = ("North", "South", "East", "West")
REGION_SHARES = (0.30, 0.25, 0.25, 0.20)
SEGMENT_FEATURES = ["age", "monthly_fee", "usage_hours", "support_tickets"]

# --- Subscription churn: Weibull proportional hazards, duration in days ---------------------
# h(t | x) = h0(t) exp(beta'x),  h0(t) = (shape / scale) (t / scale)^(shape - 1)
# with x in the units of the stored columns (x = 0 is the baseline, e.g. age 0).
HAZARD = {
    "baseline": {"distribution": "weibull", "shape": 0.9, "scale": 600.0, "duration_unit": "days"},
    "coefficients": {
        "age": -0.015,
        "monthly_fee": 0.02,
        "usage_hours": -0.03,
        "support_tickets": 0.15,
        "plan=premium": -0.6,
        "plan=standard": -0.3,
    },
    "reference_levels": {"plan": "basic"},
}

# --- Purchases: BG/NBD (Fader, Hardie & Lee 2005), time unit weeks ------------------------
BGNBD = {"r": 0.75, "alpha": 8.0, "a": 0.8, "b": 2.5}
# --- Spend: Gamma-Gamma (Fader & Hardie 2013): z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v) --
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "v": 20.0}

# --- Survey --------------------------------------------------------------------------------
RESPONSE_RATE = 0.40
RATINGS = ["product_quality", "value_for_money", "support", "delivery", "ease_of_use", "communication"]
# latent rating = mean + segment shift + loading * halo + noise, cut to 1..5 by rounding
RATING_MEAN = 3.4
RATING_LOADING = 0.7
RATING_NOISE_SD = 0.9
SEGMENT_RATING_SHIFT = {  # how each segment sees the company; small so ratings stay comparable
    "price-sensitive starters": {"value_for_money": -0.4},
    "engaged loyalists": {"ease_of_use": 0.2, "communication": 0.2},
    "premium power users": {"product_quality": 0.3, "delivery": 0.2},
    "support-dependent": {"support": -0.4, "ease_of_use": -0.2},
}
DRIVERS = {
    "target": "overall",
    "weights": {
        "product_quality": 0.32,
        "support": 0.26,
        "value_for_money": 0.20,
        "ease_of_use": 0.13,
        "delivery": 0.07,
        "communication": 0.02,
    },
    "intercept": 0.0,
    "noise_sd": 0.3,
    "thresholds": [1.5, 2.5, 3.5, 4.5],
}
NPS_RULE = {"center": 7.0, "slope": 2.0, "pivot": 3.3, "noise_sd": 1.0}


@dataclass
class SyntheticWorld:
    """The generated tables and the truth behind them.

    Attributes
    ----------
    customers, transactions, survey : DataFrame
        The three canonical tables (see ``data/README.md``), already typed; each purchase names
        its product in ``item`` (:mod:`cxlib.synth.products`).
    truth : dict
        JSON-able parameters that generated the data.
    segments : Series
        Latent segment label of each customer, indexed like ``customers``.
    products : DataFrame
        The catalogue behind ``transactions["item"]``: ``product_id, group, popularity``.
    tastes : Series
        Latent taste group of each customer, indexed by customer id.
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    survey: pd.DataFrame
    truth: dict
    segments: pd.Series = field(repr=False)
    #: Further tables by file stem (``experiment``, ...), written beside the three main ones.
    extras: dict = field(default_factory=dict, repr=False)
    products: pd.DataFrame | None = field(default=None, repr=False)
    tastes: pd.Series | None = field(default=None, repr=False)
    #: The journey cohort (:func:`cxlib.synth.journey.make_journey`): its customers and events.
    journey_customers: pd.DataFrame | None = field(default=None, repr=False)
    events: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def experiment(self) -> pd.DataFrame | None:
        """The A/B test on the customers (:func:`cxlib.synth.experiment.make_experiment`)."""
        return self.extras.get("experiment")

    def write(self, out_dir, fmt: str = "csv") -> dict[str, Path]:
        """Write the tables, ``truth.json`` and ``truth_segments.csv`` to ``out_dir``.

        Parameters
        ----------
        out_dir : str or path-like
            Created if missing.
        fmt : {"csv", "parquet"}
            Format of the three tables. CSV dates are ISO strings; an active customer has a
            blank ``churn_date``.

        Returns
        -------
        dict mapping ``customers``, ``transactions``, ``survey``, the further tables
        (``experiment``, ...), ``truth`` and ``segments`` to paths.
        """
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        date_formats = {"customers": "%Y-%m-%d", "transactions": "%Y-%m-%d %H:%M:%S",
                        "survey": "%Y-%m-%d"}
        for name in ("customers", "transactions", "survey"):
            df = getattr(self, name)
            path = out / f"{name}.{fmt}"
            if fmt == "csv":
                df.to_csv(path, index=False, date_format=date_formats[name])
            else:
                # microsecond timestamps: Spark cannot read Parquet's nanosecond ones
                df.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
            paths[name] = path
        for name, df in self.extras.items():
            path = out / f"{name}.{fmt}"
            if fmt == "csv":
                df.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
            else:
                df.to_parquet(path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
            paths[name] = path
        if self.events is not None:
            written = write_journey(self.journey_customers, self.events, out, fmt=fmt)
            paths["journey_customers"], paths["events"] = written["customers"], written["events"]
        paths["truth"] = out / "truth.json"
        paths["truth"].write_text(json.dumps(self.truth, indent=2) + "\n")
        paths["segments"] = out / self.truth["segments"]["labels_file"]
        pd.DataFrame({"customer_id": self.customers["customer_id"], "segment": self.segments}
                     ).to_csv(paths["segments"], index=False)
        if self.products is not None:
            known = self.truth["products"]
            paths["tastes"] = out / known["tastes_file"]
            self.tastes.rename_axis("customer_id").reset_index().to_csv(paths["tastes"], index=False)
            paths["products"] = out / known["products_file"]
            self.products.to_csv(paths["products"], index=False)
        return paths


def make_world(n_customers: int = 5000, seed: int = SEED,
               observation_end: str = "2025-12-31", journey: bool = True) -> SyntheticWorld:
    """Simulate a subscription company with known churn, purchase, spend and survey truth.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    seed : int
        Seed of the root ``SeedSequence``; the same seed gives identical tables.
    observation_end : date-like
        End of observation (midnight at the start of that day). Signups are spread over the
        three years before it; churn after it is censored and no event is dated after it.
    journey : bool
        Also simulate the journey cohort (its own ``n_customers`` customers and their
        touchpoint events, :mod:`cxlib.synth.journey`); a million customers take about half a
        minute more, so benchmarks that need only the main tables can leave it out.

    Returns
    -------
    SyntheticWorld
    """
    n = int(n_customers)
    if n < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers!r}")
    end = pd.Timestamp(observation_end).normalize()
    start = end - pd.DateOffset(years=3) + pd.Timedelta(days=1)
    ss = np.random.SeedSequence(seed)
    rng_seg, rng_attr, rng_signup, rng_churn, rng_buy, rng_spend, rng_survey = (
        np.random.default_rng(s) for s in ss.spawn(7))

    seg_names = list(SEGMENTS)
    seg = rng_seg.choice(len(seg_names), size=n, p=[SEGMENTS[s]["share"] for s in seg_names])
    attrs = _attributes(rng_attr, seg, seg_names, n)
    ids = _ids("C", n)

    # Signups on whole days in [start, end - 1 day] so everyone is observed for at least a day.
    n_days = (end - start).days
    signup_day = rng_signup.integers(0, n_days, size=n)
    signup = start.to_datetime64().astype("datetime64[ns]") + signup_day.astype("timedelta64[D]")
    churn_date = _churn(rng_churn, attrs, signup, end)

    customers = pd.DataFrame({
        "customer_id": ids,
        "signup_date": pd.to_datetime(signup),
        "churn_date": pd.to_datetime(churn_date),
        "region": np.asarray(REGIONS, dtype=object)[attrs["region"]],
        "plan": np.asarray(PLANS, dtype=object)[attrs["plan"]],
        "age": attrs["age"],
        "monthly_fee": attrs["monthly_fee"],
        "usage_hours": attrs["usage_hours"],
        "support_tickets": attrs["support_tickets"],
    })
    transactions = _transactions(rng_buy, rng_spend, ids, signup, end)
    survey = _survey(rng_survey, ids, seg, seg_names, signup, churn_date, end)
    segments = pd.Series(np.asarray(seg_names, dtype=object)[seg], name="segment")
    truth = _truth(seed, n, end, customers, segments, seg_names, transactions, survey)
    # Each further process draws from the next child of the root SeedSequence, in a fixed order,
    # so adding one never changes the tables above.
    extras = {}
    extras["experiment"], truth["experiment"] = make_experiment(customers, ss.spawn(1)[0])
    products_seed = ss.spawn(1)[0]
    items, products, truth["products"] = assign_items(transactions, customers, products_seed)
    transactions["item"] = items.to_numpy()
    tastes = taste_groups(ids, products_seed, truth["products"]["n_groups"])
    journey_customers = events = None
    if journey:
        # the journey cohort derives its own streams from the seed (a spawn key of its own)
        journey_customers, events, truth["journey"] = make_journey(n, seed=seed,
                                                                   observation_end=observation_end)
    return SyntheticWorld(customers=customers, transactions=transactions, survey=survey,
                          truth=truth, segments=segments, extras=extras,
                          journey_customers=journey_customers, events=events, products=products,
                          tastes=tastes)


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    if n == 0:  # np.char.zfill cannot size an empty array
        return np.empty(0, dtype=object)
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _attributes(rng, seg, seg_names, n) -> dict:
    """Customer attributes driven by the latent segment."""
    p = {k: np.array([SEGMENTS[s][k] for s in seg_names]) for k in SEGMENTS[seg_names[0]]}
    age_mu, age_sd = np.array(p["age"]).T
    age = np.clip(np.rint(rng.normal(age_mu[seg], age_sd[seg])), 18, 90).astype(np.int64)
    usage = np.round(np.exp(rng.normal(np.log(p["usage_median"][seg]), p["usage_sigma"][seg])), 1)
    tickets = rng.poisson(p["tickets_mean"][seg]).astype(np.int64)
    # plan drawn by inverse CDF over the segment's plan mix (vectorized categorical draw)
    cum = np.cumsum(np.vstack(p["plan"]), axis=1)
    cum = (cum / cum[:, -1:])[seg]
    plan = (rng.random(n)[:, None] > cum).sum(axis=1)
    price = np.array([PLAN_PRICE[k] for k in PLANS])[plan]
    fee = np.round(price * np.exp(rng.normal(p["fee_shift"][seg], FEE_SIGMA)), 2)
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARES)
    return {"age": age, "usage_hours": usage, "support_tickets": tickets, "plan": plan,
            "monthly_fee": fee, "region": region}


def _design(attrs) -> np.ndarray:
    """Covariates in the order of HAZARD['coefficients'], in the stored units."""
    return np.column_stack([
        attrs["age"], attrs["monthly_fee"], attrs["usage_hours"], attrs["support_tickets"],
        attrs["plan"] == PLANS.index("premium"), attrs["plan"] == PLANS.index("standard"),
    ]).astype(float)


def _churn(rng, attrs, signup, end):
    """Weibull PH lifetimes by inversion: S(t|x) = exp(-(t/scale)^shape * exp(beta'x))."""
    base = HAZARD["baseline"]
    beta = np.array(list(HAZARD["coefficients"].values()))
    risk = np.exp(_design(attrs) @ beta)
    e = rng.standard_exponential(len(risk))
    lifetime = base["scale"] * (e / risk) ** (1.0 / base["shape"])
    # Whole days, at least one: a churn date is always after the signup date. Lifetimes past
    # the observation end are censored, so cap them there before date arithmetic can overflow.
    horizon = (end.to_datetime64() - signup) // np.timedelta64(1, "D")
    days = np.ceil(np.minimum(lifetime, horizon + 1.0)).astype(np.int64)
    churn = signup + days.astype("timedelta64[D]")
    churn = np.where(days <= horizon, churn, np.datetime64("NaT"))
    return churn.astype("datetime64[ns]")


def _transactions(rng_buy, rng_spend, ids, signup, end) -> pd.DataFrame:
    """First purchase at signup, then BG/NBD repeats up to ``end`` with Gamma-Gamma spend.

    With purchase rate lambda and dropout probability p, the number of repeats in (0, T] is
    min(N, D) with N ~ Poisson(lambda T) the purchases a forever-alive customer would make and
    D ~ Geometric(p) the purchase after which the customer drops out. The times of the first
    min(N, D) purchases are the first order statistics of N uniforms on (0, T], drawn from
    exponential spacings, so no loop over purchases is needed.
    """
    n = len(ids)
    r, alpha, a, b = (BGNBD[k] for k in ("r", "alpha", "a", "b"))
    first = signup.astype("int64") + rng_buy.integers(0, DAY_NS // 10**9, size=n) * 10**9
    t_weeks = (end.value - first) / (DAY_NS * WEEK_DAYS)
    lam = rng_buy.gamma(r, 1.0 / alpha, size=n)
    p = np.clip(rng_buy.beta(a, b, size=n), 1e-12, 1.0)
    n_alive = rng_buy.poisson(lam * t_weeks)
    dropout_after = rng_buy.geometric(p)
    x = np.minimum(n_alive, dropout_after)
    total = int(x.sum())
    owner = np.repeat(np.arange(n), x)
    spacing = np.cumsum(rng_buy.standard_exponential(total))
    starts = np.cumsum(x) - x
    offset = np.repeat(np.concatenate([[0.0], spacing])[starts], x)
    s_k = spacing - offset  # S_1..S_x within each customer
    s_x = np.zeros(n)
    has = x > 0
    s_x[has] = s_k[np.cumsum(x)[has] - 1]
    s_total = s_x + rng_buy.gamma(n_alive - x + 1.0)  # S_{N+1} = S_x + Gamma(N + 1 - x)
    t_rep = t_weeks[owner] * s_k / s_total[owner]
    rep_ns = first[owner] + np.floor(t_rep * WEEK_DAYS * DAY_NS / 10**9).astype(np.int64) * 10**9

    # Gamma-Gamma spend, the same customer-level nu for first and repeat purchases.
    gp, gq, gv = (GAMMA_GAMMA[k] for k in ("p", "q", "v"))
    nu = rng_spend.gamma(gq, 1.0 / gv, size=n)
    counts = x + 1
    cust = np.repeat(np.arange(n), counts)
    amount = rng_spend.gamma(gp, 1.0 / nu[cust])
    amount = np.maximum(np.round(amount, 2), 0.01)

    # interleave: each customer's first purchase, then its repeats (already in time order)
    ts = np.empty(total + n, dtype=np.int64)
    pos_first = np.cumsum(counts) - counts
    is_first = np.zeros(total + n, dtype=bool)
    is_first[pos_first] = True
    ts[is_first] = first
    ts[~is_first] = np.minimum(rep_ns, end.value)
    return pd.DataFrame({
        "customer_id": ids[cust],
        "timestamp": ts.view("datetime64[ns]"),
        "amount": amount,
    })


def _survey(rng, ids, seg, seg_names, signup, churn_date, end):
    """One response from a random ~40% of customers, dated while they were a customer."""
    n = len(ids)
    who = np.flatnonzero(rng.random(n) < RESPONSE_RATE)
    m = len(who)
    last = np.where(np.isnat(churn_date[who]), end.to_datetime64(), churn_date[who])
    span = ((last - signup[who]) // np.timedelta64(1, "D")).astype(np.int64)
    day = np.floor(rng.random(m) * (span + 1)).astype(np.int64)
    date = signup[who] + day.astype("timedelta64[D]")

    halo = rng.standard_normal(m)
    shift = np.array([[SEGMENT_RATING_SHIFT[s].get(k, 0.0) for k in RATINGS] for s in seg_names])
    latent_r = (RATING_MEAN + shift[seg[who]] + RATING_LOADING * halo[:, None]
                + rng.normal(0.0, RATING_NOISE_SD, size=(m, len(RATINGS))))
    ratings = np.clip(np.rint(latent_r), 1, 5).astype(np.int64)

    w = np.array([DRIVERS["weights"][k] for k in RATINGS])
    latent = DRIVERS["intercept"] + ratings @ w + rng.normal(0.0, DRIVERS["noise_sd"], size=m)
    overall = 1 + np.searchsorted(DRIVERS["thresholds"], latent).astype(np.int64)
    nps = NPS_RULE["center"] + NPS_RULE["slope"] * (latent - NPS_RULE["pivot"])
    nps = np.clip(np.rint(nps + rng.normal(0.0, NPS_RULE["noise_sd"], size=m)), 0, 10).astype(np.int64)

    survey = pd.DataFrame({
        "respondent_id": _ids("R", m),
        "customer_id": ids[who],
        "date": pd.to_datetime(date),
        "overall": overall,
        "nps": nps,
    })
    for j, k in enumerate(RATINGS):
        survey[k] = ratings[:, j]
    return survey


def _truth(seed, n, end, customers, segments, seg_names, transactions, survey) -> dict:
    counts = segments.value_counts()
    feats = customers[SEGMENT_FEATURES].groupby(segments.to_numpy()).mean()
    churned = float(customers["churn_date"].notna().mean())
    truth = {
        "seed": int(seed),
        "n_customers": int(n),
        "observation_end": str(end.date()),
        "hazard": {
            "baseline": {
                **HAZARD["baseline"],
                "formula": "h(t|x) = (shape/scale) * (t/scale)**(shape-1) * exp(beta'x), "
                           "x in the units of the stored columns (x = 0 is the baseline)",
                "duration": "churn_date - signup_date in days (lifetime rounded up to whole days); "
                            "censored at observation_end",
            },
            "coefficients": dict(HAZARD["coefficients"]),
            "reference_levels": dict(HAZARD["reference_levels"]),
            "no_effect": ["region"],
            "churned_fraction": round(churned, 4),
        },
        "segments": {
            "names": seg_names,
            "features": SEGMENT_FEATURES,
            "labels_file": "truth_segments.csv",
            "counts": {s: int(counts.get(s, 0)) for s in seg_names},
            "means": {s: {f: round(float(feats.loc[s, f]), 3) for f in SEGMENT_FEATURES}
                      for s in seg_names if s in feats.index},
            "recommended_transform": {"usage_hours": "log1p", "support_tickets": "log1p"},
            "generator": {
                "segments": SEGMENTS,
                "plan_order": list(PLANS),
                "plan_price": PLAN_PRICE,
                "rules": {
                    "age": "round(Normal(mean, sd)) clipped to 18..90",
                    "usage_hours": "LogNormal(log(usage_median), usage_sigma), rounded to 0.1",
                    "support_tickets": "Poisson(tickets_mean)",
                    "plan": "categorical with the segment's plan mix, in plan_order",
                    "monthly_fee": f"plan_price * exp(Normal(fee_shift, {FEE_SIGMA})), rounded to cents",
                    "region": f"independent of everything, shares {dict(zip(REGIONS, REGION_SHARES))}",
                },
            },
        },
        "bgnbd": dict(BGNBD),
        "gamma_gamma": dict(GAMMA_GAMMA),
        "purchases": {
            "time_unit": "weeks",
            "first_purchase": "at signup_date plus a random time of day; not a repeat purchase",
            "dropout": "after each repeat purchase with probability p (Fader, Hardie & Lee 2005)",
            "spend": "every purchase, first included, ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v) "
                     "per customer; amounts rounded to cents (at least 0.01)",
            "independent_of": ["subscription churn", "segments"],
            "same_day_note": "two purchases on one calendar day merge in day-level summaries",
            "n_transactions": int(len(transactions)),
        },
        "drivers": {k: (list(v) if isinstance(v, list) else (dict(v) if isinstance(v, dict) else v))
                    for k, v in DRIVERS.items()},
        "survey": {
            "response_rate": RESPONSE_RATE,
            "n_responses": int(len(survey)),
            "ratings": RATINGS,
            "rating_scale": [1, 5],
            "rating_rule": "round(mean + segment shift + loading * halo + noise), clipped to 1..5",
            "rating_mean": RATING_MEAN,
            "halo_loading": RATING_LOADING,
            "rating_noise_sd": RATING_NOISE_SD,
            "segment_shifts": SEGMENT_RATING_SHIFT,
            "overall_rule": "latent = intercept + sum(weights * ratings) + N(0, noise_sd); overall = "
                            "1 + number of thresholds below latent",
            "date": "uniform day between signup_date and churn_date (or observation_end)",
        },
        "nps": {**NPS_RULE,
                "rule": "nps = clip(round(center + slope * (latent - pivot) + N(0, noise_sd)), 0, 10), "
                        "latent = the overall-satisfaction latent score"},
    }
    return json.loads(json.dumps(truth))  # plain JSON types, equal to what truth.json holds
