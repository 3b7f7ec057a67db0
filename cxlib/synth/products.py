"""Products for the synthetic world's purchases: latent tastes, a catalogue, and who bought what.

:func:`assign_items` gives every purchase of an existing transaction log a product, so the log
gains an ``item`` column and nothing else changes (dates, amounts and every other number stay
as they were). The truth it records:

- every customer has one latent **taste group** (:func:`taste_groups`), drawn with equal chances;
- the catalogue has a few **staples** (products everyone buys) and ``n_groups`` equal-sized
  groups of the other products; within the staples and within each group, products are
  Zipf-popular (weight ``1 / rank``);
- a purchase is a staple with probability :data:`STAPLE_SHARE` (higher for the first purchase,
  which is when customers buy the basics); otherwise it comes from the customer's taste group
  with probability :data:`TASTE_SHARE` and from a group picked at random with the rest;
  within the chosen group the product is drawn by its popularity.

So popularity alone finds the staples, and a recommender that learns tastes from earlier
purchases can find the rest. The streams (tastes, catalogue, purchases) are children of their
own ``SeedSequence`` (spawn key :data:`STREAM` under the world's seed, or the child the world
hands over in the fixed order of its further processes), so adding products shifts no random
number of the world's other processes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import SEED

__all__ = ["assign_items", "taste_groups", "group_names", "STAPLE_SHARE", "TASTE_SHARE", "STREAM",
           "STAPLES"]

#: Spawn key of the products' SeedSequence under the world's seed; the world's own processes
#: are its first children (keys 0, 1, ...), so a key this large never collides with them.
STREAM = 100
STAPLES = "staples"
#: Chance that a purchase is a staple: the first purchase of a customer, and every later one.
STAPLE_SHARE = {"first": 0.5, "repeat": 0.2}
#: Chance that a non-staple purchase comes from the customer's own taste group.
TASTE_SHARE = 0.8
ZIPF_EXPONENT = 1.0
_THEMES = ("outdoor", "kitchen", "books", "beauty", "toys", "electronics", "garden", "sports")


def group_names(n_groups: int) -> list[str]:
    """Readable names of the taste groups: themes for up to eight, then ``group 9``, ..."""
    return [_THEMES[g] if g < len(_THEMES) else f"group {g + 1}" for g in range(int(n_groups))]


def _root(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed, spawn_key=(STREAM,))


def _streams(seed) -> list[np.random.Generator]:
    """Tastes, catalogue and purchases: the root's first three children, derived without spawning,
    so that :func:`taste_groups` and :func:`assign_items` see the same streams from one seed."""
    root = _root(seed)
    return [np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i),
                                                         pool_size=root.pool_size)) for i in range(3)]


def taste_groups(customer_ids, seed=SEED, n_groups: int = 8) -> pd.Series:
    """The latent taste group of every customer (equal chances), indexed by customer id.

    The same ``seed`` and ``n_groups`` give the same groups as :func:`assign_items` uses.
    """
    ids = pd.Index(pd.unique(np.asarray(customer_ids, dtype=object)), name="customer_id")
    rng = _streams(seed)[0]
    names = np.asarray(group_names(n_groups), dtype=object)
    return pd.Series(names[rng.integers(0, n_groups, size=len(ids))], index=ids, name="taste_group")


def _catalogue(rng, n_products: int, n_groups: int, n_staples: int) -> pd.DataFrame:
    """Product ids, groups (shuffled over the ids) and within-group popularity."""
    width = max(4, len(str(n_products)))
    ids = np.char.add("P", np.char.zfill(np.arange(1, n_products + 1).astype(str), width)).astype(object)
    names = group_names(n_groups)
    n_rest = n_products - n_staples
    code = np.concatenate([np.full(n_staples, -1), np.arange(n_rest) % n_groups])  # equal-sized groups
    code = code[rng.permutation(n_products)]
    popularity = np.empty(n_products)
    for g in range(-1, n_groups):
        members = np.flatnonzero(code == g)
        weight = 1.0 / (1.0 + rng.permutation(len(members))) ** ZIPF_EXPONENT
        popularity[members] = weight / weight.sum()
    group = np.where(code < 0, STAPLES, np.asarray(names, dtype=object)[np.maximum(code, 0)])
    return pd.DataFrame({"product_id": ids, "group": group, "popularity": popularity, "_code": code})


def _pick(rng, catalogue: pd.DataFrame, group_code: np.ndarray) -> np.ndarray:
    """One product per purchase from the given group (-1: staples), drawn by popularity.

    Products sorted by group lie on one axis where group g spans (g, g + 1]: a uniform u then
    lands on the product ``g + u`` falls in, for every purchase at once.
    """
    order = np.lexsort((np.arange(len(catalogue)), catalogue["_code"].to_numpy()))
    code = catalogue["_code"].to_numpy()[order]
    weight = catalogue["popularity"].to_numpy()[order]
    cum = np.empty(len(order))
    for g in np.unique(code):
        members = code == g
        cum[members] = g + np.cumsum(weight[members])
        cum[np.flatnonzero(members)[-1]] = g + 1.0  # no gap from rounding at the group's end
    pos = np.searchsorted(cum, group_code + rng.random(len(group_code)), side="right")
    end = np.searchsorted(code, group_code, side="right") - 1  # the group's last product
    return order[np.minimum(pos, end)]


def assign_items(transactions: pd.DataFrame, customers: pd.DataFrame, seed=SEED, n_products: int = 200,
                 n_groups: int = 8, n_staples: int = 5, *, customer_col: str = "customer_id",
                 date_col: str = "timestamp") -> tuple[pd.Series, pd.DataFrame, dict]:
    """Give every purchase a product, from each customer's latent taste.

    Parameters
    ----------
    transactions : DataFrame
        The world's purchases (one row each); only ``customer_col`` and ``date_col`` are read.
    customers : DataFrame
        The world's customers (``customer_col``); each gets a taste group.
    seed : int or numpy.random.SeedSequence
        The world's seed (the products then use its child with spawn key :data:`STREAM`), or
        the ``SeedSequence`` the world hands its products (one of its own children).
    n_products, n_groups, n_staples : int
        Catalogue size, number of taste groups and number of staples.

    Returns
    -------
    items : Series
        Product id of every purchase, aligned with ``transactions``.
    products : DataFrame
        ``product_id, group, popularity`` (the chance that a purchase from the product's group,
        staples counted as one group, is this product).
    truth : dict
        JSON-able rules and counts, for the ``"products"`` section of ``truth.json``; the taste
        group of each customer goes to the file it names (``truth_tastes.csv``) and each
        product's group to ``truth_products.csv``.
    """
    n_products, n_groups, n_staples = int(n_products), int(n_groups), int(n_staples)
    if n_groups < 1 or n_staples < 1 or n_products < n_staples + n_groups:
        raise ValueError(f"need at least one staple and one product per group: n_products={n_products}, "
                         f"n_groups={n_groups}, n_staples={n_staples}")
    root = _root(seed)
    _, rng_catalogue, rng_buy = _streams(root)
    tastes = taste_groups(customers[customer_col], seed, n_groups)
    catalogue = _catalogue(rng_catalogue, n_products, n_groups, n_staples)

    # first purchase of each customer: earliest timestamp, ties by row order
    cust = transactions[customer_col].to_numpy(dtype=object)
    order = np.lexsort((np.arange(len(cust)), transactions[date_col].to_numpy(), cust))
    sorted_cust = cust[order]
    is_first = np.zeros(len(cust), dtype=bool)
    is_first[order[np.r_[True, sorted_cust[1:] != sorted_cust[:-1]]]] = True

    names = group_names(n_groups)
    taste_code = pd.Index(names).get_indexer(tastes.reindex(cust).to_numpy())
    if (taste_code < 0).any():
        raise ValueError("every purchase's customer must be in customers")
    u = rng_buy.random(len(cust))
    staple = u < np.where(is_first, STAPLE_SHARE["first"], STAPLE_SHARE["repeat"])
    own = rng_buy.random(len(cust)) < TASTE_SHARE
    anywhere = rng_buy.integers(0, n_groups, size=len(cust))
    group_code = np.where(staple, -1, np.where(own, taste_code, anywhere))
    picked = _pick(rng_buy, catalogue, group_code)
    items = pd.Series(catalogue["product_id"].to_numpy()[picked], index=transactions.index, name="item")

    products = catalogue.drop(columns="_code")
    counts = tastes.value_counts()
    truth = {
        "n_products": n_products,
        "n_groups": n_groups,
        "groups": names,
        "staples": products.loc[products["group"] == STAPLES, "product_id"].tolist(),
        "tastes_file": "truth_tastes.csv",
        "products_file": "truth_products.csv",
        "taste_counts": {g: int(counts.get(g, 0)) for g in names},
        "staple_share": dict(STAPLE_SHARE),
        "taste_share": TASTE_SHARE,
        "zipf_exponent": ZIPF_EXPONENT,
        "rules": {
            "taste_group": "one per customer, equal chances",
            "purchase": "staple with probability staple_share (first purchase or repeat); otherwise "
                        "the customer's taste group with probability taste_share, else a group at random; "
                        "within the group, a product by popularity",
            "popularity": "1 / rank ** zipf_exponent within the product's group (staples one group), "
                          "normalised to sum to 1 per group",
            "seed_stream": f"children 0, 1, 2 of SeedSequence(entropy={root.entropy}, spawn_key="
                           f"{tuple(root.spawn_key)}) draw the tastes, the catalogue and the purchases",
        },
        "n_items_bought": int(items.nunique()),
    }
    return items, products, truth
