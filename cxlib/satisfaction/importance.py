"""Relative importance of correlated drivers: how much of R^2 each one accounts for.

- LMG / Shapley decomposition (Lindeman, Merenda & Gold, 1980; Groemping, 2006, "Relative
  importance for linear regression in R: the package relaimpo", J. Stat. Software 17(1)):
  each driver's average gain in R^2 over all orders of entry,
  ``LMG_j = sum_{S not containing j} |S|! (p - |S| - 1)! / p! * (R^2(S + j) - R^2(S))``.
  Exact, for up to 15 drivers (2^15 subsets).
- Johnson's relative weights (Johnson, 2000, "A heuristic method for estimating the relative
  weight of predictor variables in multiple regression", Multivariate Behav. Res. 35(1)).

Both only need the correlation matrix: R^2 of a subset S is ``r_S' R_SS^{-1} r_S``, so a
bootstrap resample costs one weighted cross-product of the data and 2^p small solves, batched
by subset size.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from ..core import DataError
from .drivers import driver_frame

__all__ = ["MAX_LMG_DRIVERS", "all_subsets_r2", "lmg_from_corr", "relative_weights_from_corr",
           "bootstrap_correlations", "RelativeImportance"]

MAX_LMG_DRIVERS = 15
# Largest number of floats held at once by the batched subset solves (~32 MB).
_BATCH_FLOATS = 4_000_000


@lru_cache(maxsize=None)
def _subsets(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each size k = 1..p: (column indices (m_k, k), bitmask code (m_k,))."""
    out = []
    for k in range(1, p + 1):
        idx = np.array(list(combinations(range(p), k)), dtype=np.intp)
        out.append((idx, (1 << idx).sum(axis=1)))
    return tuple(out)


@lru_cache(maxsize=None)
def _shapley_terms(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each driver j: codes of the subsets S without j and their weights |S|!(p-|S|-1)!/p!."""
    codes = np.arange(1 << p)
    size = np.array([bin(c).count("1") for c in codes])
    weight = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) if s < p else 0.0
                       for s in size])
    terms = []
    for j in range(p):
        without = codes[(codes >> j) & 1 == 0]
        terms.append((without, weight[without]))
    return tuple(terms)


def _solve_quadratic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b' a^{-1} b over stacked systems; pseudo-inverse where a resample made a subset singular."""
    try:
        beta = np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        beta = (np.linalg.pinv(a) @ b[..., None])[..., 0]
    return np.einsum("...k,...k->...", b, beta)


def all_subsets_r2(corr: np.ndarray) -> np.ndarray:
    """R^2 of the regression of the target on every subset of the drivers.

    Parameters
    ----------
    corr : ndarray, shape (..., p + 1, p + 1)
        Correlation matrix of the drivers followed by the target (last row/column); leading
        dimensions are a batch (such as bootstrap resamples).

    Returns
    -------
    ndarray, shape (..., 2**p)
        Entry ``c`` is R^2 for the drivers whose bits are set in ``c`` (entry 0 is 0).
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    batch = corr.shape[:-2]
    flat = corr.reshape((-1, p + 1, p + 1))
    r2 = np.zeros((flat.shape[0], 1 << p))
    subsets = _subsets(p)
    per_item = max(len(idx) * idx.shape[1] ** 2 for idx, _ in subsets)
    step = max(1, _BATCH_FLOATS // per_item)
    for start in range(0, flat.shape[0], step):
        c = flat[start:start + step]
        for idx, code in subsets:
            rxx = c[:, idx[:, :, None], idx[:, None, :]]
            rxy = c[:, idx, p]
            r2[start:start + step, code] = _solve_quadratic(rxx, rxy)
    return r2.reshape(batch + (1 << p,))


def lmg_from_corr(corr: np.ndarray) -> np.ndarray:
    """LMG (Shapley) share of R^2 for each driver; the shares sum to the full-model R^2.

    Parameters
    ----------
    corr : ndarray, shape (..., p + 1, p + 1)
        Drivers then target, as in :func:`all_subsets_r2`.

    Returns
    -------
    ndarray, shape (..., p)
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    if p > MAX_LMG_DRIVERS:
        raise DataError(f"{p} drivers: the exact LMG decomposition is limited to "
                        f"{MAX_LMG_DRIVERS} drivers (2^{p} subsets); group or drop drivers, or "
                        "use Johnson's relative weights")
    r2 = all_subsets_r2(corr)
    out = np.empty(corr.shape[:-2] + (p,))
    for j, (without, weight) in enumerate(_shapley_terms(p)):
        gain = r2[..., without | (1 << j)] - r2[..., without]
        out[..., j] = gain @ weight
    return out


def relative_weights_from_corr(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights; they sum to the full-model R^2.

    With ``R_xx = V diag(l) V'`` and ``Lambda = V diag(sqrt(l)) V'`` (the symmetric square root),
    the drivers are replaced by their closest orthogonal counterparts Z; ``beta`` solves
    ``Lambda beta = r_xy`` (the regression of y on Z) and the weights are ``Lambda^2 @ beta^2``.
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    rxx = corr[..., :p, :p]
    rxy = corr[..., :p, p]
    evals, evecs = np.linalg.eigh(rxx)
    root = np.sqrt(np.clip(evals, 0.0, None))
    lam = (evecs * root[..., None, :]) @ np.swapaxes(evecs, -1, -2)
    beta = np.linalg.solve(lam, rxy[..., None])[..., 0]
    return ((lam ** 2) @ (beta ** 2)[..., None])[..., 0]


def _weighted_corr(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlation matrices of the columns of ``z`` under row weights ``w`` (shape (b, n))."""
    total = w.sum(axis=1)
    mean = (w @ z) / total[:, None]
    zt = z.T
    second = np.stack([(zt * wi) @ z for wi in w]) / total[:, None, None]
    cov = second - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 1e-300, None))
    return cov / sd[:, :, None] / sd[:, None, :]


def bootstrap_correlations(values: np.ndarray, n_bootstrap: int, rng: np.random.Generator,
                           batch: int = 8):
    """Yield correlation matrices of nonparametric bootstrap resamples of the rows.

    Each resample is represented by how often each row is drawn (a multinomial count), so no
    copy of the data is made; matrices come in stacks of up to ``batch``.
    """
    z = np.asarray(values, dtype=float)
    z = (z - z.mean(axis=0)) / z.std(axis=0)  # standardised: the cross-products stay well scaled
    n = len(z)
    done = 0
    while done < n_bootstrap:
        b = min(batch, n_bootstrap - done)
        w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)])
        yield _weighted_corr(z, w.astype(float))
        done += b


class RelativeImportance:
    """Relative importance of drivers by the LMG decomposition or Johnson's relative weights.

    Parameters
    ----------
    method : {"lmg", "johnson"}
    n_bootstrap : int
        Bootstrap resamples of the respondents for percentile intervals (0 for none).
    confidence : float
        Interval level.
    seed : int, optional
        Seed of the bootstrap's random generator.

    Attributes
    ----------
    importance_ : Series
        Each driver's part of R^2 (sums to ``r2_``).
    share_ : Series
        ``importance_ / r2_`` (sums to 1).
    r2_ : float
    n_ : int
        Complete respondents used.
    summary_ : DataFrame
        ``importance``, ``share``, ``ci_lower``, ``ci_upper`` (of the importance),
        ``share_ci_lower``, ``share_ci_upper``, ``rank`` (1 = most important) and ``rank_stability``
        (share of resamples in which the driver keeps its rank), sorted by rank.
    bootstrap_ : DataFrame or None
        The importance in each resample (one row per resample).
    """

    def __init__(self, method: str = "lmg", n_bootstrap: int = 200, confidence: float = 0.95,
                 seed: int | None = None):
        self.method = method
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.seed = seed

    def _compute(self, corr: np.ndarray) -> np.ndarray:
        return lmg_from_corr(corr) if self.method == "lmg" else relative_weights_from_corr(corr)

    def fit(self, df: pd.DataFrame, target: str, drivers: Sequence[str], *,
            scale: tuple[float, float] | None = None,
            driver_scale: tuple[float, float] | None = None,
            table: str = "survey", source=None) -> "RelativeImportance":
        """Decompose R^2 of ``target ~ drivers`` on the complete rows of ``df``."""
        if self.method not in ("lmg", "johnson"):
            raise ValueError(f"method must be 'lmg' or 'johnson', not {self.method!r}")
        drivers = list(drivers)
        if self.method == "lmg" and len(drivers) > MAX_LMG_DRIVERS:
            raise DataError(f"{len(drivers)} drivers given; the exact LMG decomposition is limited "
                            f"to {MAX_LMG_DRIVERS} (2^p subsets); group or drop drivers, or use "
                            "method='johnson'", table=table, source=source)
        data = driver_frame(df, target, drivers, scale=scale, driver_scale=driver_scale,
                            table=table, source=source)
        values = data[[*drivers, target]].to_numpy()
        self.drivers_ = drivers
        self.n_ = len(values)
        imp = self._compute(np.corrcoef(values, rowvar=False))
        self.r2_ = float(imp.sum())
        self.importance_ = pd.Series(imp, index=drivers, name="importance")
        self.share_ = self.importance_ / self.r2_
        rank = self.importance_.rank(ascending=False, method="first").astype(int)

        summary = pd.DataFrame({"importance": self.importance_, "share": self.share_})
        summary["ci_lower"] = summary["ci_upper"] = np.nan
        summary["share_ci_lower"] = summary["share_ci_upper"] = np.nan
        summary["rank"] = rank
        summary["rank_stability"] = np.nan
        self.bootstrap_ = None
        if self.n_bootstrap:
            rng = np.random.default_rng(self.seed)
            draws = np.concatenate([self._compute(c) for c in
                                    bootstrap_correlations(values, self.n_bootstrap, rng)])
            shares = draws / draws.sum(axis=1, keepdims=True)
            alpha = (1 - self.confidence) / 2
            summary["ci_lower"], summary["ci_upper"] = np.quantile(draws, [alpha, 1 - alpha], axis=0)
            summary["share_ci_lower"], summary["share_ci_upper"] = np.quantile(
                shares, [alpha, 1 - alpha], axis=0)
            boot_rank = (-draws).argsort(axis=1).argsort(axis=1) + 1
            summary["rank_stability"] = (boot_rank == rank.to_numpy()).mean(axis=0)
            self.bootstrap_ = pd.DataFrame(draws, columns=drivers)
        summary.index.name = "driver"
        self.summary_ = summary.sort_values("rank")
        return self
