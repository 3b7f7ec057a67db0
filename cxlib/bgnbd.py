"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

While alive, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
after each purchase they drop out with probability ``p ~ Beta(a, b)``. A customer's history
enters only through ``x`` (repeat purchases), ``t_x`` (time of the last one) and ``T`` (time
observed since the first purchase).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from ._mle import collapse, fit_log_params, standard_errors, summary_columns
from .data import DataError, require_rows

__all__ = ["BetaGeoFitter", "bgnbd_log_likelihood"]

PARAMS = ("r", "alpha", "a", "b")


def bgnbd_log_likelihood(params, x, t_x, T, weights=None, gradient: bool = False):
    """Weighted BG/NBD log-likelihood and, optionally, its gradient in the log-parameters.

    Fader, Hardie & Lee (2005, eq. 6), written on the log scale:
    ``log L = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
    + log[ (alpha+T)^-(r+x) + 1{x>0} a/(b+x-1) (alpha+t_x)^-(r+x) ]``,
    the last term as a log-sum-exp so that large ``x`` does not overflow.

    Returns
    -------
    float, or (float, ndarray of 4)
        Total log-likelihood; with ``gradient=True`` also ``d logL / d log(param)``.
    """
    r, alpha, a, b = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1.0, 1.0)  # b + x - 1 only enters for repeat buyers

    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    m = np.maximum(a3, a4)
    lse = m + np.log(np.exp(a3 - m) + np.exp(a4 - m))
    ll = float(np.sum(w * (a1 + a2 + lse)))
    if not gradient:
        return ll

    # Share of the likelihood from "dropped out right after the last purchase".
    s = np.exp(a4 - lse)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - (1 - s) * np.log(alpha + T) - s * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * ((1 - s) / (alpha + T) + s / (alpha + t_x))
    dab = digamma(a + b) - digamma(a + b + x)
    d_a = dab + s / a
    d_b = dab + digamma(b + x) - digamma(b) - s / bx1
    grad = np.array([np.sum(w * d) for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return ll, grad


class BetaGeoFitter:
    """BG/NBD model fitted by maximum likelihood.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on the parameters (as in ``lifetimes``); a small value such as 0.001 keeps
        estimates finite on data that barely identify them.
    max_iter : int, default 1000
        Iteration limit of the optimizer.
    tol : float, default 1e-9
        Gradient tolerance (on the mean log-likelihood per customer).

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b``.
    standard_errors_ : Series
        From the inverse Hessian, carried to the natural scale by the delta method.
    covariance_ : DataFrame
    summary_ : DataFrame
        ``coef``, ``se``, 95% interval (built on the log scale).
    log_likelihood_ : float
    n_customers_ : int
    converged_ : bool

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
    an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
    """

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-9):
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, summary: pd.DataFrame, frequency_col: str = "frequency", recency_col: str = "recency",
            T_col: str = "T", weights_col: str | None = None, initial_params=None) -> BetaGeoFitter:
        """Fit to a customer summary (one row per customer, or per group with ``weights_col``).

        Raises
        ------
        DataError
            Missing columns, non-finite values, negative or fractional frequencies,
            ``recency`` outside ``[0, T]``, a single customer, or no repeat buyers.
        """
        cols = {"x": frequency_col, "t_x": recency_col, "T": T_col}
        if weights_col:
            cols["w"] = weights_col
        v = summary_columns(summary, cols, table="customer summary")
        x, t_x, T = v["x"], v["t_x"], v["T"]
        src = summary.attrs.get("source")
        tab = "customer summary"
        require_rows(summary, (x < 0) | (x != np.round(x)), "expected whole numbers >= 0 of repeat purchases",
                     table=tab, column=frequency_col, source=src)
        require_rows(summary, (t_x < 0) | (t_x > T * (1 + 1e-12) + 1e-12),
                     f"expected 0 <= {recency_col} <= {T_col}", table=tab, column=recency_col, source=src,
                     show=[frequency_col, recency_col, T_col])
        require_rows(summary, (x == 0) & (t_x != 0), f"{recency_col} must be 0 without repeat purchases",
                     table=tab, column=recency_col, source=src, show=[frequency_col, recency_col])
        if not np.any(x > 0):
            raise DataError("no repeat buyers (every frequency is 0), so nothing identifies the purchase "
                            "rate or the dropout process; use a longer observation window",
                            table=tab, column=frequency_col, source=src)
        data, w = collapse({"x": x, "t_x": t_x, "T": T}, v.get("w"))
        n = float(w.sum())

        def nll_and_grad(theta):
            ll, g = bgnbd_log_likelihood(np.exp(theta), data["x"], data["t_x"], data["T"], w, gradient=True)
            return -ll, -g

        if initial_params is None:
            # A start on the data's time scale: alpha near the mean observation time.
            initial_params = [1.0, max(float(np.average(T, weights=v.get("w"))), 1e-3), 1.0, 1.0]
        theta, nll, ok = fit_log_params(nll_and_grad, np.log(initial_params), n, names=PARAMS,
                                        model="BetaGeoFitter", penalizer=self.penalizer,
                                        max_iter=self.max_iter, tol=self.tol)
        self.params_, self.standard_errors_, self.covariance_, self.summary_ = standard_errors(
            nll_and_grad, theta, PARAMS, "BetaGeoFitter", self.penalizer, n)
        self.log_likelihood_ = -nll
        self.n_customers_ = int(round(n))
        self.converged_ = ok
        return self

    # --- predictions --------------------------------------------------------------------------

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise RuntimeError("BetaGeoFitter is not fitted yet; call fit(summary) first")
        return (float(self.params_[k]) for k in PARAMS)

    def expected_purchases_unconditional(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases in ``(0, t]`` for a new customer (FHL 2005, eq. 9)."""
        r, alpha, a, b = self._check_fitted()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))

    def _log_dropout_odds(self, x, t_x, T):
        """log of ``a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)`` for repeat buyers, -inf otherwise."""
        r, alpha, a, b = self._check_fitted()
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        repeat = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) + (r + x) * (
                np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(repeat, odds, -np.inf)

    def predict_p_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) (Fader, Hardie & Lee 2008 note, eq. 5); 1 without repeat purchases."""
        return expit(-self._log_dropout_odds(x, t_x, T))

    def predict_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL 2005, eq. 10)."""
        r, alpha, a, b = self._check_fitted()
        t, x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, t_x, T)))
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return head * tail * self.predict_p_alive(x, t_x, T)

    def predict(self, summary: pd.DataFrame, t: float, frequency_col: str = "frequency",
                recency_col: str = "recency", T_col: str = "T") -> pd.DataFrame:
        """Per-customer ``p_alive`` and ``expected_purchases`` over the next ``t`` time units."""
        x, t_x, T = (summary[c].to_numpy(dtype=float) for c in (frequency_col, recency_col, T_col))
        return pd.DataFrame({"p_alive": self.predict_p_alive(x, t_x, T),
                             "expected_purchases": self.predict_purchases(t, x, t_x, T)},
                            index=summary.index)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"BetaGeoFitter(penalizer={self.penalizer})"
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"BetaGeoFitter({p}, n={self.n_customers_})"
