"""Maximum likelihood machinery shared by the CLV models.

Parameters are optimized on the log scale (they are all positive) with an analytic gradient;
standard errors come from the inverse of a finite-difference Hessian of that gradient and are
carried to the natural scale by the delta method.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from ..core import DataError, require_columns, require_not_empty, require_rows

# Beyond 1e5 or below 1e-5 a parameter has run off to a boundary (the likelihood is flat there).
_LOG_BOUND = float(np.log(1e5))


class ConvergenceWarning(UserWarning):
    """The likelihood maximization did not converge; the message names the remedy."""


def collapse(columns: dict[str, np.ndarray], weights: np.ndarray | None = None):
    """Collapse rows with identical values into unique rows with counts as weights.

    Customers with the same (x, t_x, T) contribute the same likelihood term, so fitting on the
    unique rows is exact and, on large data, much faster.
    """
    frame = pd.DataFrame(columns)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
    frame["_w"] = w
    grouped = frame.groupby(list(columns), sort=False, observed=True)["_w"].sum()
    idx = grouped.index
    out = {name: np.asarray(idx.get_level_values(i), dtype=float) if len(columns) > 1
           else np.asarray(idx, dtype=float) for i, name in enumerate(columns)}
    return out, grouped.to_numpy(dtype=float)


def mean_objective(nll_and_grad, n: float, penalizer: float = 0.0):
    """The function the optimizers minimize: mean negative log-likelihood plus the L2 penalty
    ``penalizer * sum(params ** 2)`` on the natural-scale parameters (as in ``lifetimes``)."""

    def objective(theta):
        f, g = nll_and_grad(theta)
        p = np.exp(theta)
        f = f / n + penalizer * np.sum(p ** 2)
        g = g / n + penalizer * 2.0 * p ** 2
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(theta)
        return f, g

    return objective


def newton_polish(objective, theta, hessian, tol: float, max_steps: int = 30):
    """Newton steps with a fixed Hessian from a start close to the optimum.

    With the Hessian of a subsample at its own optimum, each step costs one gradient of the full
    data and the error shrinks by the (small) relative difference of the two Hessians, so a few
    steps reach the tolerance. Returns None if the Hessian is not positive definite or a step
    cannot decrease the objective; the caller then falls back to a quasi-Newton run.
    """
    try:
        chol = linalg.cho_factor(hessian)
    except (np.linalg.LinAlgError, ValueError):
        return None
    f, g = objective(theta)
    for _ in range(max_steps):
        if not np.isfinite(f):
            return None
        if np.max(np.abs(g)) < tol:
            return theta
        step = linalg.cho_solve(chol, g)
        for _halving in range(20):
            f_new, g_new = objective(theta - step)
            # Allow for rounding: near the optimum f changes by less than its last digits.
            if np.isfinite(f_new) and f_new <= f + 1e-14 * abs(f):
                break
            step = step / 2
        else:
            return None
        theta, f, g = theta - step, f_new, g_new
    return theta if np.max(np.abs(g)) < tol else None


def fit_log_params(nll_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
                   n: float, *, names: Sequence[str], model: str, penalizer: float = 0.0,
                   max_iter: int = 1000, tol: float = 1e-9, warm_hessian: np.ndarray | None = None):
    """Minimize a total negative log-likelihood over log-parameters.

    Parameters
    ----------
    nll_and_grad : callable
        ``theta -> (total negative log-likelihood, gradient with respect to theta)``.
    x0 : array
        Starting log-parameters.
    n : float
        Number of customers; the objective is the mean so tolerances do not depend on size.
    penalizer : float
        L2 penalty on the natural-scale parameters, see :func:`mean_objective`.
    warm_hessian : array, optional
        Hessian of the mean objective near ``x0`` (from a subsample fit): try
        :func:`newton_polish` first and fall back to L-BFGS-B.

    Returns
    -------
    theta : array
        Log-parameters at the optimum.
    nll : float
        Total negative log-likelihood there (without the penalty).
    converged : bool
    """
    objective = mean_objective(nll_and_grad, n, penalizer)
    remedy = (f"Try {model}(penalizer=0.001) (a small L2 penalty keeps the parameters finite), "
              "check the summary for customers with implausible values, or use more data")
    x0 = np.asarray(x0, dtype=float)
    polished = None
    if warm_hessian is not None:
        with np.errstate(all="ignore"):
            polished = newton_polish(objective, x0, warm_hessian, tol)
    if polished is not None:
        f, g = objective(polished)
        res = optimize.OptimizeResult(x=polished, fun=f, jac=g, success=True, nit=0,
                                      message="Newton polish")
    else:
        try:
            with np.errstate(all="ignore"):
                res = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B",
                                        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol,
                                                 "maxcor": 20})
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            warnings.warn(f"{model}: the likelihood maximization failed ({exc}). {remedy}.",
                          ConvergenceWarning, stacklevel=3)
            nan = np.full(len(x0), np.nan)
            return nan, np.nan, False

    theta = res.x
    grad_norm = float(np.max(np.abs(res.jac))) if res.jac is not None else np.inf
    # L-BFGS-B stops with "ABNORMAL" when it cannot improve on a converged point in floating
    # point; a tiny gradient means the optimum was found all the same.
    converged = bool(np.isfinite(res.fun)) and (res.success or grad_norm < 1e-5)
    if not converged:
        warnings.warn(f"{model}: the likelihood maximization did not converge after {res.nit} "
                      f"iterations ({res.message}; largest gradient {grad_norm:.2g}). {remedy}.",
                      ConvergenceWarning, stacklevel=3)
    elif np.any(np.abs(theta) > _LOG_BOUND):
        at = ", ".join(f"{nm}={v:.3g}" for nm, v, t in zip(names, np.exp(theta), theta)
                       if abs(t) > _LOG_BOUND)
        # A parameter running to infinity is what an L2 penalty prevents; one running to zero
        # is a real feature of the data (e.g. no sign of dropout) that no penalty repairs.
        fix = remedy if np.any(theta > _LOG_BOUND) else (
            "The data show no evidence for this part of the model (for example, no customer "
            "seems to have dropped out); use a longer observation window and check the summary")
        warnings.warn(f"{model}: parameter estimates ran off to a boundary ({at}); the data carry "
                      f"little information about them. {fix}.", ConvergenceWarning, stacklevel=3)
        converged = False
    nll = n * (res.fun - penalizer * np.sum(np.exp(theta) ** 2))
    return theta, float(nll), converged


def hessian_from_gradient(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray,
                          step: float = 1e-5) -> np.ndarray:
    """Central finite differences of an analytic gradient, symmetrized."""
    k = len(theta)
    h = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        h[:, j] = (grad(theta + e) - grad(theta - e)) / (2 * step)
    return (h + h.T) / 2


def standard_errors(nll_and_grad, theta: np.ndarray, names: Sequence[str], model: str,
                    penalizer: float = 0.0, n: float = 1.0):
    """Natural-scale parameters, their covariance (delta method) and a summary table."""
    params = np.exp(theta)

    def grad(t):
        g = nll_and_grad(t)[1]
        return g + n * penalizer * 2.0 * np.exp(t) ** 2

    k = len(theta)
    cov_log = np.full((k, k), np.nan)
    if np.all(np.isfinite(theta)):
        with np.errstate(all="ignore"):
            hess = hessian_from_gradient(grad, theta)
        try:
            if not np.all(np.isfinite(hess)):
                raise np.linalg.LinAlgError("non-finite Hessian")
            np.linalg.cholesky(hess)  # positive definite at a proper maximum
            cov_log = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            warnings.warn(f"{model}: the Hessian at the estimate is not positive definite, so "
                          "standard errors are not available (NaN); the parameters are poorly "
                          f"identified by these data. Try {model}(penalizer=0.001).",
                          ConvergenceWarning, stacklevel=3)
    jac = np.diag(params)
    cov = jac @ cov_log @ jac
    se_log = np.sqrt(np.diag(cov_log))
    z = stats.norm.ppf(0.975)
    summary = pd.DataFrame({
        "coef": params,
        "se": params * se_log,
        # Intervals built on the log scale stay positive, like the parameters.
        "lower 95%": np.exp(theta - z * se_log),
        "upper 95%": np.exp(theta + z * se_log),
    }, index=pd.Index(list(names), name="parameter"))
    return (pd.Series(params, index=list(names), name="coef"),
            pd.Series(params * se_log, index=list(names), name="se"),
            pd.DataFrame(cov, index=list(names), columns=list(names)), summary)


def summary_columns(summary: pd.DataFrame, cols: dict[str, str], *, table: str):
    """Check a customer summary: columns present, not empty, finite numbers."""
    source = summary.attrs.get("source")
    require_columns(summary, list(cols.values()), table=table, source=source)
    require_not_empty(summary, table=table, source=source)
    out = {}
    for key, col in cols.items():
        values = pd.to_numeric(summary[col], errors="coerce").to_numpy(dtype=float)
        require_rows(summary, ~np.isfinite(values), "expected finite numbers", table=table,
                     column=col, source=source)
        out[key] = values
    if len(summary) < 2:
        raise DataError(f"only {len(summary)} customer; the model pools customers to learn how they "
                        "differ, so it needs many (hundreds or more)", table=table, source=source,
                        n_rows=len(summary))
    return out
