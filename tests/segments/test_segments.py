"""Segmentation: RFM, the Segmenter pipeline, choosing k, stability, profiles and the notebook."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from cxlib.segments import segmenter as seg_mod
from cxlib.core import DataError, DataWarning
from cxlib.segments.rfm import RF_GRID, rfm_scores, rfm_segments, rfm_table, score
from cxlib.segments import (chi_square_by_segment, describe_segments, describe_test,
                                    effect_size_label,
                                    kruskal_by_segment, name_segments, profile_segments,
                                    segment_crosstab, segment_table)
from cxlib.segments import (bootstrap_stability, compare_methods, describe_methods,
                                      load_truth_segments, truth_ari)
from cxlib.segments import (Segmenter, check_features, dbscan_eps, describe_selection,
                            load_features, select_k)
from cxlib.synth import make_world

FEATURES = ["age", "monthly_fee", "usage_hours", "support_tickets"]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return pd.DataFrame(X, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"]), y


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=1500, seed=3)


def blobs(n=600, seed=0, centers=((0, 0), (6, 0), (0, 6)), sd=1.0):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, len(centers), n)
    X = np.asarray(centers, dtype=float)[lab] + rng.normal(scale=sd, size=(n, 2))
    return pd.DataFrame(X, columns=["a", "b"]), lab


# --------------------------------------------------------------------------- golden: iris


def test_kmeans_on_iris_matches_r(iris):
    """Golden: R ``kmeans(iris[, 1:4], centers = 3, nstart = 25)``: cluster sizes 50, 62, 38 and
    total within-cluster sum of squares 78.85144 (the global optimum reported throughout the R
    documentation and tutorials); silhouette width 0.5528 (R ``cluster::silhouette``, and the
    scikit-learn user guide); Calinski-Harabasz 561.62775662962 (scikit-learn user guide,
    "Calinski-Harabasz Index", KMeans(n_clusters=3) on iris)."""
    X, _ = iris
    seg = Segmenter(k=3, log=False, scale=False, seed=1).fit(X)
    assert sorted(seg.segment_sizes_.tolist()) == [38, 50, 62]
    assert seg.segment_sizes_.tolist() == [62, 50, 38]  # numbered by size
    Z = seg.prepare(X)
    within = sum(((Z[seg.labels_ == j] - Z[seg.labels_ == j].mean(axis=0)) ** 2).sum() for j in range(3))
    assert within == pytest.approx(78.85144, abs=1e-4)
    assert seg.silhouette_ == pytest.approx(0.5528, abs=1e-4)
    table = select_k(Z, [2, 3, 4], seed=1)
    assert table.loc[table["k"] == 3, "calinski_harabasz"].item() == pytest.approx(561.62775662962, rel=1e-9)


def test_silhouette_chooses_two_on_raw_iris(iris):
    """Golden: average silhouette widths of k-means on the raw iris measurements are 0.681 (k=2),
    0.553 (k=3), 0.498 (k=4) (R ``factoextra::fviz_nbclust(iris[, 1:4], kmeans, "silhouette")``
    and the scikit-learn silhouette analysis); the silhouette therefore picks k = 2, the
    well-known case where setosa separates and versicolor/virginica merge."""
    X, _ = iris
    seg = Segmenter(k_range=(2, 4), log=False, scale=False, seed=1).fit(X)
    sil = seg.selection_.set_index("k")["silhouette"]
    assert sil.to_numpy() == pytest.approx([0.681, 0.553, 0.498], abs=1e-3)
    assert seg.k_ == 2
    text = describe_selection(seg.selection_)
    assert text.startswith("k = 2 segments, chosen by the silhouette")
    assert "Calinski-Harabasz index prefers k = 3" in text  # 561.6 at k = 3 beats 513.9 at k = 2


def test_ward_on_iris_matches_r(iris):
    """Golden: R ``cutree(hclust(dist(iris[, 1:4]), method = "ward.D2"), k = 3)`` has segment
    sizes 64, 50, 36 (ward.D2 is Ward's (1963) minimum-variance criterion on Euclidean
    distances, the same criterion as scikit-learn's ward linkage)."""
    X, y = iris
    seg = Segmenter(k=3, method="ward", log=False, scale=False).fit(X)
    assert seg.segment_sizes_.tolist() == [64, 50, 36]
    # setosa (the first 50 flowers) is one whole segment
    assert len(np.unique(seg.labels_[:50])) == 1 and (seg.labels_ == seg.labels_[0]).sum() == 50


def test_silhouette_matches_scikit_learn():
    """Independently computed: the blocked silhouette equals sklearn.metrics.silhouette_score,
    including a singleton segment (silhouette 0 by convention) and blocks of a few rows."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(400, 3))
    labels = rng.integers(0, 4, 400)
    Z[:, 0] += labels
    labels[7] = 9  # a segment of one
    expected = silhouette_score(Z, labels)
    assert seg_mod.silhouette_mean(Z, labels) == pytest.approx(expected, rel=1e-9)
    assert seg_mod.silhouette_mean(Z, labels, chunk_bytes=8 * 400 * 7) == pytest.approx(expected, rel=1e-9)


def test_bic_matches_an_independent_likelihood(iris):
    """Golden (independently computed): the BIC reported by select_k equals
    -2 log L + p log n, with log L summed from scipy's multivariate normal densities of the
    fitted mixture and p = k (d + d(d + 1) / 2) + k - 1 free parameters (Schwarz 1978)."""
    X, _ = iris
    Z = Segmenter(k=2, seed=0).fit(X).prepare(X)
    table = select_k(Z, [2, 3], seed=0)
    n, d = Z.shape
    for k in (2, 3):
        gmm = GaussianMixture(n_components=k, covariance_type="full", random_state=0).fit(Z)
        dens = sum(w * multivariate_normal(m, c).pdf(Z)
                   for w, m, c in zip(gmm.weights_, gmm.means_, gmm.covariances_))
        p = k * (d + d * (d + 1) / 2) + k - 1
        bic = -2 * np.log(dens).sum() + p * np.log(n)
        assert table.loc[table["k"] == k, "bic"].item() == pytest.approx(bic, rel=1e-6)


def test_a_collapsed_mixture_component_gets_no_bic():
    """A component sitting on tied values has an unbounded likelihood (Day 1969): its BIC
    falls by thousands without describing a group, so it must not choose k."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 2)), rng.normal(size=(400, 2)) + [6, 0]
    spike = np.column_stack([rng.normal(6, 1, 200), np.zeros(200)])  # a whole-number value, tied
    Z = np.vstack([a, b, spike])
    gmm = GaussianMixture(n_components=3, covariance_type="full", random_state=0).fit(Z)
    assert np.linalg.eigvalsh(gmm.covariances_).min() < 1e-4  # the premise: k = 3 collapses
    assert gmm.bic(Z) < GaussianMixture(n_components=2, random_state=0).fit(Z).bic(Z) - 1000
    table = select_k(Z, [2, 3, 4], seed=0)
    assert table["bic_degenerate"].tolist() == [False, True, True]
    assert table["bic"].isna().tolist() == [False, True, True]
    assert "k = 3, 4 the mixture collapsed" in describe_selection(table)
    assert select_k(Z, [2, 3, 4], criterion="bic", seed=0).query("chosen")["k"].item() == 2
    with pytest.raises(DataError, match="collapsed"):
        select_k(Z, [3, 4], criterion="bic", seed=0)


# --------------------------------------------------------------------------- golden: RFM on CDNOW


@pytest.fixture(scope="module")
def cdnow(reference_data):
    raw = pd.read_csv(reference_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "n_cds", "amount"])
    raw["timestamp"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    cal = raw.loc[raw["timestamp"] <= "1997-09-30"].reset_index(drop=True)
    summary = pd.read_csv(reference_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    return cal, summary.set_index("ID")


def test_rfm_matches_the_published_cdnow_summary(cdnow):
    """Golden: the CDNOW calibration summary (Fader, Hardie & Lee 2005; lifetimes datasets):
    x repeat purchases, t_x and T in weeks, zbar the mean repeat-purchase value. Marketing RFM
    must give frequency = x + 1, recency (time since last purchase) = T - t_x, tenure = T, and a
    total spend whose repeat part divided by x is zbar. The first-day spend is summed here
    independently, row by row, from the raw file."""
    cal, summary = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # 8 purchases of $0 in the sample
        rfm = rfm_table(cal, observation_end="1997-09-30", time_unit="W")
    assert len(rfm) == 2357
    s = summary.reindex(rfm.index)
    assert np.array_equal(rfm["frequency"].to_numpy(), s["x"].to_numpy() + 1)
    assert rfm["tenure"].to_numpy() == pytest.approx(s["T"].to_numpy(), abs=0.006)
    assert rfm["recency"].to_numpy() == pytest.approx((s["T"] - s["t_x"]).to_numpy(), abs=0.011)
    first_day, total = {}, {}
    for cid, ts, amount in zip(cal["customer_id"], cal["timestamp"], cal["amount"]):
        total[cid] = total.get(cid, 0.0) + amount
        day, spent = first_day.get(cid, (ts, 0.0))
        if ts < day:
            first_day[cid] = (ts, amount)
        elif ts == day:
            first_day[cid] = (day, spent + amount)
        else:
            first_day[cid] = (day, spent)
    assert rfm["monetary"].to_numpy() == pytest.approx([total[c] for c in rfm.index], abs=1e-9)
    repeat = s["x"] > 0
    zbar = (rfm["monetary"] - pd.Series({c: v[1] for c, v in first_day.items()}))[repeat] / s["x"][repeat]
    assert zbar.to_numpy() == pytest.approx(s.loc[repeat, "zbar"].to_numpy(), abs=0.006)


def test_rfm_scores_keep_ties_together_and_the_grid_covers_every_cell(cdnow):
    cal, _ = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        scores = rfm_scores(rfm_table(cal, observation_end="1997-09-30"))
    for col, raw in (("R", "recency"), ("F", "frequency"), ("M", "monetary")):
        assert scores[col].between(1, 5).all()
        assert scores.groupby(raw)[col].nunique().max() == 1  # equal values, equal score
    # one-time buyers (60%) all share the lowest F score
    assert (scores.loc[scores["frequency"] == 1, "F"] == 1).all()
    # the most recent buyers score 5 on R
    assert scores.loc[scores["recency"].idxmin(), "R"] == 5
    # recency scores are quintiles: each holds about a fifth of the customers
    assert scores["R"].value_counts(normalize=True).between(0.15, 0.25).all()

    cells = pd.DataFrame([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in (1, 5)],
                         columns=["R", "F", "M"])
    names = rfm_segments(cells)
    assert (names != "").all()
    lookup = {(r, f, m): n for (r, f, m), n in zip(cells.itertuples(index=False), names)}
    assert lookup[(5, 5, 5)] == "Champions"
    assert lookup[(5, 1, 1)] == "New"
    assert lookup[(1, 5, 1)] == "Can't lose them"
    assert lookup[(1, 1, 1)] == "Lost" and lookup[(2, 2, 5)] == "Hibernating"
    assert lookup[(4, 4, 1)] == "Loyal" and lookup[(2, 3, 1)] == "At risk"
    covered = sum(len(r) * len(f) for _, r, f in RF_GRID)
    assert covered == 25  # each R x F cell belongs to exactly one rule


def test_score_is_quintiles_without_ties():
    s = score(pd.Series(np.arange(100.0), name="v"))
    assert s.value_counts().sort_index().tolist() == [20] * 5
    assert score(pd.Series(np.arange(100.0), name="v"), higher_is_better=False).iloc[0] == 5


# --------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("k", [None, 4])
def test_recovers_the_synthetic_segments(world, k):
    """Recovery: the synthetic world's four latent segments come back from age, monthly fee,
    usage hours and support tickets with an adjusted Rand index of at least 0.8, with k given
    and with k chosen by the silhouette."""
    X = world.customers[FEATURES]
    seg = Segmenter(k=k, seed=3).fit(X)
    assert seg.k_ == 4
    ari = adjusted_rand_score(world.segments, seg.labels_)
    assert ari >= 0.8, ari
    assert truth_ari(pd.Series(seg.labels_, index=world.customers["customer_id"]),
                     pd.Series(world.segments.to_numpy(), index=world.customers["customer_id"])) == pytest.approx(ari)


@pytest.mark.parametrize("seed", [5, 7])
def test_recovery_does_not_hang_on_one_seed(seed):
    """Recovery on other synthetic worlds (smaller, other seeds), k chosen by the data."""
    w = make_world(n_customers=800, seed=seed)
    seg = Segmenter(seed=seed).fit(w.customers[FEATURES])
    assert seg.k_ == 4
    assert adjusted_rand_score(w.segments, seg.labels_) >= 0.8


def test_defaults_do_not_let_a_large_unit_dominate(world):
    """Scaling: the same features with the fee in cents instead of currency units give the same
    segments; without standardization the fee would decide the clustering on its own."""
    X = world.customers[FEATURES].copy()
    base = Segmenter(k=4, seed=3).fit(X).labels_
    X_cents = X.assign(monthly_fee=X["monthly_fee"] * 100)
    # not exactly 1: log1p(100 x) is not log1p(x) shifted, so a few boundary customers move
    assert adjusted_rand_score(base, Segmenter(k=4, seed=3).fit(X_cents).labels_) > 0.99
    unscaled = Segmenter(k=4, scale=False, log=False, seed=3).fit(X_cents)
    assert adjusted_rand_score(world.segments, unscaled.labels_) < 0.6
    # the unscaled segments differ essentially only in fee
    fee_only = Segmenter(k=4, scale=False, log=False, seed=3).fit(X_cents[["monthly_fee"]])
    assert adjusted_rand_score(fee_only.labels_, unscaled.labels_) > 0.9


def test_log_is_applied_to_skewed_non_negative_features_only():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"spend": rng.lognormal(3, 1, 500), "age": rng.normal(40, 10, 500),
                      "delta": rng.lognormal(0, 1, 500) - 1.5})
    prep = Segmenter(k=2, seed=0).fit(X).preparation_
    assert prep.loc["spend", "log1p"] and prep.loc["spend", "skew"] > 1 > abs(prep.loc["spend", "skew_after"])
    assert not prep.loc["age", "log1p"]
    assert not prep.loc["delta", "log1p"]  # skewed but negative values: log1p is not defined
    assert not Segmenter(k=2, log=False).fit(X).preparation_["log1p"].any()


# --------------------------------------------------------------------------- the sklearn contract


@pytest.mark.parametrize("method", ["kmeans", "gmm", "ward", "dbscan"])
def test_estimator_contract(method):
    X, truth = blobs()
    seg = Segmenter(k=None if method == "dbscan" else 3, method=method, seed=0)
    labels = seg.fit_predict(X)
    assert np.array_equal(labels, seg.labels_)
    assert seg.k_ == 3
    found = labels >= 0  # DBSCAN leaves the blobs' tails as noise
    assert found.mean() > (0.9 if method == "dbscan" else 0.999)
    assert adjusted_rand_score(truth[found], labels[found]) > 0.95
    assert (seg.predict(X) == labels).mean() > 0.98
    assert seg.centers_.shape == (3, 2)
    assert list(seg.feature_names_in_) == ["a", "b"] and seg.n_features_in_ == 2
    assert clone(seg).get_params() == seg.get_params()
    assert not hasattr(clone(seg), "labels_")


def test_large_n_paths_sample_and_assign(monkeypatch):
    """Ward and DBSCAN fit on a sample above their row limits and assign the rest; k-means
    switches to mini-batch; all still find the three blobs."""
    monkeypatch.setattr(seg_mod, "WARD_MAX_ROWS", 200)
    monkeypatch.setattr(seg_mod, "DBSCAN_MAX_ROWS", 300)
    monkeypatch.setattr(seg_mod, "MINIBATCH_ROWS", 500)
    X, truth = blobs(n=1500, seed=1)
    for method in ("ward", "dbscan", "kmeans"):
        seg = Segmenter(k=None if method == "dbscan" else 3, method=method, seed=1).fit(X)
        assert len(seg.labels_) == 1500 and seg.k_ == 3
        found = seg.labels_ >= 0
        assert adjusted_rand_score(truth[found], seg.labels_[found]) > 0.95, method


def test_dbscan_without_dense_groups_warns():
    X, _ = blobs(n=200)
    with pytest.warns(DataWarning, match=r"DBSCAN found 0 segments and left 100% .* as noise"):
        seg = Segmenter(method="dbscan", eps=1e-6).fit(X)
    assert seg.k_ == 0 and (seg.predict(X) == -1).all()


def test_load_inputs_reads_features_and_builds_rfm(tmp_path):
    world = make_world(n_customers=300, seed=4)
    paths = world.write(tmp_path)
    X, rfm, joins = seg_mod.load_inputs(paths["customers"], paths["transactions"],
                                        ["age", "usage_hours", "frequency"], observation_end="2025-12-31")
    assert list(X.columns) == ["age", "usage_hours", "frequency"] and len(X) == 300
    assert (X["frequency"] == rfm.loc[X.index, "frequency"]).all()
    assert len(joins) == 1 and joins[0].right_matched == joins[0].right_rows  # every purchase is known
    X2, _, joins2 = seg_mod.load_inputs("", paths["transactions"], ["recency", "monetary"])
    assert X2.index.equals(rfm.index) and joins2 == []
    with pytest.raises(DataError, match="'frequency'"):
        seg_mod.load_inputs(paths["customers"], "", ["age", "frequency"])
    with pytest.raises(DataError, match="both are empty"):
        seg_mod.load_inputs("", "", ["age"])


def test_load_inputs_and_profiles_take_the_users_column_names(tmp_path):
    from cxlib import segments as prof

    world = make_world(n_customers=200, seed=4)
    paths = world.write(tmp_path)
    ren = {"customer_id": "CustID", "timestamp": "When", "amount": "Value"}
    tx = pd.read_csv(paths["transactions"]).rename(columns=ren)
    tx.to_csv(tmp_path / "tx_renamed.csv", index=False)
    cust = pd.read_csv(paths["customers"]).rename(columns={"customer_id": "CustID", "churn_date": "Left"})
    cust.to_csv(tmp_path / "cust_renamed.csv", index=False)
    X, rfm, _ = seg_mod.load_inputs(tmp_path / "cust_renamed.csv", tmp_path / "tx_renamed.csv",
                                    ["age", "frequency"], observation_end="2025-12-31",
                                    id_column="CustID", transaction_columns=ren)
    X0, rfm0, _ = seg_mod.load_inputs(paths["customers"], paths["transactions"], ["age", "frequency"],
                                   observation_end="2025-12-31")
    pd.testing.assert_frame_equal(X, X0, check_names=False)
    churned = prof.churn_by_customer(tmp_path / "cust_renamed.csv",
                                     columns={"customer_id": "CustID", "churn_date": "Left"})
    assert churned.sum() == world.customers["churn_date"].notna().sum()


def test_dbscan_eps_is_the_knee_of_the_k_distance_curve():
    """Independently computed: the knee is the sorted k-distance farthest below its chord."""
    X, _ = blobs(n=300, seed=2)
    Z = X.to_numpy()
    d = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
    kdist = np.sort(np.sort(d, axis=1)[:, 3])  # 4 neighbours counting the point itself
    x = np.linspace(0, 1, len(kdist))
    y = (kdist - kdist[0]) / (kdist[-1] - kdist[0])
    assert dbscan_eps(Z, 4) == pytest.approx(kdist[np.argmax(x - y)])


def test_stability_separates_clear_from_arbitrary_segments():
    X, _ = blobs(n=500, seed=3)
    clear = Segmenter(k=3, seed=0).fit(X)
    res = bootstrap_stability(clear, X, n_boot=8, seed=0)
    assert res.mean > 0.95 and res.low <= res.mean <= res.high
    assert len(res.table()) == 8 and "stable" in str(res)
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.uniform(size=(500, 2)), columns=["a", "b"])
    arbitrary = Segmenter(k=7, seed=0).fit(noise)
    assert bootstrap_stability(arbitrary, noise, n_boot=8, seed=0).mean < res.mean - 0.1


def test_bootstrap_replicates_hold_each_drawn_customer_once(monkeypatch):
    """As fpc::clusterboot by default: a customer drawn twice is used once, so duplicates add no
    artificial density."""
    X, _ = blobs(n=300, seed=4)
    fitted = Segmenter(k=3, seed=0).fit(X)
    seen = []
    fit = Segmenter.fit

    def spy(self, Xb, y=None):
        seen.append(Xb.index)
        return fit(self, Xb, y)

    monkeypatch.setattr(Segmenter, "fit", spy)
    bootstrap_stability(fitted, X, n_boot=3, seed=1)
    assert len(seen) == 3 and all(ix.is_unique for ix in seen)
    assert all(0.55 * 300 < len(ix) < 0.70 * 300 for ix in seen)  # about 1 - 1/e of the draws


def test_compare_methods_table(world):
    X = world.customers[FEATURES]
    table = compare_methods(X, 4, seed=3, truth=world.segments.to_numpy(), max_rows=800)
    assert table["method"].tolist() == ["kmeans", "gmm", "ward", "dbscan"]
    assert table.attrs["n_rows"] == 800
    assert table.loc[table["method"] == "kmeans", "ari_vs_reference"].item() == pytest.approx(1.0)
    assert (table.loc[table["method"] != "dbscan", "n_segments"] == 4).all()
    assert table["noise_share"].between(0, 1).all()
    # k-means and Ward find the latent segments; the full-covariance mixture and DBSCAN may not
    # (tickets are whole numbers; the segments touch), which is what the notebook discusses
    assert table.set_index("method").loc[["kmeans", "ward"], "ari_vs_truth"].min() > 0.8
    text = describe_methods(table)
    assert text.count("\n") == 4 and "known segments" in text


# --------------------------------------------------------------------------- bad input


def test_fewer_customers_than_k():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"3 customers but k=5"):
        Segmenter(k=5).fit(X)
    with pytest.raises(DataError, match="too few to choose k"):
        Segmenter(k_range=(3, 6)).fit(X)


def test_constant_or_all_missing_feature_is_named():
    X = pd.DataFrame({"a": np.arange(10.0), "flat": 7.0, "empty": np.nan})
    with pytest.raises(DataError, match=r"column 'flat'.*constant"):
        Segmenter(k=2).fit(X[["a", "flat"]])
    with pytest.raises(DataError, match=r"column 'empty'.*all 10 values are blank"):
        Segmenter(k=2).fit(X[["a", "empty"]])


def test_non_numeric_feature_is_named_with_examples():
    X = pd.DataFrame({"a": np.arange(6.0), "plan": ["basic", "premium"] * 3})
    with pytest.raises(DataError, match=r"column 'plan'.*6 rows \(row 1 \(plan='basic'\).*one-hot"):
        Segmenter(k=2).fit(X)


def test_missing_columns_are_all_listed(tmp_path):
    path = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["C1", "C2"], "age": [30, 40]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"customers.csv.*'usage_hours', 'support_tickets'"):
        load_features(path, ["age", "usage_hours", "support_tickets"])


def test_text_in_a_file_column_names_file_column_and_rows(tmp_path):
    path = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "age": ["30", "forty", "50"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"customers.csv.*column 'age'.*row 2 \(age='forty'\)"):
        load_features(path, ["age"])


def test_partly_blank_feature_warns_and_is_filled_with_the_median():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 10.0, 11.0, 12.0], "b": [0.0, 1, 0, 9, 10, 9]})
    with pytest.warns(DataWarning, match="median"):
        seg = Segmenter(k=2, seed=0).fit(X)
    assert seg.preparation_.loc["a", "median"] == 10.0
    assert len(seg.labels_) == 6


def test_check_features_accepts_arrays():
    out = check_features(np.array([[1.0, 2.0], [3.0, 5.0]]))
    assert list(out.columns) == ["x0", "x1"]


# --------------------------------------------------------------------------- profiles and names


def test_names_follow_the_largest_deviations():
    z = pd.DataFrame({"usage_hours": [1.5, -0.2, 0.1], "monthly_fee": [-0.8, 0.1, 0.25],
                      "age": [0.2, 0.1, 0.05]}, index=pd.Index([0, 1, 2], name="segment"))
    names = name_segments(z)
    assert names[0] == "High usage / low fee"
    # nothing past 0.3 standard deviations: "Average profile", numbered when two share it
    assert names[1] == "Average profile (1)" and names[2] == "Average profile (2)"
    z.loc[2, "age"] = -0.6
    assert name_segments(z)[2] == "Low age" and name_segments(z)[1] == "Average profile"


def test_profiles_match_a_direct_groupby(world):
    X = world.customers.set_index("customer_id")[FEATURES]
    seg = Segmenter(k=4, seed=3).fit(X)
    churned = world.customers.set_index("customer_id")["churn_date"].notna().astype(int)
    prof = profile_segments(X, seg.labels_, seg.prepare(X), churned=churned)
    body = prof[prof["segment"] != "all"]
    assert body["n"].sum() == len(X) and body["share"].sum() == pytest.approx(1.0)
    for _, row in body.iterrows():
        members = seg.labels_ == row["segment"]
        assert row["usage_hours"] == pytest.approx(X["usage_hours"][members].mean())
        assert row["churn_rate"] == pytest.approx(churned[members].mean())
    assert prof.iloc[-1]["churn_rate"] == pytest.approx(churned.mean())
    assert body["segment_name"].is_unique
    # the premium power users (highest usage) get a name that says so
    top = body.loc[body["usage_hours"].idxmax(), "segment_name"]
    assert "high usage" in top.lower() or "high fee" in top.lower()
    text = describe_segments(prof, FEATURES)
    assert text.count("Segment ") == 4 and "Churn" in text
    table = segment_table(X.index, seg.labels_, prof)
    assert list(table.columns) == ["customer_id", "segment", "segment_name"]
    assert table["segment_name"].notna().all()
    tab = segment_crosstab(pd.Series(seg.labels_, index=X.index), churned)
    assert tab.sum(axis=1).to_numpy() == pytest.approx(1.0)


def test_description_quotes_means_when_the_medians_coincide():
    """'median 1.0 vs 1.0' under 'below average' reads as a contradiction: quote the means."""
    prof = pd.DataFrame({
        "segment": [0, 1, "all"], "segment_name": ["Low tickets", "High tickets", "All customers"],
        "n": [60, 40, 100], "share": [0.6, 0.4, 1.0],
        "tickets": [0.5, 3.0, 1.5], "tickets_median": [1.0, 3.0, 1.0], "tickets_z": [-0.5, 0.75, 0.0]})
    lines = describe_segments(prof, ["tickets"]).splitlines()
    assert "below average (mean 0.5 vs 1.5; 0.5 SD)" in lines[0]
    assert "above average (median 3.0 vs 1.0; 0.8 SD)" in lines[1]


def test_segment_tests_match_hand_computation():
    """Chi-square from its definition on a 2 x 2 table; Kruskal-Wallis H from the mid-ranks."""
    seg = pd.Series([0] * 50 + [1] * 50 + [-1] * 7)  # noise (-1) is left out
    churn = pd.Series([1] * 30 + [0] * 20 + [1] * 10 + [0] * 40 + [1] * 7)
    res = chi_square_by_segment(seg, churn)
    # observed 30 20 / 10 40, expected 20 30 / 20 30
    x2 = 10**2 / 20 * 2 + 10**2 / 30 * 2
    assert res["statistic"] == pytest.approx(x2) and res["df"] == 1 and res["n"] == 100
    assert res["effect"] == pytest.approx(np.sqrt(x2 / 100))
    assert res["min_expected"] == pytest.approx(20.0)
    text = describe_test(res, "Churn by segment")
    assert "X^2(1) = 16.7" in text and "p < 0.001" in text and "more than chance" in text
    assert "effect is medium" in text  # V = 0.41: between Cohen's 0.3 and 0.5

    sat = pd.Series([1, 2, 2, 3] + [3, 4, 5, 5], index=range(8))
    groups = pd.Series([0] * 4 + [1] * 4, index=range(8))
    ranks = sat.rank().to_numpy()  # mid-ranks: 1, 2.5, 2.5, 4.5, 4.5, 6, 7.5, 7.5
    n, r0, r1 = 8, ranks[:4].sum(), ranks[4:].sum()
    h = 12 / (n * (n + 1)) * (r0**2 / 4 + r1**2 / 4) - 3 * (n + 1)
    ties = 1 - sum(t**3 - t for t in (2, 2, 2)) / (n**3 - n)
    kw = kruskal_by_segment(groups, sat)
    assert kw["statistic"] == pytest.approx(h / ties) and kw["df"] == 1
    assert kw["effect"] == pytest.approx(h / ties / (n - 1))
    assert effect_size_label({**kw, "effect": 0.008}) == "negligible"
    assert effect_size_label({**res, "effect": 0.2, "min_dim": 5}) == "medium"  # 0.3 / 2 < 0.2
    flat = kruskal_by_segment(groups, pd.Series(3, index=range(8)))
    assert "not testable" in describe_test(flat, "Satisfaction")


def test_profiles_with_dbscan_noise_put_it_last_without_warnings():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0, 11.0, 50.0], "b": [0.0, 1.0, 0.0, 5.0, 6.0, 9.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked RuntimeWarning would show in the report
        prof = profile_segments(X, [1, 1, 1, 0, 0, -1])
    assert prof["segment"].tolist() == [0, 1, -1, "all"]
    assert prof.loc[2, "segment_name"] == "Unassigned (noise)"


def test_method_sentences_print_no_negative_zero():
    table = pd.DataFrame({"method": ["kmeans", "gmm"], "n_segments": [3, 3], "noise_share": [0.0, 0.0],
                          "ari_vs_reference": [1.0, -0.001], "ari_vs_truth": [-0.002, 0.5]})
    text = describe_methods(table)
    assert "-0.00" not in text and "(ARI 0.00)" in text and "ARI 0.50 against" in text


def test_truth_helpers(tmp_path):
    assert load_truth_segments("") is None
    assert truth_ari(pd.Series([0, 1]), None) is None
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "segment": ["x", "x", "y", "y"]}).to_csv(
        tmp_path / "labels.csv", index=False)
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"n_customers": 4, "segments": {"labels_file": "labels.csv"}}))
    assert load_truth_segments(path, n_customers=5) is None  # another data set
    truth = load_truth_segments(path, n_customers=4)
    assert truth_ari(pd.Series([1, 1, 0, 0], index=["a", "b", "c", "d"]), truth) == 1.0


# --------------------------------------------------------------------------- the notebook


@pytest.mark.notebook
def test_notebook_runs_on_a_small_world(tmp_path):
    data = tmp_path / "data"
    make_world(n_customers=600, seed=11).write(data)
    # a survey that partly belongs to other customers: the notebook must say how many
    survey = pd.read_csv(data / "survey.csv")
    linked = survey["customer_id"].notna().to_numpy().nonzero()[0]
    survey.loc[linked[:9], "customer_id"] = [f"X{i:03d}" for i in range(9)]
    survey.to_csv(data / "survey_partial.csv", index=False)
    out = tmp_path / "out"
    from conftest import run_notebook

    metrics = run_notebook("03_segmentation", out, data_path=str(data / "customers.csv"),
                           transactions_path=str(data / "transactions.csv"),
                           customers_path=str(data / "customers.csv"),
                           survey_path=str(data / "survey_partial.csv"), truth_path=str(data / "truth.json"),
                           n_boot=4, seed=5)
    assert metrics["k"] == 4 and metrics["method"] == "kmeans"
    assert metrics["criterion"] == "majority" and metrics["k_chosen"] == 4
    assert metrics["k_rule"] in ("unanimous", "majority")
    assert metrics["criteria_agree"] == (len(set(metrics["k_by_criterion"].values())) == 1)
    joins = pd.read_csv(out / "joins.csv").set_index("right")
    assert len(joins) == 4 and (joins["left_rows"] == 600).all()
    sv = joins.loc[f"survey ({data / 'survey_partial.csv'})"]
    assert sv["right_rows"] == len(linked) and sv["right_matched"] == len(linked) - 9
    assert sv["left_matched"] < 600  # not every customer answered: counted, not warned
    for name in ("transactions", "customers", "known segments"):
        row = joins.loc[[r for r in joins.index if r.startswith(name + " (")][0]]
        assert row["left_matched"] > 0
    text = (out / "03_segmentation.ipynb").read_text()
    assert f"9 of {len(linked):,} rows of survey" in text and "X000" in text
    assert "rows of survey (" in text and "have one found in features" in text  # the sentences
    assert 0.3 < metrics["silhouette"] <= 1
    assert 0.8 <= metrics["stability_ari"] <= 1
    assert metrics["truth_ari"] >= 0.8
    segs = pd.read_csv(out / "segments.csv")
    assert list(segs.columns) == ["customer_id", "segment", "segment_name"] and len(segs) == 600
    prof = pd.read_csv(out / "profiles.csv")
    assert {"segment", "segment_name", "n", "share", "churn_rate", "satisfaction"} <= set(prof.columns)
    assert prof.loc[prof["segment"] != "all", "n"].sum() == 600
    rfm = pd.read_csv(out / "rfm_segments.csv")
    assert {"customer_id", "R", "F", "M", "rfm_segment"} <= set(rfm.columns)
    assert (out / "metrics.json").exists() and json.loads((out / "metrics.json").read_text())
    assert (out / "segment_map.png").exists() and (out / "profile_heatmap.png").exists()


@pytest.mark.notebook
def test_notebook_builds_segments_from_transactions_alone(tmp_path):
    data = tmp_path / "data"
    make_world(n_customers=400, seed=12).write(data)
    # every fifth purchase is half returned: RFM monetary must be net spend
    tx = pd.read_csv(data / "transactions.csv")
    returns = tx.iloc[::5].assign(amount=lambda d: -(d["amount"] / 2).round(2))
    pd.concat([tx, returns]).to_csv(data / "tx_returns.csv", index=False)
    from conftest import run_notebook

    metrics = run_notebook("03_segmentation", tmp_path / "out", data_path="",
                           transactions_path=str(data / "tx_returns.csv"), customers_path="",
                           survey_path="", features=["recency", "frequency", "monetary"],
                           k=3, n_boot=3, seed=1, truth_path=str(data / "truth.json"),
                           allow_returns=True)
    assert metrics["k"] == 3 and metrics["allow_returns"] is True
    assert "k_rule" not in metrics  # k was given: no rule chose it
    rfm = pd.read_csv(tmp_path / "out" / "rfm_segments.csv").set_index("customer_id")
    net = pd.concat([tx, returns]).groupby("customer_id")["amount"].sum()
    assert rfm["monetary"].to_numpy() == pytest.approx(net.reindex(rfm.index).to_numpy())
    assert (rfm["monetary"] < tx.groupby("customer_id")["amount"].sum().reindex(rfm.index)).any()
    purchase_days = tx.assign(day=tx["timestamp"].str[:10]).groupby("customer_id")["day"].nunique()
    assert (rfm["frequency"] == purchase_days.reindex(rfm.index)).all()  # returns add no purchase
    assert "M below is their net spend" in (tmp_path / "out" / "03_segmentation.ipynb").read_text()
    # purchases are generated independently of the latent segments, so RFM clusters cannot
    # find them: the notebook's truth check must say so (ARI near 0)
    assert abs(metrics["truth_ari"]) < 0.05
    segs = pd.read_csv(tmp_path / "out" / "segments.csv")
    assert len(segs) == 400


def test_majority_of_the_k_criteria_decides_and_the_silhouette_breaks_a_three_way_split():
    from cxlib.segments import criterion_choices, majority_k

    table = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.40, 0.52, 0.50, 0.30],
                          "calinski_harabasz": [900.0, 1000.0, 1500.0, 1400.0],
                          "bic": [500.0, 450.0, 300.0, 320.0]})
    choices = criterion_choices(table)
    assert choices == {"silhouette": 3, "calinski_harabasz": 4, "bic": 4}
    assert majority_k(choices) == 4
    assert majority_k({"silhouette": 3, "calinski_harabasz": 5, "bic": 4}) == 3
    assert majority_k({"silhouette": 3, "calinski_harabasz": 5}) == 3  # BIC unavailable: a 1-1 tie
    text = describe_selection(table.assign(chosen=table["k"] == 4, bic_degenerate=False), "majority")
    assert text.startswith("The criteria disagree: the silhouette prefers k = 3;")
    assert "The rule is the majority: k = 4 segments, the k that 2 of the 3 criteria prefer" in text


def test_majority_criterion_recovers_four_segments_where_the_silhouette_alone_says_three():
    """Four groups, two of them close: the silhouette merges the close pair (k = 3), the
    Calinski-Harabasz index and the BIC find four, and the majority takes the true k."""
    from cxlib.segments import criterion_choices

    rng = np.random.default_rng(2)
    centers = np.array([[0, 0], [3.5, 0], [12, 0], [6, 12]], dtype=float)
    lab = rng.integers(0, 4, 2000)
    X = pd.DataFrame(centers[lab] + rng.normal(size=(2000, 2)), columns=["a", "b"])
    seg = Segmenter(k_range=(2, 6), criterion="majority", seed=0, log=False).fit(X)
    assert criterion_choices(seg.selection_) == {"silhouette": 3, "calinski_harabasz": 4, "bic": 4}
    assert seg.k_ == 4 and adjusted_rand_score(lab, seg.labels_) > 0.9
    assert Segmenter(k_range=(2, 6), seed=0, log=False).fit(X).k_ == 3  # silhouette alone


def test_adjusted_rand_codes_text_labels_and_gives_scikit_learns_index():
    from cxlib.segments.validation import adjusted_rand

    rng = np.random.default_rng(4)
    names = rng.choice(np.array(["Champions", "At risk", "Loyal", "New"], dtype=object), 5000)
    found = rng.integers(0, 4, 5000)
    found[names == "Loyal"] = 9  # one segment found exactly
    assert adjusted_rand(names, found) == pytest.approx(adjusted_rand_score(names, found), abs=1e-15)
    assert adjusted_rand(pd.Series(names), found) == adjusted_rand(names, found)
    assert adjusted_rand(names, names) == 1.0
