"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

While alive, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
after each purchase they drop out with probability ``p ~ Beta(a, b)``. A customer's history
enters only through ``x`` (repeat purchases), ``t_x`` (time of the last one) and ``T`` (time
observed since the first purchase).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from .likelihood import fit_log_params, hessian_from_gradient, mean_objective, standard_errors, summary_columns
from ..core import DataError, require_rows

__all__ = ["BetaGeoFitter", "bgnbd_log_likelihood"]

PARAMS = ("r", "alpha", "a", "b")
# Above this many distinct rows the fit starts from a subsample of this many customers.
_SUBSAMPLE = 50_000


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


def _dot(u, v) -> float:
    # einsum's own loop, not BLAS: a multi-threaded BLAS dot on a busy machine is many times
    # slower than one core, and these are the only long vectors of the fit.
    return float(np.einsum("i,i->", u, v))


class _CompactSummary:
    """A customer summary reduced to what the likelihood needs.

    Identical ``(x, t_x, T)`` rows collapse into one with a weight (exact), and every special
    function is evaluated on the few distinct values of ``x``, ``t_x`` and ``T`` and gathered by
    index, so one likelihood evaluation on a million customers costs a handful of array passes.
    """

    def __init__(self, x, t_x, T, w=None):
        w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
        xi, self.ux = pd.factorize(x)
        ti, self.ut = pd.factorize(t_x)
        Ti, self.uT = pd.factorize(T)
        nt, nT = len(self.ut), len(self.uT)
        k1, uk1 = pd.factorize(xi.astype(np.int64) * nt + ti)
        codes, ukey = pd.factorize(k1.astype(np.int64) * nT + Ti)
        weight = np.bincount(codes, weights=w)
        pair = uk1[ukey // nT]
        xi, ti, Ti = pair // nt, pair % nt, ukey % nT
        self.n = float(w.sum())
        self.n_rows = len(weight)
        self.W_x = np.bincount(xi, weights=weight, minlength=len(self.ux))
        zero = self.ux[xi] == 0
        self.W0_T = np.bincount(Ti[zero], weights=weight[zero], minlength=nT)
        rep = ~zero
        self.xi, self.ti, self.Ti, self.w = xi[rep], ti[rep], Ti[rep], weight[rep]
        self.x = self.ux[self.xi]
        # Sums over repeat buyers grouped by T, for the terms that depend on T alone.
        self.W_T = np.bincount(self.Ti, weights=self.w, minlength=nT)
        self.WX_T = np.bincount(self.Ti, weights=self.w * self.x, minlength=nT)

    def nll_and_grad(self, theta):
        """Negative log-likelihood and its gradient in the log-parameters (same as
        :func:`bgnbd_log_likelihood`, evaluated on the compact form)."""
        r, alpha, a, b = np.exp(theta)
        ux = self.ux
        # Terms that depend on x only, weighted by the number of customers with that x.
        A = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
        ll = self.W_x @ A
        dab = digamma(a + b) - digamma(a + b + ux)
        g_r = self.W_x @ (digamma(r + ux) - digamma(r) + np.log(alpha))
        g_alpha = self.n * r / alpha
        g_a = self.W_x @ dab
        g_b = self.W_x @ (dab + digamma(b + ux) - digamma(b))
        LT, iT = np.log(alpha + self.uT), 1.0 / (alpha + self.uT)
        # (alpha + T)^-(r+x) for everyone: one-time buyers and the "alive" term of repeat buyers.
        W_T = self.W0_T + self.W_T
        rW_T = r * W_T + self.WX_T
        ll -= rW_T @ LT
        g_r -= W_T @ LT
        g_alpha -= rW_T @ iT
        # Repeat buyers add log(1 + e^d), d the log-odds of "dropped out after the last purchase".
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_bx1 = np.where(ux > 0, 1.0 / (b + ux - 1.0), 1.0)
        c_x = np.log(a) + np.log(inv_bx1)
        Lt, it = np.log(alpha + self.ut), 1.0 / (alpha + self.ut)
        rx = r + self.x
        D = Lt[self.ti] - LT[self.Ti]
        d = c_x[self.xi] - rx * D
        ll += _dot(self.w, np.logaddexp(0.0, d))
        ws = self.w * expit(d)
        g_r -= _dot(ws, D)
        g_alpha -= _dot(ws * rx, it[self.ti] - iT[self.Ti])
        g_a += ws.sum() / a
        g_b -= np.bincount(self.xi, weights=ws, minlength=len(ux)) @ inv_bx1
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -float(ll), -grad


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
        data = _CompactSummary(x, t_x, T, v.get("w"))
        n = data.n
        nll_and_grad = data.nll_and_grad

        warm_hessian = None
        if initial_params is None:
            # A start on the data's time scale: alpha near the mean observation time.
            initial_params = [1.0, max(float(np.average(T, weights=v.get("w"))), 1e-3), 1.0, 1.0]
            if data.n_rows > _SUBSAMPLE:
                initial_params, warm_hessian = self._warm_start(x, t_x, T, v.get("w"), initial_params)
        theta, nll, ok = fit_log_params(nll_and_grad, np.log(initial_params), n, names=PARAMS,
                                        model="BetaGeoFitter", penalizer=self.penalizer,
                                        max_iter=self.max_iter, tol=self.tol, warm_hessian=warm_hessian)
        self.params_, self.standard_errors_, self.covariance_, self.summary_ = standard_errors(
            nll_and_grad, theta, PARAMS, "BetaGeoFitter", self.penalizer, n)
        self.log_likelihood_ = -nll
        self.n_customers_ = int(round(n))
        self.converged_ = ok
        return self

    def _warm_start(self, x, t_x, T, w, initial_params):
        """Fit a random subsample first; its optimum and Hessian make a few Newton steps on the
        full data enough (large data sets only; the result is the full-data maximum)."""
        idx = np.random.default_rng(0).choice(len(x), size=_SUBSAMPLE, replace=False)
        sub = _CompactSummary(x[idx], t_x[idx], T[idx], None if w is None else w[idx])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theta, _, ok = fit_log_params(sub.nll_and_grad, np.log(initial_params), sub.n, names=PARAMS,
                                          model="BetaGeoFitter", penalizer=self.penalizer,
                                          max_iter=self.max_iter, tol=1e-8)
        if not ok:
            return initial_params, None
        objective = mean_objective(sub.nll_and_grad, sub.n, self.penalizer)
        return np.exp(theta), hessian_from_gradient(lambda t: objective(t)[1], theta)

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

    def probability_of_purchases(self, x: int, t) -> np.ndarray:
        """P(X(t) = x): probability that a new customer makes ``x`` repeat purchases in ``(0, t]``
        (FHL 2005, eq. 8).

        ``B(a, b+x)/B(a, b) NB(x) + 1{x>0} B(a+1, b+x-1)/B(a, b) P(NB >= x)``, with ``NB`` the
        negative binomial count of a customer who stays alive for ``t`` (shape ``r``, success
        probability ``alpha / (alpha + t)``).
        """
        r, alpha, a, b = self._check_fitted()
        x = int(x)
        if x < 0:
            raise ValueError(f"x must be a whole number >= 0, got {x}")
        t = np.asarray(t, dtype=float)
        q = alpha / (alpha + t)
        alive = np.exp(betaln(a, b + x) - betaln(a, b)) * stats.nbinom.pmf(x, r, q)
        if x == 0:
            return alive
        return alive + np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * stats.nbinom.sf(x - 1, r, q)

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
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL 2005, eq. 10).

        FHL write the bracket as ``1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)`` with
        ``z = t / (alpha+T+t)``. For heavy buyers (x in the hundreds) that 2F1 overflows while
        the power underflows, giving NaN; Euler's transformation
        ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` turns the product into
        ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, whose terms stay small for any x.
        """
        r, alpha, a, b = self._check_fitted()
        t, x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, t_x, T)))
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
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
