"""Execute tier: the churn lesson end to end, on a small synthetic world and on the Telco file."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_notebook

from cxlib.synth import make_world

pytestmark = pytest.mark.notebook

COEFFICIENT_COLUMNS = ["covariate", "coef", "se", "p", "hazard_ratio", "ci_lower", "ci_upper",
                       "reference"]
CUSTOMER_COLUMNS = ["customer_id", "tenure", "survival_horizon", "churn_probability",
                    "risk_tier", "remaining_lifetime", "window_end", "capped"]
REQUIRED_METRICS = {"n", "events", "concordance_test", "integrated_brier_test",
                    "integrated_brier_km", "auc_horizon", "median_survival"}


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
