"""The recommenders side by side: fitted before the holdout start, judged after it, the best one
refitted on every purchase for the lists the team uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .evaluation import evaluate_methods
from .purchases import Purchases
from .recommenders import METHODS, make_recommender, recommendation_table
from .sentences import recall_lift

__all__ = ["Comparison", "compare_recommenders", "recommend_all", "check_methods"]


def check_methods(methods) -> list[str]:
    """The methods asked for, checked against :data:`METHODS`; popularity is always compared."""
    methods = [m for m in (methods or []) if m not in (None, "")]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must name some of {', '.join(METHODS)}; got {methods!r}")
    return list(dict.fromkeys(["popularity", *methods]))


@dataclass
class Comparison:
    """What the holdout says.

    Attributes
    ----------
    table : DataFrame
        ``holdout_metrics.csv``, one row per method.
    bootstrap : DataFrame
        Mean recall@k of every method in each customer resample (paired).
    lists : dict of method -> ndarray (n_customers, k)
        The holdout lists (item codes) of the evaluated customers; -1 in the other rows (nothing
        to judge a list by, so none is computed).
    evaluated : ndarray of bool
        Customers scored: a purchase before the holdout start and a new product after it.
    best : str
        The method with the highest recall@k.
    lift : dict
        Recall of ``best`` minus popularity's, with its paired interval and the ratio.
    als_sample : tuple of int or None
        When ALS is compared: the customers its factors were fitted on, and how many bought
        before the holdout start (:class:`ALSRecommender`'s ``max_fit_rows``).
    """

    table: pd.DataFrame
    bootstrap: pd.DataFrame
    lists: dict
    evaluated: np.ndarray
    best: str
    lift: dict
    als_sample: tuple[int, int] | None = None


def compare_recommenders(purchases: Purchases, methods, k: int = 10, *, settings: dict | None = None,
                         seed: int = 0, threads: int = 1, n_bootstrap: int = 1000,
                         confidence: float = 0.95, max_fit_rows: int = 0) -> Comparison:
    """Fit every method on the purchases before the holdout start and score its top ``k`` after it.

    ``settings`` maps a method to its keyword arguments (``{"als": {"factors": 8}}``). Popularity
    is always included, as the baseline. The bootstrap resamples customers with ``seed``.
    ``max_fit_rows`` bounds the customers ALS's factors are fitted on (:class:`ALSRecommender`);
    every customer is still scored.
    """
    if purchases.holdout_start is None:
        raise ValueError("the comparison needs purchases counted with a holdout_start")
    if int(k) < 1:
        raise ValueError(f"k is the length of each list, at least 1; got {k!r}")
    methods = check_methods(methods)
    train, relevant = purchases.matrix("before"), purchases.new_in_holdout()
    evaluated = (np.diff(train.indptr) > 0) & (np.diff(relevant.indptr) > 0)
    catalogue = int((np.bincount(train.indices, minlength=train.shape[1]) > 0).sum())
    lists, scored, als_sample = {}, np.flatnonzero(evaluated), None
    for method in methods:
        model = make_recommender(method, seed=seed, threads=threads, max_fit_rows=max_fit_rows,
                                 **(settings or {}).get(method, {}))
        lists[method] = np.full((train.shape[0], int(k)), -1, dtype=np.int64)
        lists[method][scored] = model.fit(train).recommend(train, int(k), rows=scored)[0]
        if method == "als":
            als_sample = (model.fit_rows_, model.buyers_)
    table, boot = evaluate_methods(lists, relevant, evaluated, catalogue, n_bootstrap=n_bootstrap,
                                   confidence=confidence, seed=seed)
    best = str(table.sort_values(["recall_at_k", "method"], ascending=[False, True])["method"].iloc[0])
    return Comparison(table, boot, lists, evaluated, best, recall_lift(boot, best, "popularity", confidence),
                      als_sample)


def recommend_all(purchases: Purchases, method: str, k: int = 10, *, settings: dict | None = None,
                  seed: int = 0, threads: int = 1, max_fit_rows: int = 0) -> pd.DataFrame:
    """``method`` fitted on every purchase; the top ``k`` unbought items of every customer as rows
    (``max_fit_rows`` as in :func:`compare_recommenders`)."""
    counts = purchases.matrix("all")
    model = make_recommender(method, seed=seed, threads=threads, max_fit_rows=max_fit_rows,
                             **(settings or {}).get(method, {}))
    items, scores = model.fit(counts).recommend(counts, int(k))
    return recommendation_table(items, scores, purchases.customers, purchases.items, method)
