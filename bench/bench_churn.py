"""Scale check for the churn lesson: its whole fitting path on a large synthetic customer table.

Customers get signup dates over three years, 10 covariates (8 numeric, 2 categorical) and
Weibull proportional-hazards lifetimes with known coefficients; the table goes through Parquet and
then through the same calls as ``notebooks/01_churn_survival.ipynb``. Prints seconds per step,
the largest coefficient error and the peak resident memory.

    python bench/bench_churn.py               # 1,000,000 customers
    python bench/bench_churn.py --n 200000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from cxlib import churn
from cxlib import churn as sm
from cxlib.churn import HorizonLogistic, compare_with_cox

N_NUMERIC = 8
END = pd.Timestamp("2025-12-31")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB on Linux


def make_table(n: int, seed: int) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_NUMERIC))
    beta = dict(zip([f"x{j}" for j in range(N_NUMERIC)], np.linspace(-0.3, 0.3, N_NUMERIC)))
    plan = rng.choice(["basic", "premium", "standard"], n, p=[0.45, 0.2, 0.35])
    region = rng.choice(["East", "North", "South", "West"], n)
    beta.update({"plan=premium": -0.5, "plan=standard": -0.25, "region=North": 0.0,
                 "region=South": 0.0, "region=West": 0.0})
    lp = X @ np.array([beta[f"x{j}"] for j in range(N_NUMERIC)])
    lp += np.where(plan == "premium", -0.5, 0) + np.where(plan == "standard", -0.25, 0)
    # Weibull PH lifetimes in days (shape 0.9, scale 600), whole days of at least one
    life = np.ceil(600 * (rng.standard_exponential(n) / np.exp(lp)) ** (1 / 0.9))
    signup = END - pd.to_timedelta(rng.integers(1, 3 * 365, n), unit="D")
    follow = (END - signup).days.to_numpy()
    churned = life <= follow
    churn_date = pd.Series(signup + pd.to_timedelta(np.where(churned, life, 0), unit="D"))
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_NUMERIC)])
    df.insert(0, "customer_id", [f"C{i:07d}" for i in range(n)])
    df["signup_date"] = signup
    df["churn_date"] = churn_date.where(churned)
    df["plan"], df["region"] = plan, region
    return df, beta


@contextmanager
def step(name: str, timings: dict):
    t0 = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - t0
    print(f"{name:<38s} {timings[name]:8.2f} s   peak RSS {peak_rss_gb():5.2f} GB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of customers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--horizon", type=float, default=12.0, help="months")
    args = ap.parse_args()
    covariates = [f"x{j}" for j in range(N_NUMERIC)] + ["plan", "region"]
    timings: dict[str, float] = {}

    print(f"churn fitting path: {args.n:,} customers x {len(covariates)} covariates")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.parquet"
        with step("simulate and write Parquet (not timed)", {}):
            table, beta = make_table(args.n, args.seed)
            table.to_parquet(path)
            del table
        total = time.perf_counter()
        with step("load and validate", timings), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = churn.load_churn_data(path, signup_col="signup_date", churn_col="churn_date",
                                         observation_end=END, id_col="customer_id",
                                         covariates=covariates, group_col="plan")
    with step("Kaplan-Meier by group + log-rank", timings):
        churn.median_survival_table(churn.kaplan_meier(data, "plan"))
        churn.logrank_test(data, "plan")
    with step("Cox fit (all customers)", timings):
        cox = churn.CoxChurnModel().fit(data, covariates)
    with step("proportional-hazards tests", timings):
        ph = cox.check_proportional_hazards(data)
    with step("split + Cox fit (training part)", timings):
        train, test = sm.split_train_test(data, 0.25, seed=args.seed)
        cox_train = churn.CoxChurnModel().fit(train, covariates)
    with step("held-out metrics (C, AUC, IBS, calibration)", timings):
        holdout = sm.evaluate_holdout(cox_train, train, test, args.horizon)
    with step("active-customer scores (RMST)", timings):
        scores = churn.score_active_customers(cox, data, args.horizon)
    with step("logistic baseline + comparison", timings):
        logit = HorizonLogistic(args.horizon).fit(train, covariates)
        compare_with_cox(cox_train, logit, train, test, args.horizon)
    total = time.perf_counter() - total

    s = cox.summary_.set_index("covariate")
    z = {k: (s.loc[k, "coef"] - v) / s.loc[k, "se"] for k, v in beta.items()}
    err = max(abs(s.loc[k, "coef"] - v) for k, v in beta.items())
    print(f"{'total':<38s} {total:8.2f} s   peak RSS {peak_rss_gb():5.2f} GB")
    print(f"events {cox.events_:,} of {cox.n_:,}; active scored {len(scores):,}; "
          f"max |coef - truth| = {err:.4f}; concordance (test) = "
          f"{holdout['metrics']['concordance_test']:.3f}; PH violations flagged: "
          f"{int((~ph['proportional']).sum())} of {len(ph)} at p < 0.05")
    print("(estimate - truth) / se: " + ", ".join(f"{k} {v:+.1f}" for k, v in z.items()))
    print(f"Cox fit share of total: {timings['Cox fit (all customers)'] / total:.2f}")


if __name__ == "__main__":
    main()
