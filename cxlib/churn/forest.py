"""A random survival forest as the flexible challenger, and permutation importance on held-out
customers.

scikit-survival's ``RandomSurvivalForest`` (Ishwaran et al., 2008, "Random survival forests",
Annals of Applied Statistics 2) grows the trees; this module fits it on a seeded sample when the
data are large, keeps its curves on a grid of churn times, and scores any number of customers
from per-leaf tables instead of full curves per customer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import DataError, require_columns
from .data import TABLE
from .metrics import concordance
from .trees import LevelEncoder

__all__ = ["SurvivalForestModel", "time_grid", "move_to_grid", "permutation_importance"]


def time_grid(durations, events, n_times: int = 150) -> np.ndarray:
    """At most ``n_times`` churn times (quantiles of the observed ones, the last included).

    With fewer distinct churn times than ``n_times`` the grid is exactly those times.
    """
    t = np.unique(np.asarray(durations, dtype=float)[np.asarray(events) == 1])
    if len(t) <= n_times:
        return t
    return np.unique(np.quantile(t, np.linspace(0, 1, n_times), method="higher"))


def move_to_grid(durations, events, grid) -> np.ndarray:
    """Churn times moved up to the next grid time, censoring times down to the previous one.

    A churn at :math:`t` has happened by the next grid time, and a censored customer is known to
    be active at the last grid time before censoring, so Kaplan-Meier on the grid is the grouped
    (life-table) estimate; when the grid holds every churn time it is unchanged.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events) == 1
    up = grid[np.minimum(np.searchsorted(grid, t, side="left"), len(grid) - 1)]
    down_idx = np.searchsorted(grid, t, side="right") - 1
    down = np.where(down_idx >= 0, grid[np.clip(down_idx, 0, None)], 0.0)
    return np.where(e, up, down)


class SurvivalForestModel:
    """Random survival forest on a customer table.

    Parameters
    ----------
    n_trees : int
        Number of trees.
    min_leaf : int
        Smallest number of customers in a leaf (15 is the randomForestSRC default for survival).
    sample_size : int
        Fit on a seeded random sample of this many customers when there are more; every
        customer can still be scored.
    n_times : int
        Churn times kept on the forest's grid (as randomForestSRC's ``ntime``, default 150):
        memory and time per tree grow with it.
    seed : int
    n_jobs : int
        Parallel jobs for fitting (the report runs notebooks side by side, so 1 by default).

    Attributes
    ----------
    n_fit_ : int
        Customers the forest was fitted on.
    grid_ : ndarray
        Its churn-time grid.
    """

    def __init__(self, n_trees: int = 100, min_leaf: int = 15, sample_size: int = 10_000,
                 n_times: int = 150, seed: int = 0, n_jobs: int = 1):
        self.n_trees = n_trees
        self.min_leaf = min_leaf
        self.sample_size = sample_size
        self.n_times = n_times
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, df: pd.DataFrame, covariates: Sequence[str], *,
            categorical: Sequence[str] = ()) -> SurvivalForestModel:
        from sksurv.ensemble import RandomSurvivalForest
        from sksurv.util import Surv

        source = df.attrs.get("source")
        require_columns(df, ["duration", "event", *covariates], table=TABLE, source=source)
        for name, value, low in (("n_trees", self.n_trees, 1), ("min_leaf", self.min_leaf, 1),
                                 ("sample_size", self.sample_size, 10),
                                 ("n_times", self.n_times, 2)):
            if int(value) < low:
                raise DataError(f"forest {name} must be at least {low}, got {value}",
                                table=TABLE, source=source)
        if len(df) > self.sample_size:
            rng = np.random.default_rng(self.seed)
            df = df.iloc[np.sort(rng.choice(len(df), int(self.sample_size), replace=False))]
        if int(df["event"].sum()) == 0:
            raise DataError("nobody churned, so the forest has nothing to learn", table=TABLE,
                            source=source)
        self.encoder_ = LevelEncoder(covariates, categorical).fit(df)
        X = self.encoder_.transform(df).to_numpy(dtype=np.float32)
        t, e = df["duration"].to_numpy(dtype=float), df["event"].to_numpy(dtype=int)
        self.grid_ = time_grid(t, e, int(self.n_times))
        y = Surv.from_arrays(event=e == 1, time=move_to_grid(t, e, self.grid_))
        self.sksurv_ = RandomSurvivalForest(
            n_estimators=int(self.n_trees), min_samples_leaf=int(self.min_leaf),
            max_features="sqrt", random_state=self.seed, n_jobs=self.n_jobs).fit(X, y)
        self.n_fit_ = int(len(df))
        self.times_ = self.sksurv_.unique_times_
        # per tree and node: survival on the time grid, and the node's mortality
        # (cumulative hazard summed over the churn times), so scoring is a table look-up
        event_time = self.sksurv_.is_event_time_
        self.node_survival_ = [est.tree_.value[:, :, 1] for est in self.sksurv_.estimators_]
        self.node_mortality_ = [est.tree_.value[:, event_time, 0].sum(1)
                                for est in self.sksurv_.estimators_]
        return self

    def _leaves(self, df: pd.DataFrame) -> np.ndarray:
        """Leaf of every row in every tree (rows x trees)."""
        X = self.encoder_.transform(df).to_numpy(dtype=np.float32)
        return np.column_stack([est.apply(X) for est in self.sksurv_.estimators_])

    def predict_survival(self, df: pd.DataFrame, times, *, chunk: int = 100_000) -> np.ndarray:
        """Ensemble survival (the mean of the trees' leaf curves) at ``times``: rows x times."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.times_, times, side="right") - 1
        tables = [np.where(idx >= 0, s[:, np.clip(idx, 0, None)], 1.0)
                  for s in self.node_survival_]
        out = np.empty((len(df), len(times)))
        for start in range(0, len(df), chunk):
            leaves = self._leaves(df.iloc[start:start + chunk])
            acc = np.zeros((len(leaves), len(times)))
            for k, table in enumerate(tables):
                acc += table[leaves[:, k]]
            out[start:start + chunk] = acc / len(tables)
        return out

    def predict_survival_at(self, df: pd.DataFrame, time: float) -> pd.Series:
        return pd.Series(self.predict_survival(df, [time])[:, 0], index=df.index, name="survival")

    def predict_risk(self, df: pd.DataFrame, *, chunk: int = 100_000) -> pd.Series:
        """Ensemble mortality (expected churns; Ishwaran et al., 2008): higher churns sooner."""
        out = np.empty(len(df))
        for start in range(0, len(df), chunk):
            leaves = self._leaves(df.iloc[start:start + chunk])
            total = sum(m[leaves[:, k]] for k, m in enumerate(self.node_mortality_))
            out[start:start + chunk] = total / len(self.node_mortality_)
        return pd.Series(out, index=df.index, name="risk")

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_fit_}" if hasattr(self, "n_fit_") else ""
        return f"SurvivalForestModel(n_trees={self.n_trees}, min_leaf={self.min_leaf}{fitted})"


def permutation_importance(model, test: pd.DataFrame, covariates: Sequence[str], *,
                           n_repeats: int = 5, seed: int = 0,
                           sample_size: int = 10_000) -> pd.DataFrame:
    """Held-out permutation importance: how much concordance falls when a covariate is shuffled.

    Shuffling one covariate's column among the test customers breaks its link with churn and
    keeps everything else; the drop in Harrell's C is its importance (Breiman, 2001; with the
    concordance as the error measure, as Ishwaran et al., 2008). A category is shuffled as one
    column, all its levels together. ``model`` needs ``predict_risk``. With more than
    ``sample_size`` test customers a seeded sample of that many is used (each shuffle rescores
    them all).

    Returns
    -------
    DataFrame ``covariate, importance, sd, concordance_permuted`` sorted by importance.
    """
    rng = np.random.default_rng(seed)
    if len(test) > sample_size:
        test = test.iloc[np.sort(rng.choice(len(test), int(sample_size), replace=False))]
    base = concordance(test, model.predict_risk(test))
    copies, labels = [], []
    for col in covariates:
        for _ in range(int(n_repeats)):
            shuffled = test.copy()
            shuffled[col] = test[col].to_numpy()[rng.permutation(len(test))]
            copies.append(shuffled)
            labels.append(col)
    # one scoring pass over all shuffled copies: per-call overhead dominates on small test sets
    risk = model.predict_risk(pd.concat(copies, ignore_index=True)).to_numpy()
    rows = []
    for col in covariates:
        scores = [concordance(test, risk[i * len(test):(i + 1) * len(test)])
                  for i, label in enumerate(labels) if label == col]
        rows.append({"covariate": col, "importance": base - float(np.mean(scores)),
                     "sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else float("nan"),
                     "concordance_permuted": float(np.mean(scores))})
    out = pd.DataFrame(rows).sort_values("importance", ascending=False).reset_index(drop=True)
    out.attrs["concordance"] = base
    return out
