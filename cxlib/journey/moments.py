"""Moments of truth: which touchpoint's bad experience goes with later churn.

A bad experience happens *during* a customer's lifetime. A per-customer model that counts each
customer's bad experiences over the whole lifetime compares customers who stayed long (and had
the time to collect many touchpoints) with customers who left early (and could not): the count
is partly a consequence of staying, so it looks protective. This is immortal-time bias
(Suissa, 2008). The remedy is a covariate that changes over time: the number of bad experiences
*so far*, in a counting-process (start, stop] table fitted by the Cox model of Andersen & Gill
(1982), fitted by :class:`cxlib.churn.time_varying.TimeVaryingCox` (the same estimates as
lifelines' ``CoxTimeVaryingFitter``, in a fraction of the time on large tables).

The (start, stop] table is built in the engine: bad experiences joined to the customers, summed
per customer and time, and accumulated with a window ordered by time. Only one row per bad
experience (plus one per customer) reaches pandas; ``sample`` limits the customers modelled.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..churn.time_varying import TimeVaryingCox
from ..core import DataError, DataWarning, limited_sample, location
from .log import CUSTOMERS, TABLE, EventLog

__all__ = ["start_stop_table", "sample_customers", "MomentsOfTruth", "proportional_check", "MOMENT_COLUMNS"]

MOMENT_COLUMNS = ["touchpoint", "hazard_ratio", "ci_lower", "ci_upper", "p", "naive_hazard_ratio"]


def _covariate(stage: str) -> str:
    return f"bad_{stage}"


def sample_customers(customers: pd.DataFrame, size: int, seed) -> list[str] | None:
    """A random sample of ``size`` customer ids for the model (None, all of them, when ``size`` is
    0 or at least the number of customers); the same seed gives the same sample."""
    ids = customers["customer_id"].astype(str).to_numpy()
    rows = limited_sample(len(ids), size, seed)
    return None if rows is None else sorted(ids[rows].tolist())


def start_stop_table(log: EventLog, moments: list[str], bad_score: float, ids=None) -> pd.DataFrame:
    """The counting-process table: one row per customer and interval between bad experiences.

    Parameters
    ----------
    log : EventLog
        With a customers table and scores.
    moments : list of str
        The touchpoints whose bad experiences are counted.
    bad_score : float
        A score at or below this is a bad experience.
    ids : sequence of str, optional
        Model only these customers (a sample); all customers when None.

    Returns
    -------
    DataFrame ``id, start, stop, event, bad_<touchpoint>...``: days since the signup date;
    ``bad_<tp>`` is the number of bad experiences at ``tp`` up to ``start`` (so it is known
    during the whole interval); ``event`` is 1 on the interval that ends in churn.
    """
    import ibis

    if log.customers is None:
        raise DataError("the moments-of-truth model needs the customers table (churn dates); give "
                        "customers_path", table=CUSTOMERS)
    if not log.has_score:
        raise DataError("the moments-of-truth model needs satisfaction scores; give score_col", table=TABLE)
    customers = log.customers
    if ids is not None:
        customers = customers[customers["customer_id"].isin(set(ids))]
    none = customers["duration"] <= 0
    if none.any():
        warnings.warn(f"{location(customers.attrs.get('source'), CUSTOMERS)}: {int(none.sum())} customers "
                      "churned or were last seen on their signup date (no follow-up); they are in no risk set, "
                      "so the moments-of-truth model leaves them out", DataWarning, stacklevel=2)
        customers = customers[~none]
    cust = ibis.memtable(pd.DataFrame({"cid": customers["customer_id"].astype(str),
                                       "signup_t": customers["signup_t"].astype(float),
                                       "duration": customers["duration"].astype(float)}))
    r = log.rows
    bad = r.filter(r.stage.isin(list(moments)) & (r.score <= bad_score))
    j = bad.inner_join(cust, bad.c == cust.cid)
    j = j.mutate(rel=j.t - j.signup_t)
    j = j.filter(j.rel < j.duration)  # a bad experience after churn cannot change the hazard
    keys = {f"d{i}": (j.stage == m).cast("int64").sum() for i, m in enumerate(moments)}
    g = j.group_by(["c", "rel"]).aggregate(**keys)
    # running totals up to and including each time; the next time closes the interval
    upto = ibis.cumulative_window(group_by=g.c, order_by=g.rel)
    w = ibis.window(group_by=g.c, order_by=g.rel)
    g = g.mutate(next_rel=g.rel.lead().over(w),
                 **{f"z{i}": g[f"d{i}"].sum().over(upto) for i in range(len(moments))})
    changes = log.to_pandas(g.select("c", "rel", "next_rel", *[f"z{i}" for i in range(len(moments))]))

    dur = customers.set_index("customer_id")["duration"].astype(float)
    churned = customers.set_index("customer_id")["event"].astype(int)
    names = [_covariate(m) for m in moments]
    changes = changes.rename(columns={f"z{i}": n for i, n in enumerate(names)})
    d = dur.reindex(changes["c"]).to_numpy()
    first_change = changes.groupby("c")["rel"].min()
    base = pd.DataFrame({"id": customers["customer_id"].astype(str).to_numpy(), "start": 0.0})
    base["stop"] = first_change.reindex(base["id"]).fillna(dur.reindex(base["id"])).to_numpy()
    for n in names:
        base[n] = 0
    later = pd.DataFrame({"id": changes["c"].astype(str), "start": changes["rel"].astype(float),
                          "stop": changes["next_rel"].astype(float).fillna(pd.Series(d, index=changes.index))})
    for n in names:
        later[n] = changes[n].astype(int)
    table = pd.concat([base, later], ignore_index=True)
    table = table[table["stop"] > table["start"]]  # an experience at signup opens no interval before it
    table = table.sort_values(["id", "start"]).reset_index(drop=True)
    last = ~table["id"].duplicated(keep="last")
    table["event"] = np.where(last, churned.reindex(table["id"]).to_numpy(), 0).astype(int)
    return table[["id", "start", "stop", "event"] + names]


class MomentsOfTruth:
    """Hazard ratio of each bad experience on churn: time-varying Cox beside the naive model.

    Parameters
    ----------
    moments : list of str
        Touchpoints whose bad experiences enter the model.
    alpha : float
        1 - confidence of the intervals.

    Attributes
    ----------
    summary_ : DataFrame
        :data:`MOMENT_COLUMNS` and ``coef, se, naive_ci_lower, naive_ci_upper, naive_p,
        bad_experiences, customers_with_bad``.
    n_customers_, n_events_, n_intervals_ : int
    """

    def __init__(self, moments, alpha: float = 0.05):
        self.moments = list(moments)
        self.alpha = alpha

    def fit(self, start_stop: pd.DataFrame, journeys: pd.DataFrame) -> MomentsOfTruth:
        """Fit both models.

        Parameters
        ----------
        start_stop : DataFrame
            From :func:`start_stop_table`.
        journeys : DataFrame
            Per customer: ``customer_id, duration, event, bad_<touchpoint>`` (lifetime counts,
            :func:`~cxlib.journey.funnel.customer_journeys`), for the naive model; restricted to
            the customers of ``start_stop``.
        """
        from lifelines import CoxPHFitter

        names = [_covariate(m) for m in self.moments]
        empty = [m for m, n in zip(self.moments, names) if start_stop[n].max() == 0]
        if empty:
            raise DataError(f"no bad experience at {', '.join(map(repr, empty))} before any churn or the "
                            "end; its effect cannot be estimated: remove it from moments", table=TABLE)
        if start_stop["event"].sum() == 0:
            raise DataError("no customer churned, so no churn hazard can be compared", table=CUSTOMERS)
        tv = TimeVaryingCox(alpha=self.alpha).fit(start_stop, covariates=names)
        people = journeys[journeys["customer_id"].isin(set(start_stop["id"]))]
        naive = CoxPHFitter(alpha=self.alpha)
        naive.fit(people[["duration", "event"] + names], "duration", "event")
        s, ns = tv.summary, naive.summary
        z = s.columns
        lo_col = [c for c in z if c.startswith("exp(coef) lower")][0]
        hi_col = [c for c in z if c.startswith("exp(coef) upper")][0]
        rows = []
        for m, n in zip(self.moments, names):
            rows.append({
                "touchpoint": m, "hazard_ratio": float(s.loc[n, "exp(coef)"]),
                "ci_lower": float(s.loc[n, lo_col]), "ci_upper": float(s.loc[n, hi_col]),
                "p": float(s.loc[n, "p"]), "naive_hazard_ratio": float(ns.loc[n, "exp(coef)"]),
                "coef": float(s.loc[n, "coef"]), "se": float(s.loc[n, "se(coef)"]),
                "naive_ci_lower": float(ns.loc[n, lo_col]), "naive_ci_upper": float(ns.loc[n, hi_col]),
                "naive_p": float(ns.loc[n, "p"]),
                "bad_experiences": int(people[n].sum()), "customers_with_bad": int((people[n] > 0).sum()),
            })
        self.summary_ = pd.DataFrame(rows)
        self.n_customers_ = int(start_stop["id"].nunique())
        self.n_events_ = int(start_stop["event"].sum())
        self.n_intervals_ = len(start_stop)
        self.model_, self.naive_model_ = tv, naive
        return self


def proportional_check(start_stop: pd.DataFrame, moments, cut: float | None = None,
                       alpha: float = 0.05) -> pd.DataFrame:
    """Does each hazard ratio stay the same over follow-up? Intervals are split at ``cut`` days
    (the median churn time when None) and each covariate gets a second term for the time after
    it; its p-value tests that the hazard ratio after ``cut`` equals the one before.

    Returns ``touchpoint, hazard_ratio_early, hazard_ratio_late, p, proportional, cut``.
    """
    names = [_covariate(m) for m in moments]
    ss = start_stop
    if cut is None:
        cut = float(np.median(ss.loc[ss["event"] == 1, "stop"]))
    crosses = (ss["start"] < cut) & (ss["stop"] > cut)
    early = ss[crosses].assign(stop=cut, event=0)
    late = ss[crosses].assign(start=cut)
    split = pd.concat([ss[~crosses], early, late], ignore_index=True)
    is_late = (split["start"] >= cut).astype(float)
    for n in names:
        split[f"{n}_late"] = split[n] * is_late
    fit = TimeVaryingCox(alpha=alpha).fit(split, covariates=names + [f"{n}_late" for n in names])
    s = fit.summary
    rows = []
    for m, n in zip(moments, names):
        rows.append({"touchpoint": m, "hazard_ratio_early": float(np.exp(s.loc[n, "coef"])),
                     "hazard_ratio_late": float(np.exp(s.loc[n, "coef"] + s.loc[f"{n}_late", "coef"])),
                     "p": float(s.loc[f"{n}_late", "p"]), "cut": cut})
    out = pd.DataFrame(rows)
    out["proportional"] = out["p"] >= alpha
    return out
