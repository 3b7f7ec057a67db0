"""Every churn model side by side on the same held-out customers, and the classification tree
that censoring misleads.

:func:`compare_models` scores Kaplan-Meier, Cox, the survival tree, the forest, the logistic
baseline and a plain classification tree with the checks of :mod:`~cxlib.churn.metrics`;
:func:`choose_model` says which to use, preferring the model the team can read unless a harder
one wins clearly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import DataError, require_columns
from .data import TABLE
from .logistic import horizon_labels
from .metrics import (
    brier_curve,
    calibration_table,
    concordance,
    evaluation_times,
    horizon_auc,
    km_survival,
)
from .trees import LevelEncoder

__all__ = ["HorizonTree", "compare_models", "choose_model", "READABILITY"]

#: Models in the order a team can read them: rules, then one effect per covariate, then neither.
READABILITY = ("tree", "cox", "forest")

COLUMNS = ["model", "concordance", "auc_horizon", "auc_labelled", "integrated_brier",
           "brier_horizon", "calibration_ratio", "calibration_gap", "mean_predicted",
           "observed_km"]


class HorizonTree:
    """A plain classification tree on "churned by the horizon" (the textbook churn tree).

    As for the logistic baseline, customers censored before the horizon have no label and are
    dropped; each leaf then predicts the share of churners among the customers it kept.

    Parameters
    ----------
    horizon : float
    max_depth : int
    min_leaf : float
        Smallest leaf as a share of the labelled customers.
    seed : int

    Attributes
    ----------
    n_used_, n_dropped_ : int
    leaves_ : DataFrame
        Filled by :meth:`leaf_table`.
    """

    def __init__(self, horizon: float, max_depth: int = 3, min_leaf: float = 0.05, seed: int = 0):
        self.horizon = horizon
        self.max_depth = max_depth
        self.min_leaf = min_leaf
        self.seed = seed

    def fit(self, df: pd.DataFrame, covariates: Sequence[str], *,
            categorical: Sequence[str] = ()) -> HorizonTree:
        from sklearn.tree import DecisionTreeClassifier

        source = df.attrs.get("source")
        require_columns(df, ["duration", "event", *covariates], table=TABLE, source=source)
        y = horizon_labels(df, self.horizon)
        known = y.notna().to_numpy()
        self.n_used_, self.n_dropped_ = int(known.sum()), int((~known).sum())
        label = y[known].to_numpy(dtype=int)
        if self.n_used_ == 0 or label.min() == label.max():
            raise DataError(f"the classification tree needs churners and stayers by "
                            f"{self.horizon:g}; found {int(label.sum()) if len(label) else 0} "
                            f"churners among {self.n_used_} labelled customers", table=TABLE,
                            source=source)
        self.encoder_ = LevelEncoder(covariates, categorical).fit(df)
        X = self.encoder_.transform(df.loc[known])
        self.sklearn_ = DecisionTreeClassifier(max_depth=int(self.max_depth),
                                               min_samples_leaf=self.min_leaf,
                                               random_state=self.seed).fit(X.to_numpy(), label)
        self.label_rate_ = float(label.mean())
        return self

    def predict_proba(self, df: pd.DataFrame) -> pd.Series:
        """Predicted churn by the horizon: the churn share in each row's leaf."""
        p = self.sklearn_.predict_proba(self.encoder_.transform(df).to_numpy())[:, 1]
        return pd.Series(p, index=df.index, name="churn_probability")

    def leaf_table(self, df: pd.DataFrame) -> pd.DataFrame:
        """Per leaf on the customers in ``df`` (pass the training customers): ``leaf, n,
        n_labelled, predicted`` (the tree's churn share) and ``observed_km`` (Kaplan-Meier churn
        by the horizon of all the leaf's customers, the dropped ones included)."""
        leaf = self.sklearn_.apply(self.encoder_.transform(df).to_numpy())
        known = horizon_labels(df, self.horizon).notna().to_numpy()
        p = self.predict_proba(df).to_numpy()
        rows = []
        for node in np.unique(leaf):
            m = leaf == node
            rows.append({"leaf": int(node), "n": int(m.sum()), "n_labelled": int((m & known).sum()),
                         "predicted": float(p[m][0]),
                         "observed_km": float(1 - km_survival(df[m], [self.horizon])[0])})
        return pd.DataFrame(rows)


def _calibration_gap(test, p, horizon, bins) -> float:
    """Mean absolute gap between predicted and Kaplan-Meier observed churn over risk deciles,
    weighted by decile size."""
    cal = calibration_table(test, p, horizon, bins)
    return float(np.average((cal["predicted"] - cal["observed"]).abs(), weights=cal["n"]))


def compare_models(train: pd.DataFrame, test: pd.DataFrame, horizon: float, *, cox,
                   tree=None, forest=None, logistic=None, classification_tree=None,
                   n_times: int = 30, bins: int = 10) -> dict:
    """One row per model, scored on the same held-out customers.

    Survival models (Kaplan-Meier, Cox, tree, forest) predict a whole curve and get every
    column; horizon models (logistic, classification tree) predict churn by the horizon only,
    so ``integrated_brier`` is empty for them. ``concordance`` ranks each model's risk score
    (Cox: the linear predictor, tree and forest: mortality, horizon models: the churn
    probability); the other columns are those of :func:`~cxlib.churn.compare_with_cox` plus
    ``calibration_ratio`` (mean predicted / observed churn by the horizon) and
    ``calibration_gap`` (mean absolute predicted - observed over deciles of predicted risk).

    Returns
    -------
    dict with ``table`` (columns ``COLUMNS``) and ``brier`` (the Brier curve of the survival
    models over the same times as :func:`~cxlib.churn.evaluate_holdout`).
    """
    from sklearn.metrics import roc_auc_score

    times = evaluation_times(train, test, n_times)
    y = horizon_labels(test, horizon)
    known = y.notna().to_numpy()
    observed = float(1 - km_survival(test, [horizon])[0])
    n = len(test)
    km_curve = km_survival(train, times)
    curves = {"kaplan_meier": np.tile(km_curve, (n, 1)), "cox": cox.predict_survival(test, times)}
    churn_h = {"kaplan_meier": np.full(n, 1 - km_survival(train, [horizon])[0]),
               "cox": 1 - cox.predict_survival_at(test, horizon).to_numpy()}
    risk = {"kaplan_meier": np.zeros(n), "cox": cox.predict_log_hazard(test).to_numpy()}
    for name, model in (("tree", tree), ("forest", forest)):
        if model is not None:
            curves[name] = model.predict_survival(test, times)
            churn_h[name] = 1 - model.predict_survival_at(test, horizon).to_numpy()
            risk[name] = model.predict_risk(test).to_numpy()
    for name, model in (("logistic", logistic), ("classification_tree", classification_tree)):
        if model is not None:
            churn_h[name] = risk[name] = model.predict_proba(test).to_numpy()
    curve, ibs = brier_curve(train, test, curves, times)
    rows = []
    for name, p in churn_h.items():
        at_h, _ = brier_curve(train, test, {name: (1 - p)[:, None]}, [horizon], integrate=False)
        rows.append({"model": name,
                     "concordance": concordance(test, risk[name]),
                     "auc_horizon": horizon_auc(train, test, p, horizon),
                     "auc_labelled": float(roc_auc_score(y[known], p[known])),
                     "integrated_brier": ibs.get(name, np.nan),
                     "brier_horizon": float(at_h[name].iloc[0]),
                     "calibration_ratio": float(p.mean() / observed) if observed > 0 else np.nan,
                     "calibration_gap": _calibration_gap(test, p, horizon, bins),
                     "mean_predicted": float(p.mean()),
                     "observed_km": observed})
    return {"table": pd.DataFrame(rows, columns=COLUMNS), "brier": curve}


def choose_model(table: pd.DataFrame, min_gain: float = 0.02) -> dict:
    """The survival model to use: the most readable one unless a harder one wins clearly.

    Going down :data:`READABILITY` (tree, Cox, forest), a less readable model replaces the
    current choice only if its held-out concordance is at least ``min_gain`` higher *and* its
    integrated Brier score is no worse. A forest that gains 0.005 concordance therefore does not
    replace a model the team can read.

    Returns
    -------
    dict ``model, runner_up`` (the best other survival model by concordance), ``gain`` (the
    chosen model's concordance minus the runner-up's) and ``min_gain``.
    """
    t = table.set_index("model")
    candidates = [m for m in READABILITY if m in t.index]
    if not candidates:
        raise ValueError("the comparison table has none of the models tree, cox, forest")
    chosen = candidates[0]
    for m in candidates[1:]:
        better = t.loc[m, "concordance"] >= t.loc[chosen, "concordance"] + min_gain
        no_worse = t.loc[m, "integrated_brier"] <= t.loc[chosen, "integrated_brier"]
        if better and no_worse:
            chosen = m
    others = [m for m in candidates if m != chosen]
    runner = max(others, key=lambda m: t.loc[m, "concordance"]) if others else None
    gain = float(t.loc[chosen, "concordance"] - t.loc[runner, "concordance"]) if runner else 0.0
    return {"model": chosen, "runner_up": runner, "gain": gain, "min_gain": min_gain}
