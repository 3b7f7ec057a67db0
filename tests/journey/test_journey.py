"""The journey package: golden values against independent queries, recovery of the synthetic
truth, bad input, and the same numbers on Spark."""

from __future__ import annotations

import shutil
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlib import journey
from cxlib.core import DataError, DataWarning
from cxlib.synth.journey import (
    CONVERSION,
    HAZARD_RATIOS,
    STAGE_TIMES,
    make_journey,
    write_journey,
)

END = "2025-12-31"
FUNNEL = ["signup", "onboarding", "first_purchase", "repeat_purchase"]
MOMENTS = ["onboarding", "support", "feedback"]
WINDOW = 120


def open_log(files, **kw):
    customers = journey.load_customers(files["customers"], observation_end=END, segment_col="segment")
    return journey.event_log(files["events"], funnel_stages=FUNNEL, channel_col="channel", score_col="score",
                             observation_end=END, customers=customers, **kw)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 1,500-customer journey written as the bundled files are."""
    customers, events, _ = make_journey(1500, seed=11)
    return write_journey(customers, events, tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """An 8,000-customer journey for the recovery checks, with its opened log and journeys."""
    customers, events, truth = make_journey(8000, seed=3)
    files = write_journey(customers, events, tmp_path_factory.mktemp("large"))
    log = open_log(files)
    journeys = journey.customer_journeys(log, bad_score=2, moments=MOMENTS)
    return {"files": files, "truth": truth, "log": log, "journeys": journeys, "customers": customers}


# --- the generator -----------------------------------------------------------------------------

def test_the_generator_is_reproducible_and_keeps_its_own_rules():
    c1, e1, t1 = make_journey(600, seed=5)
    c2, e2, t2 = make_journey(600, seed=5)
    pd.testing.assert_frame_equal(e1, e2)
    pd.testing.assert_frame_equal(c1, c2)
    assert t1 == t2 and t1["n_customers"] == 600 and t1["observation_end"] == END
    assert not make_journey(600, seed=6)[1].equals(e1)
    assert list(c1["customer_id"][:2]) == ["J000001", "J000002"]
    merged = e1.merge(c1, on="customer_id")
    # every event on or after the signup date, before the end and before the churn date
    assert (merged["timestamp"] >= merged["signup_date"]).all()
    assert (merged["timestamp"] < pd.Timestamp(END)).all()
    churned = merged["churn_date"].notna()
    assert (merged.loc[churned, "timestamp"] < merged.loc[churned, "churn_date"]).all()
    assert (c1["churn_date"].dropna() <= pd.Timestamp(END)).all()
    scored = e1["score"].notna()
    assert set(e1.loc[scored, "stage"]) == {"onboarding", "support", "feedback"}
    assert e1.loc[scored, "score"].between(1, 5).all()
    assert t1["hazard"]["hazard_ratios"] == HAZARD_RATIOS and t1["hazard"]["no_effect"] == ["feedback"]


def test_customers_who_stay_longer_have_more_touchpoints():
    customers, events, _ = make_journey(3000, seed=8)
    life = (customers["churn_date"].fillna(pd.Timestamp(END)) - customers["signup_date"]).dt.days
    touches = events[events["stage"].isin(["support", "feedback"])].groupby("customer_id").size()
    n = touches.reindex(customers["customer_id"]).fillna(0).to_numpy()
    assert np.corrcoef(life, n)[0, 1] > 0.8


# --- golden values ---------------------------------------------------------------------------

def test_wilson_interval_matches_statsmodels():
    k, n = np.array([0, 3, 50, 99, 7]), np.array([10, 10, 100, 100, 7])
    lo, hi = journey.wilson_interval(k, n, 0.05)
    ref_lo, ref_hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


def test_funnel_matches_an_independent_duckdb_query(small):
    """The query below is written from the definition, without the library:
    reached in order, window complete, converted within the window."""
    log = open_log(small)
    journeys = journey.customer_journeys(log)
    funnel = journey.funnel_table(journeys, FUNNEL, journey.end_of_observation(END), WINDOW)
    end_s = pd.Timestamp(END).value // 10**9 + 86_400
    firsts = ", ".join(f"min(case when stage = '{s}' then epoch(cast(timestamp as timestamp)) end) as s{i}"
                       for i, s in enumerate(FUNNEL))
    reach = ["s0 is not null"]
    for i in range(1, len(FUNNEL)):
        reach.append(f"({reach[-1]}) and s{i} >= s{i - 1}")
    cols = ", ".join(f"({r}) as r{i}" for i, r in enumerate(reach))
    steps = (f"with per as (select customer_id, {firsts} from read_csv('{small['events']}', all_varchar=true) "
             f"group by 1), steps as (select *, {cols} from per) ")
    for i, stage in enumerate(FUNNEL):
        row = funnel.iloc[i]
        assert row["stage"] == stage
        assert row["customers"] == duckdb.sql(steps + f"select count(*) from steps where r{i}").fetchall()[0][0]
        if i == 0:
            continue
        eligible, converted = duckdb.sql(
            steps + f"select count(*), count(*) filter (where r{i} and s{i} - s{i - 1} <= {WINDOW * 86400}) "
            f"from steps where r{i - 1} and s{i - 1} + {WINDOW * 86400} <= {end_s}").fetchall()[0]
        assert (row["eligible"], row["converted"]) == (eligible, converted)
        assert row["conversion_from_previous"] == pytest.approx(converted / eligible, rel=1e-12)
        lo, hi = proportion_confint(converted, eligible, method="wilson")
        assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi), rel=1e-10)
    assert journey.overall_conversion(funnel) == pytest.approx(np.prod(funnel["conversion_from_previous"][1:]))
    # counts stay whole numbers; the first stage has none (no stage before it)
    assert funnel["eligible"].dtype == "Int64" and funnel["converted"].dtype == "Int64"
    assert funnel[["eligible", "converted"]].iloc[0].isna().all()


def test_paths_touchpoints_and_moves_match_pandas(small):
    log = open_log(small)
    events = pd.read_csv(small["events"], parse_dates=["timestamp"])
    # events at the same moment in funnel order, then touchpoints by name
    events = events.assign(rank=events["stage"].map({s: i for i, s in enumerate(FUNNEL)}).fillna(len(FUNNEL)))
    events = events.sort_values(["customer_id", "timestamp", "rank", "stage"], kind="stable")
    first3 = events.groupby("customer_id")["stage"].apply(lambda s: " > ".join(s.iloc[:3]))
    expected = first3.value_counts()
    paths = journey.path_table(log, length=3, top=5)
    assert list(paths.columns) == journey.PATH_COLUMNS and paths["customers"].sum() == 1500
    top = paths.iloc[:5]
    assert dict(zip(top["path"], top["customers"])) == expected.iloc[:5].to_dict()
    assert paths["share"].sum() == pytest.approx(1.0)

    tp = journey.touchpoint_table(log, bad_score=2).set_index("touchpoint")
    support = events.loc[events["stage"] == "support", "score"]
    assert tp.loc["support", "events"] == len(support)
    assert tp.loc["support", "customers"] == events.loc[events["stage"] == "support", "customer_id"].nunique()
    assert tp.loc["support", "mean_score"] == pytest.approx(support.mean())
    half = 1.959964 * support.std() / np.sqrt(len(support))  # t with thousands of df: close to normal
    assert tp.loc["support", "ci_upper"] - tp.loc["support", "mean_score"] == pytest.approx(half, rel=1e-3)
    assert tp.loc["support", "bad_share"] == pytest.approx((support <= 2).mean())
    assert np.isnan(tp.loc["signup", "mean_score"])

    moves = journey.transition_table(log)
    prev = events.groupby("customer_id")["stage"].shift().fillna("(start)")
    pairs = pd.Series(list(zip(prev, events["stage"]))).value_counts()
    got = dict(zip(zip(moves["from"], moves["to"]), moves["moves"]))
    assert got == pairs.to_dict()
    for length in (1, 3):  # the one-query version gives both tables
        both = journey.paths_and_transitions(log, length=length, top=5)
        pd.testing.assert_frame_equal(both[0], journey.path_table(log, length=length, top=5))
        pd.testing.assert_frame_equal(both[1], moves)


def test_events_at_the_same_moment_follow_the_funnel_order(tmp_path):
    """A signup and its onboarding logged in the same second: the signup comes first (by name,
    onboarding would, and the journey would start at onboarding and move back to signup)."""
    events = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B"],
        "timestamp": ["2025-01-01 10:00:00", "2025-01-01 10:00:00", "2025-01-01 10:00:00",
                      "2025-01-02 09:00:00", "2025-01-03 09:00:00"],
        "stage": ["support", "onboarding", "signup", "signup", "onboarding"]})
    events.to_csv(tmp_path / "events.csv", index=False)
    log = journey.event_log(tmp_path / "events.csv", funnel_stages=FUNNEL[:2], observation_end=END)
    paths = journey.path_table(log, length=3, top=5)
    assert dict(zip(paths["path"], paths["customers"])) == {"signup > onboarding > support": 1,
                                                             "signup > onboarding": 1}
    moves = journey.transition_table(log)
    assert set(zip(moves["from"], moves["to"])) == {("(start)", "signup"), ("signup", "onboarding"),
                                                    ("onboarding", "support")}


def test_the_start_stop_table_counts_bad_experiences_before_each_interval(small):
    log = open_log(small)
    table = journey.start_stop_table(log, MOMENTS, bad_score=2)
    customers = pd.read_csv(small["customers"], parse_dates=["signup_date", "churn_date"])
    events = pd.read_csv(small["events"], parse_dates=["timestamp"])
    # one customer with several bad support contacts, checked by hand
    bad = events[(events["stage"] == "support") & (events["score"] <= 2)]
    who = bad["customer_id"].value_counts().index[0]
    mine = table[table["id"] == who].reset_index(drop=True)
    signup = customers.set_index("customer_id").loc[who, "signup_date"]
    times = np.sort(((events[(events["customer_id"] == who) & events["stage"].isin(MOMENTS) & (events["score"] <= 2)]
                      ["timestamp"] - signup).dt.total_seconds() / 86400).unique())
    np.testing.assert_allclose(mine["start"].iloc[1:], times, atol=1e-6)
    assert mine["start"].iloc[0] == 0 and (mine["stop"].iloc[:-1].to_numpy() == mine["start"].iloc[1:].to_numpy()).all()
    n_support = ((bad["customer_id"] == who) & (bad["timestamp"] - signup < pd.to_timedelta(mine["start"].max(), "D") + pd.Timedelta(seconds=1))).sum()
    assert mine["bad_support"].iloc[-1] == n_support and mine["bad_support"].is_monotonic_increasing
    # every customer once, intervals positive, one churn per churned customer
    assert table["id"].nunique() == 1500 and (table["stop"] > table["start"]).all()
    assert table.groupby("id")["event"].sum().sum() == customers["churn_date"].notna().sum()
    last = table.groupby("id")["stop"].max()
    life = (customers["churn_date"].fillna(pd.Timestamp(END)) - customers["signup_date"]).dt.days
    np.testing.assert_allclose(last.reindex(customers["customer_id"]).to_numpy(), life.to_numpy())


# --- recovery of the synthetic truth ---------------------------------------------------------

def test_true_conversions_fall_inside_their_wilson_intervals(large):
    end = journey.end_of_observation(END)
    by_channel = journey.funnel_by_group(large["journeys"], "channel", FUNNEL, end, WINDOW)
    rows = by_channel.dropna(subset=["conversion_from_previous"])
    truth = np.array([CONVERSION[c][s] for c, s in zip(rows["channel"], rows["stage"])])
    inside = (rows["ci_lower"] <= truth) & (truth <= rows["ci_upper"])
    assert len(rows) == 12 and inside.sum() >= 11, rows.assign(truth=truth)
    # channels truly differ; segments truly do not
    assert (journey.group_test(by_channel, "channel")["p"] < 0.001).all()
    seg = journey.group_test(journey.funnel_by_group(large["journeys"], "segment", FUNNEL, end, WINDOW), "segment")
    assert (seg["p"] > 0.01).all()
    # Kaplan-Meier conversion by the window agrees with the complete-window share
    funnel = journey.funnel_table(large["journeys"], FUNNEL, end, WINDOW)
    km, _ = journey.km_conversion(journey.time_to_next(large["journeys"], FUNNEL, end), WINDOW)
    np.testing.assert_allclose(km["km_conversion"], funnel["conversion_from_previous"][1:], atol=0.02)
    for stage in STAGE_TIMES:
        median = funnel.set_index("stage").loc[stage, "median_time_from_previous"]
        assert median == pytest.approx(large["truth"]["stage_times"][stage]["median_days"], rel=0.15)


def test_moments_of_truth_recover_the_hazard_ratios_and_show_the_naive_bias(large):
    table = journey.start_stop_table(large["log"], MOMENTS, bad_score=2)
    # 99% intervals: three touchpoints, and a 95% interval misses its truth one time in twenty
    model = journey.MomentsOfTruth(MOMENTS, alpha=0.01).fit(table, large["journeys"])
    s = model.summary_.set_index("touchpoint")
    assert list(model.summary_.columns[:6]) == journey.MOMENT_COLUMNS
    for tp in ("support", "onboarding"):
        assert s.loc[tp, "ci_lower"] <= HAZARD_RATIOS[tp] <= s.loc[tp, "ci_upper"], s
        assert s.loc[tp, "p"] < 0.001
    assert s.loc["feedback", "p"] > 0.05  # no true effect: not called significant
    # the naive per-customer model: support looks harmless or protective, feedback protective
    assert s.loc["support", "naive_hazard_ratio"] < 1.0 < s.loc["support", "ci_lower"]
    assert s.loc["feedback", "naive_ci_upper"] < 1.0
    check = journey.proportional_check(table, MOMENTS)
    assert check["proportional"].all()


def test_a_sample_gives_a_smaller_model_with_the_same_seed(large):
    ids = journey.sample_customers(large["log"].customers, 500, seed=1)
    assert ids == journey.sample_customers(large["log"].customers, 500, seed=1) and len(ids) == 500
    assert journey.sample_customers(large["log"].customers, 0, seed=1) is None
    table = journey.start_stop_table(large["log"], MOMENTS, 2, ids)
    assert set(table["id"]) == set(ids)


def test_the_truth_is_used_only_for_the_same_data(tmp_path, large):
    import json

    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"n_customers": 5000, "observation_end": END, "journey": large["truth"]}))
    assert journey.journey_truth(str(path), 8000, END)["n_customers"] == 8000
    assert journey.journey_truth(str(path), 7999, END) == {}
    assert journey.journey_truth(str(path), 8000, "2025-06-30") == {}
    assert journey.journey_truth("", 8000, END) == {}
    path.write_text(json.dumps({"n_customers": 5000, "observation_end": END}))
    assert journey.journey_truth(str(path), 8000, END) == {}


# --- bad input -------------------------------------------------------------------------------

@pytest.fixture
def tiny(tmp_path):
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "signup_date": ["2025-01-01", "2025-02-01", "2025-03-01"],
                              "churn_date": ["", "2025-06-01", ""], "segment": ["x", "y", "x"]})
    events = pd.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c", "c"],
        "timestamp": ["2025-01-01 10:00:00", "2025-01-03 09:00:00", "2025-02-01 08:00:00", "2025-03-01 12:00:00",
                      "2025-03-01 11:00:00", "2025-03-02 11:00:00"],
        "stage": ["signup", "support", "signup", "onboarding", "signup", "feedback"],
        "channel": ["web", "phone", "app", "app", "web", "web"],
        "score": ["", "2", "", "4", "", "5"]})
    c_path, e_path = tmp_path / "customers.csv", tmp_path / "events.csv"
    customers.to_csv(c_path, index=False)
    return {"customers": customers, "events": events, "c_path": c_path, "e_path": e_path}


def _open(t, funnel=("signup", "onboarding"), **kw):
    t["events"].to_csv(t["e_path"], index=False)
    customers = journey.load_customers(t["c_path"], observation_end=END, segment_col="segment")
    return journey.event_log(t["e_path"], funnel_stages=list(funnel), channel_col="channel", score_col="score",
                             observation_end=END, customers=customers, **kw)


def test_a_clean_tiny_log_opens(tiny):
    log = _open(tiny)
    assert log.n_events == 6 and log.touchpoints == ["feedback", "support"]


def test_events_before_signup_are_an_error_that_names_the_row(tiny):
    tiny["events"].loc[3, "timestamp"] = "2025-01-20 12:00:00"  # b signed up on 2025-02-01
    with pytest.raises(DataError, match=r"file .*events.csv, table 'events', column 'timestamp': 1 row "
                                        r"\(row 4: customer='b', .*signup=2025-02-01\): dated before the customer's signup"):
        _open(tiny)


def test_events_after_the_observation_end_are_an_error(tiny):
    tiny["events"].loc[5, "timestamp"] = "2026-01-01 00:00:00"
    with pytest.raises(DataError, match=r"column 'timestamp': 1 row \(row 6 .*\): events after the observation end 2025-12-31"):
        _open(tiny)


def test_a_funnel_stage_that_never_occurs_lists_the_stages_of_the_log(tiny):
    with pytest.raises(DataError, match=r"funnel stage 'onboardng' never occurs in the log; its stages are .*'signup'"):
        _open(tiny, funnel=("signup", "onboardng"))
    with pytest.raises(DataError, match="more than once"):
        _open(tiny, funnel=("signup", "signup"))
    with pytest.raises(DataError, match="funnel_stages is empty"):
        _open(tiny, funnel=())


def test_scores_outside_their_scale_or_not_numbers_are_errors(tiny):
    tiny["events"].loc[1, "score"] = "7"
    with pytest.raises(DataError, match=r"column 'score': 1 row \(row 2 .*score='7'.*\): scores outside the scale \[1, 5\]"):
        _open(tiny)
    tiny["events"].loc[1, "score"] = "good"
    with pytest.raises(DataError, match=r"column 'score': 1 row \(row 2 .*\): expected numbers"):
        _open(tiny)
    tiny["events"].loc[1, "score"] = "7"
    assert _open(tiny, score_scale=[0, 10]).n_events == 6  # on a 0-10 scale, 7 is fine


def test_an_empty_log_and_missing_columns_are_errors(tiny):
    tiny["events"] = tiny["events"].iloc[:0]
    with pytest.raises(DataError, match=r"events.csv, table 'events': the table is empty"):
        _open(tiny)
    tiny["events"] = pd.DataFrame({"customer_id": ["a"], "when": ["2025-01-01"]})
    with pytest.raises(DataError, match=r"missing columns 'timestamp', 'stage', 'channel', 'score'"):
        _open(tiny)


def test_blank_and_unparseable_times_are_errors(tiny):
    tiny["events"].loc[2, "timestamp"] = "yesterday"
    with pytest.raises(DataError, match=r"1 row \(row 3 .*\): expected times"):
        _open(tiny)
    tiny["events"].loc[2, "timestamp"] = ""
    with pytest.raises(DataError, match=r"1 row \(row 3 \(timestamp=blank\)\): blank times"):
        _open(tiny)


def test_events_of_unknown_customers_are_set_aside_with_a_warning(tiny):
    extra = pd.DataFrame({"customer_id": ["zz", "zz"], "timestamp": ["2025-05-01", "2025-05-02"],
                          "stage": ["signup", "support"], "channel": ["web", "web"], "score": ["", "3"]})
    tiny["events"] = pd.concat([tiny["events"], extra], ignore_index=True)
    with pytest.warns(DataWarning, match=r"column 'customer_id': 2 of 8 events \(row 7: customer='zz'.*\) belong to "
                                         r"customers missing from the customers table; they are set aside"):
        log = _open(tiny)
    assert log.n_events == 6 and log.set_aside == 2
    assert "zz" not in set(journey.customer_journeys(log)["customer_id"])


def test_customers_table_errors_name_the_file(tiny):
    tiny["customers"].loc[1, "churn_date"] = "2024-12-01"
    tiny["customers"].to_csv(tiny["c_path"], index=False)
    with pytest.raises(DataError, match=r"customers.csv, table 'customers', column 'churn_date': 1 row .*churn date before signup"):
        journey.load_customers(tiny["c_path"], observation_end=END)
    with pytest.raises(DataError, match="observation_end is required"):
        journey.load_customers(tiny["c_path"], observation_end="")


# --- Spark -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_spark_gives_the_same_numbers_as_duckdb(small):
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")
    results = {}
    for engine in ("duckdb", "spark"):
        # the engine-specific parts: the join with the customers, argmin and conditional sums,
        # windows with lead and running totals; every other table is built the same way
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            log = open_log(small, engine=engine)
            results[engine] = {
                "journeys": journey.customer_journeys(log, bad_score=2, moments=MOMENTS),
                "start_stop": journey.start_stop_table(log, MOMENTS, 2),
                **dict(zip(["paths", "transitions"], journey.paths_and_transitions(log, 3, 5))),
            }
    for name in results["duckdb"]:
        duck, spark = results["duckdb"][name], results["spark"][name]
        pd.testing.assert_frame_equal(spark.reset_index(drop=True), duck.reset_index(drop=True),
                                      check_dtype=False, rtol=1e-9, obj=name)


def test_padded_text_in_a_parquet_log_reads_as_the_clean_log(small, tmp_path):
    """Ids, times, stages, channels and scores with whitespace at their ends in a few rows are
    stripped in every later pass (those passes skip the strip only for columns without any)."""
    events = pd.read_csv(small["events"], dtype=str, keep_default_na=False)
    events.to_parquet(tmp_path / "clean.parquet")
    dirty = events.copy()
    for col in ["customer_id", "timestamp", "stage", "channel", "score"]:
        rows = dirty.index[dirty[col] != ""][[5, 400]]
        dirty.loc[rows, col] = " " + dirty.loc[rows, col] + "\t"
    dirty.to_parquet(tmp_path / "dirty.parquet")
    got = {}
    for name in ("clean", "dirty"):
        log = open_log({**small, "events": tmp_path / f"{name}.parquet"})
        got[name] = (journey.customer_journeys(log, bad_score=2, moments=MOMENTS),
                     journey.transition_table(log), journey.path_table(log, length=3))
    for clean, dirty_ in zip(got["clean"], got["dirty"]):
        pd.testing.assert_frame_equal(dirty_, clean)
    assert got["clean"][0]["n_events"].sum() == len(events)
