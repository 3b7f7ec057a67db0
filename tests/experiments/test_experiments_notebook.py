"""Execute tier: the experiments lesson end to end, on a synthetic experiment with its truth and
on the Cookie Cats test from the raw file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_notebook

from cxlib import experiments
from cxlib.synth.experiment import make_experiment

pytestmark = pytest.mark.notebook

RESULT_COLUMNS = ["metric", "variant", "control_mean", "variant_mean", "difference", "ci_lower",
                  "ci_upper", "relative_lift", "rel_ci_lower", "rel_ci_upper", "p", "p_adjusted",
                  "method"]
CUPED_COLUMNS = ["metric", "variant", "difference", "ci_lower", "ci_upper", "variance_reduction"]
DESIGN_COLUMNS = ["metric", "mde", "n_per_group_needed", "n_per_group_observed", "detectable_effect"]
RETENTION_COLUMNS = ["variant", "hazard_ratio", "ci_lower", "ci_upper", "logrank_p"]


def test_notebook_on_a_synthetic_experiment_with_its_truth(tmp_path):
    table, truth = make_experiment(n_units=8_000, seed=8)
    table.to_csv(tmp_path / "experiment.csv", index=False)
    (tmp_path / "truth.json").write_text(json.dumps({"n_customers": 8_000, "experiment": truth}))
    out = tmp_path / "out"
    metrics = run_notebook("06_experiments", out, data_path=str(tmp_path / "experiment.csv"),
                           truth_path=str(tmp_path / "truth.json"), n_simulations=300, seed=3)

    assert metrics["n_units"] == 8_000 and metrics["srm_ok"] is True and metrics["srm_p"] > 0.01
    # 8 known quantities (difference and relative lift of 3 metrics, CUPED, hazard ratio); a
    # difference and its relative lift miss together, so two misses in one run are not rare
    # (interval coverage itself is checked over 300 runs in test_experiments.py)
    compared = pd.read_csv(out / "truth_comparison.csv")
    assert metrics["truth_total"] == len(compared) == 8
    assert metrics["truth_inside"] == compared["inside"].sum() >= 6
    inside = (compared["ci_lower"] <= compared["truth"]) & (compared["truth"] <= compared["ci_upper"])
    assert (inside == compared["inside"]).all()
    known = compared.set_index("quantity")["truth"]
    assert known["spend: difference"] == pytest.approx(truth["metrics"]["spend"]["difference"])
    assert known["retention: hazard ratio"] == 0.8
    assert metrics["engine"] == "duckdb"
    expected = truth["cuped"]["spend"]["variance_reduction"]
    reduction = metrics["cuped"]["spend"]["treatment"]["variance_reduction"]
    assert reduction == pytest.approx(expected, abs=0.04)
    assert metrics["peeking"]["false_positive_daily"] > 0.12 > metrics["peeking"]["false_positive_msprt"]
    assert not metrics["effects"]["csat"]["treatment"]["significant"]

    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == RESULT_COLUMNS
    assert set(results["metric"]) == {"converted", "spend", "csat"}
    csat = results.set_index("metric").loc["csat"]
    assert csat["p_adjusted"] >= 0.05  # the null metric
    assert list(pd.read_csv(out / "cuped.csv").columns) == CUPED_COLUMNS
    design = pd.read_csv(out / "design.csv")
    assert list(design.columns) == DESIGN_COLUMNS and len(design) == 4  # three metrics + retention
    retention = pd.read_csv(out / "retention.csv")
    assert list(retention.columns) == RETENTION_COLUMNS
    assert retention["ci_lower"].iloc[0] <= 0.8 <= retention["ci_upper"].iloc[0]
    findings = json.loads((out / "findings.json").read_text())
    assert findings["key_figure"] == "effects.png" and 2 <= len(findings["findings"]) <= 3
    # the findings are re-derived from metrics.json and the parameters alone
    assert findings["findings"] == experiments.key_findings(metrics, {"spend": "EUR", "csat": "points"}, 0.05)
    for name in ("effects", "cuped", "retention", "peeking"):
        assert (out / f"{name}.png").stat().st_size > 0


def test_notebook_on_cookie_cats_from_the_raw_file(tmp_path, reference_data):
    out = tmp_path / "cookie"
    metrics = run_notebook(
        "06_experiments", out, data_path=str(reference_data / "experiments" / "cookie_cats.csv"),
        unit_col="userid", variant_col="version", control="gate_30",
        metrics=["retention_1", "retention_7", "sum_gamerounds"], pre_metrics={},
        duration_col="", event_col="", expected_split={"gate_30": 0.5, "gate_40": 0.5},
        mde={"retention_1": 0.01, "retention_7": 0.01, "sum_gamerounds": 2},
        units={"sum_gamerounds": "rounds"}, peek_metric="retention_7", n_simulations=300)
    # ../shared/data/experiments/SOURCE.md
    assert metrics["n_units"] == 90_189
    assert metrics["srm_ok"] is False and metrics["srm_p"] == pytest.approx(0.0086, abs=5e-5)
    assert "truth_total" not in metrics and "hazard_ratio" not in metrics
    r = pd.read_csv(out / "results.csv").set_index("metric")
    assert 100 * r.loc["retention_7", "difference"] == pytest.approx(-0.820, abs=5e-4)
    assert 100 * r.loc["retention_7", "ci_lower"] == pytest.approx(-1.328, abs=5e-4)
    assert 100 * r.loc["retention_7", "ci_upper"] == pytest.approx(-0.312, abs=5e-4)
    assert r.loc["retention_7", "p"] == pytest.approx(0.00155, abs=5e-6)
    assert r.loc["retention_1", "p"] == pytest.approx(0.0744, abs=5e-5)
    assert "capped" in r.loc["sum_gamerounds", "method"]
    assert not (out / "cuped.csv").exists() and not (out / "retention.csv").exists()
    findings = json.loads((out / "findings.json").read_text())["findings"]
    assert "unreliable" in findings[0]
    influence = pd.read_csv(out / "influence.csv").iloc[0]
    assert influence["max"] == 49_854
