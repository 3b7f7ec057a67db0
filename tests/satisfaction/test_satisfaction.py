"""CSAT, NPS, the satisfaction index, importance-performance and word of mouth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxlib import satisfaction as sat
from cxlib.core import DataError, DataWarning
from cxlib.satisfaction import DriverModel
from cxlib.satisfaction.importance import RelativeImportance
from cxlib.synth import make_world

RATINGS = ["product_quality", "value_for_money", "support", "delivery", "ease_of_use",
           "communication"]


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=3000, seed=5)


@pytest.fixture(scope="module")
def world_files(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    world.write(folder)
    return folder


# --- headline metrics -----------------------------------------------------------------------

def test_csat_summary_against_scipy_and_statsmodels():
    """t interval from scipy.stats.t.interval, Wilson interval from statsmodels
    proportion_confint(method="wilson"): both computed independently of the kit."""
    scores = pd.Series([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, np.nan], dtype=float)
    s = sat.csat_summary(scores, (1, 5), confidence=0.9)
    x = scores.dropna()
    lo, hi = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert s["n"] == 12
    assert s["csat_mean"] == pytest.approx(x.mean())
    assert (s["csat_mean_ci_lower"], s["csat_mean_ci_upper"]) == pytest.approx((lo, hi))
    assert s["csat_top2box"] == pytest.approx(6 / 12)
    wl, wh = proportion_confint(6, 12, alpha=0.1, method="wilson")
    assert (s["csat_top2box_ci_lower"], s["csat_top2box_ci_upper"]) == pytest.approx((wl, wh))
    # sum(k N_k) / N is the mean, written from the counts
    assert s["csat_distribution_score"] == pytest.approx(s["csat_mean"])


def test_top_box_uses_the_top_two_points_of_the_stated_scale():
    scores = pd.Series([6, 7, 8, 9, 10, 10, 3], dtype=float)
    assert sat.csat_summary(scores, (0, 10))["csat_top2box"] == pytest.approx(3 / 7)
    assert sat.csat_summary(scores, (1, 7))["csat_top2box"] == pytest.approx(6 / 7)
    assert sat.csat_summary(scores, (0, 10), top_box_from=8)["csat_top2box"] == pytest.approx(4 / 7)


def test_nps_worked_example():
    """50 promoters, 30 passives, 20 detractors of 100: NPS = 50 - 20 = 30 points; variance
    (0.5 + 0.2 - 0.3^2) / 100 = 0.0061 (Rocks, 2016), so SE = 7.81 points, 95% Wald interval
    30 +- 1.959964 * 7.8102 = 14.69 to 45.31 (hand computation)."""
    scores = [10] * 30 + [9] * 20 + [7] * 15 + [8] * 15 + [0] * 5 + [6] * 15
    s = sat.nps_summary(scores)
    assert s["nps"] == pytest.approx(30.0)
    assert (s["promoters"], s["passives"], s["detractors"]) == pytest.approx((0.5, 0.3, 0.2))
    assert s["nps_se"] == pytest.approx(7.8102497, abs=1e-6)
    assert (s["nps_ci_lower"], s["nps_ci_upper"]) == pytest.approx((14.6922, 45.3078), abs=1e-4)


def test_nps_standard_error_equals_that_of_the_scored_mean():
    """Independent route: score +1/0/-1 and take the (population) standard error of the mean."""
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 11, 500)
    coded = np.select([scores >= 9, scores <= 6], [1, -1], 0)
    s = sat.nps_summary(scores)
    assert s["nps"] == pytest.approx(100 * coded.mean())
    assert s["nps_se"] == pytest.approx(100 * coded.std(ddof=0) / np.sqrt(500))


def test_nps_interval_covers_the_truth_in_repeated_samples():
    """Coverage check: the Wald interval for NPS covers the true value about 95% of the time."""
    rng = np.random.default_rng(8)
    p = np.array([0.2] * 1 + [0.02] * 6 + [0.15, 0.15] + [0.2, 0.18])  # 0..10
    p = p / p.sum()
    truth = 100 * (p[9:].sum() - p[:7].sum())
    draws = rng.choice(11, size=(400, 300), p=p)
    covered = [sat.nps_summary(d)["nps_ci_lower"] <= truth <= sat.nps_summary(d)["nps_ci_upper"]
               for d in draws]
    assert 0.91 < np.mean(covered) < 0.99


def test_headline_metrics_by_segment_use_available_answers():
    df = pd.DataFrame({"overall": [5, 4, 3, np.nan, 2, 5], "nps": [10, 9, np.nan, 3, 6, 8],
                       "seg": ["a", "a", "a", "b", "b", "b"]})
    h = sat.headline_metrics(df, "overall", (1, 5), nps_col="nps", segment_col="seg")
    assert list(h.index) == ["All", "a", "b"]
    assert h.loc["All", "n"] == 5 and h.loc["All", "nps_n"] == 5
    assert h["n"].dtype.kind == "i" and h["nps_n"].dtype.kind == "i"  # counts print as counts
    assert h.loc["a", "csat_mean"] == pytest.approx(4.0)
    assert h.loc["b", "nps"] == pytest.approx(-100 * 2 / 3)
    assert h.loc["a", "nps"] == pytest.approx(100.0)


def test_segment_difference_is_welchs_t_test():
    rng = np.random.default_rng(3)
    a = rng.integers(1, 6, 300).astype(float)
    b = np.clip(a[:200] - rng.integers(0, 2, 200), 1, 5)
    df = pd.DataFrame({"overall": np.r_[a, b], "seg": ["a"] * 300 + ["b"] * 200})
    h = sat.headline_metrics(df, "overall", (1, 5), segment_col="seg", confidence=0.9)
    d = sat.segment_difference(h, "a", "b", confidence=0.9)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert d["diff"] == pytest.approx(a.mean() - b.mean())
    assert d["p"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert d["df"] == pytest.approx(ref.df, rel=1e-6)
    lo, hi = ref.confidence_interval(0.9)
    assert (d["ci_lower"], d["ci_upper"]) == (pytest.approx(lo, rel=1e-6), pytest.approx(hi, rel=1e-6))


def test_overlapping_segment_intervals_do_not_make_a_difference_noise():
    """Two 95% intervals can overlap while the difference is clearly significant (here the
    canonical survey's plans): the sentence follows the Welch test, not the overlap."""
    h = pd.DataFrame({"n": [1988, 886, 393], "csat_mean": [3.353, 3.290, 3.435],
                      "csat_mean_ci_lower": [3.314, 3.232, 3.347],
                      "csat_mean_ci_upper": [3.392, 3.348, 3.523],
                      "csat_top2box": [0.45, 0.42, 0.50], "csat_top2box_ci_lower": [0.43, 0.39, 0.45],
                      "csat_top2box_ci_upper": [0.47, 0.46, 0.55]},
                     index=pd.Index(["All", "basic", "premium"], name="segment"))
    assert h.loc["premium", "csat_mean_ci_lower"] < h.loc["basic", "csat_mean_ci_upper"]  # overlap
    text = sat.describe_headline(h, (1, 5))
    assert "Welch t-test p = 0.007" in text and "unlikely to be chance alone" in text
    assert "may be noise" not in text


def test_headline_display_shows_each_measure_with_its_interval():
    df = pd.DataFrame({"overall": [5, 4, 3, 2, 5, 4], "nps": [10, 9, 7, 3, 6, 8],
                       "seg": ["a", "a", "a", "b", "b", "b"]})
    h = sat.headline_metrics(df, "overall", (1, 5), nps_col="nps", segment_col="seg")
    shown = sat.headline_display(h)
    assert list(shown.index) == ["All", "a", "b"]
    assert shown.loc["All", "CSAT mean (CI)"].startswith(f"{h.loc['All', 'csat_mean']:.2f} (")
    assert shown.loc["All", "NPS (CI)"].startswith(f"{h.loc['All', 'nps']:+.0f} (")
    assert shown.loc["All", "promoters %"] == round(100 * 2 / 6)


def test_nps_difference_between_segments_by_hand():
    """Promoters 40% vs 20%, detractors 20% vs 40% in two segments of 100: NPS +20 and -20, each
    with variance (0.6 - 0.04)/100, so the difference of 40 points has SE sqrt(2 * 0.0056)."""
    nps = np.r_[[10] * 40 + [7] * 40 + [3] * 20, [10] * 20 + [7] * 40 + [3] * 40]
    df = pd.DataFrame({"overall": 3.0, "nps": nps, "seg": ["a"] * 100 + ["b"] * 100})
    h = sat.headline_metrics(df.assign(overall=np.tile([2.0, 4.0], 100)), "overall", (1, 5),
                             nps_col="nps", segment_col="seg")
    se = 100 * np.sqrt(2 * 0.56 / 100)
    p = 2 * stats.norm.sf(40 / se)
    text = sat.describe_headline(h, (1, 5))
    assert f"40 points apart (95% CI {40 - 1.959964 * se:.0f} to {40 + 1.959964 * se:.0f}; z-test p = {p:.2g})" in text
    small = sat.headline_metrics(df.iloc[::10].assign(overall=[2.0, 4.0] * 10), "overall", (1, 5),
                                 nps_col="nps", segment_col="seg")
    assert "NPS is highest" not in sat.describe_headline(small, (1, 5))  # 10 answers a segment


def test_a_segment_without_nps_answers_gets_no_score_rather_than_an_error():
    df = pd.DataFrame({"nps": [10, 9, 3, np.nan, np.nan], "seg": ["a", "a", "a", "b", "b"]})
    wom = sat.word_of_mouth(df, "nps", "seg")
    assert wom.loc["b", "n"] == 0 and np.isnan(wom.loc["b", "nps"])
    assert wom.loc["All", "nps"] == pytest.approx(100 * (2 - 1) / 3)


# --- satisfaction index ---------------------------------------------------------------------

def test_index_uses_normalised_weights_and_shows_the_literature_error():
    """Six drivers whose weighted mean is 4.1: the index is 4.1 on 1-5 (77.5 on 0-100); the
    literature's extra division by n prints 4.1 / 6 = 0.683."""
    drivers = [f"d{i}" for i in range(6)]
    df = pd.DataFrame([[5, 5, 4, 3, 3, 4], [5, 5, 4, 3, 3, 4]], columns=drivers)
    weights = {"d0": 2, "d1": 2, "d2": 2, "d3": 1, "d4": 1, "d5": 2}  # sum 10, normalised inside
    idx = sat.satisfaction_index(df, drivers, weights, (1, 5))
    expected = (2 * 5 + 2 * 5 + 2 * 4 + 3 + 3 + 2 * 4) / 10
    assert expected == pytest.approx(4.2)
    assert idx.loc["All", "index"] == pytest.approx(4.2)
    assert idx.loc["All", "index_100"] == pytest.approx(80.0)
    assert idx.loc["All", "literature_value"] == pytest.approx(0.7)
    df2 = pd.DataFrame([[4.1] * 6], columns=drivers)
    i2 = sat.satisfaction_index(df2, drivers, {d: 1 for d in drivers}, (1, 5))
    assert i2.loc["All", "literature_value"] == pytest.approx(0.6833, abs=1e-4)
    assert "off by a factor of 6" in sat.describe_index(i2, 6, (1, 5))
    with pytest.raises(DataError, match="weights"):
        sat.satisfaction_index(df, drivers, {"d0": 1}, (1, 5))


# --- importance-performance, drivers ---------------------------------------------------------

def test_importance_performance_quadrants():
    imp = pd.Series({"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1})
    perf = pd.Series({"a": 3.0, "b": 4.5, "c": 2.5, "d": 4.8})
    ipa = sat.importance_performance(imp * 2, perf)  # importance is normalised to shares
    q = ipa.set_index("driver")["quadrant"]
    assert q.to_dict() == {"a": "Concentrate here", "b": "Keep up the good work",
                           "c": "Low priority", "d": "Possible overkill"}
    assert ipa["importance"].sum() == pytest.approx(1.0)
    assert ipa.attrs["performance_line"] == pytest.approx(3.7)
    assert sat.describe_fix_first(ipa).startswith("Fix first, most important first: 'a'")


def test_importance_performance_flags_close_calls_from_the_intervals():
    imp = pd.Series({"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1})
    perf = pd.Series({"a": 3.0, "b": 4.5, "c": 2.5, "d": 4.8})
    imp_ci = pd.DataFrame({"share_ci_lower": [0.35, 0.20, 0.10, 0.05],
                           "share_ci_upper": [0.45, 0.40, 0.24, 0.15]}, index=imp.index)
    perf_ci = pd.DataFrame({"ci_lower": [2.9, 4.4, 2.4, 4.7], "ci_upper": [3.8, 4.6, 2.6, 4.9]},
                           index=perf.index)
    ipa = sat.importance_performance(imp, perf, importance_ci=imp_ci, performance_ci=perf_ci)
    close = ipa.set_index("driver")["close_call"]
    # lines: importance 0.25, performance 3.7
    assert close.to_dict() == {"a": True, "b": True, "c": False, "d": False}
    text = sat.describe_fix_first(ipa)
    assert "a (rating)" in text and "b (importance)" in text
    assert "close_call" not in sat.importance_performance(imp, perf)


def test_describe_drivers_warns_when_the_ranking_is_not_settled():
    table = pd.DataFrame({"driver": ["a", "b", "c"], "p": [0.001, 0.001, 0.2],
                          "importance": [0.20, 0.19, 0.05], "importance_share": [0.45, 0.43, 0.12],
                          "importance_ci_lower": [0.15, 0.14, 0.02],
                          "importance_ci_upper": [0.25, 0.24, 0.08], "rank": [1, 2, 3],
                          "rank_stability": [0.6, 0.6, 1.0], "johnson_rank": [2, 1, 3]})
    text = sat.describe_drivers(table, 0.44, confidence=0.9)
    assert "90% bootstrap interval" in text and "'a' and 'b' are not clearly separated" in text
    assert "Johnson's relative weights order the drivers differently ('b', 'a', 'c')" in text
    assert "No clear effect once the others are known (p >= 0.1): c." in text
    settled = table.assign(rank_stability=1.0, johnson_rank=[1, 2, 3])
    text = sat.describe_drivers(settled, 0.44)
    assert "not clearly separated" not in text and "Johnson" not in text


def test_describe_fix_first_agrees_in_number():
    ipa = sat.importance_performance(pd.Series({"a": 0.5, "b": 0.3, "c": 0.2}),
                                     pd.Series({"a": 3.0, "b": 4.0, "c": 4.5}))
    assert "It matters more than the average driver but is rated" in sat.describe_fix_first(ipa)


def test_readable_never_prints_a_p_value_of_zero():
    t = pd.DataFrame({"coef": [0.123456, 1.0], "p": [1e-12, 0.0432], "ordinal_p": [0.5, np.nan],
                      "rank": [1, 2]})
    shown = sat.readable(t, 3)
    assert shown["p"].tolist() == ["<0.001", "0.043"] and shown["ordinal_p"].tolist() == ["0.500", ""]
    assert shown["coef"].tolist() == [0.123, 1.0] and shown["rank"].tolist() == [1, 2]
    assert t["p"].iloc[0] == 1e-12  # the input is left alone
    assert sat.rounded({"a": [1.23456, 2], "b": "x", "c": np.float64(0.98765)}, 2) == {
        "a": [1.23, 2], "b": "x", "c": 0.99}


def test_mean_ratings_match_the_t_interval():
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5, np.nan], "y": [2, 2, 3, 3, 4, 4]})
    m = sat.mean_ratings(df, ["x", "y"], confidence=0.9)
    ref = stats.t.interval(0.9, 4, loc=3, scale=stats.sem([1, 2, 3, 4, 5]))
    assert m.loc["x", "n"] == 5 and m.loc["x", "mean"] == pytest.approx(3.0)
    assert (m.loc["x", "ci_lower"], m.loc["x", "ci_upper"]) == pytest.approx(ref)


def test_driver_table_recovers_synthetic_order_and_has_the_artifact_columns(world):
    """truth["drivers"]["weights"] order comes back as the LMG rank, end to end."""
    weights = world.truth["drivers"]["weights"]
    survey = world.survey
    model = DriverModel((1, 5), (1, 5)).fit(survey, "overall", RATINGS)
    ri = RelativeImportance(n_bootstrap=30, seed=1).fit(survey, "overall", RATINGS)
    table = sat.driver_table(model, ri, survey[RATINGS].mean())
    assert list(table.columns[:9]) == ["driver", "coef", "std_coef", "p", "importance",
                                       "importance_ci_lower", "importance_ci_upper",
                                       "importance_share", "rank"]
    assert "mean_rating" in table
    assert table["driver"].tolist() == sorted(weights, key=weights.get, reverse=True)
    assert table["rank"].tolist() == list(range(1, 7))
    assert table["importance"].sum() == pytest.approx(model.r2_)
    assert "'product_quality' matters most" in sat.describe_drivers(table, model.r2_)
    check, sentence = sat.ordinal_check(survey, "overall", RATINGS, model)
    assert check is not None and "ordinal logit" in sentence


def test_ordinal_check_on_many_responses_fits_a_seeded_sample_and_says_so(world):
    survey = world.survey.dropna(subset=["overall", *RATINGS])
    model = DriverModel((1, 5), (1, 5)).fit(survey, "overall", RATINGS)
    table, sentence = sat.ordinal_check(survey, "overall", RATINGS, model, max_rows=600, seed=3)
    assert f"a random sample of 600 of the {len(survey):,} responses (seed 3)" in sentence
    again, _ = sat.ordinal_check(survey, "overall", RATINGS, model, max_rows=600, seed=3)
    other, _ = sat.ordinal_check(survey, "overall", RATINGS, model, max_rows=600, seed=4)
    pd.testing.assert_frame_equal(table, again)
    assert not np.allclose(table["ordinal_coef"], other["ordinal_coef"])  # another sample
    full, whole = sat.ordinal_check(survey, "overall", RATINGS, model, max_rows=0)
    assert f"on {len(survey):,} responses" in whole
    # the sample estimates the same coefficients, within a few of the sample's standard errors
    assert np.allclose(table["ordinal_coef"], full["ordinal_coef"], atol=0.25)


def test_ordinal_check_explains_why_it_is_skipped(reference_data):
    park = pd.read_csv(reference_data / "satisfaction" / "chapter7_data.csv")
    drivers = ["rides", "games", "wait", "clean"]
    model = DriverModel().fit(park, "overall", drivers)
    check, sentence = sat.ordinal_check(park, "overall", drivers, model)
    assert check is None and "skipped" in sentence and "distinct values" in sentence


# --- word of mouth --------------------------------------------------------------------------

def test_referral_projection_by_hand():
    wom = sat.word_of_mouth(pd.DataFrame({"nps": [10, 9, 8, 3, 10, 2, 6, 9],
                                          "seg": list("aaaabbbb")}), "nps", "seg")
    assert wom.loc["a", "promoters"] == pytest.approx(0.5)
    assert wom.loc["b", "promoters"] == pytest.approx(0.5)
    proj = sat.referral_projection(wom, n_customers=1000, referral_rate=0.2).set_index("segment")
    assert proj.loc["All", "new_customers"] == pytest.approx(0.2 * 1000 * 4 / 8)
    assert proj.loc["a", "customers"] == pytest.approx(500)
    assert proj.loc[["a", "b"], "new_customers"].sum() == pytest.approx(proj.loc["All", "new_customers"])
    assert proj.loc["All", "new_customers_ci_lower"] < 100 < proj.loc["All", "new_customers_ci_upper"]


def test_mean_score_referrals_depend_on_the_scale():
    """N_new = r N CSAT with mean 4.0 on 1-5: 0.1 * 1000 * 4 = 400; the same answers on 1-10 have
    mean 1 + 9 * 0.75 = 7.75, so 775; the share-based version (30% promoters) gives 30."""
    cmp = sat.referral_comparison(1000, 0.1, promoter_share=0.3, csat_mean=4.0, scale=(1, 5))
    got = cmp.set_index("version")["new_customers"]
    assert got["promoter share (used here)"] == pytest.approx(30)
    assert got["literature: mean score on 1-5"] == pytest.approx(400)
    assert got["literature: same answers rescaled to 1-10"] == pytest.approx(775)
    assert got["literature: same answers rescaled to 0-100"] == pytest.approx(7500)


# --- loading --------------------------------------------------------------------------------

def test_load_ratings_from_a_canonical_survey_with_segment_from_customers(world_files):
    df = sat.load_ratings(world_files / "survey.csv", "overall", RATINGS, nps_col="nps",
                          segment_col="plan", customers_path=world_files / "customers.csv")
    assert {"overall", "nps", "plan", *RATINGS} <= set(df.columns)
    assert set(df["plan"]) <= {"basic", "standard", "premium"}
    assert df["overall"].dtype == float


def test_load_ratings_from_a_flat_file(reference_data):
    path = reference_data / "satisfaction" / "chapter7_data.csv"
    df = sat.load_ratings(path, "overall", ["rides", "games", "wait", "clean"], scale=(0, 100),
                          segment_col="is_weekend")
    assert len(df) == 500
    assert df["is_weekend"].value_counts().to_dict() == {"False": 282, "True": 218}
    with pytest.raises(DataError, match=r"column 'overall'.*outside the scale \[1, 5\]"):
        sat.load_ratings(path, "overall", ["rides"], scale=(1, 5), driver_scale=(0, 100))


def test_load_ratings_reports_bad_files(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("overall,a,b\n3,4,\n9,2,3\n")
    with pytest.raises(DataError, match=r"s.csv.*column 'overall'.*row 2.*\[1, 5\]"):
        sat.load_ratings(p, "overall", ["a", "b"])
    # blank answers are kept as missing, with a warning naming the column and row
    with pytest.warns(DataWarning, match=r"column 'b'.*row 1.*blank"):
        df = sat.load_ratings(p, "overall", ["a", "b"], scale=(1, 10))
    assert df["b"].isna().sum() == 1
    with pytest.raises(DataError, match="segment column 'region' is not in the survey"):
        sat.load_ratings(p, "overall", ["a"], scale=(1, 10), segment_col="region")


# --- notebook -------------------------------------------------------------------------------

DRIVER_COLUMNS = ["driver", "coef", "std_coef", "p", "importance", "importance_ci_lower",
                  "importance_ci_upper", "rank", "mean_rating"]


@pytest.mark.notebook
def test_notebook_on_a_synthetic_survey_with_skipped_questions(world, world_files, tmp_path):
    """Runs the lesson on a synthetic survey where some respondents skipped questions: headline
    metrics count every answer given, the driver model the complete rows, and the LMG ranking
    still reproduces truth["drivers"]["weights"]."""
    from conftest import run_notebook

    survey = pd.read_csv(world_files / "survey.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    skip_support = rng.choice(len(survey), 40, replace=False)
    skip_overall = rng.choice(len(survey), 10, replace=False)
    survey.loc[skip_support, "support"] = ""
    survey.loc[skip_overall, "overall"] = ""
    survey.to_csv(tmp_path / "survey.csv", index=False)
    incomplete = len(set(skip_support) | set(skip_overall))

    out = tmp_path / "out"
    metrics = run_notebook("02_satisfaction_drivers", out, n_bootstrap=20,
                           data_path=str(tmp_path / "survey.csv"),
                           customers_path=str(world_files / "customers.csv"))
    for name in ["drivers.csv", "headline.csv", "importance_performance.csv", "word_of_mouth.csv",
                 "referrals.csv", "satisfaction_index.csv", "importance.png",
                 "importance_performance.png", "residuals.png", "word_of_mouth.png"]:
        assert (out / name).is_file(), name
    drivers = pd.read_csv(out / "drivers.csv")
    assert set(DRIVER_COLUMNS) <= set(drivers.columns)
    weights = world.truth["drivers"]["weights"]
    assert drivers["driver"].tolist() == sorted(weights, key=weights.get, reverse=True)
    assert (drivers["importance_ci_lower"] <= drivers["importance"]).all()
    assert metrics["n"] == len(survey) - 10
    assert metrics["n_model"] == len(survey) - incomplete
    assert metrics["r2"] == pytest.approx(drivers["importance"].sum())
    assert 1 <= metrics["csat_mean"] <= 5 and 0 <= metrics["csat_top2box"] <= 1
    assert -100 <= metrics["nps_ci"][0] <= metrics["nps"] <= metrics["nps_ci"][1] <= 100
    assert metrics["top_driver"] == "product_quality"
    headline = pd.read_csv(out / "headline.csv")
    assert set(headline["segment"]) == {"All", "basic", "standard", "premium"}
    executed = (out / "02_satisfaction_drivers.ipynb").read_text()
    assert "listwise deletion" in executed and f"{incomplete} rows" in executed


@pytest.mark.notebook
def test_notebook_on_the_amusement_park_survey(reference_data, tmp_path):
    from conftest import run_notebook

    metrics = run_notebook(
        "02_satisfaction_drivers", tmp_path, n_bootstrap=20,
        data_path=str(reference_data / "satisfaction" / "chapter7_data.csv"),
        target="overall", scale=[0, 100], driver_scale=[0, 100],
        drivers=["rides", "games", "wait", "clean"], segment_col="is_weekend", customers_path="",
        nps_col="", top_box_from=80)
    assert metrics["r2"] == pytest.approx(0.5951, abs=5e-5)  # satisfaction/SOURCE.md
    assert metrics["n"] == 500 and "nps" not in metrics
    drivers = pd.read_csv(tmp_path / "drivers.csv").set_index("driver")
    np.testing.assert_allclose(drivers.loc[["rides", "games", "wait", "clean"], "coef"],
                               [0.4256, 0.1861, 0.3842, 0.6205], atol=5e-5)
    assert not (tmp_path / "word_of_mouth.csv").exists()
    assert not (tmp_path / "ordinal_check.csv").exists()


def test_segment_from_customers_marks_unmatched_respondents(tmp_path):
    (tmp_path / "survey.csv").write_text(
        "respondent_id,customer_id,overall,a\nR1,C1,4,5\nR2,C2,3,3\nR3,C9,5,4\n")
    (tmp_path / "customers.csv").write_text("customer_id,signup_date,plan\nC1,2024-01-01,basic\n"
                                            "C2,2024-02-01,premium\n")
    with pytest.warns(DataWarning, match="1 respondent.*'plan'.*'\\(unknown\\)'"):
        df = sat.load_ratings(tmp_path / "survey.csv", "overall", ["a"], segment_col="plan",
                              customers_path=tmp_path / "customers.csv")
    assert df["plan"].tolist() == ["basic", "premium", "(unknown)"]
