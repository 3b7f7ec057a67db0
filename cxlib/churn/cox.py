"""The Cox proportional hazards model for churn, on a customer table.

lifelines' ``CoxPHFitter`` does the fitting (Efron ties, as R's ``coxph``); this module adds the
encoding and pre-fit checks, predictions for customers who are still active, and a vectorised
Schoenfeld-residual test of proportional hazards that scales to millions of customers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .data import TABLE, CovariateEncoder, check_covariates
from ..core import DataError, require_columns, require_not_empty, require_rows

__all__ = ["CoxChurnModel", "scaled_schoenfeld", "schoenfeld_test", "stratify_candidates",
           "stratified_alternative"]


def _step(times: np.ndarray, values: np.ndarray, at) -> np.ndarray:
    """Evaluate a right-continuous step function (0 before the first time) at ``at``."""
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)


class CoxChurnModel:
    """Cox proportional hazards model for churn on a customer table.

    Parameters
    ----------
    penalizer : float
        L2 penalty passed to lifelines (0 = ordinary partial likelihood, as R's ``coxph``).
    strata : list of str, optional
        Categorical columns whose baseline hazard is left free (a stratified Cox model); use it
        for covariates that break proportional hazards.
    alpha : float
        1 - confidence level of the intervals.

    Attributes
    ----------
    params_ : Series
        Log hazard ratios per design column.
    summary_ : DataFrame
        ``covariate, coef, se, z, p, hazard_ratio, ci_lower, ci_upper, reference`` (intervals on
        the hazard-ratio scale).
    references_ : dict
        Reference level of each categorical covariate.
    baseline_cumulative_hazard_ : DataFrame
        Breslow estimate at the mean covariate values, one column per stratum.
    n_, events_, concordance_train_ : int, int, float

    Notes
    -----
    The hazard of customer *i* is :math:`h_i(t) = h_0(t) \\exp(x_i^\\top \\beta)` (Cox, 1972,
    "Regression models and life-tables"); ties are handled with Efron's method, as in R.
    """

    def __init__(self, penalizer: float = 0.0, strata: Sequence[str] | None = None,
                 alpha: float = 0.05):
        self.penalizer = penalizer
        self.strata = strata
        self.alpha = alpha

    # -- fitting -------------------------------------------------------------------------------
    def _design(self, df: pd.DataFrame) -> pd.DataFrame:
        X = self.encoder_.transform(df)
        for col in self.strata_:
            X[col] = df[col].astype(str).to_numpy()
        return X

    def fit(self, df: pd.DataFrame, covariates: Sequence[str], *, duration_col: str = "duration",
            event_col: str = "event", categorical: Sequence[str] = ()) -> CoxChurnModel:
        """Fit on survival data from :func:`prepare_churn_data` (or any frame with the columns)."""
        from lifelines import CoxPHFitter
        from lifelines.exceptions import ConvergenceError, ConvergenceWarning

        source = df.attrs.get("source")
        self.strata_ = list(self.strata or [])
        covariates = [c for c in covariates if c not in self.strata_]
        require_columns(df, [duration_col, event_col, *covariates, *self.strata_], table=TABLE,
                        source=source)
        require_not_empty(df, table=TABLE, source=source)
        dur = df[duration_col].to_numpy(dtype=float)
        ev = df[event_col].to_numpy()
        require_rows(df, ~(np.isfinite(dur) & (dur > 0)), "durations must be positive numbers",
                     table=TABLE, column=duration_col, source=source)
        require_rows(df, ~np.isin(ev, (0, 1)), "events must be 0 or 1", table=TABLE,
                     column=event_col, source=source)
        self.encoder_ = CovariateEncoder(covariates, categorical).fit(df)
        X = self._design(df)
        check_covariates(X[self.encoder_.columns_], ev, source=source, model="cox",
                         separation=self.penalizer == 0)
        X["_duration"] = dur
        X["_event"] = ev.astype(int)
        cph = CoxPHFitter(penalizer=self.penalizer, alpha=self.alpha,
                          strata=self.strata_ or None)
        advice = ("usually a covariate nearly separates churners or two covariates are nearly "
                  "collinear: try penalizer=0.1 or drop a covariate")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                cph.fit(X, "_duration", "_event")
        except (ConvergenceError, np.linalg.LinAlgError) as exc:
            raise DataError(f"the Cox model did not converge ({str(exc).splitlines()[0]}); "
                            f"{advice}", table=TABLE, source=source) from exc
        for w in caught:
            text = str(w.message).strip()
            # a fit that stopped short or found no unique maximum is an error, not a footnote;
            # lifelines' other convergence hints (e.g. a column correlated with duration) stay
            # warnings
            if issubclass(w.category, ConvergenceWarning) and any(
                    key in text for key in ("failed to converge", "norm(delta) is still high",
                                            "suspiciously close to 0")):
                raise DataError(f"the Cox model did not converge ({text.splitlines()[0]}); "
                                f"{advice}", table=TABLE, source=source)
            warnings.warn(w.message, w.category, stacklevel=2)
        self.lifelines_ = cph
        self.params_ = cph.params_.copy()
        self.references_ = dict(self.encoder_.references_)
        self.n_ = int(len(X))
        self.events_ = int(ev.sum())
        self.concordance_train_ = float(cph.concordance_index_)
        self.baseline_cumulative_hazard_ = cph.baseline_cumulative_hazard_.copy()
        self.max_time_ = float(dur.max())
        self.summary_ = self._summary(cph)
        return self

    def _summary(self, cph) -> pd.DataFrame:
        s = cph.summary
        covariate = s.index.astype(str)
        reference = []
        for name in covariate:
            col = name.split("=", 1)[0]
            reference.append(f"{col}={self.references_[col]}" if "=" in name
                             and col in self.references_ else "")
        return pd.DataFrame({
            "covariate": covariate,
            "coef": s["coef"].to_numpy(),
            "se": s["se(coef)"].to_numpy(),
            "z": s["z"].to_numpy(),
            "p": s["p"].to_numpy(),
            "hazard_ratio": s["exp(coef)"].to_numpy(),
            "ci_lower": np.exp(s.filter(like="coef lower").iloc[:, 0].to_numpy()),
            "ci_upper": np.exp(s.filter(like="coef upper").iloc[:, 0].to_numpy()),
            "reference": reference,
        })

    # -- prediction ----------------------------------------------------------------------------
    def predict_log_hazard(self, df: pd.DataFrame) -> pd.Series:
        """Linear predictor :math:`(x - \\bar x)^\\top\\beta` (centred at the training means)."""
        X = self.encoder_.transform(df)
        lp = (X.to_numpy() - self.lifelines_._norm_mean.to_numpy()) @ self.params_.to_numpy()
        return pd.Series(lp, index=df.index, name="log_hazard")

    def _baselines(self, df: pd.DataFrame):
        """Yield (row positions, event times, baseline cumulative hazard) per stratum."""
        H = self.baseline_cumulative_hazard_
        t = H.index.to_numpy(dtype=float)
        if not self.strata_:
            yield np.arange(len(df)), t, H.iloc[:, 0].to_numpy()
            return
        keys = df[self.strata_].astype(str)
        labels = keys.iloc[:, 0] if len(self.strata_) == 1 else keys.apply(tuple, axis=1)
        for key, pos in pd.Series(np.arange(len(df))).groupby(labels.to_numpy()):
            if key not in H.columns:
                raise DataError(f"stratum {key!r} was not in the training data", table=TABLE,
                                column=self.strata_[0], source=df.attrs.get("source"))
            yield pos.to_numpy(), t, H[key].to_numpy()

    def predict_survival(self, df: pd.DataFrame, times) -> np.ndarray:
        """:math:`S(t \\mid x)` for every row (rows) and time in ``times`` (columns)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        risk = np.exp(self.predict_log_hazard(df).to_numpy())
        out = np.empty((len(df), len(times)))
        for pos, t, H in self._baselines(df):
            out[pos] = np.exp(-np.outer(risk[pos], _step(t, H, times)))
        return out

    def predict_survival_at(self, df: pd.DataFrame, time: float) -> pd.Series:
        """Probability of still being a customer at ``time`` (from signup)."""
        return pd.Series(self.predict_survival(df, [time])[:, 0], index=df.index,
                         name="survival")

    def predict_remaining(self, df: pd.DataFrame, horizon: float, *,
                          tenure_col: str = "duration", chunk: int = 5_000) -> pd.DataFrame:
        """Forward-looking scores for customers who are still active at their current tenure.

        For tenure :math:`t_0` and window end :math:`c = \\min(t_0 + h, \\tau)`, where
        :math:`\\tau` is the longest follow-up in the training data (the model knows nothing
        beyond it):

        - ``survival_horizon`` :math:`= S(c \\mid x) / S(t_0 \\mid x)`, the chance to stay until
          the window end given active now;
        - ``remaining_lifetime`` :math:`= \\int_{t_0}^{c} S(t \\mid x) / S(t_0 \\mid x)\\,dt`,
          the restricted mean remaining lifetime within the window;
        - ``window_end`` :math:`c`; ``capped`` says when :math:`c < t_0 + h`.
        """
        t0 = df[tenure_col].to_numpy(dtype=float)
        cap = np.maximum(np.minimum(t0 + horizon, self.max_time_), t0)
        risk = np.exp(self.predict_log_hazard(df).to_numpy())
        surv = np.empty(len(df))
        rmst = np.empty(len(df))
        for pos, t, H in self._baselines(df):
            grid = np.concatenate([[0.0], t])
            Hg = np.concatenate([[0.0], H])  # H constant on [grid_k, grid_k+1)
            upper = np.concatenate([grid[1:], [np.inf]])
            # customers by tenure: a chunk's windows then cover few grid intervals, and only
            # those enter its sum (the others have length 0)
            pos = pos[np.argsort(t0[pos], kind="stable")]
            for start in range(0, len(pos), chunk):
                p = pos[start:start + chunk]
                a, c, r = t0[p, None], cap[p, None], risk[p, None]
                cols = slice(np.searchsorted(upper, a.min(), side="right"),
                             np.searchsorted(grid, c.max(), side="left"))
                H0 = _step(t, H, a)
                length = np.clip(np.minimum(upper[cols], c) - np.maximum(grid[cols], a), 0, None)
                rmst[p] = (np.exp(-(Hg[cols] - H0) * r) * length).sum(1)
                surv[p] = np.exp(-(_step(t, H, c) - H0) * r)[:, 0]
        return pd.DataFrame({"survival_horizon": surv, "remaining_lifetime": rmst,
                             "window_end": cap, "capped": cap < t0 + horizon - 1e-12},
                            index=df.index)

    # -- assumptions ---------------------------------------------------------------------------
    def check_proportional_hazards(self, df: pd.DataFrame, *, duration_col: str = "duration",
                                   event_col: str = "event", alpha: float = 0.05) -> pd.DataFrame:
        """Schoenfeld-residual tests of proportional hazards, one row per design column.

        Pass the data the model was fitted on. The test is that of Grambsch and Therneau (1994,
        "Proportional hazards tests and diagnostics based on weighted residuals") with the rank
        time transform, as lifelines' ``proportional_hazard_test``; :func:`schoenfeld_test`
        computes it in O(n log n) (lifelines' own residual loop grows quadratically with the
        number of customers). A stratified model is tested with lifelines.

        Returns
        -------
        DataFrame ``covariate, variable, kind, statistic, p, proportional, advice``.
        """
        X = self._design(df)
        if self.strata_:
            from lifelines.statistics import proportional_hazard_test

            X["_duration"] = df[duration_col].to_numpy(dtype=float)
            X["_event"] = df[event_col].to_numpy(dtype=int)
            s = proportional_hazard_test(self.lifelines_, X, time_transform="rank").summary
            res = pd.DataFrame({"covariate": [i if isinstance(i, str) else i[0] for i in s.index],
                                "statistic": s["test_statistic"].to_numpy(),
                                "p": s["p"].to_numpy()})
        else:
            res = schoenfeld_test(X[self.params_.index], df[duration_col], df[event_col],
                                  self.params_, self.lifelines_.variance_matrix_)
        rows = []
        for _, row in res.iterrows():
            name = row["covariate"]
            variable = name.split("=", 1)[0]
            categorical = variable in self.encoder_.levels_
            ok = bool(row["p"] >= alpha)
            advice = "" if ok else (
                f"fit a model stratified by {variable}" if categorical else
                f"bin {variable} into groups and stratify, or let its effect change with time")
            rows.append({"covariate": name, "variable": variable,
                         "kind": "categorical" if categorical else "numeric",
                         "statistic": float(row["statistic"]), "p": float(row["p"]),
                         "proportional": ok, "advice": advice})
        return pd.DataFrame(rows)

    def scaled_schoenfeld_residuals(self, df: pd.DataFrame, *, duration_col: str = "duration",
                                    event_col: str = "event") -> pd.DataFrame:
        """:math:`\\hat\\beta_k + r^*_{ik}` per churn: the effect each covariate "had" at that time.

        Pass the data the model was fitted on; unstratified models only. Columns ``time``,
        ``rank`` and one per design column.
        """
        if self.strata_:
            raise NotImplementedError("scaled Schoenfeld residuals are computed for "
                                      "unstratified models only")
        X = self._design(df)[self.params_.index]
        res = scaled_schoenfeld(X, df[duration_col], df[event_col], self.params_,
                                self.lifelines_.variance_matrix_)
        res[list(X.columns)] += self.params_.to_numpy()
        return res

    def __repr__(self) -> str:
        fitted = f", n={self.n_}, events={self.events_}" if hasattr(self, "params_") else ""
        return f"CoxChurnModel(penalizer={self.penalizer}, strata={self.strata}{fitted})"


def scaled_schoenfeld(X: pd.DataFrame, durations, events, params, variance) -> pd.DataFrame:
    """Scaled Schoenfeld residuals, one row per churn in time order.

    For each churn *i* the Schoenfeld residual is :math:`r_i = x_i - \\bar x(t_i)`, the covariates
    minus their risk-weighted mean over the customers still at risk (Efron's average over tied
    churns). Scaled, :math:`r^*_i = D\\, V r_i` (``V`` the coefficients' covariance, ``D`` the
    number of churns) estimates :math:`\\beta(t_i) - \\hat\\beta` (Grambsch and Therneau, 1994).
    All risk-set sums are reverse cumulative sums over the sorted times: one sort plus O(n p).

    Returns
    -------
    DataFrame indexed like the churners' rows of ``X``, with ``time``, ``rank`` (of the churn
    time among churns) and one column per covariate holding :math:`r^*_{ik}`; add :math:`\\hat\\beta_k` to read it as
    :math:`\\beta_k(t_i)`, as R's ``residuals(fit, "scaledsch")`` does.
    """
    Xv = X.to_numpy(dtype=float)
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(bool)
    beta = np.asarray(params, dtype=float)
    order = np.argsort(t, kind="mergesort")
    Xv, t, e = Xv[order], t[order], e[order]
    Xv = Xv - Xv.mean(0)  # residuals are unchanged; keeps exp() away from overflow
    phi = np.exp(Xv @ beta)
    uniq, first_row = np.unique(t, return_index=True)
    n_groups, d = len(uniq), Xv.shape[1]
    group = np.repeat(np.arange(n_groups), np.diff(np.append(first_row, len(t))))

    def by_group(w):
        return np.bincount(group, w, n_groups)

    # risk set at time u: everyone with T >= u
    S0 = np.cumsum(by_group(phi)[::-1])[::-1]
    S1 = np.cumsum(np.column_stack([by_group(phi * Xv[:, k]) for k in range(d)])[::-1], 0)[::-1]
    # churns tied at u
    phi_e = phi * e
    T0 = by_group(phi_e)
    T1 = np.column_stack([by_group(phi_e * Xv[:, k]) for k in range(d)])
    m = by_group(e.astype(float))
    rows = np.flatnonzero(e)
    g_ev = group[rows]
    tie_pos = np.arange(len(rows)) - np.searchsorted(g_ev, g_ev, side="left")
    frac = tie_pos / m[g_ev]
    terms = (S1[g_ev] - frac[:, None] * T1[g_ev]) / (S0[g_ev] - frac * T0[g_ev])[:, None]
    mean_at = np.column_stack([np.bincount(g_ev, terms[:, k], n_groups) for k in range(d)])
    mean_at /= np.maximum(m, 1)[:, None]
    resid = Xv[rows] - mean_at[g_ev]
    scaled = len(rows) * resid @ np.asarray(variance, dtype=float)
    out = pd.DataFrame(scaled, columns=list(X.columns), index=X.index[order][rows])
    out.insert(0, "rank", np.arange(1, len(rows) + 1, dtype=float))
    out.insert(0, "time", t[rows])
    return out


def schoenfeld_test(X: pd.DataFrame, durations, events, params, variance) -> pd.DataFrame:
    """Grambsch-Therneau test of proportional hazards with the rank time transform.

    A trend of the scaled Schoenfeld residuals (:func:`scaled_schoenfeld`) against
    :math:`g(t)`, the rank of the churn time, means the hazard ratio changes with time:

    .. math:: T_k = \\frac{\\left(\\sum_i (g_i - \\bar g)\\, r^*_{ik}\\right)^2}
              {D\\, V_{kk} \\sum_i (g_i - \\bar g)^2} \\sim \\chi^2_1.

    Returns
    -------
    DataFrame ``covariate, statistic, p``.
    """
    from scipy.stats import chi2

    res = scaled_schoenfeld(X, durations, events, params, variance)
    scaled = res[list(X.columns)].to_numpy()
    gc = res["rank"].to_numpy() - res["rank"].mean()
    var = np.diag(np.asarray(variance, dtype=float))
    stat = (gc @ scaled) ** 2 / (len(res) * var * (gc ** 2).sum())
    return pd.DataFrame({"covariate": list(X.columns), "statistic": stat, "p": chi2.sf(stat, 1)})


def stratify_candidates(ph_table: pd.DataFrame) -> list[str]:
    """Categorical variables whose proportional-hazards test failed (candidates for strata)."""
    bad = ph_table[(~ph_table["proportional"]) & (ph_table["kind"] == "categorical")]
    return list(dict.fromkeys(bad["variable"]))


def stratified_alternative(df: pd.DataFrame, covariates: Sequence[str], ph_table: pd.DataFrame,
                           *, penalizer: float = 0.0, categorical: Sequence[str] = ()):
    """A Cox model stratified by the categorical covariates that failed the PH test.

    Returns ``(model, sentence)``; ``model`` is None when no categorical covariate failed.
    Each stratum gets its own baseline hazard, so the failing covariate no longer needs a
    constant hazard ratio (and no longer gets one).
    """
    strata = stratify_candidates(ph_table)
    if not strata:
        return None, ("No categorical covariate fails the proportional-hazards test, so no "
                      "stratified model is needed.")
    model = CoxChurnModel(penalizer=penalizer, strata=strata).fit(df, covariates,
                                                                  categorical=categorical)
    return model, (f"Stratified by {', '.join(strata)}: each level keeps its own baseline "
                   "churn curve, and the remaining hazard ratios are estimated within levels. "
                   "Where they move little from the unstratified model, the PH violation did "
                   "not distort them.")
