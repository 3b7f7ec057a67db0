"""Benchmark: recommenders for 1,000,000 customers, 50,000 products, 10,000,000 purchases.

Steps, as in notebooks/07_next_best_action.ipynb: count purchases per customer and product in the
engine (DuckDB on a Parquet log, split at the holdout start), fit popularity, item-item CF (BM25)
and ALS on the purchases before the holdout start, list the top 10 for every customer, and score
the lists on the holdout (precision, recall, NDCG). Prints seconds per step and the peak resident
memory.

Baseline: ``implicit``'s own item-item ``recommend``, which loops over customers in Python, timed
on the first 20,000 customers and extrapolated, against the kit's batched sparse scoring of the
same similarities (the same lists, see tests/actions/test_metrics.py).

    .venv/bin/python bench/bench_next_best_action.py [n_customers] [n_products] [n_purchases] [threads] \
        [als_list_customers]

``als_list_customers`` (0: all) lists ALS for the first customers only and extrapolates the time
to all of them: ALS scores every customer against every product, so on 2 cores its top-10 lists
for a million customers over 50,000 products take several minutes on their own.
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
import scipy.sparse as sp

from cxlib import actions
from cxlib.core import DataWarning
from cxlib.synth.products import assign_items

START, END, HOLDOUT = "2023-01-01", "2025-12-31", "2025-07-01"
BASELINE_CUSTOMERS = 20_000


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB on Linux


def make_log(n_customers: int, n_products: int, n_purchases: int, seed: int = 0) -> pd.DataFrame:
    """Purchases spread over customers (1 + Poisson) and three years, products by taste group."""
    rng = np.random.default_rng(seed)
    mean_extra = max(n_purchases / n_customers - 1, 0.0)
    counts = 1 + rng.poisson(mean_extra, size=n_customers)
    ids = np.char.add("C", np.char.zfill(np.arange(1, n_customers + 1).astype(str), 7)).astype(object)
    owner = np.repeat(np.arange(n_customers), counts)
    span = (pd.Timestamp(END) - pd.Timestamp(START)).days * 86_400
    seconds = rng.integers(0, span, size=len(owner))
    seconds = seconds[np.lexsort((seconds, owner))]  # in time order within each customer
    log = pd.DataFrame({"customer_id": ids[owner],
                        "timestamp": pd.Timestamp(START) + pd.to_timedelta(seconds, unit="s"),
                        "amount": np.round(rng.gamma(6.0, 4.0, size=len(owner)), 2) + 0.01})
    n_groups = max(1, n_products // 500)
    items, _, _ = assign_items(log, pd.DataFrame({"customer_id": ids}), seed, n_products=n_products,
                               n_groups=n_groups, n_staples=max(1, n_products // 1000))
    log["item"] = items.to_numpy()
    return log


def main(n_customers: int = 1_000_000, n_products: int = 50_000, n_purchases: int = 10_000_000,
         threads: int = 2, als_list_customers: int = 0) -> None:
    timings = {}

    def step(name, fn):
        start = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - start
        print(f"{name:<44s} {timings[name]:8.2f} s   peak RSS {peak_rss_gb():5.2f} GB", flush=True)
        return result

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.parquet"
        log = step("generate the log (not part of the path)", lambda: make_log(n_customers, n_products, n_purchases))
        print(f"  {len(log):,} purchases, {log['customer_id'].nunique():,} customers, "
              f"{log['item'].nunique():,} products bought", flush=True)
        step("write Parquet (not part of the path)",
             lambda frame=log: frame.to_parquet(path, index=False, coerce_timestamps="us",
                                                allow_truncated_timestamps=True))
        del log
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            purchases = step("validate and count in DuckDB (with split)",
                             lambda: actions.purchase_counts(str(path), observation_end=END, holdout_start=HOLDOUT))
        train, relevant = purchases.matrix("before"), purchases.new_in_holdout()
        print(f"  {train.nnz:,} customer-product pairs before the holdout start", flush=True)
        evaluated = (np.diff(train.indptr) > 0) & (np.diff(relevant.indptr) > 0)
        lists = {}
        for method, settings in (("popularity", {}), ("item_item", {"neighbours": 50}),
                                 ("als", {"factors": 32, "iterations": 15})):
            model = actions.make_recommender(method, seed=1, threads=threads, **settings)
            step(f"fit {method}", lambda: model.fit(train))
            if method == "als" and 0 < als_list_customers < train.shape[0]:
                part = train[:als_list_customers]
                name = f"top 10 for {als_list_customers:,} customers (als)"
                lists[method] = step(name, lambda: model.recommend(part, 10)[0])
                scale = train.shape[0] / als_list_customers
                timings[name] *= scale  # the total counts every customer
                print(f"  extrapolated to all {train.shape[0]:,} customers: {timings[name]:.1f} s", flush=True)
                continue
            lists[method] = step(f"top 10 for all {train.shape[0]:,} customers ({method})",
                                 lambda: model.recommend(train, 10)[0])
            if method == "item_item":
                item_model = model
        for method, rec in lists.items():
            mask = evaluated[:len(rec)]
            m = step(f"holdout metrics ({method})",
                     lambda: actions.ranking_metrics(rec[mask], relevant[np.flatnonzero(mask)]))
            print(f"  recall@10 {m['recall_at_k'].mean():.3f}, NDCG@10 {m['ndcg_at_k'].mean():.3f} "
                  f"over {mask.sum():,} customers", flush=True)
        # every step of the path, ALS's lists extrapolated to all customers when only some were listed
        total = sum(v for k, v in timings.items() if not k.startswith(("generate", "write", "holdout")))
        print(f"{'total: count, fit and list (3 methods)':<44s} {total:8.2f} s   peak RSS {peak_rss_gb():5.2f} GB")

        # baseline: implicit's per-customer item-item recommend on the same similarities
        from implicit.nearest_neighbours import ItemItemRecommender as ImplicitItemItem
        from implicit.nearest_neighbours import NearestNeighboursScorer

        theirs = ImplicitItemItem(K=50, num_threads=threads)
        theirs.similarity = item_model.similarity_
        theirs.scorer = NearestNeighboursScorer(item_model.similarity_)
        n_base = min(BASELINE_CUSTOMERS, train.shape[0])
        users = np.arange(n_base)
        counts = sp.csr_matrix(train[:n_base], dtype=np.float32)
        start = time.perf_counter()
        theirs.recommend(users, counts, N=10)
        base = (time.perf_counter() - start) * train.shape[0] / n_base
        ours = timings[f"top 10 for all {train.shape[0]:,} customers (item_item)"]
        print(f"baseline: implicit's per-customer item-item recommend, {n_base:,} customers, extrapolated to "
              f"{train.shape[0]:,}: {base:.1f} s; the kit's batched scoring {ours:.1f} s ({base / ours:.1f}x)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
