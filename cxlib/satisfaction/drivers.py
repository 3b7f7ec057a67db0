"""Key-driver regression: which attribute ratings move overall satisfaction.

- :func:`driver_frame` validates a target and its drivers and keeps the complete answers
  (listwise deletion, with a :class:`~cxlib.data.DataWarning` saying how many rows were dropped).
- :class:`DriverModel`: OLS with HC3 robust standard errors (MacKinnon & White, 1985),
  standardized coefficients, variance inflation factors and residual diagnostics.
- :class:`OrdinalDriverModel`: proportional-odds logit (McCullagh, 1980) as a check when the
  target is a short Likert scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..core import (DataError, DataWarning, describe_rows, location, require_columns,
                   require_not_empty, require_range, to_numeric)
from .points import require_whole_points

__all__ = ["driver_frame", "DriverModel", "OrdinalDriverModel", "rank_agreement"]


def _as_float(df: pd.DataFrame, column: str, *, table: str, source) -> pd.Series:
    s = df[column]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    # Blank cells are reported once, by the listwise-deletion warning below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return to_numeric(df, column, table=table, source=source)


def driver_frame(df: pd.DataFrame, target: str, drivers: Sequence[str], *,
                 scale: tuple[float, float] | None = None,
                 driver_scale: tuple[float, float] | None = None,
                 table: str = "survey", source=None) -> pd.DataFrame:
    """Validate a target and its drivers and return the complete rows as floats.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    target : str
        Overall satisfaction column.
    drivers : sequence of str
        Attribute-rating columns.
    scale, driver_scale : (low, high), optional
        Allowed range of the target and of the drivers; values outside are an error.
    table, source : str, optional
        Names used in error messages (``source`` defaults to ``df.attrs["source"]``).

    Returns
    -------
    DataFrame with columns ``[target, *drivers]`` (float), index of the kept rows.

    Raises
    ------
    DataError
        Missing or non-numeric columns, values off the scale, fewer complete respondents than
        drivers + 2, a constant target or driver, or drivers that are exact linear combinations
        of each other.
    """
    source = source if source is not None else df.attrs.get("source")
    drivers = list(drivers)
    if not drivers:
        raise DataError("no driver columns given; expected at least one attribute rating",
                        table=table, source=source)
    dup = sorted({d for d in drivers if drivers.count(d) > 1})
    if dup:
        raise DataError(f"driver column(s) listed twice: {', '.join(map(repr, dup))}",
                        table=table, source=source, column=dup[0])
    if target in drivers:
        raise DataError("the target is also listed as a driver", table=table, source=source,
                        column=target)
    cols = [target, *drivers]
    require_columns(df, cols, table=table, source=source)
    require_not_empty(df, table=table, source=source)
    data = pd.DataFrame({c: _as_float(df, c, table=table, source=source) for c in cols},
                        index=df.index)
    if scale is not None:
        require_range(df, data[target], scale[0], scale[1], table=table, column=target,
                      source=source, what="target values")
    if driver_scale is not None:
        for c in drivers:
            require_range(df, data[c], driver_scale[0], driver_scale[1], table=table, column=c,
                          source=source, what="ratings")

    missing = data.isna().to_numpy()
    incomplete = missing.any(axis=1)
    p = len(drivers)
    n_complete = int((~incomplete).sum())
    if incomplete.any():
        per_col = pd.Series(missing.sum(axis=0), index=cols)
        worst = per_col[per_col > 0].sort_values(ascending=False)
        detail = ", ".join(f"{c}: {k}" for c, k in worst.items())
        msg = (f"{describe_rows(df, incomplete, cols[:3])} have a missing answer (blank cells per "
               f"column: {detail}); the driver model uses the {n_complete} complete rows "
               "(listwise deletion)")
        if n_complete >= p + 2:
            warnings.warn(f"{location(source, table)}: {msg}", DataWarning, stacklevel=2)
    if n_complete < p + 2:
        raise DataError(
            f"only {n_complete} complete respondent(s) for {p} driver(s); a driver model needs at "
            f"least {p + 2} (drivers + intercept + one degree of freedom for the error)",
            table=table, source=source, n_rows=n_complete)
    data = data.loc[~incomplete]

    for c in cols:
        if data[c].nunique() < 2:
            role = "target" if c == target else "driver"
            raise DataError(
                f"the {role} has the same value ({data[c].iloc[0]:g}) in all {len(data)} complete "
                f"rows; a constant {role} carries no information about satisfaction"
                + ("" if c == target else "; drop it from the driver list"),
                table=table, source=source, column=c, n_rows=len(data))
    x = data[drivers].to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    if np.linalg.matrix_rank(z) < p:
        # Name the first driver that adds nothing beyond the ones before it.
        culprit = next(d for k, d in enumerate(drivers, 1) if np.linalg.matrix_rank(z[:, :k]) < k)
        raise DataError("this driver is an exact linear combination of the drivers listed before "
                        "it; drop one of them", table=table, source=source, column=culprit)
    data.attrs["source"] = source
    data.attrs["table"] = table
    return data


class DriverModel:
    """OLS key-driver model with HC3 robust standard errors.

    Parameters
    ----------
    scale, driver_scale : (low, high), optional
        Allowed ranges of the target and the drivers, checked in :meth:`fit`.
    confidence : float
        Level of the coefficient intervals.

    Attributes
    ----------
    params_ : Series
        Intercept and raw coefficients (target points per rating point).
    summary_ : DataFrame
        One row per driver: ``coef``, ``se`` (HC3), ``t``, ``p``, ``ci_lower``, ``ci_upper``,
        ``std_coef`` (coef x sd(driver) / sd(target)) and ``vif``.
    r2_, adj_r2_, n_ : float, float, int
    diagnostics_ : dict
        Breusch-Pagan heteroscedasticity test, Jarque-Bera normality test, residual skewness and
        kurtosis, largest Cook's distance and the number of rows above 4/n.

    Notes
    -----
    HC3 (MacKinnon & White, 1985, "Some heteroskedasticity-consistent covariance matrix
    estimators with improved finite sample properties", J. Econometrics 29) keeps the p-values
    honest when the error variance changes with the ratings, which is usual for bounded scales.
    """

    def __init__(self, scale: tuple[float, float] | None = None,
                 driver_scale: tuple[float, float] | None = None, confidence: float = 0.95):
        self.scale = scale
        self.driver_scale = driver_scale
        self.confidence = confidence

    def fit(self, df: pd.DataFrame, target: str, drivers: Sequence[str], *,
            table: str = "survey", source=None) -> "DriverModel":
        """Fit ``target ~ drivers`` on the complete rows of ``df``."""
        import statsmodels.api as sm
        from statsmodels.stats.diagnostic import het_breuschpagan

        data = driver_frame(df, target, drivers, scale=self.scale, driver_scale=self.driver_scale,
                            table=table, source=source)
        self.target_, self.drivers_ = target, list(drivers)
        y = data[target].to_numpy()
        x = data[self.drivers_].to_numpy()
        exog = np.column_stack([np.ones(len(y)), x])
        names = ["Intercept", *self.drivers_]
        res = sm.OLS(y, exog).fit(cov_type="HC3", use_t=True)
        ci = res.conf_int(alpha=1 - self.confidence)
        self.params_ = pd.Series(res.params, index=names)
        self.n_ = int(res.nobs)
        self.r2_ = float(res.rsquared)
        self.adj_r2_ = float(res.rsquared_adj)

        corr = np.corrcoef(x, rowvar=False).reshape(len(self.drivers_), len(self.drivers_))
        # VIF_j is the j-th diagonal element of the inverse predictor correlation matrix.
        vif = np.diag(np.linalg.inv(corr)) if len(self.drivers_) > 1 else np.ones(1)
        std = res.params[1:] * x.std(axis=0, ddof=1) / y.std(ddof=1)
        self.summary_ = pd.DataFrame({
            "coef": res.params[1:], "se": res.bse[1:], "t": res.tvalues[1:], "p": res.pvalues[1:],
            "ci_lower": ci[1:, 0], "ci_upper": ci[1:, 1], "std_coef": std, "vif": vif,
        }, index=pd.Index(self.drivers_, name="driver"))
        self.intercept_ = pd.Series({"coef": res.params[0], "se": res.bse[0], "p": res.pvalues[0]})

        resid = res.resid
        bp_stat, bp_p, _, _ = het_breuschpagan(resid, exog)
        jb = stats.jarque_bera(resid)
        infl = res.get_influence()
        cooks = infl.cooks_distance[0]
        self.diagnostics_ = {
            "breusch_pagan_stat": float(bp_stat), "breusch_pagan_p": float(bp_p),
            "jarque_bera_stat": float(jb.statistic), "jarque_bera_p": float(jb.pvalue),
            "residual_skew": float(stats.skew(resid)),
            "residual_excess_kurtosis": float(stats.kurtosis(resid)),
            "max_cooks_distance": float(np.max(cooks)),
            "n_cooks_above_4_over_n": int(np.sum(cooks > 4 / self.n_)),
            "max_vif": float(np.max(vif)),
            "residual_sd": float(np.sqrt(res.scale)),
        }
        return self

    def predict(self, df: pd.DataFrame) -> pd.Series:
        """Predicted target for each row of ``df`` (NaN where a driver is missing)."""
        x = df[self.drivers_].astype(float)
        return self.params_["Intercept"] + x @ self.params_[self.drivers_]

    def residuals(self, df: pd.DataFrame) -> pd.DataFrame:
        """``fitted`` and ``residual`` for the complete rows of ``df``."""
        data = df[[self.target_, *self.drivers_]].astype(float).dropna()
        fitted = self.predict(data)
        return pd.DataFrame({"fitted": fitted, "residual": data[self.target_] - fitted})

    def describe_diagnostics(self) -> str:
        """The residual checks in plain words."""
        d = self.diagnostics_
        parts = [f"R^2 = {self.r2_:.3f} on {self.n_} complete responses."]
        if d["breusch_pagan_p"] < 0.05:
            parts.append(f"The residual spread changes with the ratings (Breusch-Pagan p = "
                         f"{d['breusch_pagan_p']:.2g}), so the HC3 robust standard errors matter.")
        else:
            parts.append(f"No clear sign that the residual spread changes with the ratings "
                         f"(Breusch-Pagan p = {d['breusch_pagan_p']:.2g}).")
        if d["jarque_bera_p"] < 0.05:
            parts.append(f"Residuals are not normal (skew {d['residual_skew']:.2f}, excess kurtosis "
                         f"{d['residual_excess_kurtosis']:.2f}); with this many responses the "
                         "coefficients are still fine, but predictions of single scores are rough.")
        else:
            parts.append("Residuals look roughly normal (Jarque-Bera p = "
                         f"{d['jarque_bera_p']:.2g}).")
        if d["max_vif"] > 5:
            worst = self.summary_["vif"].idxmax()
            parts.append(f"Drivers overlap strongly (largest VIF {d['max_vif']:.1f}, {worst}): "
                         "read single coefficients with care and rely on the relative importance.")
        else:
            parts.append(f"Collinearity is modest (largest VIF {d['max_vif']:.1f}).")
        parts.append(f"{d['n_cooks_above_4_over_n']} responses have Cook's distance above 4/n = "
                     f"{4 / self.n_:.2g}, the usual flag for a closer look (largest "
                     f"{d['max_cooks_distance']:.3f})")
        if d["max_cooks_distance"] < 0.5:
            parts[-1] += "; all are far below 0.5, so no single response dominates the fit."
        else:
            parts[-1] += ("; a distance of 0.5 or more means one response moves the coefficients "
                          "visibly, look at it before trusting the fit.")
        return " ".join(parts)


class OrdinalDriverModel:
    """Proportional-odds (ordinal logit) driver model for a Likert-scale target.

    Parameters
    ----------
    max_levels : int
        Targets with more distinct values than this (such as a 0-100 score) are refused: an
        ordinal model would need one threshold per value. Targets with values between whole
        points (3.5 on 1-5) are refused too, naming the rows: the categories are the whole points.

    Attributes
    ----------
    summary_ : DataFrame
        One row per driver: ``coef`` (log-odds per rating point), ``se``, ``p``, ``odds_ratio``
        and ``std_coef`` (coef x sd(driver), log-odds per standard deviation).
    thresholds_ : ndarray
        Cut points between successive target levels.
    converged_ : bool

    Notes
    -----
    McCullagh (1980), "Regression models for ordinal data", JRSS B 42(2): P(Y <= k) =
    logistic(theta_k - x'beta). It respects that the distance between "3" and "4" need not equal
    that between "4" and "5", which OLS assumes.
    """

    def __init__(self, max_levels: int = 11):
        self.max_levels = max_levels

    def fit(self, df: pd.DataFrame, target: str, drivers: Sequence[str], *,
            table: str = "survey", source=None) -> "OrdinalDriverModel":
        """Fit the proportional-odds model; failures become a :class:`DataError`."""
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        data = driver_frame(df, target, drivers, table=table, source=source)
        # Its categories are the scale's whole points: 3.5 would silently become a level of its own.
        require_whole_points(df, target, _as_float(df, target, table=table, source=data.attrs["source"]),
                             reason="an ordinal logit models ordered categories, the scale's whole "
                             "points, and cannot place a value between two of them",
                             table=table, source=data.attrs["source"])
        levels = np.sort(data[target].unique())
        if len(levels) > self.max_levels:
            raise DataError(
                f"the target has {len(levels)} distinct values; an ordinal logit is meant for short "
                f"Likert scales (at most {self.max_levels} levels), use the OLS model",
                table=table, source=source, column=target)
        self.drivers_ = list(drivers)
        y = pd.Categorical(data[target], categories=levels, ordered=True)
        x = data[self.drivers_]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=500)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise DataError(f"the ordinal logit could not be fitted ({exc})", table=table,
                            source=source, column=target) from exc
        self.converged_ = bool(res.mle_retvals.get("converged", True))
        p = len(self.drivers_)
        coef = np.asarray(res.params)[:p]
        se = np.asarray(res.bse)[:p]
        if not self.converged_ or not np.all(np.isfinite(se)):
            warnings.warn("the ordinal logit did not converge; treat its coefficients as rough",
                          DataWarning, stacklevel=2)
        self.thresholds_ = np.asarray(res.model.transform_threshold_params(res.params))[1:-1]
        self.n_ = int(res.nobs)
        self.summary_ = pd.DataFrame({
            "coef": coef, "se": se, "p": np.asarray(res.pvalues)[:p], "odds_ratio": np.exp(coef),
            "std_coef": coef * x.std(ddof=1).to_numpy(),
        }, index=pd.Index(self.drivers_, name="driver"))
        return self


def rank_agreement(a: pd.Series, b: pd.Series) -> float:
    """Kendall's tau between two driver rankings (1 = same order)."""
    common = a.index.intersection(b.index)
    if len(common) < 2:
        return float("nan")
    return float(stats.kendalltau(a[common], b[common]).statistic)
