"""Execute tier: the churn lesson end to end, on a small synthetic world and on the Telco file."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import run_notebook

from cxlib import churn
from cxlib.synth import make_world

pytestmark = pytest.mark.notebook

COEFFICIENT_COLUMNS = ["covariate", "coef", "se", "p", "hazard_ratio", "ci_lower", "ci_upper",
                       "reference"]
CUSTOMER_COLUMNS = ["customer_id", "tenure", "survival_horizon", "churn_probability",
                    "risk_tier", "remaining_lifetime", "window_end", "capped"]
COVARIATES = ["age", "monthly_fee", "usage_hours", "support_tickets", "plan"]
REQUIRED_METRICS = {"n", "events", "concordance_test", "integrated_brier_test",
                    "integrated_brier_km", "auc_horizon", "median_survival",
                    "concordance_test_tree", "concordance_test_forest",
                    "integrated_brier_test_tree", "integrated_brier_test_forest"}
MODELS = ["kaplan_meier", "cox", "tree", "forest", "logistic", "classification_tree"]
COMPARISON_COLUMNS = ["model", "concordance", "auc_horizon", "auc_labelled", "integrated_brier",
                      "brier_horizon", "calibration_ratio", "calibration_gap", "mean_predicted",
                      "observed_km"]


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*\.?\d*", text)]


def check_challengers(out, metrics):
    """The side-by-side table, the tree's leaves and the findings agree with metrics.json."""
    models = pd.read_csv(out / "model_comparison.csv").set_index("model")
    assert list(models.index) == MODELS and list(models.reset_index().columns) == COMPARISON_COLUMNS
    assert models.loc["cox", "concordance"] == pytest.approx(metrics["concordance_test"])
    assert models.loc["cox", "integrated_brier"] == pytest.approx(metrics["integrated_brier_test"])
    for name in ("tree", "forest"):
        assert models.loc[name, "concordance"] == pytest.approx(metrics[f"concordance_test_{name}"])
        assert models.loc[name, "integrated_brier"] == pytest.approx(
            metrics[f"integrated_brier_test_{name}"])
    assert models.loc["logistic", "mean_predicted"] == pytest.approx(
        metrics["logistic_mean_predicted"])
    assert metrics["recommended_model"] in {"tree", "cox", "forest"}
    leaves = pd.read_csv(out / "tree_leaves.csv")  # a segmentation of the customers fitted on
    assert leaves["n"].sum() == metrics["fit_customers"] and len(leaves) == metrics["tree_leaves"]
    for name in ("tree_leaves", "forest_importance", "brier_curve_models"):
        assert (out / f"{name}.png").stat().st_size > 0
    record = json.loads((out / "findings.json").read_text())
    assert record["key_figure"] == "retention_by_group.png"
    first, second, third = record["findings"]
    if metrics["median_survival"] is not None:
        assert f"{metrics['median_survival']:.1f}" in first
    assert f"{metrics['retention_horizon']:.0%}" in first
    c = {"cox": metrics["concordance_test"], "tree": metrics["concordance_test_tree"],
         "forest": metrics["concordance_test_forest"]}
    assert {round(v, 3) for v in c.values()} <= set(_numbers(second))
    assert metrics["n_test"] in _numbers(second)
    assert metrics["high_risk"] in _numbers(third) and metrics["n_active"] in _numbers(third)
    assert record["findings"] == churn.key_findings(metrics, high_cutoff=0.5)  # rederived


def test_notebook_on_a_small_synthetic_world(tmp_path):
    world = make_world(n_customers=800, seed=5)
    world.write(tmp_path / "data")
    out = tmp_path / "out"
    metrics = run_notebook("01_churn_survival", out, data_path=str(tmp_path / "data" / "customers.csv"),
                           truth_path=str(tmp_path / "data" / "truth.json"), horizon=6, test_size=0.3, seed=2)

    assert REQUIRED_METRICS <= set(metrics)
    assert metrics["n"] == 800
    assert metrics["events"] == int(world.customers["churn_date"].notna().sum())
    assert 0.55 < metrics["concordance_test"] < 0.95
    assert 0 < metrics["integrated_brier_test"] < 0.25
    assert metrics["truth_total"] == 6 and metrics["truth_inside"] >= 4

    coefficients = pd.read_csv(out / "coefficients.csv", keep_default_na=False)
    assert list(coefficients.columns) == COEFFICIENT_COLUMNS
    assert set(coefficients["covariate"]) == set(world.truth["hazard"]["coefficients"])
    customers = pd.read_csv(out / "customers.csv")
    assert list(customers.columns) == CUSTOMER_COLUMNS
    assert len(customers) == metrics["n"] - metrics["events"] == metrics["n_active"]
    assert customers["churn_probability"].between(0, 1).all()
    assert (customers["remaining_lifetime"] <= 6 + 1e-9).all()
    for name in ("retention_overall", "retention_by_group", "hazard_ratios", "calibration",
                 "brier_curve"):
        assert (out / f"{name}.png").stat().st_size > 0
    calibration = pd.read_csv(out / "calibration.csv")
    assert len(calibration) == 10 and calibration["n"].sum() == metrics["n_test"]
    check_challengers(out, metrics)


def test_notebook_fits_on_a_sample_scores_everyone_and_reads_latin1(tmp_path):
    """max_fit_rows below the customers: every model fits on the seeded sample (the Cox
    coefficients are those of a direct fit on churn.fit_sample), the held-out customers come
    from the sample, and every active customer of the table is scored. The table is a Latin-1
    export read with encoding latin-1."""
    world = make_world(n_customers=1200, seed=5, journey=False)
    world.write(tmp_path / "data")
    raw = pd.read_csv(tmp_path / "data" / "customers.csv")
    raw["city"] = np.resize(["Zürich", "Málaga", "Köln"], len(raw))  # bytes that are not UTF-8
    path = tmp_path / "data" / "customers_latin1.csv"
    raw.to_csv(path, index=False, encoding="latin-1")
    out = tmp_path / "out"
    metrics = run_notebook("01_churn_survival", out, data_path=str(path), encoding="latin-1",
                           truth_path=str(tmp_path / "data" / "truth.json"), horizon=6, test_size=0.3,
                           seed=2, max_fit_rows=600)

    assert metrics["fit_customers"] == 600 < metrics["customers"] == metrics["n"] == len(raw)
    assert metrics["n_test"] == int(np.ceil(0.3 * 600))  # split within the sample
    active = raw.loc[raw["churn_date"].isna(), "customer_id"]
    customers = pd.read_csv(out / "customers.csv")
    assert len(customers) == metrics["n_active"] == len(active)
    assert customers["customer_id"].tolist() == active.tolist()
    medians = pd.read_csv(out / "median_survival.csv").set_index("group")
    assert medians.loc["all", "n"] == 600  # Kaplan-Meier on the sample too

    data = churn.load_churn_data(path, encoding="latin-1", signup_col="signup_date", churn_col="churn_date",
                                 observation_end=world.truth["observation_end"], time_unit="months",
                                 id_col="customer_id", covariates=COVARIATES, group_col="plan")
    sample = churn.fit_sample(data, 600, seed=2)
    assert (sample["event"] == 0).sum() < len(customers)  # active customers outside the sample are scored
    direct = churn.CoxChurnModel().fit(sample, COVARIATES).summary_.set_index("covariate")
    notebook = pd.read_csv(out / "coefficients.csv", keep_default_na=False).set_index("covariate")
    np.testing.assert_allclose(notebook.loc[direct.index, "coef"], direct["coef"], rtol=1e-6)
    everyone = churn.CoxChurnModel().fit(data, COVARIATES).summary_.set_index("covariate")
    assert not np.allclose(notebook.loc[everyone.index, "coef"], everyone["coef"], rtol=1e-3)

    cells = json.loads((out / "01_churn_survival.ipynb").read_text())["cells"]
    text = "".join("".join(o.get("text", "")) + json.dumps(o.get("data", {}))
                   for c in cells for o in c.get("outputs", []))
    assert "random sample of 600 of the 1,200 customers" in text
    assert f"all {len(active):,} active customers are scored" in text
    check_challengers(out, metrics)


def test_notebook_on_telco_from_the_raw_file(tmp_path, reference_data):
    out = tmp_path / "telco"
    metrics = run_notebook(
        "01_churn_survival", out,
        data_path=str(reference_data / "telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"),
        duration_col="tenure", event_col="Churn", id_col="customerID", group_col="Contract",
        covariates=["Contract", "MonthlyCharges", "SeniorCitizen", "InternetService",
                    "PaymentMethod", "TotalCharges"],
        logistic_penalizer=0.01)
    # the 11 customers with tenure 0 (and blank TotalCharges) have no follow-up and are left out
    assert metrics["n"] == 7032 and metrics["events"] == 1869
    assert metrics["concordance_test"] > 0.75
    assert metrics["integrated_brier_test"] < metrics["integrated_brier_km"]
    assert metrics["ph_violations"] > 0
    assert (out / "coefficients_stratified.csv").exists()  # offered where PH fails
    assert not (out / "truth_comparison.csv").exists()
    coefficients = pd.read_csv(out / "coefficients.csv", keep_default_na=False)
    two_year = coefficients.set_index("covariate").loc["Contract=Two year"]
    assert two_year["reference"] == "Contract=Month-to-month" and two_year["hazard_ratio"] < 1
    medians = pd.read_csv(out / "median_survival.csv").set_index("group")
    assert medians.loc["Month-to-month", "median"] > 0
    # the challengers beside Cox; the lifelines Telco example reaches about 0.83 with a
    # stratified Cox model on its own covariate set
    check_challengers(out, metrics)
    assert metrics["concordance_test_forest"] > 0.75
    assert metrics["integrated_brier_test_forest"] < metrics["integrated_brier_km"]
    assert metrics["forest_fitted_on"] == 5274  # every training customer (under forest_sample)


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_reads_through_spark_and_runs_without_a_group_column(tmp_path):
    """engine: spark reads the table in a local SparkSession; group_col "" skips the curves by
    group and the log-rank test. The Cox fit equals one on the same table read by pandas."""
    import shutil

    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")
    world = make_world(n_customers=600, seed=6)
    paths = world.write(tmp_path / "data", fmt="parquet")
    out = tmp_path / "out"
    metrics = run_notebook("01_churn_survival", out, data_path=str(paths["customers"]), engine="spark",
                           group_col="", truth_path="", horizon=6, tree_sample=600, forest_trees=20)
    assert "logrank_p" not in metrics and not (out / "retention_by_group.png").exists()
    data = churn.load_churn_data(paths["customers"], signup_col="signup_date", churn_col="churn_date",
                                 observation_end=world.truth["observation_end"], time_unit="months",
                                 id_col="customer_id", covariates=COVARIATES)
    assert metrics["n"] == len(data) and metrics["events"] == int(data["event"].sum())
    direct = churn.CoxChurnModel().fit(data, COVARIATES).summary_.set_index("covariate")
    notebook = pd.read_csv(out / "coefficients.csv", keep_default_na=False).set_index("covariate")
    np.testing.assert_allclose(notebook.loc[direct.index, "coef"], direct["coef"], rtol=1e-6)
