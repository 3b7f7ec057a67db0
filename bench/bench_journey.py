"""Benchmark: a 1,000,000-customer journey (about 20,000,000 events) through the notebook's path.

Steps, as in notebooks/05_journey.ipynb, on DuckDB: read and validate the customers table and the
event log CSV (every row rule, the funnel stages, the join against the customers for events before
signup or of unknown customers), the per-customer journeys, the funnel with Wilson intervals by
channel and by segment, Kaplan-Meier time to the next stage, paths, moves between stages (one
query, as the notebook runs them), touchpoint satisfaction, and the moments-of-truth model (the
(start, stop] table built in the engine for a 100,000-customer sample, the time-varying Cox and
the naive model). The data are generated and written in a child process first, so the peak memory
printed is the analysis's own. The baseline is what a competent pandas user would write for the
per-customer step: ``read_csv`` and one ``groupby``.

    .venv/bin/python bench/bench_journey.py [n_customers] [model_sample]
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from cxlib import journey
from cxlib.synth.journey import make_journey

END = "2025-12-31"
FUNNEL = ["signup", "onboarding", "first_purchase", "repeat_purchase"]
MOMENTS = ["onboarding", "support", "feedback"]
WINDOW = 120


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def generate(n: int, folder: str) -> None:
    """Simulate and write the two CSV files (DuckDB writes the large one, in parallel)."""
    import duckdb

    start = time.perf_counter()
    customers, events, _ = make_journey(n, seed=20261125)
    print(f"{'generate':<34s} {time.perf_counter() - start:8.2f} s   {len(events):,} events", flush=True)
    start = time.perf_counter()
    customers.to_csv(Path(folder) / "customers.csv", index=False, date_format="%Y-%m-%d")
    events["timestamp"] = events["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    con = duckdb.connect()
    con.register("events", events)
    con.execute(f"copy events to '{Path(folder) / 'events.csv'}' (header, delimiter ',')")
    print(f"{'write CSV':<34s} {time.perf_counter() - start:8.2f} s", flush=True)


def main(n: int = 1_000_000, model_sample: int = 100_000) -> None:
    folder = tempfile.mkdtemp(prefix="bench_journey_")
    child = mp.get_context("spawn").Process(target=generate, args=(n, folder))
    child.start()
    child.join()
    files = {"customers": Path(folder) / "customers.csv", "events": Path(folder) / "events.csv"}
    print(f"event log: {files['events'].stat().st_size / 1e9:.2f} GB of CSV", flush=True)
    timings = {}

    def step(name, fn):
        start = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - start
        print(f"{name:<34s} {timings[name]:8.2f} s   peak RSS {peak_rss_mb():8.0f} MB", flush=True)
        return result

    warnings.simplefilter("ignore", DeprecationWarning)
    customers = step("read customers", lambda: journey.load_customers(
        files["customers"], observation_end=END, segment_col="segment"))
    log = step("open + validate the log", lambda: journey.event_log(
        files["events"], funnel_stages=FUNNEL, channel_col="channel", score_col="score",
        observation_end=END, customers=customers))
    journeys = step("per-customer journeys (engine)", lambda: journey.customer_journeys(
        log, bad_score=2, moments=MOMENTS))
    end = journey.end_of_observation(END)
    funnel = step("funnel + by channel + by segment", lambda: (
        journey.funnel_table(journeys, FUNNEL, end, WINDOW),
        journey.group_test(journey.funnel_by_group(journeys, "channel", FUNNEL, end, WINDOW), "channel"),
        journey.group_test(journey.funnel_by_group(journeys, "segment", FUNNEL, end, WINDOW), "segment"))[0])
    step("time to next stage (Kaplan-Meier)", lambda: journey.km_conversion(
        journey.time_to_next(journeys, FUNNEL, end), WINDOW))
    step("paths and moves (engine, one query)", lambda: journey.paths_and_transitions(log, 4, 10))
    step("touchpoints (engine)", lambda: journey.touchpoint_table(log, 2))
    sample = journey.sample_customers(customers, model_sample, 20261125)
    table = step(f"start-stop table, {model_sample:,} customers", lambda: journey.start_stop_table(
        log, MOMENTS, 2, sample))
    model = step("time-varying + naive Cox", lambda: journey.MomentsOfTruth(MOMENTS).fit(table, journeys))
    total = sum(timings.values())
    print(f"{'total (kit path)':<34s} {total:8.2f} s   peak RSS {peak_rss_mb():8.0f} MB")
    print(f"funnel: {funnel['customers'].tolist()} customers, overall conversion "
          f"{journey.overall_conversion(funnel):.4f}; {log.n_events:,} events")
    print(model.summary_[["touchpoint", "hazard_ratio", "ci_lower", "ci_upper", "naive_hazard_ratio"]]
          .round(3).to_string(index=False))

    # the baseline for the per-customer step: pandas reads the whole log and groups it
    def pandas_journeys():
        ev = pd.read_csv(files["events"], usecols=["customer_id", "timestamp", "stage"])
        ev["timestamp"] = pd.to_datetime(ev["timestamp"])
        first = ev.pivot_table(index="customer_id", columns="stage", values="timestamp", aggfunc="min")
        counts = ev.groupby(["customer_id", "stage"]).size().unstack(fill_value=0)
        return first.join(counts, rsuffix="_n")

    base = step("baseline: pandas read_csv + groupby", pandas_journeys)
    assert len(base) == len(journeys)
    kit = timings["open + validate the log"] + timings["per-customer journeys (engine)"]
    print(f"per-customer step: kit (validation included) {kit:.1f} s against pandas {timings['baseline: pandas read_csv + groupby']:.1f} s "
          f"(ratio {timings['baseline: pandas read_csv + groupby'] / kit:.1f}x); peak RSS above includes the baseline")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
