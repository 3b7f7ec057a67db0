"""Benchmark: ``cx report`` on a synthetic world of 1,000,000 customers, the log in Parquet.

The world (customers, purchases, survey, journey cohort and A/B test) is simulated and written in
a child process first; then ``cx report --jobs 2`` runs every notebook on it with the bundled
configuration's parameters, only the paths changed. Printed: the time of each notebook (from
``run.json``), the whole command's wall time against the two-minute goal, and the peak memory of
the largest process of the run (a kernel), which Linux reports for the largest descendant.

    .venv/bin/python bench/bench_report.py [n_customers] [--jobs N] [--only NB ...] [--world DIR]

``--world DIR`` keeps the written world in DIR and uses it again on the next run (generating
1,000,000 customers takes about four minutes), so that single notebooks can be timed on it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 120
PATHS = {  # parameter -> file of the written world, per notebook
    "00_overview": {"customers_path": "customers.csv", "transactions_path": "transactions.parquet",
                    "survey_path": "survey.csv"},
    "01_churn_survival": {"data_path": "customers.csv", "truth_path": "truth.json"},
    "02_satisfaction_drivers": {"data_path": "survey.csv", "customers_path": "customers.csv"},
    "03_segmentation": {"data_path": "customers.csv", "transactions_path": "transactions.parquet",
                        "customers_path": "customers.csv", "survey_path": "survey.csv",
                        "truth_path": "truth.json"},
    "04_clv": {"transactions_path": "transactions.parquet", "truth_path": "truth.json"},
    "05_journey": {"events_path": "events.parquet", "customers_path": "journey_customers.csv",
                   "truth_path": "truth.json"},
    "06_experiments": {"data_path": "experiment.csv", "truth_path": "truth.json"},
    "07_next_best_action": {"transactions_path": "transactions.parquet", "customers_path": "customers.csv",
                            "truth_path": "truth.json"},
}


def generate(n: int, folder: str) -> None:
    """Simulate the world and write it; the log and the events as Parquet."""
    import pandas as pd

    from cxlib.synth import make_world

    start = time.perf_counter()
    world = make_world(n_customers=n)
    paths = world.write(folder)
    for name in ("transactions", "events"):
        df = pd.read_csv(paths[name])
        df.to_parquet(Path(folder) / f"{name}.parquet", index=False)
        paths[name].unlink()
    print(f"{'simulate and write':<24s} {time.perf_counter() - start:8.1f} s   {len(world.customers):,} "
          f"customers, {len(world.transactions):,} transactions, {len(world.events):,} events", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n_customers", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="+", default=list(PATHS))
    parser.add_argument("--world", type=Path, help="folder to keep the world in and to reuse")
    args = parser.parse_args()

    folder = args.world or Path(tempfile.mkdtemp(prefix="bench_report_"))
    marker = folder / "world.json"
    if marker.exists() and json.loads(marker.read_text())["n_customers"] == args.n_customers:
        print(f"{'world':<24s} reused from {folder}", flush=True)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        child = mp.get_context("spawn").Process(target=generate, args=(args.n_customers, str(folder)))
        child.start()
        child.join()
        if child.exitcode:
            sys.exit("generating the world failed")
        marker.write_text(json.dumps({"n_customers": args.n_customers}))

    config = yaml.safe_load((ROOT / "notebooks" / "reports.yaml").read_text())
    for nb in args.only:
        config.setdefault(nb, {}).update({k: str(folder / v) for k, v in PATHS[nb].items()})
    cfg = folder / "bench_reports.yaml"
    cfg.write_text(yaml.safe_dump({nb: config[nb] for nb in args.only}, sort_keys=False))

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cxlib.report.cli", "report", "--config", str(cfg),
                           "--out", str(folder / "reports"), "--jobs", str(args.jobs),
                           "--only", *args.only], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    runs = [p for p in (folder / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    run = max(runs, key=lambda p: p.stat().st_mtime)  # the newest, when the world is reused
    record = json.loads((run / "run.json").read_text())
    for r in record["notebooks"]:
        print(f"{r['notebook']:<24s} {r['seconds']:8.1f} s   {r['status']}"
              + (f"   {r['error']}" if r["error"] else ""))
    print(f"{'cx report, --jobs ' + str(args.jobs):<24s} {wall:8.1f} s   "
          f"{wall / GOAL_SECONDS:.2f}x the {GOAL_SECONDS} s goal ({'met' if wall <= GOAL_SECONDS else 'not met'})")
    print(f"{'largest process':<24s} {max(peak, before) / 1024 ** 2:8.2f} GB peak resident memory")
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    print(f"(files in {folder})")


if __name__ == "__main__":
    main()
