"""Benchmarks of the data engine, each against its baseline in the same run.

Usage::

    python bench/bench_engine.py [--part rfm|large|spark|bad|all] [--transactions 10000000]
                                 [--large 100000000] [--folder DIR]

``rfm``: ``cxlib.clv.rfm_summary`` straight from a Parquet file of ``--transactions`` rows (rows
in random order, integer ids and text ids) against what a competent pandas user writes:
``pd.read_parquet`` and two groupbys. Prints seconds, the ratio (target >= 4x) and whether the
numbers agree. Both clocks start after the libraries are imported (pandas and pyarrow's Parquet
reader; the kit and Ibis' DuckDB backend), as they would be in a running notebook.

``large``: ``--large`` transactions (written by DuckDB itself, so the benchmark never holds them
in memory) summarized on DuckDB; prints seconds and the peak resident memory of the process
that did it (target: under 4 GB).

``spark``: the ``--transactions`` file summarized on Spark ``local[2]``; prints seconds and
whether the summary equals DuckDB's.

``bad``: the ``--large`` file with a blank id in its last row and a purchase after the
observation end: prints the message, the seconds and the peak memory (target: under 4 GB).

Each measured step runs in a fresh Python process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

END = "2025-12-31"
N_CUSTOMERS_PER_TX = 0.1  # ten purchases per customer on average


def run_child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line. Adds the peak RSS in MB."""
    wrapper = (
        "import json, resource, time\n"
        f"{code}\n"
        "result['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_log(path: Path, n: int, text_ids: bool, seed: int = 1) -> None:
    """``n`` purchases in random row order, written by DuckDB (no pandas copy in memory)."""
    import duckdb

    n_customers = max(1, int(n * N_CUSTOMERS_PER_TX))
    cid = (f"'C' || lpad(CAST(hash(i * {seed}) % {n_customers} AS VARCHAR), 9, '0')" if text_ids
           else f"CAST(hash(i * {seed}) % {n_customers} AS BIGINT)")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"""
        COPY (
          SELECT {cid} AS customer_id,
                 TIMESTAMP '2023-01-01' + to_seconds(CAST(hash(i + 7) % (3 * 365 * 86400) AS BIGINT)) AS timestamp,
                 round(1 + (hash(i + 13) % 10000) / 100.0, 2) AS amount
          FROM range({n}) t(i)
          ORDER BY hash(i + 99)
        ) TO '{path}' (FORMAT parquet)""")


RFM_OURS = """
import ibis
from cxlib import clv
ibis.duckdb  # loads the backend, as pyarrow.parquet is loaded for pandas
t0 = time.perf_counter()
s = clv.rfm_summary({path!r}, observation_end={end!r}, time_unit="W")
result = {{"seconds": time.perf_counter() - t0, "customers": len(s)}}
s.sort_index().to_parquet({out!r})
"""

RFM_PANDAS = """
import pandas as pd
import pyarrow.parquet
t0 = time.perf_counter()
log = pd.read_parquet({path!r})
daily = (log.assign(day=log["timestamp"].dt.floor("D"))
         .groupby(["customer_id", "day"])["amount"].sum().reset_index())
g = daily.groupby("customer_id")
first = g["day"].min()
repeat = daily[daily["day"] > daily["customer_id"].map(first)]
s = pd.DataFrame({{"frequency": (g.size() - 1).astype(float),
                  "recency": (g["day"].max() - first).dt.days / 7.0,
                  "T": (pd.Timestamp({end!r}) - first).dt.days / 7.0,
                  "monetary_value": repeat.groupby("customer_id")["amount"].mean()}}).fillna(0.0)
result = {{"seconds": time.perf_counter() - t0, "customers": len(s)}}
s.sort_index().to_parquet({out!r})
"""


def same(a: Path, b: Path) -> bool:
    import numpy as np
    import pandas as pd

    x, y = pd.read_parquet(a), pd.read_parquet(b)
    return bool(len(x) == len(y) and (x.index == y.index).all()
                and np.allclose(x.to_numpy(), y[x.columns].to_numpy(), rtol=1e-9, atol=1e-9))


def bench_rfm(folder: Path, n: int) -> None:
    print(f"rfm_summary from Parquet, {n:,} transactions in random order")
    for label, text in (("integer ids", False), ("text ids", True)):
        path = folder / f"log_{n}_{'text' if text else 'int'}.parquet"
        if not path.exists():
            write_log(path, n, text)
        ours = run_child(RFM_OURS.format(path=str(path), end=END, out=str(folder / "ours.parquet")))
        base = run_child(RFM_PANDAS.format(path=str(path), end=END, out=str(folder / "base.parquet")))
        print(f"  [{label}] {ours['customers']:,} customers")
        print(f"    cxlib.clv.rfm_summary (DuckDB)  {ours['seconds']:7.2f} s   peak RSS {ours['peak_mb']:7.0f} MB")
        print(f"    pandas read_parquet + groupby   {base['seconds']:7.2f} s   peak RSS {base['peak_mb']:7.0f} MB")
        print(f"    speed-up {base['seconds'] / ours['seconds']:.1f}x (target >= 4x); "
              f"same numbers: {same(folder / 'ours.parquet', folder / 'base.parquet')}")


def bench_large(folder: Path, n: int) -> None:
    path = folder / f"log_{n}_int.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        write_log(path, n, False)
        print(f"wrote {n:,} transactions in {time.perf_counter() - t0:.0f} s")
    ours = run_child(RFM_OURS.format(path=str(path), end=END, out=str(folder / "large.parquet")))
    print(f"rfm_summary on DuckDB, {n:,} transactions: {ours['seconds']:.1f} s, {ours['customers']:,} "
          f"customers, peak RSS {ours['peak_mb'] / 1024:.2f} GB (target < 4 GB)")


SPARK = """
from cxlib import clv
t0 = time.perf_counter()
s = clv.rfm_summary({path!r}, observation_end={end!r}, time_unit="W", engine="spark")
result = {{"seconds": time.perf_counter() - t0, "customers": len(s)}}
s.sort_index().to_parquet({out!r})
"""


def bench_spark(folder: Path, n: int) -> None:
    path = folder / f"log_{n}_int_us.parquet"
    if not path.exists():
        import duckdb

        write_log(folder / "tmp.parquet", n, False)
        # Spark reads microsecond timestamps only
        duckdb.sql(f"COPY (SELECT * FROM '{folder / 'tmp.parquet'}') TO '{path}' (FORMAT parquet)")
    spark = run_child(SPARK.format(path=str(path), end=END, out=str(folder / "spark.parquet")))
    duck = run_child(RFM_OURS.format(path=str(path), end=END, out=str(folder / "duck.parquet")))
    print(f"rfm_summary on Spark local[2], {n:,} transactions: {spark['seconds']:.1f} s "
          f"(DuckDB {duck['seconds']:.1f} s); same summary as DuckDB: "
          f"{same(folder / 'spark.parquet', folder / 'duck.parquet')}")


BAD = """
from cxlib import clv
from cxlib.core import DataError
t0 = time.perf_counter()
try:
    clv.rfm_summary({path!r}, observation_end={end!r})
    message = "no error"
except DataError as exc:
    message = str(exc)
result = {{"seconds": time.perf_counter() - t0, "message": message}}
"""


def bench_bad(folder: Path, n: int) -> None:
    import duckdb

    good = folder / f"log_{n}_int.parquet"
    if not good.exists():
        write_log(good, n, False)
    bad = folder / f"log_{n}_bad.parquet"
    if not bad.exists():
        duckdb.sql(f"""COPY (
            SELECT CAST(customer_id AS VARCHAR) AS customer_id, timestamp, amount FROM '{good}'
            UNION ALL SELECT '42', TIMESTAMP '2026-01-05 10:00:00', 12.5
            UNION ALL SELECT NULL, TIMESTAMP '2025-06-01 10:00:00', 3.0
        ) TO '{bad}' (FORMAT parquet)""")
    for end in (END, "2026-12-31"):
        res = run_child(BAD.format(path=str(bad), end=end))
        print(f"bad input, {n + 2:,} rows, observation_end {end}: {res['seconds']:.1f} s, "
              f"peak RSS {res['peak_mb'] / 1024:.2f} GB (target < 4 GB)\n  {res['message']}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["rfm", "large", "spark", "bad", "all"], default="all")
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--large", type=int, default=100_000_000)
    ap.add_argument("--folder", help="where the generated logs are kept (default: a temporary folder)")
    args = ap.parse_args(argv)
    folder = Path(args.folder) if args.folder else Path(tempfile.mkdtemp(prefix="cx-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.part in ("rfm", "all"):
        bench_rfm(folder, args.transactions)
    if args.part in ("large", "all"):
        bench_large(folder, args.large)
    if args.part in ("bad", "all"):
        bench_bad(folder, args.large)
    if args.part in ("spark", "all"):
        bench_spark(folder, args.transactions)


if __name__ == "__main__":
    main()
