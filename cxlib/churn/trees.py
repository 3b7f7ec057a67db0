"""A shallow survival tree whose leaves read as rules, pruned on held-out customers.

scikit-survival's ``SurvivalTree`` grows the tree with the log-rank splitting rule; this module
prunes it by split complexity (LeBlanc and Crowley, 1993, "Survival trees by goodness of split",
Journal of the American Statistical Association 88) on customers the tree was not grown on, turns
each leaf into a rule in words, and estimates each leaf's retention with Kaplan-Meier.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import DataError, require_columns, require_rows
from .data import TABLE

__all__ = ["LevelEncoder", "logrank_statistic", "SurvivalTreeModel"]


class LevelEncoder:
    """Design matrix for trees: numeric columns as they are, one 0/1 column per category level.

    Unlike :class:`~cxlib.churn.CovariateEncoder` no level is dropped, so a single split can
    separate any one level ("plan = basic") from the rest.
    """

    def __init__(self, covariates: Sequence[str], categorical: Sequence[str] = ()):
        self.covariates = list(covariates)
        self.categorical = list(categorical)

    def fit(self, df: pd.DataFrame) -> LevelEncoder:
        require_columns(df, self.covariates, table=TABLE, source=df.attrs.get("source"))
        self.levels_: dict[str, list[str]] = {}
        for col in self.covariates:
            s = df[col]
            if col in self.categorical or not pd.api.types.is_numeric_dtype(s) \
                    or pd.api.types.is_bool_dtype(s):
                self.levels_[col] = sorted(s.dropna().astype(str).unique())
        # design column -> (covariate, level or None)
        self.columns_: dict[str, tuple[str, str | None]] = {}
        for col in self.covariates:
            for lvl in self.levels_.get(col, [None]):
                self.columns_[col if lvl is None else f"{col}={lvl}"] = (col, lvl)
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Float design matrix with the columns of ``columns_``."""
        source = df.attrs.get("source")
        require_columns(df, self.covariates, table=TABLE, source=source)
        parts = {}
        for col in self.covariates:
            if col in self.levels_:
                text = df[col].astype(str)
                require_rows(df, ~text.isin(self.levels_[col]).to_numpy(),
                             f"levels not seen when the model was fitted (known: "
                             f"{', '.join(self.levels_[col])})", table=TABLE, column=col,
                             source=source)
                for lvl in self.levels_[col]:
                    parts[f"{col}={lvl}"] = (text == lvl).to_numpy(dtype=float)
            else:
                x = df[col].to_numpy(dtype=float)
                require_rows(df, ~np.isfinite(x), "blank or infinite covariate values", table=TABLE,
                             column=col, source=source)
                parts[col] = x
        return pd.DataFrame(parts, index=df.index, columns=list(self.columns_))


def logrank_statistic(durations, events, group) -> float:
    """Two-sample log-rank chi-square (1 df) of ``group`` (bool) against the rest.

    Vectorised over the distinct churn times (one sort), so the pruning step can afford one test
    per node; 0 when either side is empty or nobody churned.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(bool)
    g = np.asarray(group).astype(bool)
    if g.all() or not g.any() or not e.any():
        return 0.0
    uniq, inv = np.unique(t, return_inverse=True)
    k = len(uniq)
    d = np.bincount(inv, e, k)          # churns at each time
    d1 = np.bincount(inv, e & g, k)     # churns in the group
    n = np.cumsum(np.bincount(inv, None, k)[::-1])[::-1]  # at risk: T >= t
    n1 = np.cumsum(np.bincount(inv, g, k)[::-1])[::-1]
    at = d > 0
    d, d1, n, n1 = d[at], d1[at], n[at].astype(float), n1[at].astype(float)
    expected = d * n1 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
    v = var.sum()
    return float((d1 - expected).sum() ** 2 / v) if v > 0 else 0.0


def _surv(durations, events):
    from sksurv.util import Surv

    return Surv.from_arrays(event=np.asarray(events).astype(bool),
                            time=np.asarray(durations, dtype=float))


def _km(durations, events, times) -> np.ndarray:
    """Kaplan-Meier survival at ``times`` (lifelines)."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(np.asarray(durations, dtype=float), np.asarray(events))
    return kmf.survival_function_at_times(np.asarray(times, dtype=float)).to_numpy()


class SurvivalTreeModel:
    """Survival tree grown with the log-rank rule and pruned by split complexity.

    Parameters
    ----------
    max_depth : int
        Depth of the tree before pruning (3 gives at most 8 leaves).
    min_leaf : float
        Smallest leaf as a share of the customers the tree is grown on (keeps every rule about a
        group large enough to act on).
    penalty : float
        Split-complexity penalty :math:`\\alpha_c` per split when choosing the pruned tree on the
        validation customers (LeBlanc and Crowley suggest 2 to 4; 4 is close to the 3.84 a
        single split needs to be significant at the 5% level).
    validation_size : float
        Share of the training customers held back to prune on.
    sample_size : int
        Grow the tree on a seeded random sample of this many of the other customers when there
        are more (the log-rank search slows down steeply with the number of customers); the
        pruning statistics and the leaf estimates still use every customer.
    seed : int
        Seed of the split and the sample.

    Attributes
    ----------
    leaves_ : list of int
        Node ids of the pruned tree's leaves, in the order of ``rules_``.
    rules_ : DataFrame
        ``leaf, rule, conditions`` per leaf (``conditions`` a list of
        ``(covariate, op, value)`` with op ``<=``, ``>``, ``==``, ``!=``).
    pruning_ : DataFrame
        The nested subtrees: ``leaves, splits, alpha, G_train, G_validation, score, chosen``.
    splits_ : DataFrame
        Internal nodes of the pruned tree: ``node, depth, covariate, rule, statistic``.
    n_, events_ : int
    n_grown_ : int
        Customers the tree was grown on.
    """

    def __init__(self, max_depth: int = 3, min_leaf: float = 0.05, penalty: float = 4.0,
                 validation_size: float = 1 / 3, sample_size: int = 5_000, seed: int = 0):
        self.max_depth = max_depth
        self.min_leaf = min_leaf
        self.penalty = penalty
        self.validation_size = validation_size
        self.sample_size = sample_size
        self.seed = seed

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, covariates: Sequence[str], *,
            categorical: Sequence[str] = ()) -> SurvivalTreeModel:
        """Grow on part of ``df`` (at most ``sample_size``), prune on the held-back part, estimate
        the leaves on all of ``df``."""
        from sklearn.model_selection import train_test_split
        from sksurv.tree import SurvivalTree

        source = df.attrs.get("source")
        require_columns(df, ["duration", "event", *covariates], table=TABLE, source=source)
        if int(self.max_depth) < 1:
            raise DataError(f"tree depth must be at least 1, got {self.max_depth}", table=TABLE,
                            source=source)
        if not 0 < self.min_leaf < 0.5:
            raise DataError(f"the smallest leaf must be a share between 0 and 0.5 of the "
                            f"customers, got {self.min_leaf}", table=TABLE, source=source)
        if int(df["event"].sum()) == 0:
            raise DataError("nobody churned, so there is nothing to split on", table=TABLE,
                            source=source)
        self.encoder_ = LevelEncoder(covariates, categorical).fit(df)
        X = self.encoder_.transform(df)
        if int(self.sample_size) < 10:
            raise DataError(f"the tree's sample_size must be at least 10, got {self.sample_size}",
                            table=TABLE, source=source)
        grow, prune = train_test_split(np.arange(len(df)), test_size=self.validation_size,
                                       random_state=self.seed, stratify=df["event"])
        if len(grow) > self.sample_size:
            rng = np.random.default_rng(self.seed)
            grow = np.sort(rng.choice(grow, int(self.sample_size), replace=False))
        self.n_grown_ = int(len(grow))
        t = df["duration"].to_numpy(dtype=float)
        e = df["event"].to_numpy(dtype=int)
        tree = SurvivalTree(max_depth=int(self.max_depth), min_samples_leaf=self.min_leaf,
                            random_state=self.seed, low_memory=True)
        tree.fit(X.iloc[grow].to_numpy(dtype=np.float32), _surv(t[grow], e[grow]))
        self.tree_ = tree.tree_
        self.sksurv_ = tree

        inner = [i for i in range(self.tree_.node_count) if self.tree_.children_left[i] >= 0]
        g_train = self._split_statistics(X.iloc[grow], t[grow], e[grow], inner)
        g_val = self._split_statistics(X.iloc[prune], t[prune], e[prune], inner)
        self.pruning_, kept = self._prune(inner, g_train, g_val)
        self._set_leaves(kept)
        self.statistics_ = g_train

        # leaf estimates from every training customer (grown-on and pruned-on alike)
        leaf = self._leaf_ids(X)
        self.times_ = np.unique(t[e == 1])
        self.curves_ = {}
        for node in self.leaves_:
            m = leaf == node
            self.curves_[node] = {"survival": _km(t[m], e[m], self.times_),
                                  "cumhaz": self._nelson_aalen(t[m], e[m], self.times_)}
        self.rules_ = self._rules(X, t)
        self.splits_ = self._splits_table(kept, g_train)
        self.n_, self.events_ = int(len(df)), int(e.sum())
        return self

    @staticmethod
    def _nelson_aalen(t, e, times) -> np.ndarray:
        from lifelines import NelsonAalenFitter

        na = NelsonAalenFitter().fit(t, e)
        return na.cumulative_hazard_at_times(times).to_numpy()

    def _split_statistics(self, X, t, e, inner) -> dict[int, float]:
        """Log-rank chi-square of every split, on the customers ``X`` (who reach the node)."""
        path = self.sksurv_.decision_path(X.to_numpy(dtype=np.float32)).tocsc()
        out = {}
        for node in inner:
            at = path[:, [node]].toarray().ravel().astype(bool)
            left = path[:, [self.tree_.children_left[node]]].toarray().ravel().astype(bool)
            out[node] = logrank_statistic(t[at], e[at], left[at])
        return out

    def _descendants(self, node: int) -> list[int]:
        left, right = self.tree_.children_left, self.tree_.children_right
        stack, out = [node], []
        while stack:
            i = stack.pop()
            out.append(i)
            if left[i] >= 0:
                stack += [left[i], right[i]]
        return out

    def _prune(self, inner, g_train, g_val):
        """Weakest-link pruning by split complexity; the subtree chosen on validation data.

        A subtree :math:`T` with internal nodes :math:`S` scores :math:`G(T) = \\sum_{h\\in S}
        G(h)`, the sum of its splits' log-rank statistics. The branch whose splits add least per
        split, :math:`g(h) = G(T_h)/|S_h|`, is cut first, giving nested subtrees down to the
        root; the one kept maximises :math:`G_{val}(T) - \\alpha_c |S|` with statistics
        recomputed on the validation customers.
        """
        current = set(inner)
        sequence = [(set(current), 0.0)]
        while current:
            best, best_g = None, np.inf
            for h in sorted(current):
                branch = [k for k in self._descendants(h) if k in current]
                g = sum(g_train[k] for k in branch) / len(branch)
                if g < best_g:
                    best, best_g = h, g
            current -= set(self._descendants(best))
            sequence.append((set(current), float(best_g)))
        rows = []
        for splits, alpha in sequence:
            gv = sum(g_val[k] for k in splits)
            rows.append({"leaves": len(splits) + 1, "splits": len(splits), "alpha": alpha,
                         "G_train": sum(g_train[k] for k in splits), "G_validation": gv,
                         "score": gv - self.penalty * len(splits)})
        table = pd.DataFrame(rows)
        # ties go to the smaller tree (listed later)
        chosen = int(len(table) - 1 - np.argmax(table["score"].to_numpy()[::-1]))
        table["chosen"] = np.arange(len(table)) == chosen
        return table, sequence[chosen][0]

    def _set_leaves(self, kept: set[int]) -> None:
        """Leaves of the pruned tree, and where each full-tree node lands in it."""
        left, right = self.tree_.children_left, self.tree_.children_right
        self.kept_splits_ = kept
        self.node_to_leaf_ = np.full(self.tree_.node_count, -1)
        self.leaves_ = []

        def walk(node):
            if node in kept:
                walk(left[node])
                walk(right[node])
            else:
                self.leaves_.append(int(node))
                self.node_to_leaf_[self._descendants(node)] = node
        walk(0)

    def _leaf_ids(self, X: pd.DataFrame) -> np.ndarray:
        return self.node_to_leaf_[self.sksurv_.apply(X.to_numpy(dtype=np.float32))]

    # -- rules ---------------------------------------------------------------------------------
    def _conditions(self, node: int) -> list[tuple]:
        """The splits on the path from the root to ``node`` as (design column, op, threshold)."""
        left, right = self.tree_.children_left, self.tree_.children_right
        parent = {}
        for i in range(self.tree_.node_count):
            if left[i] >= 0:
                parent[left[i]], parent[right[i]] = (i, "<="), (i, ">")
        path = []
        while node in parent:
            p, op = parent[node]
            path.append((list(self.encoder_.columns_)[self.tree_.feature[p]], op,
                         float(self.tree_.threshold[p])))
            node = p
        return path[::-1]

    def _rules(self, X: pd.DataFrame, t) -> pd.DataFrame:
        rows = []
        for node in self.leaves_:
            conditions = []
            for column, op, thr in self._conditions(node):
                covariate, level = self.encoder_.columns_[column]
                if level is not None:  # a 0/1 level column: > 0.5 means "is that level"
                    conditions.append((covariate, "==" if op == ">" else "!=", level))
                else:
                    conditions.append((covariate, op, thr))
            rows.append({"leaf": node, "rule": self._words(conditions, X),
                         "conditions": conditions})
        return pd.DataFrame(rows)

    def _words(self, conditions, X: pd.DataFrame) -> str:
        """Merge a path's conditions into one phrase per covariate, with observed values.

        A numeric split at threshold :math:`c` reads as "<= a" or ">= b" with :math:`a` the
        largest and :math:`b` the smallest training value on each side, so whole-number columns
        read "support_tickets >= 3" rather than "> 2.5".
        """
        if not conditions:
            return "all customers"
        parts = []
        for covariate in dict.fromkeys(c for c, _, _ in conditions):
            mine = [(op, v) for c, op, v in conditions if c == covariate]
            if covariate in self.encoder_.levels_:
                levels = self.encoder_.levels_[covariate]
                allowed = [lvl for lvl in levels
                           if all((lvl == v) == (op == "==") for op, v in mine)]
                parts.append(f"{covariate} = {' or '.join(allowed)}")
                continue
            x = X[covariate].to_numpy(dtype=float)
            lows = [v for op, v in mine if op == ">"]
            highs = [v for op, v in mine if op == "<="]
            lo = x[x > max(lows)].min() if lows else None
            hi = x[x <= min(highs)].max() if highs else None
            if lo is not None and hi is not None:
                parts.append(f"{covariate} {lo:g} to {hi:g}")
            elif lo is not None:
                parts.append(f"{covariate} >= {lo:g}")
            else:
                parts.append(f"{covariate} <= {hi:g}")
        return " and ".join(parts)

    def _splits_table(self, kept, g_train) -> pd.DataFrame:
        rows = []
        depth = {0: 0}
        for i in range(self.tree_.node_count):
            if self.tree_.children_left[i] >= 0:
                for child in (self.tree_.children_left[i], self.tree_.children_right[i]):
                    depth[child] = depth[i] + 1
        for node in sorted(kept, key=lambda k: (depth[k], k)):
            column = list(self.encoder_.columns_)[self.tree_.feature[node]]
            covariate, level = self.encoder_.columns_[column]
            thr = self.tree_.threshold[node]
            rule = (f"{covariate} = {level} or not" if level is not None else
                    f"{covariate} <= {thr:g} or > {thr:g}")
            rows.append({"node": int(node), "depth": depth[node], "covariate": covariate,
                         "rule": rule, "statistic": g_train[node]})
        return pd.DataFrame(rows, columns=["node", "depth", "covariate", "rule", "statistic"])

    # -- prediction ----------------------------------------------------------------------------
    def apply(self, df: pd.DataFrame) -> pd.Series:
        """The pruned-tree leaf (node id) of every row."""
        return pd.Series(self._leaf_ids(self.encoder_.transform(df)), index=df.index, name="leaf")

    def _curve_at(self, df, which: str, times) -> np.ndarray:
        times = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.times_, times, side="right") - 1
        leaf = self.apply(df).to_numpy()
        out = np.empty((len(df), len(times)))
        before = 1.0 if which == "survival" else 0.0
        for node in self.leaves_:
            values = self.curves_[node][which]
            out[leaf == node] = np.where(idx >= 0, values[np.clip(idx, 0, None)], before)
        return out

    def predict_survival(self, df: pd.DataFrame, times) -> np.ndarray:
        """Kaplan-Meier survival of each row's leaf at ``times`` (rows x times)."""
        return self._curve_at(df, "survival", times)

    def predict_survival_at(self, df: pd.DataFrame, time: float) -> pd.Series:
        return pd.Series(self.predict_survival(df, [time])[:, 0], index=df.index, name="survival")

    def predict_risk(self, df: pd.DataFrame) -> pd.Series:
        """Expected churns (Ishwaran's mortality): the leaf's Nelson-Aalen hazard summed over
        the training churn times; higher means churns sooner."""
        mortality = {node: float(c["cumhaz"].sum()) for node, c in self.curves_.items()}
        risk = pd.Series(self.apply(df).to_numpy()).map(mortality).to_numpy(dtype=float)
        return pd.Series(risk, index=df.index, name="risk")

    # -- reading the leaves --------------------------------------------------------------------
    def leaf_table(self, df: pd.DataFrame, horizon: float) -> pd.DataFrame:
        """Each rule on the customers in ``df``: ``leaf, rule, n, events, survival_horizon,
        ci_lower, ci_upper, median``, from a Kaplan-Meier fit per leaf (95% Greenwood band)."""
        from lifelines import KaplanMeierFitter

        leaf = self.apply(df).to_numpy()
        t = df["duration"].to_numpy(dtype=float)
        e = df["event"].to_numpy(dtype=int)
        rows = []
        for _, r in self.rules_.iterrows():
            m = leaf == r["leaf"]
            row = {"leaf": int(r["leaf"]), "rule": r["rule"], "n": int(m.sum()),
                   "events": int(e[m].sum()), "survival_horizon": np.nan, "ci_lower": np.nan,
                   "ci_upper": np.nan, "median": np.nan}
            if m.any():
                kmf = KaplanMeierFitter().fit(t[m], e[m])
                ci = kmf.confidence_interval_survival_function_
                i = max(np.searchsorted(ci.index.to_numpy(dtype=float), horizon, "right") - 1, 0)
                med = float(kmf.median_survival_time_)
                row.update(survival_horizon=float(kmf.survival_function_at_times(horizon).iloc[0]),
                           ci_lower=float(ci.iloc[i, 0]), ci_upper=float(ci.iloc[i, 1]),
                           median=med if np.isfinite(med) else np.nan)
            rows.append(row)
        return pd.DataFrame(rows).sort_values("survival_horizon").reset_index(drop=True)

    def leaf_curves(self, df: pd.DataFrame) -> dict:
        """Kaplan-Meier fits of the customers in ``df`` per leaf, labelled by rule (for plots)."""
        from lifelines import KaplanMeierFitter

        leaf = self.apply(df).to_numpy()
        fits = {}
        for _, r in self.rules_.iterrows():
            m = leaf == r["leaf"]
            if m.any():
                fits[r["rule"]] = KaplanMeierFitter(label=r["rule"]).fit(
                    df["duration"].to_numpy(dtype=float)[m], df["event"].to_numpy()[m])
        return fits

    def __repr__(self) -> str:
        fitted = f", leaves={len(self.leaves_)}" if hasattr(self, "leaves_") else ""
        return f"SurvivalTreeModel(max_depth={self.max_depth}, min_leaf={self.min_leaf}{fitted})"
