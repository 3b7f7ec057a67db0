"""The textbook churn-probability model, logistic regression at a fixed horizon, and what censoring
does to it.

A logistic model answers "will this customer have churned ``horizon`` after signup?". It needs a
0/1 label for every customer, but a customer who signed up less than ``horizon`` ago and is still
active has no label yet. The usual fix is to drop them, which keeps every early churner and only
the long-tenured stayers, so the training churn rate is biased upward; labelling them 0 would bias
it downward. The Cox model uses their partial follow-up instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from ..core import DataError, DataWarning, require_columns
from .data import TABLE, CovariateEncoder, SeparationError, check_covariates

__all__ = ["churn_probability", "horizon_labels", "HorizonLogistic", "compare_with_cox",
           "describe_censoring_bias", "SEPARATION_PENALIZER"]

#: L2 penalty the logistic baseline falls back on when a covariate separates the labels.
SEPARATION_PENALIZER = 0.01


def churn_probability(intercept: float, coefs, x) -> float | np.ndarray | pd.Series:
    """The logistic churn probability :math:`P = 1 / (1 + e^{-(b_0 + b_1 x_1 + \\dots)})`.

    Parameters
    ----------
    intercept : float
        :math:`b_0`.
    coefs : mapping or Series or array
        :math:`b_1, b_2, \\dots`; a mapping/Series is matched to ``x`` by name.
    x : mapping, Series, array or DataFrame
        One customer's values, or a DataFrame with one row per customer.

    Examples
    --------
    >>> round(churn_probability(-9.81, {}, {}), 7)
    5.49e-05
    """
    if isinstance(coefs, Mapping):
        coefs = pd.Series(coefs, dtype=float)
    if isinstance(x, pd.DataFrame):
        b = coefs.reindex(x.columns) if isinstance(coefs, pd.Series) else np.asarray(coefs)
        if isinstance(coefs, pd.Series) and b.isna().any():
            raise DataError(f"no coefficient for {', '.join(b.index[b.isna()])}")
        z = intercept + x.to_numpy(dtype=float) @ np.asarray(b, dtype=float)
        return pd.Series(expit(z), index=x.index, name="churn_probability")
    if isinstance(x, Mapping):
        x = pd.Series(x, dtype=float)
    if isinstance(coefs, pd.Series):
        z = intercept + float((coefs * pd.Series(x, dtype=float).reindex(coefs.index)).sum())
    else:
        z = intercept + float(np.dot(np.asarray(coefs, dtype=float), np.asarray(x, dtype=float)))
    return float(expit(z))


def horizon_labels(df: pd.DataFrame, horizon: float, *, duration_col: str = "duration",
                   event_col: str = "event") -> pd.Series:
    """1 = churned by ``horizon``, 0 = still a customer at ``horizon``, NaN = censored earlier.

    A customer censored exactly at the horizon is known to have stayed that long (censored at
    :math:`t` means :math:`T > t`, as in the Kaplan-Meier estimate), so their label is 0; with
    whole-month tenures that is every active customer whose tenure equals the horizon.
    """
    t = df[duration_col].to_numpy(dtype=float)
    e = df[event_col].to_numpy(dtype=int)
    y = np.where((e == 1) & (t <= horizon), 1.0, np.where(t >= horizon, 0.0, np.nan))
    return pd.Series(y, index=df.index, name="churned_by_horizon")


class HorizonLogistic:
    """Logistic regression of "churned by the horizon" on the covariates.

    Customers censored before the horizon are dropped (the textbook approach). Coefficients are
    reported in the covariates' own units so that :func:`churn_probability` reproduces the
    predictions by hand.

    Parameters
    ----------
    horizon : float
        In the duration's unit.
    penalizer : float
        L2 penalty on the coefficients of standardised covariates (0 = none).

    Attributes
    ----------
    intercept_ : float
    coef_ : Series
    n_used_, n_dropped_ : int
        Customers with a label, and customers dropped because censored before the horizon.
    label_rate_ : float
        Share of churners among the labelled customers.
    penalizer_ : float
        The penalty used: ``penalizer``, or :data:`SEPARATION_PENALIZER` (with a
        :class:`~cxlib.core.DataWarning`) when a covariate separates the labels and no penalty
        was given.
    """

    def __init__(self, horizon: float, penalizer: float = 0.0):
        self.horizon = horizon
        self.penalizer = penalizer

    def fit(self, df: pd.DataFrame, covariates: Sequence[str],
            categorical: Sequence[str] = ()) -> HorizonLogistic:
        from sklearn.linear_model import LogisticRegression

        source = df.attrs.get("source")
        require_columns(df, ["duration", "event", *covariates], table=TABLE, source=source)
        y = horizon_labels(df, self.horizon)
        known = y.notna().to_numpy()
        self.n_used_, self.n_dropped_ = int(known.sum()), int((~known).sum())
        if self.n_used_ == 0:
            raise DataError(f"no customer was followed for {self.horizon:g} time units; choose a "
                            "shorter horizon", table=TABLE, source=source)
        part = df.loc[known]
        self.encoder_ = CovariateEncoder(covariates, categorical).fit(part)
        X = self.encoder_.transform(part)
        label = y[known].to_numpy(dtype=int)
        self.penalizer_ = self.penalizer
        try:
            check_covariates(X, label, source=source, what=f"churn by {self.horizon:g}",
                             effect="odds ratio", model="logistic", separation=self.penalizer == 0)
        except SeparationError as exc:
            # An infinite odds ratio would stop the lesson; a small stated penalty keeps every
            # estimate finite and shrinks the separating one towards a large, finite value.
            self.penalizer_ = SEPARATION_PENALIZER
            warnings.warn(f"{exc}. The logistic baseline is fitted with a small L2 penalty instead "
                          f"(penalizer = {SEPARATION_PENALIZER:g}), so that estimate is finite but "
                          "shrunk; read its odds ratio as 'very large', not as a measured value",
                          DataWarning, stacklevel=2)
            check_covariates(X, label, source=source, what=f"churn by {self.horizon:g}",
                             effect="odds ratio", model="logistic", separation=False)
        mean, sd = X.mean().to_numpy(), X.std(ddof=0).to_numpy()
        C = np.inf if self.penalizer_ == 0 else 1.0 / (self.penalizer_ * len(X))
        lr = LogisticRegression(C=C, max_iter=1000, tol=1e-10).fit((X.to_numpy() - mean) / sd, label)
        beta = lr.coef_[0] / sd  # back to the covariates' units
        self.coef_ = pd.Series(beta, index=X.columns, name="coef")
        self.intercept_ = float(lr.intercept_[0] - np.sum(beta * mean))
        self.label_rate_ = float(label.mean())
        return self

    def predict_proba(self, df: pd.DataFrame) -> pd.Series:
        """Churn probability by the horizon for every row."""
        return churn_probability(self.intercept_, self.coef_, self.encoder_.transform(df))


def compare_with_cox(cox, logit: HorizonLogistic, train: pd.DataFrame, test: pd.DataFrame,
                     horizon: float) -> pd.DataFrame:
    """Cox vs logistic on the same held-out customers, for churn by ``horizon``.

    Columns: ``model, auc_labelled`` (ordinary ROC AUC on test customers with a label),
    ``auc_horizon`` (censoring-aware AUC on all test customers), ``brier_horizon`` (IPCW Brier
    score at the horizon), ``mean_predicted`` (average predicted churn, all test customers) and
    ``observed_km`` (Kaplan-Meier churn by the horizon in the test set).
    """
    from sklearn.metrics import roc_auc_score

    from .metrics import brier_curve, horizon_auc, km_survival

    y = horizon_labels(test, horizon)
    known = y.notna().to_numpy()
    observed = 1 - km_survival(test, [horizon])[0]
    preds = {"cox": 1 - cox.predict_survival_at(test, horizon).to_numpy(),
             "logistic": logit.predict_proba(test).to_numpy()}
    rows = []
    for name, p in preds.items():
        curve, _ = brier_curve(train, test, {name: (1 - p)[:, None]}, [horizon], integrate=False)
        rows.append({"model": name,
                     "auc_labelled": float(roc_auc_score(y[known], p[known])),
                     "auc_horizon": horizon_auc(train, test, p, horizon),
                     "brier_horizon": float(curve[name].iloc[0]),
                     "mean_predicted": float(p.mean()),
                     "observed_km": float(observed)})
    return pd.DataFrame(rows)


def describe_censoring_bias(logit: HorizonLogistic, observed_km: float, horizon: float,
                            time_unit: str, sample: str = "the test set") -> str:
    """What dropping customers censored before the horizon did to the logistic model.

    ``observed_km`` is the Kaplan-Meier churn by the horizon in ``sample``; pass the training
    customers' estimate (``sample="the same training customers"``) to compare like with like.
    """
    n = logit.n_used_ + logit.n_dropped_
    share = logit.n_dropped_ / n
    return (f"{logit.n_dropped_} of {n} training customers ({share:.1%}) were still active but "
            f"observed for less than {horizon:g} {time_unit}, so the logistic model had to drop "
            f"them. Among the customers it kept, {logit.label_rate_:.1%} churned by {horizon:g} "
            f"{time_unit}; the Kaplan-Meier estimate, which also uses the dropped customers' "
            f"{time_unit} without churn, puts churn by then at {observed_km:.1%} for {sample}. "
            "Dropping short-tenure stayers keeps every early churner but not their peers who "
            "stayed, which pushes the logistic probabilities up; labelling them as stayers would "
            "push them down. The Cox model needs neither shortcut.")
