"""Execute tier of the CLV lesson: notebooks/04_clv.ipynb on synthetic data and on CDNOW."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cxlib import clv
from cxlib.core import DataWarning

CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow_published(reference_data):
    return pd.read_csv(reference_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv",
                       index_col="ID")


CUSTOMER_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                    "expected_purchases", "expected_spend", "clv"]


@pytest.mark.notebook
def test_clv_notebook_on_synthetic_world(tmp_path):
    from conftest import run_notebook

    from cxlib.synth import make_world

    w = make_world(n_customers=1500, seed=4)
    paths = w.write(tmp_path / "data")
    out = tmp_path / "out"
    metrics = run_notebook("04_clv", out, transactions_path=str(paths["transactions"]),
                           observation_end=w.truth["observation_end"], calibration_end="2025-06-30",
                           horizon=26, margin=0.3, acquisition_cost=50.0, truth_path=str(paths["truth"]))
    customers = pd.read_csv(out / "customers.csv")
    assert list(customers.columns) == CUSTOMER_COLUMNS
    assert len(customers) == metrics["n_customers"] == w.transactions["customer_id"].nunique()
    assert customers["p_alive"].between(0, 1).all() and (customers["clv"] > 0).all()
    assert customers["clv"].sum() == pytest.approx(metrics["clv"]["total"])
    for name in ("r", "alpha", "a", "b"):
        assert metrics["bgnbd"][name] == pytest.approx(w.truth["bgnbd"][name], rel=0.35), name
    for name in ("p", "q", "v"):
        assert metrics["gamma_gamma"][name] == pytest.approx(w.truth["gamma_gamma"][name], rel=0.5), name
    assert abs(metrics["holdout"]["total_error_pct"]) < 15
    assert 0 < metrics["holdout"]["mae"] < metrics["holdout"]["mae_naive"]
    assert 0.1 < metrics["clv"]["top_decile_share"] < 1
    assert metrics["clv"]["ltv_cac"] == pytest.approx(customers["clv"].mean() / 50.0)
    truth = pd.read_csv(out / "truth_check.csv")
    assert len(truth) == 7 and truth["z"].abs().max() < 4
    tiers = pd.read_csv(out / "tiers.csv")
    assert tiers["tier"].tolist() == ["top 10%", "next 20%", "middle 30%", "bottom 40%"]
    assert tiers["share_of_value"].iloc[0] == pytest.approx(metrics["clv"]["top_decile_share"])
    models = pd.read_csv(out / "model_comparison.csv")
    assert models["model"].tolist() == ["BG/NBD", "Pareto/NBD"]
    assert (models["actual_total"] == metrics["holdout"]["actual_total"]).all()
    fit = pd.read_csv(out / "frequency_fit.csv")
    assert fit["actual"].sum() == len(customers) and fit["expected"].sum() == pytest.approx(len(customers))
    for name in ("holdout_by_frequency.csv", "cumulative_tracking.csv", "parameters.csv",
                 "holdout_by_frequency.png", "cumulative_tracking.png", "value_concentration.png",
                 "frequency_fit.png"):
        assert (out / name).exists(), name


@pytest.mark.notebook
def test_clv_notebook_reproduces_cdnow(tmp_path, reference_data, cdnow_published):
    """Golden through the notebook: on CDNOW with calibration to 1997-09-30 the calibration fit is
    FHL (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4."""
    from conftest import run_notebook

    log_path = tmp_path / "cdnow.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        clv.load_cdnow(reference_data / "cdnow" / "CDNOW_sample.txt").to_csv(log_path, index=False)
    metrics = run_notebook("04_clv", tmp_path / "out", transactions_path=str(log_path),
                           observation_end="1998-06-30", calibration_end=CAL_END, horizon=39)
    cal = metrics["bgnbd_calibration"]
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert cal[name] == pytest.approx(published, abs=0.0005), name
    assert cal["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    pnbd = metrics["pareto_nbd_calibration"]  # FHL (2005) MATLAB note: r 0.553, alpha 10.578, s 0.606
    for name, published in {"r": 0.553, "alpha": 10.578, "s": 0.606}.items():
        assert pnbd[name] == pytest.approx(published, abs=0.0005), name
    assert pnbd["log_likelihood"] == pytest.approx(-9595.0, abs=0.05)
    assert metrics["holdout"]["customers"] == 2357
    assert not (tmp_path / "out" / "truth_check.csv").exists()  # data/truth.json is another world
    customers = pd.read_csv(tmp_path / "out" / "customers.csv")
    track = pd.read_csv(tmp_path / "out" / "cumulative_tracking.csv")
    # Every CDNOW customer first bought in 1997 Q1, so all are in the cohort: repeat purchases
    # to 1998-06-30 = the tracking total = calibration repeats (published x) + holdout repeats.
    assert track["actual"].iloc[-1] == customers["frequency"].sum()
    assert metrics["holdout"]["actual_total"] == customers["frequency"].sum() - cdnow_published["x"].sum()


@pytest.mark.notebook
@pytest.mark.slow
def test_clv_notebook_gives_the_same_numbers_on_spark(tmp_path):
    """The same lesson with engine: spark (a local SparkSession in the kernel) on a Parquet log."""
    import shutil

    from conftest import run_notebook

    from cxlib.synth import make_world

    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")
    w = make_world(n_customers=500, seed=8)
    paths = w.write(tmp_path / "data", fmt="parquet")
    common = dict(transactions_path=str(paths["transactions"]), observation_end=w.truth["observation_end"],
                  calibration_end="2025-06-30", horizon=26, truth_path="")
    duck = run_notebook("04_clv", tmp_path / "duckdb", **common)
    spark = run_notebook("04_clv", tmp_path / "spark", engine="spark", **common)
    assert spark["n_transactions"] == duck["n_transactions"] == len(w.transactions)
    for model in ("bgnbd", "gamma_gamma", "bgnbd_calibration", "pareto_nbd_calibration"):
        for name, value in duck[model].items():
            assert spark[model][name] == pytest.approx(value, rel=1e-6), (model, name)
    assert spark["clv"]["total"] == pytest.approx(duck["clv"]["total"], rel=1e-6)
    assert spark["holdout"]["actual_total"] == duck["holdout"]["actual_total"]


@pytest.mark.notebook
def test_clv_notebook_shows_what_one_huge_amount_does(tmp_path):
    """One repeat purchase of 1e12: flagged with its row, kept, and the outlier table shows that
    capping it at the limit changes the headline value by orders of magnitude. The models are
    fitted on a sample (max_fit_rows) and every customer is still scored."""
    from conftest import run_notebook

    from cxlib.synth import make_world

    w = make_world(n_customers=1200, seed=9)
    tx = w.transactions.copy()
    counts = tx["customer_id"].value_counts()
    buyer = counts[counts >= 3].index[0]
    tx.loc[tx.index[tx["customer_id"] == buyer][-1], "amount"] = 1e12  # a repeat purchase: it counts in spend
    path = tmp_path / "huge.csv"
    tx.to_csv(path, index=False)
    out = tmp_path / "out"
    metrics = run_notebook("04_clv", out, transactions_path=str(path), observation_end=w.truth["observation_end"],
                           calibration_end="2025-06-30", horizon=26, truth_path="", max_fit_rows=800, seed=3)
    effect = pd.read_csv(out / "outlier_effect.csv").set_index("quantity")
    assert list(effect.columns) == ["all_purchases", "flagged_capped", "change_pct"]
    assert metrics["outliers"]["n_flagged"] == 1 and metrics["outliers"]["limit"] < 1e12
    total = effect.loc["total CLV"]
    assert total["all_purchases"] > 100 * total["flagged_capped"] > 0  # the one amount dominates
    assert total["change_pct"] < -99
    assert metrics["outliers"]["effect"]["total CLV"]["all_purchases"] == pytest.approx(total["all_purchases"])
    assert metrics["clv"]["total"] == pytest.approx(total["all_purchases"])  # the headline keeps every purchase
    customers = pd.read_csv(out / "customers.csv")
    assert metrics["fit_customers"] == 800 < len(customers) == tx["customer_id"].nunique()
    import json

    cells = json.loads((out / "04_clv.ipynb").read_text())["cells"]
    text = "".join("".join(o.get("text", "")) + json.dumps(o.get("data", {}))
                   for c in cells for o in c.get("outputs", []))
    assert "1 row (row" in text and "have amounts above" in text  # the warning, with its row number
    assert "random sample of 800 of the" in text
