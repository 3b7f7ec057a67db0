"""Choosing k when the criteria disagree: the weighing rule, what it reports, and the notebook's
default, checked on data sets the rule was not tuned on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cxlib import segments
from cxlib.core import NOTEBOOKS_DIR

NOTEBOOK = NOTEBOOKS_DIR / "03_segmentation.ipynb"


def spend_and_visits(seed: int, n: int = 2000):
    """Four well-separated customer groups on two features of very different scales: annual
    spend in currency (thousands) and visits per month (units). Two groups differ only in
    spend (2,000 against 3,600, 4.6 standard deviations apart) and lie close compared with the
    others, which is where the silhouette alone tends to merge them into one."""
    rng = np.random.default_rng(seed)
    centers = np.array([[2000, 5], [3600, 5], [9000, 15], [5500, 15]], dtype=float)
    spread = np.array([350, 1.2])
    truth = rng.integers(0, len(centers), n)
    X = pd.DataFrame(centers[truth] + rng.normal(size=(n, 2)) * spread,
                     columns=["annual_spend", "visits"])
    return X, truth


def notebook_default(name: str):
    import papermill as pm

    return json.loads(pm.inspect_notebook(str(NOTEBOOK))[name]["default"])


def test_the_notebook_default_is_the_weighing_rule():
    assert notebook_default("criterion") == "majority"


def test_the_default_rule_recovers_four_segments_where_the_silhouette_alone_says_three():
    """Recovery on held-out data: the silhouette prefers 3, the Calinski-Harabasz index and the
    BIC prefer 4; the notebook's default rule takes 4 and finds the true groups, and the
    summary written to metrics.json records the disagreement."""
    X, truth = spend_and_visits(seed=307)
    rule = notebook_default("criterion")
    seg = segments.Segmenter(k_range=(2, 8), criterion=rule, seed=0).fit(X)
    assert not seg.preparation_["log1p"].any()  # the scales differ, the shapes are symmetric
    summary = segments.selection_summary(seg.selection_, rule)
    assert summary["k_by_criterion"] == {"silhouette": 3, "calinski_harabasz": 4, "bic": 4}
    assert summary["criteria_agree"] is False
    assert summary["k_rule"] == "majority" and summary["k_votes"] == 2 and summary["n_criteria"] == 3
    assert summary["k_chosen"] == seg.k_ == 4
    assert adjusted_rand_score(truth, seg.labels_) > 0.95
    alone = segments.Segmenter(k_range=(2, 8), criterion="silhouette", seed=0).fit(X)
    assert alone.k_ == 3 and adjusted_rand_score(truth, alone.labels_) < 0.8
    text = segments.describe_selection(seg.selection_, rule)
    assert text.startswith("The criteria disagree: the silhouette prefers k = 3; the "
                           "Calinski-Harabasz index and the mixture BIC prefer k = 4.")
    assert "The rule is the majority: k = 4 segments" in text
    # the single-criterion report names the disagreement too
    assert "The criteria disagree" in segments.describe_selection(alone.selection_, "silhouette")


@pytest.mark.parametrize("seed", [301, 305])
def test_the_rule_recovers_four_on_other_draws(seed):
    X, truth = spend_and_visits(seed=seed)
    seg = segments.Segmenter(k_range=(2, 8), criterion="majority", seed=0).fit(X)
    assert seg.k_ == 4 and adjusted_rand_score(truth, seg.labels_) > 0.95


def test_when_all_criteria_agree_no_disagreement_is_reported():
    rng = np.random.default_rng(4)
    centers = np.array([[0, 0], [8, 0], [4, 7]], dtype=float)
    truth = rng.integers(0, 3, 900)
    X = pd.DataFrame(centers[truth] + rng.normal(size=(900, 2)), columns=["a", "b"])
    seg = segments.Segmenter(k_range=(2, 6), criterion="majority", seed=0, log=False).fit(X)
    summary = segments.selection_summary(seg.selection_, "majority")
    assert summary["k_by_criterion"] == {"silhouette": 3, "calinski_harabasz": 3, "bic": 3}
    assert summary["criteria_agree"] is True and summary["k_rule"] == "unanimous"
    assert summary["k_votes"] == summary["n_criteria"] == 3 and seg.k_ == 3
    for criterion in ("majority", "silhouette"):
        text = segments.describe_selection(seg.selection_, criterion)
        assert "disagree" not in text and "prefers k" not in text
    assert "the criteria agree, all 3" in segments.describe_selection(seg.selection_, "majority")
    found = segments.key_findings({"method": "kmeans", "criterion": "majority", "k": 3,
                                   "k_chosen_by_data": True, "n_customers": 900, **summary}, 5)
    assert "k on which all 3 criteria agree" in found[0] and "preferred" not in found[0]


def test_without_a_majority_the_silhouette_decides_and_says_so():
    table = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.40, 0.52, 0.50, 0.30],
                          "calinski_harabasz": [900.0, 1000.0, 1100.0, 1600.0],
                          "bic": [500.0, 450.0, 300.0, 320.0], "bic_degenerate": False})
    chosen = segments.majority_k(segments.criterion_choices(table))
    table["chosen"] = table["k"] == chosen
    summary = segments.selection_summary(table, "majority")
    assert chosen == 3 and summary["k_rule"] == "no majority: silhouette" and summary["k_votes"] == 1
    text = segments.describe_selection(table, "majority")
    assert "no majority" in text and "falls back to the silhouette" in text
    assert "the Calinski-Harabasz index prefers k = 5" in text and "the mixture BIC prefers k = 4" in text


@pytest.mark.parametrize("rule, best, expected", [
    ("majority", {"silhouette": 3, "calinski_harabasz": 4, "bic": 4},
     "k chosen by a majority of the criteria, the Calinski-Harabasz index and the BIC; "
     "the silhouette preferred 3"),
    ("no majority: silhouette", {"silhouette": 4, "calinski_harabasz": 5, "bic": 6},
     "k chosen by the silhouette because no two criteria agreed; the Calinski-Harabasz index "
     "preferred 5, the BIC preferred 6"),
    ("silhouette", {"silhouette": 4, "calinski_harabasz": 4, "bic": 6},
     "k chosen by the silhouette; the BIC preferred 6"),
])
def test_findings_name_the_rule_that_chose_k(rule, best, expected):
    metrics = {"method": "kmeans", "criterion": "majority" if rule != "silhouette" else rule,
               "k": 4, "k_chosen": 4, "k_chosen_by_data": True, "n_customers": 1000,
               "k_rule": rule, "k_by_criterion": best}
    first = segments.key_findings(metrics, 5)[0]
    assert f"(k-means, {expected})" in first


@pytest.mark.notebook
def test_the_notebook_records_the_disagreement_in_metrics(tmp_path):
    """End to end on the held-out data: metrics.json holds each criterion's k, that they
    disagree, the rule and the chosen k, and the findings name the rule."""
    from conftest import run_notebook

    X, truth = spend_and_visits(seed=307)
    X.insert(0, "customer_id", [f"K{i:05d}" for i in range(len(X))])
    X.to_csv(tmp_path / "features.csv", index=False)
    out = tmp_path / "out"
    metrics = run_notebook("03_segmentation", out, data_path=str(tmp_path / "features.csv"),
                           transactions_path="", customers_path="", survey_path="", truth_path="",
                           features=["annual_spend", "visits"], n_boot=3, sample_size=2000, seed=0)
    assert metrics["criterion"] == "majority" and metrics["k"] == 4
    assert metrics["k_by_criterion"] == {"silhouette": 3, "calinski_harabasz": 4, "bic": 4}
    assert metrics["criteria_agree"] is False and metrics["k_rule"] == "majority"
    assert metrics["k_chosen"] == 4 and metrics["k_votes"] == 2
    segs = pd.read_csv(out / "segments.csv").set_index("customer_id").loc[X["customer_id"]]
    assert adjusted_rand_score(truth, segs["segment"]) > 0.95
    findings = json.loads((out / "findings.json").read_text())["findings"]
    assert "the silhouette preferred 3" in findings[0]
    assert pd.read_csv(out / "joins.csv").empty  # one table only: nothing joined


def test_findings_do_not_depend_on_the_order_metrics_json_stores_the_criteria_in():
    """metrics.json is written with sorted keys; the findings rebuilt from it must be the
    notebook's own."""
    metrics = {"method": "kmeans", "criterion": "majority", "k": 4, "k_chosen": 4,
               "k_chosen_by_data": True, "n_customers": 1000, "k_rule": "majority"}
    as_built = {"silhouette": 4, "calinski_harabasz": 4, "bic": 6}
    as_stored = dict(sorted(as_built.items()))
    first = segments.key_findings({**metrics, "k_by_criterion": as_built}, 5)[0]
    assert first == segments.key_findings({**metrics, "k_by_criterion": as_stored}, 5)[0]
    assert "the silhouette and the Calinski-Harabasz index; the BIC preferred 6" in first
