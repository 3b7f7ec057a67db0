"""Ratings between scale points, the survey's join with the customers table, and the headline
counts computed in the data engine."""

from __future__ import annotations

import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from cxlib import core, satisfaction as sat
from cxlib.core import DataError, DataWarning
from cxlib.satisfaction import DriverModel, OrdinalDriverModel
from cxlib.synth import make_world

RATINGS = ["product_quality", "value_for_money", "support", "delivery", "ease_of_use",
           "communication"]


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=1500, seed=11)


@pytest.fixture(scope="module")
def world_files(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    world.write(folder)
    return folder


def _survey(world_files) -> pd.DataFrame:
    return pd.read_csv(world_files / "survey.csv", dtype=str, keep_default_na=False)


def _messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, DataWarning)]


# --- ratings between whole points -----------------------------------------------------------

@pytest.fixture()
def half_points(world_files, tmp_path):
    """The synthetic survey with some overall scores moved half a point down."""
    survey = _survey(world_files)
    rows = np.flatnonzero(survey["overall"].astype(float) >= 2)[[3, 10, 20, 40, 80, 160, 320]]
    survey.loc[rows, "overall"] = (survey.loc[rows, "overall"].astype(float) - 0.5).map("{:g}".format)
    path = tmp_path / "survey.csv"
    survey.to_csv(path, index=False)
    return path, rows


def test_fractional_overall_scores_warn_with_count_and_rows(half_points):
    path, rows = half_points
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        df = sat.load_ratings(path, "overall", RATINGS, nps_col="nps")
    found = [m for m in _messages(record) if "whole points" in m]
    assert len(found) == 1
    msg = found[0]
    assert "column 'overall'" in msg and "survey.csv" in msg
    assert f"{len(rows)} rows" in msg and f"{len(rows)} of {df['overall'].notna().sum():,} answers" in msg
    first = rows[0]
    assert f"row {first + 1} (overall='{df['overall'].iloc[first]:g}')" in msg  # the cell as written
    assert "ordinal check is skipped" in msg and "double the values and the scale" in msg
    # the values stay what they were: numbers, not rounded
    assert np.all(df["overall"].iloc[rows] % 1 == 0.5)


def test_fractional_overall_scores_are_numbers_for_csat_and_ols(half_points):
    path, rows = half_points
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = sat.load_ratings(path, "overall", RATINGS, nps_col="nps")
    s = df["overall"].dropna()
    row = sat.csat_summary(s, (1, 5))
    assert row["csat_mean"] == pytest.approx(s.sum() / len(s))
    # 3.5 is below the top box, which starts at 4
    assert row["csat_top2box"] == pytest.approx((s >= 4).sum() / len(s))
    assert (s.iloc[rows] == 3.5).any() or (s.iloc[rows] < 4).all()
    model = DriverModel(scale=(1, 5), driver_scale=(1, 5)).fit(df, "overall", RATINGS)
    complete = df[["overall", *RATINGS]].dropna()
    x = np.column_stack([np.ones(len(complete)), complete[RATINGS].to_numpy()])
    beta = np.linalg.lstsq(x, complete["overall"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(model.params_.to_numpy(), beta, rtol=1e-9)


def test_ordinal_model_refuses_fractional_targets_and_the_check_says_why(half_points):
    path, rows = half_points
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = sat.load_ratings(path, "overall", RATINGS, nps_col="nps")
    with pytest.raises(DataError) as exc:
        OrdinalDriverModel().fit(df, "overall", RATINGS)
    msg = str(exc.value)
    assert "column 'overall'" in msg and f"{len(rows)} rows" in msg and f"row {rows[0] + 1} (" in msg
    assert "whole points" in msg and exc.value.n_rows == len(rows)
    model = DriverModel().fit(df, "overall", RATINGS)
    table, sentence = sat.ordinal_check(df, "overall", RATINGS, model)
    assert table is None and "skipped" in sentence and f"{len(rows)} rows" in sentence


def test_whole_number_floats_are_not_fractional():
    values = [1.0, 4.0000000000001, np.nan, 3.5, 2.25]
    assert sat.between_points(values).tolist() == [False, False, False, True, True]


def test_fractional_nps_is_refused_with_rows(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("overall,a,nps\n4,4,9\n3,3,8.5\n5,4,10\n2,2,6.5\n")
    with pytest.raises(DataError) as exc:
        sat.load_ratings(p, "overall", ["a"], nps_col="nps")
    msg = str(exc.value)
    assert "s.csv" in msg and "column 'nps'" in msg
    assert "2 rows (row 2 (nps='8.5'); row 4 (nps='6.5'))" in msg and "2 of 4 answers" in msg
    assert "promoters (9-10)" in msg and 'nps_col ""' in msg and exc.value.n_rows == 2


def test_fractional_driver_ratings_are_used_as_numbers(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("overall,a,b\n4,4.5,3\n3,3,2\n5,4.25,5\n2,2,1\n4,3.5,4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # nothing to warn about
        df = sat.load_ratings(p, "overall", ["a", "b"])
    assert df["a"].tolist() == [4.5, 3, 4.25, 2, 3.5]


# --- the join with the customers table ------------------------------------------------------

def _write(tmp_path, survey_ids, customer_ids, plans=None):
    n = len(survey_ids)
    survey = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(n)], "customer_id": survey_ids,
                           "overall": [(i % 5) + 1 for i in range(n)], "a": [(i % 4) + 1 for i in range(n)]})
    customers = pd.DataFrame({"customer_id": customer_ids, "signup_date": "2024-01-01",
                              "plan": plans or [("basic", "premium")[i % 2] for i in range(len(customer_ids))]})
    survey.to_csv(tmp_path / "survey.csv", index=False)
    customers.to_csv(tmp_path / "customers.csv", index=False)
    return tmp_path / "survey.csv", tmp_path / "customers.csv"


def test_survey_ids_matching_no_customer_name_both_files(tmp_path):
    s, c = _write(tmp_path, ["X1", "X2", "X3"], ["C1", "C2"])
    with pytest.raises(DataError) as exc:
        sat.load_ratings(s, "overall", ["a"], segment_col="plan", customers_path=c)
    msg = str(exc.value)
    assert str(s) in msg and str(c) in msg and "do not describe the same customers" in msg
    assert "'X1'" in msg


def test_ids_differing_only_in_case_get_the_hint(tmp_path):
    customers = [f"C{i:03d}" for i in range(20)]
    survey = customers[:10] + [c.lower() for c in customers[10:]]
    s, c = _write(tmp_path, survey, customers)
    with pytest.warns(DataWarning) as record:
        df = sat.load_ratings(s, "overall", ["a"], segment_col="plan", customers_path=c)
    msg = next(m for m in _messages(record) if "(unknown)" in m)
    assert "10 respondents have no 'plan'" in msg and "10 of 20 respondents with a customer_id" in msg
    assert "Ignoring letter case, 10 more rows" in msg and "'c010'" in msg
    assert (df["plan"] == sat.UNKNOWN).sum() == 10
    cov = df.attrs["joins"][0]
    assert (cov.left_matched, cov.matched_ignoring_case) == (10, 20)
    # all ids in the wrong case: no match at all, and the error says why
    s, c = _write(tmp_path, [x.lower() for x in customers], customers)
    with pytest.raises(DataError, match="Ignoring letter case, 20 more rows"):
        sat.load_ratings(s, "overall", ["a"], segment_col="plan", customers_path=c)


def test_a_partial_join_warns_with_counts_and_reports_the_coverage(tmp_path):
    survey_ids = ["C1", " C2 ", "C3", "C9", "C8", "", "C1"]
    s, c = _write(tmp_path, survey_ids, ["C1", "C2", "C3", "C4", "C5", "C6"],
                  plans=["basic", "premium", "", "basic", "basic", "premium"])
    with pytest.warns(DataWarning) as record:
        df = sat.load_ratings(s, "overall", ["a"], segment_col="plan", customers_path=c)
    msg = next(m for m in _messages(record) if "(unknown)" in m)
    # C9, C8 unknown; one blank id; C3's plan is blank: four respondents without a plan
    assert "4 respondents have no 'plan'" in msg
    assert "2 of 6 respondents with a customer_id (33.3%)" in msg and "'C9'" in msg and "'C8'" in msg
    assert "1 has no customer_id" in msg and "1 belongs to a customer whose 'plan' is blank" in msg
    assert "Ignoring letter case" not in msg
    assert df["plan"].tolist() == ["basic", "premium", "(unknown)", "(unknown)", "(unknown)",
                                   "(unknown)", "basic"]
    table = core.coverage_table(df.attrs["joins"])
    assert table.loc[0, ["left_rows", "left_matched", "right_rows", "right_matched"]].tolist() == [6, 4, 6, 3]
    sentences = sat.describe_joins(df.attrs["joins"])
    assert sentences[0] == df.attrs["joins"][0].sentence()
    # three of six customers answered (C1 twice counts once): matched ids, not 7 rows / 6 rows
    assert "So 50% of the customers" in sentences[1] and "(3 of 6" in sentences[1]


def test_no_join_no_coverage(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("overall,a,plan\n4,4,basic\n3,3,premium\n5,4,basic\n")
    df = sat.load_ratings(p, "overall", ["a"], segment_col="plan", customers_path="data/customers.csv")
    assert df.attrs["joins"] == []
    assert core.coverage_table(df.attrs["joins"]).empty
    assert "'plan' is a column of the survey" in sat.describe_joins([], "plan")[0]


# --- headline counts in the engine ----------------------------------------------------------

@pytest.fixture(scope="module")
def messy(world_files, tmp_path_factory):
    """The synthetic survey with blank answers, half points, unknown and blank customer ids."""
    folder = tmp_path_factory.mktemp("messy")
    survey = _survey(world_files)
    rng = np.random.default_rng(3)
    pick = lambda k: rng.choice(len(survey), k, replace=False)  # noqa: E731
    survey.loc[pick(15), "overall"] = ""
    survey.loc[pick(25), "nps"] = " "
    survey.loc[pick(9), "overall"] = "3.5"
    survey.loc[pick(6), "customer_id"] = "NOBODY"
    survey.loc[pick(3), "customer_id"] = ""
    survey.to_csv(folder / "survey.csv", index=False)
    survey.to_parquet(folder / "survey.parquet")
    return folder


def _pandas_headline(path, customers, segment_col="plan", top_box_from=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        df = sat.load_ratings(path, "overall", RATINGS, nps_col="nps", segment_col=segment_col,
                              customers_path=customers)
    return df, sat.headline_metrics(df, "overall", (1, 5), nps_col="nps", segment_col=segment_col,
                                    top_box_from=top_box_from, confidence=0.9)


@pytest.mark.parametrize("name", ["survey.csv", "survey.parquet"])
def test_engine_counts_give_the_pandas_headline(messy, world_files, name):
    path, customers = messy / name, world_files / "customers.csv"
    df, expected = _pandas_headline(path, customers)
    assert sat.UNKNOWN in expected.index  # the unmatched respondents are a segment of their own
    counts = sat.survey_counts(path, "overall", nps_col="nps", segment_col="plan", customers_path=customers)
    assert counts.index.tolist() == expected.index.tolist()
    assert counts.loc["All", "n"] == df["overall"].notna().sum()
    assert counts.loc["All", "promoters"] + counts.loc["All", "passives"] + counts.loc["All", "detractors"] \
        == counts.loc["All", "nps_n"] == df["nps"].notna().sum()
    got = sat.headline_from_counts(counts, (1, 5), segment_col="plan", confidence=0.9)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_dtype=False)
    assert got.attrs == expected.attrs
    pd.testing.assert_frame_equal(sat.word_of_mouth_from_counts(counts, confidence=0.9),
                                  sat.word_of_mouth(df, "nps", "plan", confidence=0.9),
                                  rtol=1e-12, check_dtype=False)


def test_engine_counts_with_the_segment_in_the_survey_or_none(messy, world_files, tmp_path):
    survey = pd.read_csv(messy / "survey.csv", dtype=str, keep_default_na=False)
    survey["region"] = np.where(np.arange(len(survey)) % 3 == 0, "North", " South ")
    survey.loc[5, "region"] = ""
    survey.to_csv(tmp_path / "s.csv", index=False)
    for seg in ["region", None]:
        _, expected = _pandas_headline(tmp_path / "s.csv", "", segment_col=seg, top_box_from=3.5)
        counts = sat.survey_counts(tmp_path / "s.csv", "overall", nps_col="nps", segment_col=seg,
                                   top_box_from=3.5)
        got = sat.headline_from_counts(counts, (1, 5), top_box_from=3.5, segment_col=seg, confidence=0.9)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_dtype=False)
    assert counts.index.tolist() == ["All"]


@pytest.fixture(scope="module")
def spark_available():
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")


@pytest.mark.slow
def test_spark_counts_equal_duckdb(messy, world_files, spark_available):
    kw = dict(nps_col="nps", segment_col="plan", customers_path=world_files / "customers.csv")
    duck = sat.survey_counts(messy / "survey.csv", "overall", **kw)
    spark = sat.survey_counts(messy / "survey.csv", "overall", engine="spark", **kw)
    pd.testing.assert_frame_equal(spark, duck, rtol=1e-12)


# --- the notebook ---------------------------------------------------------------------------

@pytest.mark.notebook
def test_notebook_reports_the_join_and_keeps_unmatched_respondents(world_files, tmp_path):
    from conftest import run_notebook

    survey = _survey(world_files)
    survey.loc[:4, "customer_id"] = ["GHOST1", "GHOST2", "GHOST3", "GHOST4", "GHOST5"]
    survey.to_csv(tmp_path / "survey.csv", index=False)
    out = tmp_path / "out"
    metrics = run_notebook("02_satisfaction_drivers", out, n_bootstrap=5,
                           data_path=str(tmp_path / "survey.csv"),
                           customers_path=str(world_files / "customers.csv"))
    joins = pd.read_csv(out / "joins.csv")
    n = len(survey)
    assert joins.loc[0, ["left_rows", "left_matched"]].tolist() == [n, n - 5]
    customers = pd.read_csv(world_files / "customers.csv", dtype=str)
    answered = customers["customer_id"].isin(set(survey["customer_id"])).sum()
    assert joins.loc[0, "right_matched"] == answered
    assert metrics["customers_answered_share"] == pytest.approx(answered / len(customers))
    headline = pd.read_csv(out / "headline.csv").set_index("segment")
    assert headline.loc["(unknown)", "n"] == 5 and headline.loc["All", "n"] == n
    executed = (out / "02_satisfaction_drivers.ipynb").read_text()
    assert f"{n - 5:,} of {n:,} rows of survey" in executed
    assert re.search(r"5 of [\d,]+ respondents with a customer_id", executed)
    assert "'GHOST1'" in executed
