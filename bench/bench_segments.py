"""Benchmark: segment 1,000,000 customers x 6 features through the notebook's path.

Steps, as in notebooks/03_segmentation.ipynb: read and validate the CSV, prepare the features (log for skewed
ones, standardize), choose k on a 20,000-row sample (silhouette on 10,000 rows), fit k-means on
all rows (mini-batch above 200,000 rows), bootstrap stability on 10,000-row resamples, the
method comparison on a 10,000-row sample, and the profiles. Prints seconds per step, peak
resident memory and the adjusted Rand index against the generating segments.

    .venv/bin/python bench/bench_segments.py [n_customers] [n_boot]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from cxlib import segments as prof
from cxlib import segments as validation
from cxlib import segments


def make_customers(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Four segments on six features; three of them right-skewed, one whole-numbered."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(4, size=n, p=[0.35, 0.3, 0.15, 0.2])
    age = np.array([27, 47, 36, 62])[seg] + rng.normal(0, 5, n)
    fee = np.exp(np.log([14, 24, 52, 24])[seg] + rng.normal(0, 0.25, n))
    usage = np.exp(np.log([4.4, 20, 70, 10])[seg] + rng.normal(0, 0.35, n))
    tickets = rng.poisson(np.array([0.5, 0.8, 2.0, 7.0])[seg])
    tenure = np.exp(np.log([6, 30, 20, 40])[seg] + rng.normal(0, 0.5, n))
    spend = np.exp(np.log([40, 120, 400, 90])[seg] + rng.normal(0, 0.4, n))
    X = pd.DataFrame({"age": age, "monthly_fee": fee, "usage_hours": usage,
                      "support_tickets": tickets.astype(float), "tenure_months": tenure,
                      "annual_spend": spend},
                     index=pd.Index([f"C{i:07d}" for i in range(n)], name="customer_id"))
    return X, seg


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(n: int = 1_000_000, n_boot: int = 20) -> None:
    timings = {}

    def step(name, fn):
        start = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - start
        print(f"{name:<34s} {timings[name]:8.2f} s   peak RSS {peak_rss_mb():8.0f} MB", flush=True)
        return result

    X, truth = step("generate data", lambda: make_customers(n))
    print(f"{n:,} customers x {X.shape[1]} features ({X.memory_usage(deep=False).sum() / 1e6:.0f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        step("write CSV (setup, not counted)", lambda: X.to_csv(path))
        loaded = step("load + validate CSV (load_features)",
                      lambda: segments.load_features(path, list(X.columns)))
    assert loaded.shape == X.shape
    X = loaded
    del loaded
    seg = step("fit (prep, choose k, k-means)", lambda: segments.Segmenter(seed=1).fit(X))
    print(f"  chosen k = {seg.k_}; logged: {list(seg.preparation_.index[seg.preparation_['log1p']])}; "
          f"silhouette (10,000-row sample) {seg.silhouette_:.3f}")
    Z = step("prepare (transform all rows)", lambda: seg.prepare(X))
    stab = step(f"stability ({n_boot} x 10,000 rows)",
                lambda: validation.bootstrap_stability(seg, X, n_boot=n_boot, seed=1))
    print(f"  {stab}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        methods = step("compare 4 methods (10,000 rows)",
                       lambda: validation.compare_methods(X, seg.k_, truth=truth, seed=1))
    print(methods[["method", "n_segments", "noise_share", "silhouette", "ari_vs_truth", "seconds"]]
          .round(3).to_string(index=False))
    profiles = step("profiles", lambda: prof.profile_segments(X, seg.labels_, Z))
    step("predict all rows", lambda: seg.predict(X))
    ari = adjusted_rand_score(truth, seg.labels_)
    print(f"\nadjusted Rand index vs the generating segments: {ari:.3f}")
    print(f"segment sizes: {profiles.loc[profiles['segment'] != 'all', 'n'].tolist()}")
    total = sum(v for k, v in timings.items() if "generate" not in k and "setup" not in k)
    print(f"total (without data generation): {total:.1f} s; peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
