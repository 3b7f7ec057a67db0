"""Recommendations against the synthetic world's truth: do the lists follow each customer's taste?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import load_truth

__all__ = ["load_tastes", "taste_match", "holdout_taste_match"]


def load_tastes(truth_path, *, n_customers: int | None = None, observation_end=None) -> dict | None:
    """The true taste group of every customer and the group of every product, or None.

    None when ``truth_path`` is ``""``/None, describes other data (:func:`cxlib.core.load_truth`)
    or has no ``"products"`` section. Returns ``{"tastes": Series by customer id, "groups":
    Series by product id, "staples": list}``.
    """
    known = load_truth(truth_path, n_customers=n_customers, observation_end=observation_end)
    section = known.section("products") if known is not None else {}
    if not section:
        return None
    tastes = pd.read_csv(known.file(section["tastes_file"]), dtype=str)
    products = pd.read_csv(known.file(section["products_file"]), dtype={"product_id": str, "group": str})
    return {"tastes": tastes.set_index("customer_id")["taste_group"],
            "groups": products.set_index("product_id")["group"],
            "staples": list(section["staples"])}


def _codes(known: dict, customers, items: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The customers' tastes and the items' groups as codes of one shared vocabulary (-1 and -2,
    unknown, never match), and which items are staples."""
    names = pd.Index(pd.unique(pd.concat([known["tastes"], known["groups"]]).dropna().astype(str)))
    taste = names.get_indexer(known["tastes"].reindex(customers).astype(object))
    group = names.get_indexer(known["groups"].reindex(items).astype(object))
    return taste, np.where(group < 0, -2, group), np.asarray(items.isin(known["staples"]))


def _shares(method: str, picked: np.ndarray, taste: np.ndarray, group: np.ndarray, staple: np.ndarray) -> dict:
    """One row of :func:`taste_match`: ``picked`` holds item codes (-1 an empty slot), one row of
    codes per customer, whose taste codes are ``taste`` (:func:`_codes`)."""
    listed = picked >= 0
    codes = np.where(listed, picked, 0)
    match = (group[codes] == taste[:, None]) & listed & (taste[:, None] >= 0)
    is_staple = staple[codes] & listed
    n, n_staple = int(listed.sum()), int(is_staple.sum())
    other = n - n_staple
    return {"method": method, "listed": n, "in_taste_group": match.sum() / n if n else float("nan"),
            "staples": n_staple / n if n else float("nan"),
            "in_taste_group_of_non_staples": (match & ~is_staple).sum() / other if other else float("nan")}


def taste_match(recommendations: pd.DataFrame, known: dict) -> pd.DataFrame:
    """Per method: the share of listed products in the customer's true taste group.

    Columns ``method, listed, in_taste_group, staples, in_taste_group_of_non_staples``: the share
    of all listed items that belong to the customer's taste group, the share that are staples
    (bought by everyone, so in no taste group) and the taste share among the other items.
    ``recommendations`` has a row per listed item (``recommendations.csv``).
    """
    items = pd.Index(pd.unique(recommendations["item"].astype(object)))
    taste, group, staple = _codes(known, recommendations["customer_id"].to_numpy(dtype=object), items)
    picked = items.get_indexer(recommendations["item"].astype(object))
    rows = []
    for method, at in recommendations.groupby("method", sort=False).indices.items():
        rows.append(_shares(method, picked[at][:, None], taste[at], group, staple))  # one listed item per row
    return pd.DataFrame(rows)


def holdout_taste_match(comparison, purchases, known: dict) -> pd.DataFrame:
    """:func:`taste_match` of every method's holdout lists, over the customers the holdout scored.

    Computed on the lists' item codes, not on a table of their ids (7 million rows on a million
    customers): the same shares as :func:`taste_match` of their
    :func:`~cxlib.actions.recommenders.recommendation_table`.
    """
    scored = comparison.evaluated
    taste, group, staple = _codes(known, purchases.customers[scored], purchases.items)
    return pd.DataFrame([_shares(method, lists[scored], taste, group, staple)
                         for method, lists in comparison.lists.items()])
