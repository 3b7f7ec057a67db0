"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), the benchmark BG/NBD was built
to simplify.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; the
lifetime is exponential with rate ``mu ~ Gamma(s, beta)``, so dropout can happen at any time,
not only right after a purchase as in BG/NBD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln, hyp2f1

from .likelihood import collapse, fit_log_params, standard_errors, summary_columns
from ..core import DataError, require_rows

__all__ = ["ParetoNBDFitter", "pareto_nbd_log_likelihood"]

PARAMS = ("r", "alpha", "s", "beta")


def _log_terms(params, x, t_x, T):
    """The two log terms of the likelihood: alive at T (l1) and died in (t_x, T] (l2).

    Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB", eq. 2-4:
    ``L = G(r+x) a^r b^s / G(r) * [ (a+T)^-(r+x) (b+T)^-s + s/(r+s+x) A0 ]`` with ``A0`` a
    difference of two Gauss hypergeometric terms, written here on the log scale.
    """
    r, alpha, s, beta = (float(v) for v in params)
    rsx = r + s + x
    if alpha >= beta:
        big, b2, z_num = alpha, s + 1.0, alpha - beta
    else:
        big, b2, z_num = beta, r + x, beta - alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f_tx = np.log(hyp2f1(rsx, b2, rsx + 1, z_num / (big + t_x))) - rsx * np.log(big + t_x)
        log_f_T = np.log(hyp2f1(rsx, b2, rsx + 1, z_num / (big + T))) - rsx * np.log(big + T)
        # A0 = F(t_x) - F(T) >= 0; zero when the last purchase is at T (no time to die unseen).
        log_a0 = log_f_tx + np.log1p(-np.exp(log_f_T - log_f_tx))
        l1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        l2 = np.log(s) - np.log(rsx) + log_a0
    return l1, l2


def pareto_nbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
    """Weighted Pareto/NBD log-likelihood of summaries ``(x, t_x, T)``."""
    r, alpha, s, beta = (float(v) for v in params)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    l1, l2 = _log_terms(params, x, t_x, T)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(l1, l2)
    return float(np.sum(w * ll))


class ParetoNBDFitter:
    """Pareto/NBD model fitted by maximum likelihood (gradient by central differences).

    Parameters
    ----------
    penalizer, max_iter, tol
        As in :class:`~cxlib.bgnbd.BetaGeoFitter`.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha`` (purchase rate), ``s``, ``beta`` (dropout rate), time in the summary's unit.
    standard_errors_, covariance_, summary_, log_likelihood_, n_customers_, converged_

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
    they and what will they do next? Management Science 33(1), 1-24.
    """

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-7):
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, summary: pd.DataFrame, frequency_col: str = "frequency", recency_col: str = "recency",
            T_col: str = "T", initial_params=None) -> ParetoNBDFitter:
        """Fit to a customer summary; raises DataError on the same problems as BetaGeoFitter."""
        tab = "customer summary"
        src = summary.attrs.get("source")
        v = summary_columns(summary, {"x": frequency_col, "t_x": recency_col, "T": T_col}, table=tab)
        x, t_x, T = v["x"], v["t_x"], v["T"]
        require_rows(summary, (x < 0) | (x != np.round(x)), "expected whole numbers >= 0 of repeat purchases",
                     table=tab, column=frequency_col, source=src)
        require_rows(summary, (t_x < 0) | (t_x > T * (1 + 1e-12) + 1e-12),
                     f"expected 0 <= {recency_col} <= {T_col}", table=tab, column=recency_col, source=src)
        if not np.any(x > 0):
            raise DataError("no repeat buyers (every frequency is 0); use a longer observation window",
                            table=tab, column=frequency_col, source=src)
        data, w = collapse({"x": x, "t_x": t_x, "T": T})
        n = float(w.sum())

        def nll(theta):
            return -pareto_nbd_log_likelihood(np.exp(theta), data["x"], data["t_x"], data["T"], w)

        def nll_and_grad(theta, h=1e-5):
            grad = np.empty(4)
            for j in range(4):
                e = np.zeros(4)
                e[j] = h
                grad[j] = (nll(theta + e) - nll(theta - e)) / (2 * h)
            return nll(theta), grad

        if initial_params is None:
            mean_T = max(float(np.mean(T)), 1e-3)
            initial_params = [1.0, mean_T, 1.0, mean_T]
        theta, value, ok = fit_log_params(nll_and_grad, np.log(initial_params), n, names=PARAMS,
                                          model="ParetoNBDFitter", penalizer=self.penalizer,
                                          max_iter=self.max_iter, tol=self.tol)
        self.params_, self.standard_errors_, self.covariance_, self.summary_ = standard_errors(
            nll_and_grad, theta, PARAMS, "ParetoNBDFitter", self.penalizer, n)
        self.log_likelihood_ = -nll(theta)
        self.n_customers_ = int(round(n))
        self.converged_ = ok
        return self

    def _params(self):
        if not hasattr(self, "params_"):
            raise RuntimeError("ParetoNBDFitter is not fitted yet; call fit(summary) first")
        return self.params_[list(PARAMS)].to_numpy(dtype=float)

    def predict_p_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T): the share of the likelihood from "alive at T"."""
        x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
        l1, l2 = _log_terms(self._params(), x, t_x, T)
        return expit(l1 - l2)

    def expected_purchases_unconditional(self, t) -> np.ndarray:
        """E[X(t)] for a new customer: ``r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``."""
        r, alpha, s, beta = self._params()
        t = np.asarray(t, dtype=float)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))

    def predict_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (Schmittlein, Morrison & Colombo 1987; FHL 2005 note, eq. 8)."""
        r, alpha, s, beta = self._params()
        t, x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, t_x, T)))
        rate = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        return rate * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * self.predict_p_alive(x, t_x, T)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"ParetoNBDFitter(penalizer={self.penalizer})"
        p = ", ".join(f"{k}={val:.4g}" for k, val in self.params_.items())
        return f"ParetoNBDFitter({p}, n={self.n_customers_})"
