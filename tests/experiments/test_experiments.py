"""A/B tests: golden values from the literature, recovery of the synthetic truth, interval
coverage, the Cookie Cats test, and clear messages for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlib import experiments as ex
from cxlib.core import DataError, read_table
from cxlib.synth.experiment import make_experiment

COOKIE = "experiments/cookie_cats.csv"
COOKIE_METRICS = ["retention_1", "retention_7", "sum_gamerounds"]
HALF = {"gate_30": 0.5, "gate_40": 0.5}
SYNTH_METRICS = ["converted", "spend", "csat"]


def _prepare(table, **kwargs):
    args = dict(unit_col="unit_id", variant_col="variant", control="control",
                metrics=SYNTH_METRICS, pre_metrics={"spend": "pre_spend"},
                duration_col="days_observed", event_col="churned")
    args.update(kwargs)
    return ex.prepare_experiment(table, **args)


@pytest.fixture(scope="module")
def cookie(reference_data):
    raw = read_table(reference_data / COOKIE, "experiment")
    return ex.prepare_experiment(raw, unit_col="userid", variant_col="version", control="gate_30",
                                 metrics=COOKIE_METRICS, expected_split=HALF,
                                 source=raw.attrs["source"])


@pytest.fixture(scope="module")
def cookie_test(cookie):
    return ex.ABTest("gate_30").fit(cookie, COOKIE_METRICS)


@pytest.fixture(scope="module")
def large():
    """A large synthetic experiment (40,000 units) and its truth."""
    table, truth = make_experiment(n_units=40_000, seed=11)
    return _prepare(table), truth


# ---------------------------------------------------------------------------- golden values

@pytest.mark.parametrize("counts, expected", [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
])
def test_newcombe_interval_reproduces_newcombe_1998(counts, expected):
    """Newcombe (1998), "Interval estimation for the difference between independent proportions:
    comparison of eleven methods", Statistics in Medicine 17:873-890, Table II, method 10 (score
    interval, no continuity correction), examples (a), (b), (d), (e), (g), (h)."""
    lo, hi = ex.newcombe_interval(*counts)
    assert lo == pytest.approx(expected[0], abs=5e-5)
    assert hi == pytest.approx(expected[1], abs=5e-5)


def test_wilson_interval_reproduces_newcombe_single_proportion_example():
    """Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
    seven methods", Statistics in Medicine 17:857-872: 81/263, Wilson score 0.2553 to 0.3662."""
    lo, hi = ex.wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_sample_size_for_two_proportions_matches_r_power_prop_test():
    """R documentation of stats::power.prop.test: power.prop.test(p1 = .50, p2 = .75,
    power = .90)  # => n = 76.7 per group (Fleiss, Levin and Paik 2003, eq. 4.14)."""
    n = ex.n_two_proportions(0.50, 0.25, alpha=0.05, power=0.90)
    assert n == pytest.approx(76.7, abs=0.05)
    # the detectable difference is the inverse: 76.7 units per group detect +25 points
    assert ex.detectable_difference("proportion", n, p_control=0.5, power=0.9) == \
        pytest.approx(0.25, abs=1e-6)


def test_sample_size_for_two_means_matches_r_power_t_test():
    """R documentation of stats::power.t.test: power.t.test(power = .90, delta = 1)
    # => n = 22.02110 per group (sd = 1, two-sided, alpha 0.05)."""
    assert ex.n_two_means(sd=1.0, mde=1.0, alpha=0.05, power=0.90) == pytest.approx(22.02110, abs=1e-4)
    assert ex.n_two_means(sd=2.0, mde=2.0, power=0.90) == pytest.approx(22.02110, abs=1e-4)
    assert ex.detectable_difference("mean", 22.02110, sd=1.0, power=0.9) == pytest.approx(1.0, abs=1e-4)


def test_schoenfeld_events_match_a_published_worked_example():
    """Schoenfeld (1983), Biometrics 39:499-503, D = 4 (z_a + z_b)^2 / (log HR)^2. Worked example
    (MRC Cognition and Brain Sciences Unit statistics wiki, "FAQ/powsurv", after Collett):
    survival 0.75 vs 0.37, HR = log(0.75)/log(0.37), 80% power, alpha 0.05 two-sided: 20.39
    events with z rounded to 1.96 and 0.84 (20.41 with exact quantiles)."""
    hr = np.log(0.75) / np.log(0.37)
    assert ex.schoenfeld_events(hr, alpha=0.05, power=0.80) == pytest.approx(20.39, abs=0.05)
    d = ex.schoenfeld_events(0.8)
    assert ex.detectable_hazard_ratio(d) == pytest.approx(0.8, abs=1e-9)


def test_welch_from_sums_matches_scipy_on_the_rows():
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, 3.0, 300), rng.gamma(2.0, 3.5, 250)
    df = pd.DataFrame({"unit": range(550), "variant": ["c"] * 300 + ["t"] * 250,
                       "y": np.concatenate([a, b])})
    s = ex.moments(ex.variant_statistics(df, ["y"])).set_index("variant")
    w = ex.welch_interval(s.loc["t", "mean"], s.loc["t", "var"], s.loc["t", "n"],
                          s.loc["c", "mean"], s.loc["c", "var"], s.loc["c", "n"])
    ref = stats.ttest_ind(b, a, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert w["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (w["ci_lower"], w["ci_upper"]) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_relative_lift_of_proportions_matches_the_log_ratio_interval_of_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    x1, n1, x0, n0 = 240, 1000, 200, 1000
    p1, p0 = x1 / n1, x0 / n0
    lift, lo, hi, scale = ex.relative_lift_interval(p1, p1 * (1 - p1), n1, p0, p0 * (1 - p0), n0)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x0, n0, compare="ratio", method="log")
    assert scale == "log ratio" and lift == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((ref_lo - 1, ref_hi - 1), rel=1e-9)


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.005, 0.20])
    assert np.allclose(ex.holm(p), multipletests(p, method="holm")[1])


def test_cuped_equals_the_treatment_coefficient_of_the_covariate_regression(large):
    import statsmodels.api as sm

    df, _ = large
    test = ex.ABTest("control", cap_quantile=1.0).fit(df, ["spend"], pre_metrics={"spend": "pre_spend"})
    row = test.cuped_.iloc[0]
    X = sm.add_constant(pd.DataFrame({"treated": (df["variant"] == "treatment").astype(float),
                                      "pre": df["pre_spend"]}))
    fit = sm.OLS(df["spend"], X).fit(cov_type="HC2")
    assert row["difference"] == pytest.approx(fit.params["treated"], rel=1e-9)
    se = (row["ci_upper"] - row["ci_lower"]) / (2 * stats.norm.ppf(0.975))
    assert se == pytest.approx(fit.bse["treated"], rel=0.02)


def test_logrank_and_cox_reproduce_r_survival_on_aml():
    """R, survival::aml (Miller 1981, acute myelogenous leukaemia, maintained vs not):

        survdiff(Surv(time, status) ~ x, data = aml)   # Chisq = 3.4 on 1 df, p = 0.0653
        coxph(Surv(time, status) ~ x, data = aml)      # coef 0.9155, se 0.5119, HR 2.498
    """
    maintained = [(9, 1), (13, 1), (13, 0), (18, 1), (23, 1), (28, 0), (31, 1), (34, 1), (45, 0),
                  (48, 1), (161, 0)]
    not_maintained = [(5, 1), (5, 1), (8, 1), (8, 1), (12, 1), (16, 0), (23, 1), (27, 1), (30, 1),
                      (33, 1), (43, 1), (45, 1)]
    rows = [("Maintained", t, e) for t, e in maintained] + [("Nonmaintained", t, e)
                                                           for t, e in not_maintained]
    df = pd.DataFrame(rows, columns=["variant", "time", "status"])
    res = ex.RetentionComparison("Maintained").fit(df, "time", "status").summary_.iloc[0]
    assert res["logrank_statistic"] == pytest.approx(3.4, abs=0.05)
    assert res["logrank_p"] == pytest.approx(0.0653, abs=5e-5)
    assert res["coef"] == pytest.approx(0.9155, abs=5e-5)
    assert res["se"] == pytest.approx(0.5119, abs=5e-5)
    assert res["hazard_ratio"] == pytest.approx(2.498, abs=5e-4)


def test_retention_from_counts_equals_the_fit_on_rows(large):
    from lifelines import CoxPHFitter

    df, _ = large
    sub = df.iloc[:6000]
    res = ex.RetentionComparison("control").fit(sub, "days_observed", "churned").summary_.iloc[0]
    rows = pd.DataFrame({"t": sub["days_observed"], "e": sub["churned"],
                         "x": (sub["variant"] == "treatment").astype(float)})
    ref = CoxPHFitter().fit(rows, "t", "e").summary.loc["x"]
    assert res["coef"] == pytest.approx(ref["coef"], rel=1e-6)
    assert res["se"] == pytest.approx(ref["se(coef)"], rel=1e-6)


def test_naive_peeking_reproduces_armitage_mcpherson_rowe_and_msprt_stays_below_alpha():
    """Armitage, McPherson and Rowe (1969), "Repeated significance tests on accumulating data",
    JRSS A 132:235-244: five equally spaced looks at nominal 5% give an overall false-positive
    rate of 0.142; checked here also against the exact multivariate normal probability."""
    res = ex.simulate_peeking(kind="mean", control_mean=10.0, sd=3.0, units_per_day=200, days=5,
                              effect=0.3, n_simulations=40_000, seed=1)
    s = res["summary"].set_index("rule")
    daily = s.loc["daily fixed-level test"]
    se = np.sqrt(0.142 * 0.858 / 40_000)
    assert abs(daily["false_positive_rate"] - 0.142) < 3.5 * se
    k = np.arange(1, 6)
    corr = np.sqrt(np.minimum.outer(k, k) / np.maximum.outer(k, k))
    z = stats.norm.ppf(0.975)
    inside = stats.multivariate_normal(np.zeros(5), corr).cdf(np.full(5, z), lower_limit=np.full(5, -z))
    assert 1 - inside == pytest.approx(0.142, abs=0.002)
    single = s.loc["single look at the end", "false_positive_rate"]
    assert abs(single - 0.05) < 3.5 * np.sqrt(0.05 * 0.95 / 40_000)
    # always valid: checked 60 times it still stays at or below alpha
    many = ex.simulate_peeking(kind="proportion", control_mean=0.2, sd=0.4, units_per_day=100,
                               days=60, effect=0.03, n_simulations=4000, seed=2)["summary"]
    fpr = many.set_index("rule").loc["mSPRT (always valid)", "false_positive_rate"]
    assert fpr <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 4000)
    naive = many.set_index("rule").loc["daily fixed-level test", "false_positive_rate"]
    assert naive > 0.25  # 60 looks: far above the promised 5%


def test_msprt_ratio_is_one_at_no_difference_and_grows_with_it():
    assert ex.msprt_ratio(0.0, 1.0, 0.0) == pytest.approx(1.0)
    assert ex.msprt_ratio(0.0, 1.0, 1.0) == pytest.approx(np.sqrt(0.5))
    assert ex.msprt_ratio(3.0, 1.0, 1.0) > ex.msprt_ratio(1.0, 1.0, 1.0)


# ---------------------------------------------------------------------------- sample-ratio check

def test_srm_reproduces_the_cookie_cats_mismatch(cookie):
    """../shared/data/experiments/SOURCE.md: 44,700 / 45,489 against 50/50, chi2 = 6.90, p = 0.0086."""
    srm = ex.sample_ratio_check(cookie["variant"].value_counts(), HALF, alpha=0.01)
    assert srm["statistic"] == pytest.approx(6.90, abs=0.005)
    assert srm["p"] == pytest.approx(0.0086, abs=5e-5)
    assert not srm["ok"]
    assert "Sample-ratio mismatch" in ex.describe_srm(srm)


def test_a_broken_split_is_flagged_and_a_fair_one_is_not():
    broken = ex.sample_ratio_check({"control": 10_400, "treatment": 9_600},
                                   {"control": 0.5, "treatment": 0.5})
    assert not broken["ok"] and broken["statistic"] == pytest.approx(32.0)
    table, _ = make_experiment(n_units=20_000, seed=4, split=(0.52, 0.48))
    counts = table["variant"].value_counts()
    assert not ex.sample_ratio_check(counts, {"control": 0.5, "treatment": 0.5})["ok"]
    fair, _ = make_experiment(n_units=20_000, seed=4)
    assert ex.sample_ratio_check(fair["variant"].value_counts(),
                                 {"control": 0.5, "treatment": 0.5})["ok"]


# ---------------------------------------------------------------------------- Cookie Cats

def test_cookie_cats_reproduces_source_md(cookie, cookie_test):
    """../shared/data/experiments/SOURCE.md (statsmodels 0.15 on the file)."""
    stats_ = cookie_test.statistics_.set_index(["variant", "metric"])
    assert stats_.loc[("gate_30", "retention_1"), "sum"] == 20_034
    assert stats_.loc[("gate_40", "retention_1"), "sum"] == 20_119
    assert stats_.loc[("gate_30", "retention_7"), "sum"] == 8_502
    assert stats_.loc[("gate_40", "retention_7"), "sum"] == 8_279
    s = cookie_test.summary_.set_index("metric")
    r7, r1 = s.loc["retention_7"], s.loc["retention_1"]
    assert 100 * r7["difference"] == pytest.approx(-0.820, abs=5e-4)
    assert 100 * r7["ci_lower"] == pytest.approx(-1.328, abs=5e-4)
    assert 100 * r7["ci_upper"] == pytest.approx(-0.312, abs=5e-4)
    assert r7["p"] == pytest.approx(0.00155, abs=5e-6)
    assert ex.two_proportion_z(8279, 45489, 8502, 44700)[0] == pytest.approx(-3.164, abs=5e-4)
    assert 100 * r1["difference"] == pytest.approx(-0.591, abs=5e-4)
    assert (100 * r1["ci_lower"], 100 * r1["ci_upper"]) == pytest.approx((-1.239, 0.058), abs=5e-4)
    assert r1["p"] == pytest.approx(0.0744, abs=5e-5)
    assert r7["significant"] and not r1["significant"]  # Holm over the three metrics


def test_one_player_does_not_decide_the_cookie_cats_rounds(cookie, cookie_test):
    kinds = cookie.attrs["kinds"]
    assert kinds["sum_gamerounds"] == "mean"
    inf = ex.influence_table(cookie, COOKIE_METRICS, kinds, "gate_30", cookie_test.caps_).iloc[0]
    assert inf["max"] == 49_854 and inf["median"] == 16
    # raw means: removing the one player moves the difference by more than a game round
    assert abs(inf["raw_difference"] - inf["without_top_difference"]) > 1.0
    # capped: the same removal moves it by almost nothing
    top = int(np.argmax(cookie["sum_gamerounds"].to_numpy()))
    again = ex.ABTest("gate_30").fit(cookie.drop(index=cookie.index[top]), ["sum_gamerounds"])
    capped = cookie_test.summary_.set_index("metric").loc["sum_gamerounds", "difference"]
    assert abs(again.summary_["difference"].iloc[0] - capped) < 0.05
    assert "capped" in cookie_test.summary_.set_index("metric").loc["sum_gamerounds", "method"]


# ---------------------------------------------------------------------------- recovery and coverage

def test_recovery_on_the_synthetic_experiment(large):
    df, truth = large
    test = ex.ABTest("control").fit(df, SYNTH_METRICS, pre_metrics={"spend": "pre_spend"})
    s = test.summary_.set_index("metric")
    for metric, t in truth["metrics"].items():
        assert s.loc[metric, "ci_lower"] <= t["difference"] <= s.loc[metric, "ci_upper"], metric
        assert s.loc[metric, "rel_ci_lower"] <= t["relative_lift"] <= s.loc[metric, "rel_ci_upper"], metric
    assert s.loc["converted", "significant"] and s.loc["spend", "significant"]
    for null in truth["null_metrics"]:
        assert not s.loc[null, "significant"]
    c = test.cuped_.iloc[0]
    expected = truth["cuped"]["spend"]["variance_reduction"]
    assert c["variance_reduction"] == pytest.approx(expected, abs=0.03)
    assert c["width_ratio"] == pytest.approx(np.sqrt(1 - expected), abs=0.03)
    assert c["ci_lower"] <= truth["metrics"]["spend"]["difference"] <= c["ci_upper"]
    r = ex.RetentionComparison("control").fit(df, "days_observed", "churned").summary_.iloc[0]
    assert r["ci_lower"] <= truth["retention"]["hazard_ratio"] <= r["ci_upper"]
    assert r["logrank_p"] < 0.05
    table = ex.compare_with_truth(test.summary_, truth, test.cuped_, None)
    assert table["inside"].all()


def test_intervals_cover_the_truth_at_their_nominal_rate():
    """300 seeded A/B experiments with known effects (CSAT has none: an A/A comparison) and 300
    A/A splits of the control's conversions: each interval should cover the truth in about 95%
    of them (binomial standard error 1.3 points), and the A/A test should reject about 5%."""
    kinds = {"converted": "proportion", "spend": "mean", "csat": "mean"}
    pre = {"spend": "pre_spend"}
    cover = {"converted": [], "converted_rel": [], "spend": [], "spend_rel": [], "cuped": [],
             "csat": []}
    false_positives = 0
    for rep in range(300):
        table, truth = make_experiment(n_units=2_000, seed=1000 + rep)
        caps = ex.cap_values(table, list(kinds), kinds, 0.999)
        stats_ = ex.variant_statistics(table, list(kinds), pre_metrics=pre, caps=caps)
        test = ex.ABTest("control").fit_statistics(stats_, kinds, pre_metrics=pre)
        s = test.summary_.set_index("metric")
        for m in kinds:
            cover[m].append(s.loc[m, "ci_lower"] <= truth["metrics"][m]["difference"] <= s.loc[m, "ci_upper"])
        for m in ("converted", "spend"):
            rel = truth["metrics"][m]["relative_lift"]
            cover[f"{m}_rel"].append(s.loc[m, "rel_ci_lower"] <= rel <= s.loc[m, "rel_ci_upper"])
        c = test.cuped_.iloc[0]
        cover["cuped"].append(c["ci_lower"] <= truth["metrics"]["spend"]["difference"] <= c["ci_upper"])
        aa = table[table["variant"] == "control"].assign(
            variant=lambda d: np.where(np.arange(len(d)) % 2 == 0, "control", "treatment"))
        res = ex.ABTest("control").fit_statistics(
            ex.variant_statistics(aa, ["converted"]), {"converted": "proportion"}).summary_.iloc[0]
        false_positives += res["p"] < 0.05
    for name, hits in cover.items():
        assert 0.91 <= np.mean(hits) <= 0.99, (name, np.mean(hits))
    assert 0.015 <= false_positives / 300 <= 0.09


def test_design_table_and_sentences_read_the_numbers(large):
    df, _ = large
    test = ex.ABTest("control").fit(df, SYNTH_METRICS)
    mom = ex.moments(test.statistics_)
    design = ex.design_table(mom, "control", df.attrs["kinds"], {"converted": 0.02, "spend": 1.0})
    d = design.set_index("metric")
    p0 = mom.set_index(["variant", "metric"]).loc[("control", "converted"), "mean"]
    assert d.loc["converted", "n_per_group_needed"] == np.ceil(ex.n_two_proportions(p0, 0.02))
    assert np.isnan(d.loc["csat", "mde"]) and d.loc["csat", "detectable_effect"] > 0
    text = ex.describe_design(design, 0.05, 0.8)
    assert "no smallest effect given" in text
    sentence = ex.describe_effects(test.summary_, units={"spend": "EUR"})
    assert "EUR" in sentence and "pp" in sentence and "not the same as no effect" in sentence


# ---------------------------------------------------------------------------- bad input

def _tiny(**overrides):
    df = pd.DataFrame({"unit_id": [f"u{i}" for i in range(8)],
                       "variant": ["control", "treatment"] * 4,
                       "converted": ["1", "0", "0", "1", "1", "1", "0", "0"],
                       "spend": ["3.5", "2", "4", "1", "2.5", "6", "3", "2"],
                       "flat": ["1"] * 8})
    for k, v in overrides.items():
        df[k] = v
    df.attrs["source"] = "tiny.csv"
    return df


def _check(df, **kwargs):
    args = dict(unit_col="unit_id", variant_col="variant", control="control",
                metrics=["converted", "spend"], source="tiny.csv")
    args.update(kwargs)
    return ex.prepare_experiment(df, **args)


def test_a_clean_tiny_table_passes_and_reads_flags():
    df = _check(_tiny(converted=["TRUE", "FALSE"] * 4))
    assert df.attrs["kinds"] == {"converted": "proportion", "spend": "mean"}
    assert df.attrs["variants"] == ["control", "treatment"]


@pytest.mark.parametrize("df, kwargs, message", [
    (_tiny(variant=["control"] * 8), {}, r"only one variant \('control'\)"),
    (_tiny(), {"control": "baseline"}, r"the control 'baseline' is not among the variants 'control', 'treatment'"),
    (_tiny(), {"metrics": ["converted", "flat"]}, r"column 'flat'.*same value \(1\) for all 8 units"),
    (_tiny(unit_id=["u0", "u0", "u2", "u3", "u4", "u5", "u6", "u7"]), {},
     r"column 'unit_id'.*1 unit appear in more than one variant: 2 rows \(row 1 \(unit_id='u0', variant='control'\); row 2"),
    (_tiny(unit_id=["u0", "u1", "u0", "u3", "u4", "u5", "u6", "u7"]), {}, r"duplicate ids"),
    (_tiny(spend=["3.5", "", "4", "1", "2.5", None, "3", "2"]), {},
     r"file tiny.csv, table 'experiment', column 'spend': 2 rows \(row 2.*row 6.*blank outcomes"),
    (_tiny(spend=["3.5", "lots", "4", "1", "2.5", "6", "3", "2"]), {}, r"column 'spend': 1 row \(row 2 .*expected numbers"),
    (_tiny(), {"metrics": ["converted", "revenue"]}, r"missing column 'revenue'"),
    (_tiny(), {"expected_split": {"control": 0.5, "test": 0.5}}, r"expected_split names 'control', 'test'"),
    (_tiny(), {"pre_metrics": {"revenue": "spend"}}, r"pre_metrics names 'revenue'"),
    (_tiny(), {"metrics": []}, r"no metrics given"),
    (_tiny(days=["0", "3", "4", "5", "6", "7", "8", "9"], gone=["1", "0"] * 4),
     {"duration_col": "days", "event_col": "gone"}, r"column 'days': 1 row .*durations must be positive"),
    (_tiny(days=["2", "3", "4", "5", "6", "7", "8", "9"], gone=["1", "0"] * 4),
     {"duration_col": "days", "event_col": ""}, r"give both duration_col and event_col"),
])
def test_bad_input_gets_a_clear_message(df, kwargs, message):
    with pytest.raises(DataError, match=message):
        _check(df, **kwargs)


def test_an_unknown_engine_and_a_bad_split_are_refused():
    assert ex.check_engine("DuckDB") == "duckdb" and ex.check_engine("spark") == "spark"
    with pytest.raises(DataError, match="engine must be one of duckdb, spark, got 'polars'"):
        ex.check_engine("polars")
    with pytest.raises(DataError, match="shares must be positive"):
        ex.sample_ratio_check({"a": 10, "b": 12}, {"a": 0.5, "b": 0})
    with pytest.raises(DataError, match="cap_quantile must be above 0.5"):
        ex.ABTest("control", cap_quantile=0.2).fit(_check(_tiny()), ["spend"])


def test_the_table_reader_names_the_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        ex.load_experiment(tmp_path / "nope.csv", unit_col="u", variant_col="v", control="c",
                           metrics=["m"])


def test_an_empty_expected_split_means_equal_shares():
    srm = ex.sample_ratio_check({"a": 10_400, "b": 9_600}, {})
    assert not srm["ok"] and list(srm["table"]["expected_share"]) == [0.5, 0.5]


def test_the_bundled_experiment_table_is_what_the_generator_writes(tmp_path):
    """data/experiment.csv: the world's customers (seed 20261125) as units, drawn from the eighth
    child of the world's SeedSequence (the first seven drive the world's own processes)."""
    from cxlib.core import DATA_DIR, SEED
    from cxlib.synth import make_world

    world = make_world(n_customers=5000, seed=SEED)
    ss = np.random.SeedSequence(SEED)
    ss.spawn(7)
    table, truth = make_experiment(world.customers, ss.spawn(1)[0])
    table.to_csv(tmp_path / "experiment.csv", index=False)
    assert (tmp_path / "experiment.csv").read_bytes() == (DATA_DIR / "experiment.csv").read_bytes()
    assert truth["n_units"] == 5000 and truth["null_metrics"] == ["csat"]


def test_key_findings_put_a_failed_split_first_and_read_intervals_not_verdicts(cookie, cookie_test):
    srm = ex.sample_ratio_check(cookie["variant"].value_counts(), HALF)
    metrics = {"srm_ok": srm["ok"], "srm_statistic": srm["statistic"], "srm_p": srm["p"],
               "effects": ex.effect_metrics(cookie_test.summary_),
               "peeking": {"false_positive_daily": 0.214}}
    found = ex.key_findings(metrics, {"sum_gamerounds": "rounds"})
    assert found == [
        ("The traffic split failed its check (chi-square 6.9, p = 0.0086), so every effect in this "
         "report is unreliable until the cause is found."),
        ("In gate_40, retention_7 changed by -0.82 pp (-4.3%; 95% CI -1.33 pp to -0.31 pp, "
         "Holm-adjusted p = 0.0047)."),
        ("retention_1 shows no significant change in gate_40, but the data allow anything from "
         "-1.24 pp to +0.06 pp: not proof of no effect.")]
    metrics.update(srm_ok=True)
    assert ex.key_findings(metrics)[-1] == ("Checking the p-value daily would declare a false "
                                            "winner in 21% of experiments with no effect, against "
                                            "the 5% promised.")
