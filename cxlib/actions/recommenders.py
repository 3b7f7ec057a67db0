"""Three recommenders on implicit feedback (purchase counts), one verb set.

Each takes the customers x items count matrix: ``fit(counts)`` returns ``self``; ``recommend(counts,
k)`` returns, per customer, the ``k`` items with the highest score among those the customer has
not bought, as ``(items, scores)`` arrays of shape ``(n_customers, k)``; ``recommend(counts, k,
rows=positions)`` lists only those customers (rows of the fitted matrix), in that order.

- :class:`PopularityRecommender`: the baseline, items by the number of customers who bought them.
- :class:`ItemItemRecommender`: item-based collaborative filtering (Sarwar et al. 2001) on
  BM25-weighted counts (Robertson & Zaragoza 2009), the similarities computed by ``implicit``.
- :class:`ALSRecommender`: implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008),
  fitted by ``implicit``'s conjugate-gradient ALS; on many customers the factors are learned on a
  seeded sample and every customer's own factors follow from them (:func:`fold_in`).

When a customer's neighbours give fewer than ``k`` items, the item-item list is filled up with
the most popular items they have not bought (and says so by a score of 0).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..core.sampling import limited_sample

__all__ = ["METHODS", "PopularityRecommender", "ItemItemRecommender", "ALSRecommender", "fold_in", "make_recommender",
           "popular_unbought", "recommendation_table", "RECOMMENDATION_COLUMNS", "top_k", "top_k_sparse"]

RECOMMENDATION_COLUMNS = ["customer_id", "rank", "item", "score", "method"]

BATCH = 20_000  # customers per scoring batch (popularity, item-item, wide-catalogue ALS): bounds memory


def _implicit():
    """Import implicit quietly: its progress bars warn in notebooks without widgets, and they are off."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import implicit.cpu.als
        import implicit.nearest_neighbours
    return implicit


def popular_unbought(order: np.ndarray, exclude: sp.csr_matrix, k: int) -> np.ndarray:
    """For every row of ``exclude``, the first ``k`` items of ``order`` not excluded in that row.

    ``order`` lists items best first. With the excluded ranks of a row sorted, ``b_0 < b_1 < ...``,
    the ``j``-th free rank is ``j`` plus the number of ``t`` with ``b_t - t <= j``, which gives
    every list at once without a loop over customers. Rows with fewer than ``k`` free items get -1.
    """
    n_items = len(order)
    rank = np.empty(n_items, dtype=np.int64)
    rank[order] = np.arange(n_items)
    out = np.full((exclude.shape[0], k), -1, dtype=np.int64)
    for start in range(0, exclude.shape[0], BATCH):
        block = exclude[start:start + BATCH].tocsr()
        nnz = np.diff(block.indptr)
        width = max(int(nnz.max(initial=0)), 1)
        banned = np.full((block.shape[0], width), np.iinfo(np.int64).max, dtype=np.int64)
        rows = np.repeat(np.arange(block.shape[0]), nnz)
        cols = np.arange(len(block.indices)) - np.repeat(block.indptr[:-1], nnz)
        banned[rows, cols] = rank[block.indices]
        banned.sort(axis=1)
        shift = banned - np.arange(width)  # free ranks before each banned one; non-decreasing
        # the j-th free rank: j plus the banned ranks before it
        free = np.column_stack([j + (shift <= j).sum(axis=1) for j in range(k)])
        ok = free < n_items
        out[start:start + BATCH] = np.where(ok, order[np.minimum(free, n_items - 1)], -1)
    return out


class PopularityRecommender:
    """Recommend the items most customers bought, the same list for everyone (minus own purchases).

    Attributes
    ----------
    popularity_ : ndarray
        Number of customers who bought each item.
    """

    name = "popularity"

    def fit(self, counts: sp.csr_matrix) -> PopularityRecommender:
        counts = sp.csr_matrix(counts)
        self.popularity_ = np.bincount(counts.indices, minlength=counts.shape[1]).astype(float)
        # ties by item code, so the list does not depend on the sort algorithm
        self.order_ = np.lexsort((np.arange(counts.shape[1]), -self.popularity_))
        return self

    def recommend(self, counts: sp.csr_matrix, k: int = 10, rows=None) -> tuple[np.ndarray, np.ndarray]:
        counts = sp.csr_matrix(counts)
        items = popular_unbought(self.order_, counts if rows is None else counts[rows], k)
        scores = np.where(items >= 0, self.popularity_[np.maximum(items, 0)], np.nan)
        return items, scores


CELLS = 8_000_000  # customer x item scores held at once when scoring (64 MB as float64)


def _rows_per_block(n_items: int) -> int:
    return max(1, CELLS // max(n_items, 1))


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a dense score block, the ``k`` best items, best first; ``-inf`` marks items not
    to list (bought, or never reached) and gives -1 and NaN when a row has fewer than ``k``."""
    n, m = scores.shape
    kk = min(k, m)
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)  # best first, ties by item code
    part, vals = np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), np.nan)
    listed = np.isfinite(vals)
    items[:, :kk] = np.where(listed, part, -1)
    values[:, :kk] = np.where(listed, vals, np.nan)
    return items, values


def _dense(block: sp.csr_matrix, fill: float = -np.inf) -> np.ndarray:
    """A sparse block as a dense array with ``fill`` where nothing is stored."""
    out = np.full(block.shape, fill)
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    out[rows, block.indices] = block.data
    return out


def _mask_bought(scores: np.ndarray, counts: sp.csr_matrix) -> np.ndarray:
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    scores[rows, counts.indices] = -np.inf
    return scores


def top_k_sparse(scores: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k` of the stored entries of each row of a sparse block (others are not listed).

    A dense block costs time for every item; when few items have a score, one stable sort on
    ``2 row + (1 - scaled score)`` (row first, then best score, then item code) costs time only
    for the stored ones.
    """
    scores = scores.tocsr()
    scores.sort_indices()
    n = scores.shape[0]
    cells = n * scores.shape[1]
    if scores.nnz > 0.25 * cells and cells <= 4 * CELLS:  # nearly dense: the dense selection is faster
        return top_k(_dense(scores), k)
    nnz = np.diff(scores.indptr)
    rows = np.repeat(np.arange(n), nnz)
    data = scores.data.astype(np.float64)
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), np.nan)
    if not len(data):
        return items, values
    low, high = data.min(), data.max()
    scaled = (data - low) / (high - low) if high > low else np.zeros_like(data)
    order = np.argsort(2.0 * rows + (1.0 - scaled), kind="stable")
    pos = np.arange(len(order)) - np.repeat(scores.indptr[:-1], nnz)
    keep = pos < k
    items[rows[keep], pos[keep]] = scores.indices[order][keep]
    values[rows[keep], pos[keep]] = data[order][keep]
    return items, values


class ItemItemRecommender:
    """Item-based collaborative filtering on BM25-weighted purchase counts.

    With counts :math:`r_{ui}`, each item is a "document" whose "terms" are its customers:

    .. math::

        w_{iu} = \\frac{r_{ui}(K_1 + 1)}{K_1\\left(1 - B + B\\,L_i/\\bar L\\right) + r_{ui}}
                 \\left(\\log N - \\log(1 + n_u)\\right),

    with :math:`L_i` the item's total purchases, :math:`\\bar L` their mean, :math:`N` the number of
    items and :math:`n_u` the number of distinct items customer :math:`u` bought. The similarity
    of items :math:`i, j` is :math:`s_{ij} = \\sum_u w_{iu} w_{ju}`, keeping the ``neighbours``
    largest per item, and the score of an item for a customer is :math:`\\sum_{j} r_{uj} s_{ji}`.

    Parameters
    ----------
    neighbours : int
        Similar items kept per item (implicit's ``K``).
    k1, b : float
        BM25's saturation and length normalisation.
    threads : int
        Threads for the similarity computation.
    """

    name = "item_item"

    def __init__(self, neighbours: int = 50, k1: float = 1.2, b: float = 0.75, threads: int = 1):
        self.neighbours = neighbours
        self.k1 = k1
        self.b = b
        self.threads = threads

    def fit(self, counts: sp.csr_matrix) -> ItemItemRecommender:
        BM25Recommender = _implicit().nearest_neighbours.BM25Recommender
        counts = sp.csr_matrix(counts, dtype=np.float32)
        model = BM25Recommender(K=self.neighbours, K1=self.k1, B=self.b, num_threads=self.threads)
        with warnings.catch_warnings():
            # implicit's own BM25 step hands its similarity search a COO matrix and says so
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            model.fit(counts, show_progress=False)
        self.similarity_ = model.similarity.tocsr()
        self.fallback_ = PopularityRecommender().fit(counts)
        return self

    def scores(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """:math:`\\sum_j r_{uj} s_{ji}` for every customer and item, the items bought removed."""
        counts = sp.csr_matrix(counts, dtype=np.float64)
        raw = (counts @ self.similarity_.astype(np.float64)).tocsr()
        bought = counts.copy()
        bought.data[:] = 1.0
        return (raw - raw.multiply(bought)).tocsr()

    def recommend(self, counts: sp.csr_matrix, k: int = 10, rows=None) -> tuple[np.ndarray, np.ndarray]:
        counts = sp.csr_matrix(counts)
        if rows is not None:  # a customer's scores depend on their own row only
            counts = counts[rows]
        items = np.full((counts.shape[0], k), -1, dtype=np.int64)
        values = np.full((counts.shape[0], k), np.nan)
        step = BATCH
        for start in range(0, counts.shape[0], step):
            block = counts[start:start + step]
            scored = self.scores(block)
            scored.eliminate_zeros()  # an item no neighbour reaches is not listed
            got, val = top_k_sparse(scored, k)
            short = (got < 0).any(axis=1)
            if short.any():  # fill with popular items neither bought nor already listed
                listed = sp.csr_matrix((np.ones(int((got[short] >= 0).sum())),
                                        (np.nonzero(got[short] >= 0)[0], got[short][got[short] >= 0])),
                                       shape=(int(short.sum()), counts.shape[1]))
                exclude = (block[np.flatnonzero(short)] + listed).tocsr()
                fill = popular_unbought(self.fallback_.order_, exclude, k)
                # the empty slots are the last ones: slot j takes fill item j - (items already listed)
                n_have = (got[short] >= 0).sum(axis=1)
                src = np.arange(k)[None, :] - n_have[:, None]
                take = np.take_along_axis(fill, np.maximum(src, 0), axis=1)
                rows = np.where(src >= 0, take, got[short])
                vals = np.where(src >= 0, np.where(take >= 0, 0.0, np.nan), val[short])
                got[short], val[short] = rows, vals
            items[start:start + step], values[start:start + step] = got, val
        return items, values


def fold_in(confidence: sp.csr_matrix, item_factors: np.ndarray, regularization: float) -> np.ndarray:
    """Every row's factors given the item factors: the exact least-squares step of ALS.

    For customer :math:`u` with confidences :math:`C^u` (diagonal) and preferences :math:`p(u)`,
    Hu, Koren & Volinsky (2008, eq. 4):

    .. math::

        x_u = \\left(Y^\\top Y + Y^\\top (C^u - I) Y + \\lambda I\\right)^{-1} Y^\\top C^u p(u).

    Only a customer's bought items enter :math:`Y^\\top (C^u - I) Y` and :math:`Y^\\top C^u p(u)`, so
    for all customers at once both are products of the sparse confidence matrix (its stored values
    :math:`c_{ui}`, as :meth:`ALSRecommender.confidence` builds it) with a per-item table: the
    outer products :math:`y_i y_i^\\top`, and :math:`Y`. The small systems are solved in blocks.

    Returns
    -------
    ndarray of shape (n_rows, factors), float32 like ``implicit``'s factors.
    """
    Y = np.asarray(item_factors, dtype=np.float64)
    n, f = confidence.shape[0], Y.shape[1]
    base = Y.T @ Y + regularization * np.eye(f)
    outer = (Y[:, :, None] * Y[:, None, :]).reshape(len(Y), f * f)
    out = np.empty((n, f), dtype=np.float32)
    step = max(1, CELLS // (f * f))
    for start in range(0, n, step):
        block = sp.csr_matrix(confidence[start:start + step], dtype=np.float64)
        minus_one = block.copy()
        minus_one.data -= 1.0
        A = np.asarray(minus_one @ outer).reshape(-1, f, f) + base
        b = np.asarray(block @ Y)
        out[start:start + step] = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    return out


class ALSRecommender:
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008).

    Preference :math:`p_{ui} = 1` if :math:`r_{ui} > 0` else 0, confidence
    :math:`c_{ui} = 1 + \\alpha r_{ui}`, and factors minimising

    .. math::

        \\sum_{u,i} c_{ui}\\left(p_{ui} - x_u^\\top y_i\\right)^2
        + \\lambda\\Big(\\sum_u \\lVert x_u\\rVert^2 + \\sum_i \\lVert y_i\\rVert^2\\Big),

    solved by alternating least squares (``implicit``'s conjugate-gradient solver). ``implicit``
    reads the stored value of an observed pair as its confidence, so the matrix passed to it
    holds :math:`1 + \\alpha r_{ui}` exactly.

    Parameters
    ----------
    factors, regularization, alpha, iterations : model settings (:math:`\\lambda` is ``regularization``)
    seed : int
        Seeds the factors' random start (``random_state``) and the fit sample; nothing global is
        seeded.
    threads : int
        Threads of the solver. BLAS is held to one thread while fitting, so a run repeats
        exactly; scoring is one matrix product per block of customers.
    max_fit_rows : int
        When more customers than this have bought anything, the factors are fitted on a seeded
        random sample of that many of them; then every customer's factors, the sample's too, are
        the exact least-squares solution given the fitted item factors (:func:`fold_in`, the step
        ALS itself alternates). The item factors describe the catalogue, which a random sample of
        customers estimates as well; the cost of each sweep grows with the customers. 0: all.

    Attributes
    ----------
    model_ : implicit's fitted model (its ``user_factors`` are every customer's)
    fit_rows_, buyers_ : int
        How many customers the factors were fitted on, of how many who bought anything.
    """

    name = "als"
    #: catalogue size from which lists use implicit's compiled top-k (measured on 2 cores: below
    #: it, a numpy block is faster; above it, implicit is several times faster)
    compiled_top_k_from = 10_000

    def __init__(self, factors: int = 8, regularization: float = 0.1, alpha: float = 10.0,
                 iterations: int = 15, seed: int = 0, threads: int = 1, max_fit_rows: int = 0):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.threads = threads
        self.max_fit_rows = max_fit_rows

    def confidence(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        conf = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        conf.data = 1.0 + self.alpha * conf.data
        return conf

    def sample(self, counts: sp.csr_matrix) -> tuple[np.ndarray | None, int]:
        """Rows the factors are fitted on: a seeded sample of the customers who bought anything,
        when there are more than ``max_fit_rows`` of them, else None (all rows); and how many bought."""
        buyers = np.flatnonzero(np.diff(sp.csr_matrix(counts).indptr) > 0)
        rows = limited_sample(len(buyers), self.max_fit_rows, self.seed)
        return (None if rows is None else buyers[rows]), len(buyers)

    def fit(self, counts: sp.csr_matrix) -> ALSRecommender:
        from threadpoolctl import threadpool_limits

        AlternatingLeastSquares = _implicit().cpu.als.AlternatingLeastSquares

        counts = sp.csr_matrix(counts)
        rows, self.buyers_ = self.sample(counts)
        confidence = self.confidence(counts)
        with threadpool_limits(1, "blas"):  # implicit warns (and slows) when BLAS runs threads of its own
            model = AlternatingLeastSquares(factors=self.factors, regularization=self.regularization, alpha=1.0,
                                            iterations=self.iterations, random_state=self.seed,
                                            num_threads=self.threads)
            model.fit(confidence if rows is None else confidence[rows], show_progress=False)
            if rows is not None:
                model.user_factors = fold_in(confidence, model.item_factors, self.regularization)
                model._user_norms = model._XtX = None  # implicit's caches of the user factors
        self.model_ = model
        self.fit_rows_ = self.buyers_ if rows is None else len(rows)
        return self

    def recommend(self, counts: sp.csr_matrix, k: int = 10, rows=None) -> tuple[np.ndarray, np.ndarray]:
        counts = sp.csr_matrix(counts, dtype=np.float32)
        # the fitted factors belong to the rows of the fitted matrix: pick the same rows of both
        if rows is None:
            rows = np.arange(counts.shape[0])
        else:
            rows = np.asarray(rows, dtype=np.int64)
            counts = counts[rows]
        items = np.full((counts.shape[0], k), -1, dtype=np.int64)
        values = np.full((counts.shape[0], k), np.nan)
        if counts.shape[1] >= self.compiled_top_k_from:
            # implicit's compiled, threaded top-k: several times faster per score on a wide catalogue
            for start in range(0, counts.shape[0], BATCH):
                at = np.arange(start, min(start + BATCH, counts.shape[0]))
                got, val = self.model_.recommend(rows[at], counts[at], N=k, filter_already_liked_items=True)
                items[at], values[at] = got, val
            return items, values
        users, products = self.model_.user_factors[rows], self.model_.item_factors
        step = _rows_per_block(counts.shape[1])
        # on a small catalogue implicit's top-k slices its filter a few customers at a time, and one
        # matrix product per block of customers, bought items masked, is faster
        for start in range(0, counts.shape[0], step):
            stop = min(start + step, counts.shape[0])
            scores = users[start:stop] @ products.T
            items[start:stop], values[start:stop] = top_k(_mask_bought(scores, counts[start:stop]), k)
        return items, values


METHODS = {"popularity": PopularityRecommender, "item_item": ItemItemRecommender, "als": ALSRecommender}


def make_recommender(method: str, *, seed: int = 0, threads: int = 1, max_fit_rows: int = 0, **settings):
    """A recommender by name (``popularity``, ``item_item`` or ``als``) with its settings
    (``max_fit_rows``: ALS's fit sample, see :class:`ALSRecommender`)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if method == "popularity":
        return PopularityRecommender()
    if method == "item_item":
        return ItemItemRecommender(threads=threads, **settings)
    return ALSRecommender(seed=seed, threads=threads, max_fit_rows=max_fit_rows, **settings)


def recommendation_table(items: np.ndarray, scores: np.ndarray, customers: pd.Index, labels: pd.Index,
                         method: str) -> pd.DataFrame:
    """Lists as rows, ``recommendations.csv``: ``customer_id, rank, item, score, method`` (rank 1 = best)."""
    items = np.asarray(items)
    row, slot = np.nonzero(items >= 0)
    return pd.DataFrame({"customer_id": np.asarray(customers, dtype=object)[row], "rank": slot + 1,
                         "item": np.asarray(labels, dtype=object)[items[row, slot]],
                         "score": np.asarray(scores)[row, slot], "method": method})
