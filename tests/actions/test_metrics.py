"""Golden values: ranking metrics, coverage, the bootstrap, and the recommenders' formulas on
examples small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from cxlib import actions


def test_precision_recall_ndcg_match_a_hand_computed_example():
    """Three customers, six items, k = 3 (log2(3) = 1.5849625, so 1/log2(3) = 0.6309298).

    - customer 0: list [2, 0, 5], relevant {0, 4}: one hit at rank 2. Precision 1/3, recall 1/2,
      DCG = 0.6309298, ideal DCG (2 relevant) = 1 + 0.6309298, NDCG = 0.6309298 / 1.6309298 = 0.386853.
    - customer 1: list [1, 3, empty], relevant {1, 3, 4, 5}: hits at ranks 1 and 2. Precision 2/3,
      recall 2/4, DCG = 1.6309298, ideal DCG (min(3, 4) = 3 slots) = 1 + 0.6309298 + 0.5 = 2.1309298,
      NDCG = 0.765361.
    - customer 2: list [4, 5, 0], nothing relevant: precision 0, recall and NDCG undefined.
    """
    recommended = np.array([[2, 0, 5], [1, 3, -1], [4, 5, 0]])
    relevant = sp.csr_matrix(np.array([[1, 0, 0, 0, 1, 0], [0, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0]]))
    m = actions.ranking_metrics(recommended, relevant)
    assert m["precision_at_k"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert m["recall_at_k"].iloc[:2].tolist() == pytest.approx([0.5, 0.5])
    assert m["ndcg_at_k"].iloc[:2].tolist() == pytest.approx([0.386853, 0.765361], abs=1e-6)
    assert np.isnan(m["recall_at_k"].iloc[2]) and np.isnan(m["ndcg_at_k"].iloc[2])
    assert m["hits"].tolist() == [1, 2, 0] and m["relevant"].tolist() == [2, 4, 0]
    # a perfect list scores 1 everywhere
    perfect = actions.ranking_metrics(np.array([[4, 0, 2]]), relevant[0])
    assert perfect[["recall_at_k", "ndcg_at_k"]].iloc[0].tolist() == [1.0, 1.0]
    assert actions.coverage(recommended[:2], 6) == pytest.approx(5 / 6)


def test_evaluate_methods_scores_only_the_chosen_customers_with_paired_intervals():
    relevant = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
    lists = {"popularity": np.array([[3, 2], [3, 2], [3, 2], [3, 2]]),
             "item_item": np.array([[0, 1], [1, 0], [2, 3], [0, 1]])}
    evaluated = np.array([True, True, True, False])
    table, boot = actions.evaluate_methods(lists, relevant, evaluated, n_items=4, n_bootstrap=200, seed=1)
    assert list(table.columns) == actions.HOLDOUT_COLUMNS
    t = table.set_index("method")
    assert t.loc["item_item", "recall_at_k"] == 1.0 and t.loc["popularity", "recall_at_k"] == pytest.approx(1 / 3)
    assert t.loc["popularity", "coverage"] == 0.5 and t["customers"].tolist() == [3, 3]
    assert t.loc["popularity", "recall_ci_lower"] <= 1 / 3 <= t.loc["popularity", "recall_ci_upper"]
    assert (boot["item_item"] == 1.0).all()  # paired: every resample scores the same customers


def test_bootstrap_means_resample_customers_with_the_seed():
    values = {"a": np.arange(100.0), "b": np.arange(100.0) + 1}
    one = actions.bootstrap_means(values, n_bootstrap=300, seed=4)
    assert one.equals(actions.bootstrap_means(values, n_bootstrap=300, seed=4))
    assert np.allclose(one["b"] - one["a"], 1.0)  # the same customers in both columns
    assert one["a"].mean() == pytest.approx(49.5, abs=1.0)
    assert one["a"].std() == pytest.approx(np.arange(100.0).std() / 10, rel=0.2)  # sd / sqrt(n)


def test_popularity_lists_the_best_sellers_each_customer_has_not_bought():
    order = np.array([3, 1, 0, 2, 4, 5])
    bought = sp.csr_matrix(np.array([[1, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1]]))
    assert actions.popular_unbought(order, bought, 3).tolist() == [[1, 2, 4], [3, 1, 0], [-1, -1, -1], [3, 1, 0]]
    counts = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [0, 0, 3]]))
    model = actions.PopularityRecommender().fit(counts)
    assert model.popularity_.tolist() == [1, 1, 3]
    items, scores = model.recommend(counts, 2)
    assert items.tolist() == [[1, -1], [0, -1], [0, 1]]  # ties (items 0 and 1) by item code
    assert scores[2].tolist() == [1.0, 1.0]


@pytest.mark.filterwarnings("ignore:Method expects CSR input")
def test_item_item_similarity_is_the_bm25_formula_and_scores_are_implicits():
    """w_iu = r (K1 + 1) / (K1 (1 - B + B L_i / mean L) + r) * (log N - log(1 + n_u)); s = W'W."""
    rng = np.random.default_rng(3)
    r = rng.poisson(0.35, size=(30, 9)).astype(float)
    r[r.sum(axis=1) == 0, 0] = 1.0
    model = actions.ItemItemRecommender(neighbours=20).fit(sp.csr_matrix(r))
    k1, b = 1.2, 0.75
    n_items, n_u, length = r.shape[1], (r > 0).sum(axis=1), r.sum(axis=0)
    w = r * (k1 + 1) / (k1 * (1 - b + b * length / length.mean())[None, :] + r)
    w *= (np.log(n_items) - np.log1p(n_u))[:, None]
    assert model.similarity_.toarray() == pytest.approx(w.T @ w, abs=1e-5)
    expected = r @ (w.T @ w)
    expected[r > 0] = 0.0  # bought items are never recommended
    assert model.scores(sp.csr_matrix(r)).toarray() == pytest.approx(expected, abs=1e-4)

    from implicit.nearest_neighbours import BM25Recommender

    theirs = BM25Recommender(K=20, K1=k1, B=b, num_threads=1)
    theirs.fit(sp.csr_matrix(r, dtype=np.float32), show_progress=False)
    ids, values = theirs.recommend(np.arange(len(r)), sp.csr_matrix(r, dtype=np.float32), N=3)
    mine, mine_values = model.recommend(sp.csr_matrix(r), 3)
    positive = values > 1e-9  # implicit pads short lists with zero-score items; ours fills with popular ones
    assert (mine[positive] == ids[positive]).all()
    assert mine_values[positive] == pytest.approx(values[positive], rel=1e-4)
    assert (mine >= 0).sum() >= positive.sum()


def test_als_uses_the_papers_confidence_and_repeats_with_its_seed():
    counts = sp.csr_matrix(np.array([[2, 0, 1], [0, 3, 0]], dtype=float))
    model = actions.ALSRecommender(alpha=10.0, factors=2, iterations=3, seed=5)
    assert model.confidence(counts).toarray().tolist() == [[21, 0, 11], [0, 31, 0]]  # 1 + alpha r
    rng = np.random.default_rng(0)
    big = sp.csr_matrix(rng.poisson(0.3, size=(200, 40)).astype(float))
    one = actions.ALSRecommender(seed=5).fit(big)
    two = actions.ALSRecommender(seed=5).fit(big)
    assert np.array_equal(one.model_.user_factors, two.model_.user_factors)
    other = actions.ALSRecommender(seed=6).fit(big)
    assert not np.allclose(one.model_.item_factors, other.model_.item_factors)
    items, _ = one.recommend(big, 5)
    assert not big[np.arange(200)[:, None], items].toarray().any()  # never an item already bought


def test_recommendation_table_and_unknown_methods():
    table = actions.recommendation_table(np.array([[2, 0], [1, -1]]), np.array([[0.9, 0.5], [0.7, np.nan]]),
                                         pd.Index(["a", "b"]), pd.Index(["x", "y", "z"]), "item_item")
    assert list(table.columns) == actions.RECOMMENDATION_COLUMNS
    assert table.values.tolist() == [["a", 1, "z", 0.9, "item_item"], ["a", 2, "x", 0.5, "item_item"],
                                     ["b", 1, "y", 0.7, "item_item"]]
    with pytest.raises(ValueError, match="methods must name some of popularity, item_item, als"):
        actions.check_methods(["svd"])
    assert actions.check_methods(["als"]) == ["popularity", "als"]


def test_als_lists_the_best_unbought_items_by_the_factor_product():
    rng = np.random.default_rng(2)
    counts = sp.csr_matrix(rng.poisson(0.3, size=(300, 50)).astype(float))
    model = actions.ALSRecommender(factors=4, seed=9).fit(counts)
    items, scores = model.recommend(counts, 5)
    product = model.model_.user_factors @ model.model_.item_factors.T  # x_u'y_i
    assert scores == pytest.approx(np.take_along_axis(product, items, axis=1), rel=1e-4, abs=1e-6)
    product[counts.toarray() > 0] = -np.inf
    best = np.sort(product, axis=1)[:, ::-1][:, :5]
    assert scores == pytest.approx(best, rel=1e-4, abs=1e-6)  # the five best of the unbought
    first, _ = model.recommend(counts[:120], 5)  # the first customers only: their own lists
    assert (first == items[:120]).all()
    model.compiled_top_k_from = 10  # the path for wide catalogues gives the same lists
    wide_items, wide_scores = model.recommend(counts, 5)
    assert (wide_items == items).mean() > 0.99 and wide_scores == pytest.approx(scores, rel=1e-4, abs=1e-6)


def test_sparse_and_dense_top_k_agree():
    rng = np.random.default_rng(5)
    dense = np.where(rng.random((40, 30)) < 0.2, rng.random((40, 30)), 0.0)
    got, values = actions.top_k_sparse(sp.csr_matrix(dense), 4)
    ref, ref_values = actions.top_k(np.where(dense > 0, dense, -np.inf), 4)
    assert (got == ref).all() and np.allclose(values, ref_values, equal_nan=True)
    assert (got[(dense > 0).sum(axis=1) < 4] == -1).any()  # short rows end in empty slots


def test_sentences_read_the_numbers():
    counts = sp.csr_matrix(np.array([[1, 1, 0], [0, 2, 0], [0, 0, 0], [1, 1, 1]], dtype=float))
    text = actions.describe_history(counts, 1)
    # 3 customers with history buy 2, 1 and 3 products: median 2, two bought two or more; 6 of 9 cells
    assert "a median of 2 distinct products (2 bought two or more)" in text and "66.67% filled" in text
    assert "The 1 most bought products account for 50% of the customer-product pairs" in text  # item 1: 3 of 6
    lift = {"difference": 0.143, "ci_lower": 0.112, "ci_upper": 0.177, "ratio": 1.515}
    assert actions.describe_lift(lift, "als") == ("ALS finds 1.51 times as many of the new purchases as popularity: "
                                                  "+14.3 points of recall (paired 95% interval +11.2 to +17.7).")
    unsure = actions.describe_lift({**lift, "ci_lower": -0.01}, "als")
    assert unsure.endswith("the interval includes 0, so the data cannot tell them apart.")


@pytest.mark.parametrize("method", ["popularity", "item_item", "als"])
def test_lists_of_chosen_customers_are_their_rows_of_the_full_lists(method):
    rng = np.random.default_rng(3)
    counts = sp.csr_matrix(rng.poisson(0.3, size=(300, 40)).astype(float))
    model = actions.make_recommender(method, seed=4).fit(counts)
    items, scores = model.recommend(counts, 5)
    rows = np.array([250, 3, 17, 120, 4])  # any order: the lists come in the order asked
    some, some_scores = model.recommend(counts, 5, rows=rows)
    assert (some == items[rows]).all()
    assert np.allclose(some_scores, scores[rows], rtol=1e-5, equal_nan=True)
    if method == "als":  # the compiled path of wide catalogues picks the same customers' factors
        model.compiled_top_k_from = 10
        wide, _ = model.recommend(counts, 5, rows=rows)
        assert (wide == items[rows]).mean() > 0.95


def test_fold_in_is_implicits_exact_least_squares_step():
    """Each customer's factors given the item factors (Hu, Koren & Volinsky 2008, eq. 4) equal
    implicit's own Cholesky solve of that step, customer by customer."""
    rng = np.random.default_rng(7)
    counts = sp.csr_matrix(rng.poisson(0.25, size=(400, 30)).astype(float))
    model = actions.ALSRecommender(factors=5, regularization=0.3, seed=2).fit(counts)
    confidence = model.confidence(counts)
    mine = actions.fold_in(confidence, model.model_.item_factors, 0.3)
    rows = np.arange(0, 400, 3)
    theirs = model.model_.recalculate_user(rows, confidence[rows])
    assert mine.dtype == np.float32 and mine.shape == (400, 5)
    assert np.abs(mine[rows] - theirs).max() < 1e-4 * np.abs(theirs).max()
    # a customer without purchases: b = 0, so x = 0 (ranked by nothing personal)
    assert not mine[np.diff(counts.indptr) == 0].any()


def test_als_fits_on_a_seeded_sample_of_buyers_and_folds_in_every_customer():
    rng = np.random.default_rng(8)
    dense = rng.poisson(0.3, size=(600, 25)).astype(float)
    dense[::10] = 0  # customers who bought nothing are never drawn
    counts = sp.csr_matrix(dense)
    model = actions.ALSRecommender(factors=4, seed=3, max_fit_rows=200).fit(counts)
    rows, buyers = model.sample(counts)
    assert (model.fit_rows_, model.buyers_) == (200, buyers) and buyers == (dense.sum(axis=1) > 0).sum()
    assert len(np.unique(rows)) == 200 and dense[rows].sum(axis=1).min() > 0
    assert np.array_equal(rows, np.sort(rows)) and rows[-1] > 300  # sorted positions, not a prefix
    alone = actions.ALSRecommender(factors=4, seed=3).fit(counts[rows])
    assert np.array_equal(model.model_.item_factors, alone.model_.item_factors)  # the sample's fit
    expected = actions.fold_in(model.confidence(counts), alone.model_.item_factors, model.regularization)
    assert np.array_equal(model.model_.user_factors, expected)
    items, _ = model.recommend(counts, 5)
    assert (items >= 0).all() and not dense[np.arange(600)[:, None], items].any()
    # at or under the limit nothing is sampled: the plain fit
    plain = actions.ALSRecommender(factors=4, seed=3).fit(counts)
    same = actions.ALSRecommender(factors=4, seed=3, max_fit_rows=buyers).fit(counts)
    assert np.array_equal(plain.model_.user_factors, same.model_.user_factors) and same.fit_rows_ == buyers
    assert actions.describe_als_sample((model.fit_rows_, buyers), 200, 3).startswith(
        f"ALS's factors are fitted on a seeded random sample of 200 of the {buyers:,} customers")


def test_taste_match_counts_by_hand():
    """Tastes: a -> g1, b -> g2, c unknown. Products: p1, p2 in g1, p3 in g2, s a staple, q unknown.

    Lists (method m): a gets p1, p3, s; b gets p3, q; c gets p1. Listed 6; in the customer's group:
    a-p1, b-p3 = 2 (c's taste is unknown, q's group too); staples 1; among the 5 others 2 match.
    """
    known = {"tastes": pd.Series({"a": "g1", "b": "g2"}), "staples": ["s"],
             "groups": pd.Series({"p1": "g1", "p2": "g1", "p3": "g2", "s": "staple"})}
    recs = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"], "item": ["p1", "p3", "s", "p3", "q", "p1"],
                         "method": "m"})
    row = actions.taste_match(recs, known).iloc[0]
    assert (row["method"], row["listed"]) == ("m", 6)
    assert row["in_taste_group"] == pytest.approx(2 / 6) and row["staples"] == pytest.approx(1 / 6)
    assert row["in_taste_group_of_non_staples"] == pytest.approx(2 / 5)
