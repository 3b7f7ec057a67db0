"""Scale check for the experiments lesson: the per-variant sums and every estimate from them.

A synthetic experiment with ``--n`` units (converted, spend with a pre-period value, CSAT, time
to churn) goes through the notebook's fitting path: the sufficient statistics
(``experiments.variant_statistics``), the effects with CUPED (``ABTest.fit_statistics``) and the
retention comparison from counts. The baseline is the aggregation a competent pandas user would
write for the same sums: one ``groupby("variant").agg`` over the columns and their squares and
cross-product. Prints seconds, the ratio against the baseline and the peak resident memory.

    python bench/bench_experiments.py             # 5,000,000 units
    python bench/bench_experiments.py --n 1000000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from cxlib import experiments
from cxlib.synth.experiment import make_experiment

METRICS = ["converted", "spend", "csat"]
KINDS = {"converted": "proportion", "spend": "mean", "csat": "mean"}
PRE = {"spend": "pre_spend"}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    table, truth = make_experiment(n_units=args.n, seed=args.seed)
    table["variant"] = table["variant"].astype("category")
    print(f"generate {args.n:,} units: {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    baseline = (table.assign(spend_sq=table["spend"] ** 2, csat_sq=table["csat"] ** 2,
                             cross=table["spend"] * table["pre_spend"],
                             pre_sq=table["pre_spend"] ** 2)
                .groupby("variant", observed=True)
                .agg(n=("converted", "size"), converted=("converted", "sum"),
                     spend=("spend", "sum"), spend_sq=("spend_sq", "sum"),
                     csat=("csat", "sum"), csat_sq=("csat_sq", "sum"),
                     pre=("pre_spend", "sum"), pre_sq=("pre_sq", "sum"), cross=("cross", "sum")))
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    caps = experiments.cap_values(table, METRICS, KINDS, 0.999)
    t_caps = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = experiments.variant_statistics(table, METRICS, pre_metrics=PRE)
    t_stats = time.perf_counter() - t0
    check = stats.set_index(["variant", "metric"])
    assert np.isclose(check.loc[("control", "spend"), "sum"], baseline.loc["control", "spend"])
    assert np.isclose(check.loc[("control", "spend"), "cross"], baseline.loc["control", "cross"])

    t0 = time.perf_counter()
    capped = experiments.variant_statistics(table, METRICS, pre_metrics=PRE, caps=caps)
    test = experiments.ABTest("control").fit_statistics(capped, KINDS, pre_metrics=PRE, caps=caps)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = experiments.retention_counts(table, "days_observed", "churned")
    retention = experiments.RetentionComparison("control").fit_counts(counts)
    t_ret = time.perf_counter() - t0

    s = test.summary_.set_index("metric")
    print(f"baseline pandas groupby of the sums: {t_base:.2f} s")
    print(f"variant_statistics (the same sums):  {t_stats:.2f} s  ({t_stats / t_base:.2f}x the baseline)")
    print(f"caps (pooled 99.9% quantiles):       {t_caps:.2f} s")
    print(f"capped sums + effects + CUPED:       {t_fit:.2f} s")
    print(f"retention counts ({len(counts)} rows) + KM, log-rank, Cox: {t_ret:.2f} s")
    print(f"converted difference {s.loc['converted', 'difference']:.4f} (truth "
          f"{truth['metrics']['converted']['difference']:.4f}); CUPED variance reduction "
          f"{test.cuped_['variance_reduction'].iloc[0]:.3f} (truth "
          f"{truth['cuped']['spend']['variance_reduction']:.3f}); hazard ratio "
          f"{retention.summary_['hazard_ratio'].iloc[0]:.4f} (truth 0.8)")
    print(f"peak memory {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
