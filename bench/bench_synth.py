"""Time the synthetic world generator at scale.

Usage: ``python bench/bench_synth.py --customers 1000000 [--seed S] [--out DIR]``

Prints seconds to generate, seconds to write Parquet, peak memory of the process, rows per
table and the ratio of generation time to the 60 s budget.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 60.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--out", type=Path, default=None, help="folder for the Parquet files "
                    "(a temporary folder, removed afterwards, if not given)")
    args = ap.parse_args(argv)

    from cxlib.synth import make_world

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    world = make_world(n_customers=args.customers, seed=args.seed)
    t_gen = time.perf_counter() - t0
    rss_gen = peak_rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        paths = world.write(out, fmt="parquet")
        t_write = time.perf_counter() - t0
        sizes = {k: p.stat().st_size / 2**20 for k, p in paths.items()}
    rss_all = peak_rss_mb()

    print(f"customers requested      {args.customers:>12,d}")
    for name in ("customers", "transactions", "survey"):
        print(f"rows {name:<20}{len(getattr(world, name)):>12,d}   parquet {sizes[name]:8.1f} MiB")
    print(f"generate (s)             {t_gen:12.2f}")
    print(f"write parquet (s)        {t_write:12.2f}")
    print(f"generate + write (s)     {t_gen + t_write:12.2f}")
    print(f"peak RSS before (MiB)    {rss_before:12.0f}")
    print(f"peak RSS generate (MiB)  {rss_gen:12.0f}")
    print(f"peak RSS total (MiB)     {rss_all:12.0f}")
    print(f"generate / budget        {t_gen / BUDGET_S:12.3f}   (budget {BUDGET_S:.0f} s)")
    print(f"gen + write / budget     {(t_gen + t_write) / BUDGET_S:12.3f}")


if __name__ == "__main__":
    main()
