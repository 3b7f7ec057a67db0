"""Benchmarks of the CLV module, each against its baseline in the same run.

Usage::

    python bench/bench_clv.py [--part bgnbd|rfm|all] [--customers 1000000]
                              [--transactions 10000000] [--seed S]

``bgnbd``: BetaGeoFitter on the summary of a synthetic log with ``--customers`` customers
against lifetimes 0.11.3's BetaGeoFitter on the same summary (written to Parquet). lifetimes
needs older numpy/pandas/scipy, so it runs in its own environment ``bench/.venv-lifetimes``,
created from ``bench/requirements-lifetimes.txt`` on first use. Prints seconds, the speed-up and
the largest relative parameter difference (target: >= 5x, <= 1e-4).

``rfm``: ``rfm_summary`` on ``--transactions`` transactions against the plain pandas groupby
(merge same-day purchases with one groupby, then aggregate per customer), with the log in
customer order and in time order. Prints seconds, the speed-up (target: >= 4x), peak traced
memory of each, whether the results agree, and the time with ``sort=True`` (output sorted by id,
as the groupby returns it; the default keeps the order of first appearance).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
LIFETIMES_ENV = HERE / ".venv-lifetimes"
REQUIREMENTS = HERE / "requirements-lifetimes.txt"
END = "2025-12-31"


def lifetimes_python() -> Path:
    """The benchmark environment's interpreter, created on first use."""
    python = LIFETIMES_ENV / "bin" / "python"
    if not python.exists():
        print(f"creating {LIFETIMES_ENV} from {REQUIREMENTS.name} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return python


def best_of(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def synthetic_log(n_customers: int, seed: int) -> pd.DataFrame:
    from cxlib.synth import make_world

    return make_world(n_customers=n_customers, seed=seed, observation_end=END, journey=False).transactions


def bench_bgnbd(n_customers: int, seed: int) -> None:
    from cxlib import clv

    log = synthetic_log(n_customers, seed)
    summary = clv.rfm_summary(log, observation_end=END, time_unit="W")
    del log
    n_unique = len(summary.drop_duplicates(["frequency", "recency", "T"]))
    print(f"BG/NBD on {len(summary):,} customers ({n_unique:,} distinct (x, t_x, T)), weeks")

    ours_s, ours = best_of(lambda: clv.BetaGeoFitter().fit(summary), 3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.parquet"
        summary[["frequency", "recency", "T"]].reset_index(drop=True).to_parquet(path)
        run = subprocess.run([str(lifetimes_python()), str(HERE / "lifetimes_side.py"), str(path)],
                             check=True, capture_output=True, text=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    names = ["r", "alpha", "a", "b"]
    p_ours = ours.params_[names].to_numpy()
    p_theirs = np.array([theirs["params"][k] for k in names])
    rel = np.abs(p_ours - p_theirs) / np.abs(p_theirs)
    ll_theirs = clv.bgnbd_log_likelihood(p_theirs, summary["frequency"], summary["recency"], summary["T"])
    print(f"  cxlib     {ours_s:8.2f} s  " + "  ".join(f"{k}={v:.6g}" for k, v in zip(names, p_ours))
          + f"  LL={ours.log_likelihood_:.3f}")
    print(f"  lifetimes {theirs['seconds']:8.2f} s  " + "  ".join(f"{k}={v:.6g}" for k, v in zip(names, p_theirs))
          + f"  LL={ll_theirs:.3f}")
    print(f"  speed-up {theirs['seconds'] / ours_s:.1f}x (target >= 5x); "
          f"max relative parameter difference {rel.max():.2e} (target <= 1e-4)")


def pandas_baseline(log: pd.DataFrame, end: str, unit_days: float = 7.0) -> pd.DataFrame:
    """The obvious pandas implementation the fast path is measured against."""
    daily = (log.assign(day=log["timestamp"].dt.floor("D"))
             .groupby(["customer_id", "day"])["amount"].sum().reset_index())
    g = daily.groupby("customer_id")
    first = g["day"].min()
    repeat = daily[daily["day"] > daily["customer_id"].map(first)]
    out = pd.DataFrame({
        "frequency": (g.size() - 1).astype(float),
        "recency": (g["day"].max() - first).dt.days / unit_days,
        "T": (pd.Timestamp(end) - first).dt.days / unit_days,
        "monetary_value": repeat.groupby("customer_id")["amount"].mean(),
    })
    out["monetary_value"] = out["monetary_value"].fillna(0.0)
    return out


def bench_rfm(n_transactions: int, seed: int) -> None:
    from cxlib import clv

    per_customer = 19648 / 5000  # transactions per customer of the default synthetic world
    log = synthetic_log(int(n_transactions / per_customer * 1.02) + 1, seed).iloc[:n_transactions]
    log = log.reset_index(drop=True)
    print(f"rfm_summary on {len(log):,} transactions of {log['customer_id'].nunique():,} customers")
    # The generator writes each customer's purchases together; exports are usually in time order,
    # which defeats the sorted-input shortcut, so both orders are timed.
    for order, frame in (("customer order", log),
                         ("time order", log.sort_values("timestamp", kind="stable").reset_index(drop=True))):
        ours_s, ours = best_of(lambda: clv.rfm_summary(frame, observation_end=END, time_unit="W"), 2)
        base_s, base = best_of(lambda: pandas_baseline(frame, END), 2)
        sorted_s, _ = best_of(lambda: clv.rfm_summary(frame, observation_end=END, time_unit="W", sort=True), 1)
        same = np.allclose(ours.to_numpy(), base.loc[ours.index, ours.columns].to_numpy(), rtol=1e-9, atol=1e-9)
        ours_mb = peak_mb(lambda: clv.rfm_summary(frame, observation_end=END, time_unit="W"))
        base_mb = peak_mb(lambda: pandas_baseline(frame, END))
        print(f"  [{order}]")
        print(f"    cxlib.clv.rfm_summary {ours_s:7.2f} s   peak {ours_mb:7.0f} MB (traced)")
        print(f"    plain pandas groupby  {base_s:7.2f} s   peak {base_mb:7.0f} MB (traced)")
        print(f"    speed-up {base_s / ours_s:.1f}x (target >= 4x); results identical: {same}")
        print(f"    with sort=True (output sorted by id like the groupby): {sorted_s:.2f} s, "
              f"{base_s / sorted_s:.1f}x")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["bgnbd", "rfm", "all"], default="all")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=20261125)
    args = ap.parse_args(argv)
    if args.part in ("rfm", "all"):
        bench_rfm(args.transactions, args.seed)
    if args.part in ("bgnbd", "all"):
        bench_bgnbd(args.customers, args.seed)


if __name__ == "__main__":
    main()
