"""Time the exact LMG decomposition with bootstrap intervals at scale.

Usage: ``python bench/bench_satisfaction.py [--respondents 100000] [--drivers 12]
[--bootstrap 200] [--naive-subsets 128] [--seed S]``

Prints seconds for the kit's path (``RelativeImportance("lmg", n_bootstrap=...).fit``), the ratio
to the 30 s budget and the peak memory of the process, then a naive baseline that refits a
statsmodels OLS for every subset of drivers in every resample. The baseline is timed on
``--naive-subsets`` subsets of one resample and extrapolated (labelled as such), because running
it in full would take hours.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

BUDGET_S = 30.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def survey(n: int, p: int, seed: int) -> pd.DataFrame:
    """Correlated 1-5 ratings (a shared halo) and an overall score driven by decreasing weights."""
    rng = np.random.default_rng(seed)
    halo = rng.standard_normal(n)[:, None]
    ratings = np.clip(np.rint(3.4 + 0.7 * halo + 0.9 * rng.standard_normal((n, p))), 1, 5)
    weights = np.linspace(1.0, 0.1, p)
    weights /= weights.sum()
    latent = ratings @ weights + rng.normal(0, 0.3, n)
    df = pd.DataFrame(ratings, columns=[f"d{j:02d}" for j in range(p)])
    df["overall"] = np.clip(np.rint(latent), 1, 5)
    return df


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=100_000)
    ap.add_argument("--drivers", type=int, default=12)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--naive-subsets", type=int, default=128,
                    help="subsets refitted by the naive baseline before extrapolating")
    ap.add_argument("--seed", type=int, default=20261125)
    args = ap.parse_args(argv)

    import statsmodels.api as sm

    from cxlib.satisfaction import RelativeImportance

    df = survey(args.respondents, args.drivers, args.seed)
    drivers = [c for c in df.columns if c != "overall"]
    n_subsets = 2 ** args.drivers - 1

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    fit = RelativeImportance("lmg", n_bootstrap=args.bootstrap, seed=args.seed).fit(
        df, "overall", drivers)
    t_kit = time.perf_counter() - t0
    print(f"kit: exact LMG, {args.drivers} drivers ({n_subsets} subsets), {args.respondents:,} "
          f"respondents, {args.bootstrap} bootstrap resamples + the point estimate")
    print(f"  seconds            {t_kit:.2f}")
    print(f"  ratio to {BUDGET_S:.0f} s     {t_kit / BUDGET_S:.3f}")
    print(f"  peak memory (MB)   {peak_rss_mb():.0f} (before fit {rss_before:.0f})")
    print(f"  R^2 {fit.r2_:.4f}; top driver {fit.summary_.index[0]}, "
          f"CI {fit.summary_['ci_lower'].iloc[0]:.4f}-{fit.summary_['ci_upper'].iloc[0]:.4f}")

    # Naive baseline: one statsmodels OLS per subset, on a resampled copy of the data.
    rng = np.random.default_rng(args.seed)
    sample = df.iloc[rng.integers(0, len(df), len(df))]
    y = sample["overall"].to_numpy()
    x = sample[drivers].to_numpy()
    codes = rng.choice(np.arange(1, n_subsets + 1), size=min(args.naive_subsets, n_subsets),
                       replace=False)
    t0 = time.perf_counter()
    for code in codes:
        cols = [j for j in range(args.drivers) if code >> j & 1]
        sm.OLS(y, sm.add_constant(x[:, cols])).fit().rsquared
    per_fit = (time.perf_counter() - t0) / len(codes)
    naive_total = per_fit * n_subsets * (args.bootstrap + 1)
    print(f"naive baseline (statsmodels OLS per subset): timed {len(codes)} fits of one resample, "
          "EXTRAPOLATED to all subsets and resamples")
    print(f"  seconds per fit    {per_fit * 1e3:.1f} ms")
    print(f"  extrapolated total {naive_total:,.0f} s ({naive_total / 3600:.1f} h)")
    print(f"  speed-up of the kit {naive_total / t_kit:,.0f}x")


if __name__ == "__main__":
    main()
