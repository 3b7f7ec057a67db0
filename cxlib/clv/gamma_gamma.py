"""The Gamma-Gamma model of spend per purchase (Colombo & Jiang 1999; Fader & Hardie 2013).

Each purchase of a customer is ``Gamma(p, nu)`` with the customer's ``nu ~ Gamma(q, v)``, so a
customer's mean spend ``p / nu`` varies across customers, and the mean of ``x`` purchases
``zbar`` is shrunk toward the population mean in prediction. The model assumes spend per
purchase is independent of how often a customer buys; :func:`independence_check` looks at it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from .likelihood import ConvergenceWarning, collapse, fit_log_params, standard_errors, summary_columns
from ..core import DataError, require_rows

__all__ = ["GammaGammaFitter", "gamma_gamma_log_likelihood", "independence_check"]

PARAMS = ("p", "q", "v")


def gamma_gamma_log_likelihood(params, x, zbar, weights=None, gradient: bool = False):
    """Weighted Gamma-Gamma log-likelihood of mean spend ``zbar`` over ``x`` purchases.

    Fader & Hardie (2013, eq. 3):
    ``log f = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln zbar + px ln x - (px+q) ln(v + x zbar)``.
    With ``gradient=True`` also returns ``d logL / d log(param)``.
    """
    p, q, v = (float(val) for val in params)
    x = np.asarray(x, dtype=float)
    zbar = np.asarray(zbar, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    px = p * x
    log_vxz = np.log(v + x * zbar)
    ll_i = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(zbar)
            + px * np.log(x) - (px + q) * log_vxz)
    ll = float(np.sum(w * ll_i))
    if not gradient:
        return ll
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(zbar) + np.log(x) - log_vxz)
    d_q = psi - digamma(q) + np.log(v) - log_vxz
    d_v = q / v - (px + q) / (v + x * zbar)
    grad = np.array([np.sum(w * d) for d in (d_p, d_q, d_v)]) * np.array([p, q, v])
    return ll, grad


def independence_check(summary: pd.DataFrame, frequency_col: str = "frequency",
                       monetary_col: str = "monetary_value") -> dict:
    """Correlation of purchase frequency and mean spend among repeat buyers.

    The Gamma-Gamma model assumes the two are independent. Returns Pearson and Spearman
    correlations with p-values, the number of repeat buyers and a sentence to read.
    """
    rep = summary[summary[frequency_col] > 0]
    x = rep[frequency_col].to_numpy(dtype=float)
    m = rep[monetary_col].to_numpy(dtype=float)
    if len(rep) < 3:
        raise DataError(f"{len(rep)} repeat buyers; at least 3 are needed to check the correlation",
                        table="customer summary", column=frequency_col)
    pr = stats.pearsonr(x, m)
    sr = stats.spearmanr(x, m)
    rho = float(sr.statistic)
    size = "negligible" if abs(rho) < 0.1 else "weak" if abs(rho) < 0.3 else "moderate" if abs(rho) < 0.5 else "strong"
    verdict = ("the independence assumption of the Gamma-Gamma model looks reasonable"
               if abs(rho) < 0.3 else
               "spend depends on frequency, so Gamma-Gamma spend predictions are biased for the "
               "most (or least) frequent buyers; read them with care")
    text = (f"Among {len(rep):,} repeat buyers, purchase frequency and mean spend have a Spearman "
            f"correlation of {rho:.2f} ({size}; Pearson {pr.statistic:.2f}): {verdict}.")
    return {"n": int(len(rep)), "pearson": float(pr.statistic), "pearson_pvalue": float(pr.pvalue),
            "spearman": rho, "spearman_pvalue": float(sr.pvalue), "text": text}


class GammaGammaFitter:
    """Gamma-Gamma model of spend per purchase, fitted by maximum likelihood on repeat buyers.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on the parameters (as in ``lifetimes``).
    max_iter : int, default 1000
    tol : float, default 1e-9

    Attributes
    ----------
    params_ : Series
        ``p``, ``q``, ``v`` (``v`` is called gamma in Fader & Hardie 2013).
    standard_errors_, covariance_, summary_, log_likelihood_, n_customers_, converged_
        As in :class:`~cxlib.bgnbd.BetaGeoFitter`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    http://brucehardie.com/notes/025/
    """

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-9):
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, summary: pd.DataFrame, frequency_col: str = "frequency",
            monetary_col: str = "monetary_value", initial_params=None) -> GammaGammaFitter:
        """Fit on the customers with ``frequency > 0`` (the others carry no spend information).

        Raises
        ------
        DataError
            Missing columns, non-finite values, repeat buyers with a mean spend <= 0, or fewer
            than two repeat buyers.
        """
        tab = "customer summary"
        src = summary.attrs.get("source")
        v = summary_columns(summary, {"x": frequency_col, "m": monetary_col}, table=tab)
        rep = v["x"] > 0
        require_rows(summary, rep & (v["m"] <= 0),
                     "repeat buyers with mean spend <= 0; the spend model needs positive amounts "
                     "(net returns against purchases first)", table=tab, column=monetary_col,
                     source=src, show=[frequency_col, monetary_col])
        if rep.sum() < 2:
            raise DataError(f"{int(rep.sum())} repeat buyer(s); spend per purchase is learned from "
                            "customers with at least one repeat purchase, so it needs many of them",
                            table=tab, column=frequency_col, source=src)
        data, w = collapse({"x": v["x"][rep], "m": v["m"][rep]})
        n = float(w.sum())

        def nll_and_grad(theta):
            ll, g = gamma_gamma_log_likelihood(np.exp(theta), data["x"], data["m"], w, gradient=True)
            return -ll, -g

        if initial_params is None:
            # Method of moments on the log scale: p around 2, v so that the mean matches.
            mean = float(np.average(data["m"], weights=w))
            initial_params = [2.0, 3.0, mean]
        theta, nll, ok = fit_log_params(nll_and_grad, np.log(initial_params), n, names=PARAMS,
                                        model="GammaGammaFitter", penalizer=self.penalizer,
                                        max_iter=self.max_iter, tol=self.tol)
        self.params_, self.standard_errors_, self.covariance_, self.summary_ = standard_errors(
            nll_and_grad, theta, PARAMS, "GammaGammaFitter", self.penalizer, n)
        self.log_likelihood_ = -nll
        self.n_customers_ = int(round(n))
        self.converged_ = ok
        if ok and self.params_["q"] <= 1:
            # q <= 1 means the spend distribution across customers has no finite mean.
            warnings.warn(f"GammaGammaFitter: q = {self.params_['q']:.3g} <= 1, so mean spend across "
                          "customers is infinite and expected spend is undefined for customers with few "
                          "purchases; a few extreme order values usually cause this; check them, or "
                          "try GammaGammaFitter(penalizer=0.001)", ConvergenceWarning, stacklevel=2)
        return self

    def population_mean_spend(self) -> float:
        """Mean spend per purchase across customers, ``v p / (q - 1)`` (infinite when q <= 1)."""
        p, q, v = (float(self.params_[k]) for k in PARAMS)
        return v * p / (q - 1) if q > 1 else np.inf

    def predict_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, zbar]: expected spend per purchase (Fader & Hardie 2013, eq. 5).

        ``(q-1)/(px+q-1) * vp/(q-1) + px/(px+q-1) * zbar``: a weighted average of the population
        mean and the customer's own mean; customers without repeats get the population mean.
        """
        if not hasattr(self, "params_"):
            raise RuntimeError("GammaGammaFitter is not fitted yet; call fit(summary) first")
        p, q, v = (float(self.params_[k]) for k in PARAMS)
        x = np.asarray(frequency, dtype=float)
        zbar = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        denom = p * x + q - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, (v * p + p * x * zbar) / denom, np.nan)

    def predict(self, summary: pd.DataFrame, frequency_col: str = "frequency",
                monetary_col: str = "monetary_value") -> pd.Series:
        """Per-customer ``expected_spend``."""
        return pd.Series(self.predict_spend(summary[frequency_col], summary[monetary_col]),
                         index=summary.index, name="expected_spend")

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"GammaGammaFitter(penalizer={self.penalizer})"
        p = ", ".join(f"{k}={val:.4g}" for k, val in self.params_.items())
        return f"GammaGammaFitter({p}, n={self.n_customers_})"
