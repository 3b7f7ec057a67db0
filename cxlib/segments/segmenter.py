"""Customer segmentation by clustering: prepare the features, choose k, fit, check stability.

The :class:`Segmenter` is one pipeline a careful analyst would otherwise assemble by hand:

1. ``log1p`` for skewed non-negative features (sample skewness above ``skew_threshold``,
   decided in ``fit`` and reported in ``preparation_``), so a long tail does not make its own
   segment;
2. standardization (mean 0, standard deviation 1), so no feature dominates the Euclidean
   distance because of its unit (fees in currency, age in years);
3. the clusterer: k-means (default), a Gaussian mixture, Ward hierarchical clustering or DBSCAN.

When ``k`` is not given it is chosen over ``k_range`` by the average silhouette width
(Rousseeuw 1987), the Calinski-Harabasz index (1974), the Gaussian mixture's BIC (Schwarz 1978)
or, with ``criterion="majority"`` (the segmentation notebook's default), the k most of the three
prefer (:func:`majority_k`); :func:`selection_summary` records what each criterion preferred and
which rule chose k, so a disagreement is reported rather than hidden.

Whether the segments are real (bootstrap stability, agreement between methods, known segments)
is in :mod:`cxlib.segments.validation`; profiles, names and figures in
:mod:`cxlib.segments.profiles` and :mod:`cxlib.segments.plots`; RFM in :mod:`cxlib.segments.rfm`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import calinski_harabasz_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from ..core import (DataError, DataWarning, clean_ids, describe_rows, location, read_table, sample_index,
                   require_columns, require_not_empty, require_rows, require_unique, to_numeric)

__all__ = [
    "METHODS",
    "CRITERIA",
    "Segmenter",
    "load_features",
    "check_features",
    "select_k",
    "criterion_choices",
    "majority_k",
    "calinski_harabasz",
    "sample_index",
    "dbscan_eps",
    "silhouette_mean",
    "load_inputs",
    "describe_selection",
    "selection_summary",
    "CRITERION_LABELS",
    "SegmentInputs",
]

METHODS = ("kmeans", "gmm", "ward", "dbscan")
CRITERIA = ("silhouette", "calinski_harabasz", "bic", "majority")
TABLE = "customers"

#: Rows above which k-means switches to mini-batch k-means (Sculley 2010): the full algorithm
#: is exact but its n_init restarts over millions of rows cost minutes on a laptop.
MINIBATCH_ROWS = 200_000
#: Ward needs the n x n distance matrix (O(n^2) memory): fit on at most this many sampled rows
#: and assign the others to the nearest segment mean.
WARD_MAX_ROWS = 5_000
#: DBSCAN's neighbourhood queries grow fast with n: fit on a sample, assign the rest to the
#: nearest core point within eps.
DBSCAN_MAX_ROWS = 10_000


#: Below this many rows the numerical libraries run single-threaded: on a busy machine their
#: OpenMP threads spin-wait for each other and small fits become many times slower.
SINGLE_THREAD_ROWS = 100_000


def _threads(n_rows: int):
    return threadpool_limits(1) if n_rows < SINGLE_THREAD_ROWS else nullcontext()


# --------------------------------------------------------------------------- input checks


def load_features(path, features: Sequence[str], *, id_column: str = "customer_id",
                  table: str = TABLE, encoding: str | None = None) -> pd.DataFrame:
    """Read a per-customer table and return the numeric features indexed by customer id.

    Every problem (missing columns, duplicate ids, text in a numeric column) is a
    :class:`~cxlib.data.DataError` that names the file, the column and example rows;
    ``encoding`` is a CSV file's text encoding (UTF-8 when not given).
    """
    return _features(read_table(path, table, encoding=encoding or None), features, id_column, table)


def _features(raw: pd.DataFrame, features: Sequence[str], id_column: str, table: str) -> pd.DataFrame:
    """:func:`load_features` of a table already read (its ``attrs`` name the file)."""
    source = raw.attrs.get("source")
    features = list(features)
    require_columns(raw, [id_column, *features], table=table, source=source)
    require_not_empty(raw, table=table, source=source)
    df = raw[[id_column, *features]].copy()
    df[id_column] = clean_ids(df[id_column])
    require_rows(df, df[id_column].isna().to_numpy(), "blank customer ids; expected an id in every row",
                 table=table, column=id_column, source=source)
    require_unique(df, id_column, table=table, source=source)
    df = df.set_index(id_column)
    df.attrs.update(source=source, table=table)
    return check_features(df, features, table=table, source=source)


def check_features(df: pd.DataFrame, features: Sequence[str] | None = None, *, k: int | None = None,
                   table: str | None = None, source=None) -> pd.DataFrame:
    """Validate clustering features and return them as a float DataFrame.

    Raises :class:`~cxlib.data.DataError` for missing columns (all listed), non-numeric values
    (with examples), a feature that is entirely blank or constant, and fewer customers than
    ``k``. Partly blank features warn and are kept as NaN (the :class:`Segmenter` fills them).
    """
    if not isinstance(df, pd.DataFrame):
        arr = np.asarray(df)
        if arr.ndim != 2:
            raise DataError(f"expected a 2-D table of features, got an array of shape {arr.shape}")
        df = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    table = table or df.attrs.get("table") or TABLE
    source = source if source is not None else df.attrs.get("source")
    features = list(df.columns) if features is None else list(features)
    if not features:
        raise DataError("no features given; name at least one numeric column", table=table,
                        source=source)
    require_columns(df, features, table=table, source=source)
    require_not_empty(df, table=table, source=source)
    out = pd.DataFrame(index=df.index)
    for col in features:
        out[col] = to_numeric(
            df, col, table=table, source=source, warn_missing=False,  # warned below, with the fix
            expected="expected numbers; clustering needs numeric features (one-hot encode a "
                     "category such as plan, or leave it out)")
        values = out[col].to_numpy()
        finite = np.isfinite(values)
        if not finite.any():
            raise DataError(f"all {len(values)} values are blank; the feature cannot be used",
                            table=table, column=col, source=source, n_rows=len(values))
        if np.nanmin(values[finite]) == np.nanmax(values[finite]):
            raise DataError(
                f"the feature is constant ({values[finite][0]:g} in every non-blank row); it cannot "
                "separate segments, leave it out", table=table, column=col, source=source,
                n_rows=len(values))
        inf = np.isinf(values)
        require_rows(df, inf, "infinite values; expected finite numbers", table=table, column=col,
                     source=source)
        missing = ~finite
        if missing.any():
            warnings.warn(
                f"{location(source, table, col)}: {describe_rows(df, missing, col)} are blank; "
                "the segmenter fills them with the feature's median", DataWarning, stacklevel=2)
    if k is not None and len(out) < k:
        raise DataError(f"{len(out)} customers but k={k} segments requested; k-way segmentation "
                        f"needs at least k customers (better, many more)", table=table,
                        source=source, n_rows=len(out))
    out.attrs.update(df.attrs)
    return out


# --------------------------------------------------------------------------- helpers


def _silhouette(Z: np.ndarray, labels: np.ndarray, sample_size: int, seed) -> float:
    """Average silhouette width, on a seeded sample for large n; NaN when undefined."""
    return _silhouettes(Z, [labels], sample_size, seed)[0]


def _silhouettes(Z: np.ndarray, labelings, sample_size: int, seed) -> list[float]:
    """:func:`_silhouette` of several labelings of the same rows. Without DBSCAN noise they share
    the seeded sample, so its distances are computed once for all of them."""
    if any((labels < 0).any() for labels in labelings):
        keep = [labels >= 0 for labels in labelings]  # DBSCAN noise is not a segment
        return [_silhouettes(Z[k], [labels[k]], sample_size, seed)[0] for k, labels in zip(keep, labelings)]
    idx = (np.random.default_rng(seed).choice(len(Z), size=sample_size, replace=False)
           if len(Z) > sample_size else slice(None))
    out = [float("nan")] * len(labelings)
    defined = [i for i, labels in enumerate(labelings) if 2 <= len(np.unique(labels)) < len(labels)]
    if defined:
        for i, v in zip(defined, silhouette_means(Z[idx], [labelings[i][idx] for i in defined])):
            out[i] = v
    return out


def silhouette_mean(Z: np.ndarray, labels, chunk_bytes: int = 64_000_000) -> float:
    """Mean silhouette width (Rousseeuw 1987), computed in row blocks of bounded memory.

    ``s(i) = (b(i) - a(i)) / max(a(i), b(i))`` with ``a(i)`` the mean distance to the other
    members of its segment and ``b(i)`` the smallest mean distance to another segment; 0 for
    a customer alone in its segment. Same value as ``sklearn.metrics.silhouette_score``, but
    the per-segment sums are one matrix product per block instead of a loop over rows, which
    makes it several times faster on 10,000-row samples.
    """
    return silhouette_means(Z, [labels], chunk_bytes)[0]


def silhouette_means(Z: np.ndarray, labelings, chunk_bytes: int = 64_000_000) -> list[float]:
    """:func:`silhouette_mean` of several labelings of the same rows; each block of distances is
    computed once for all of them (choosing k scores every candidate on one sample)."""
    Z = np.asarray(Z, dtype=float)
    n = len(Z)
    parts = []
    for labels in labelings:
        _, lab = np.unique(np.asarray(labels), return_inverse=True)
        onehot = np.zeros((n, lab.max() + 1))
        onehot[np.arange(n), lab] = 1.0
        parts.append((lab, onehot, onehot.sum(axis=0), np.empty(n)))
    sq = np.einsum("ij,ij->i", Z, Z)
    step = max(1, chunk_bytes // (8 * n))
    for start in range(0, n, step):
        stop = min(n, start + step)
        d = sq[start:stop, None] + sq[None, :] - 2.0 * (Z[start:stop] @ Z.T)
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        rows = np.arange(stop - start)
        for lab, onehot, counts, s in parts:
            sums = d @ onehot
            own = lab[start:stop]
            own_n = counts[own]
            a = sums[rows, own] / np.maximum(own_n - 1, 1)
            means = sums / counts
            means[rows, own] = np.inf
            b = means.min(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = np.nan_to_num((b - a) / np.maximum(a, b))
            s[start:stop] = np.where(own_n > 1, v, 0.0)
    return [float(s.mean()) for *_, s in parts]


def calinski_harabasz(Z: np.ndarray, labels: np.ndarray) -> float:
    keep = labels >= 0
    n_labels = len(np.unique(labels[keep]))
    if n_labels < 2 or n_labels >= keep.sum():
        return float("nan")
    return float(calinski_harabasz_score(Z[keep], labels[keep]))


def dbscan_eps(Z: np.ndarray, min_samples: int) -> float:
    """DBSCAN's eps from the k-distance heuristic (Ester et al. 1996).

    Sort every point's distance to its ``min_samples``-th nearest neighbour (itself included,
    as DBSCAN counts it) and take the knee of that curve: the point farthest from the chord
    joining its ends (the "kneedle" idea of Satopaa et al. 2011).
    """
    nn = NearestNeighbors(n_neighbors=min(min_samples, len(Z))).fit(Z)
    dist = np.sort(nn.kneighbors(Z)[0][:, -1])
    x = np.linspace(0.0, 1.0, len(dist))
    span = dist[-1] - dist[0]
    if span <= 0:
        return float(dist[0]) or 1e-6
    y = (dist - dist[0]) / span
    knee = int(np.argmax(x - y))  # the curve is convex and rising: farthest below the chord
    return float(max(dist[knee], 1e-6))


# --------------------------------------------------------------------------- the estimator


class Segmenter(ClusterMixin, BaseEstimator):
    """Segment customers: log for skewed features, standardize, cluster; k chosen by the data.

    Parameters
    ----------
    k : int or None
        Number of segments. ``None`` chooses it over ``k_range`` by ``criterion``. Ignored by
        DBSCAN, which finds its own number of segments.
    k_range : (int, int)
        Smallest and largest k tried when ``k`` is None (both included).
    method : {"kmeans", "gmm", "ward", "dbscan"}
        The clusterer. k-means is the default: fast, and its segments are summarized by their
        means, which is how a segment is described to a marketing team.
    criterion : {"silhouette", "calinski_harabasz", "bic", "majority"}
        How k is chosen. The highest average silhouette wins; scores equal to three decimals
        go to the smaller k, which is easier to act on. ``"bic"`` takes the lowest Gaussian
        mixture BIC. ``"majority"`` takes the k most of the three prefer, the silhouette's when
        no two agree (:func:`majority_k`); the criteria can disagree, for example when features
        have very different spreads, and one criterion alone then hides it.
    log : "auto", bool or list of str
        ``"auto"`` applies ``log1p`` to non-negative features whose skewness exceeds
        ``skew_threshold``; ``False`` never, ``True`` to every non-negative feature, a list to
        those features.
    scale : bool
        Standardize the (logged) features. Turn off only when the units are comparable.
    skew_threshold : float
        Skewness above which ``log="auto"`` logs a feature (1 is the usual "highly skewed" mark).
    sample_size : int
        Rows used for silhouette widths (a seeded sample; silhouette costs O(n^2)).
    selection_size : int
        Rows used to fit each candidate k when choosing k (a seeded sample for large n); the
        final model is fitted on all rows.
    n_init : int
        Restarts of k-means and of the Gaussian mixture.
    min_samples : int or None
        DBSCAN's minimum neighbourhood size; default ``2 * n_features`` (Sander et al. 1998),
        at least 10.
    eps : float or None
        DBSCAN's radius in standardized units; default from :func:`dbscan_eps`.
    seed : int or None
        Seed for every random step (samples, initializations).

    Attributes
    ----------
    labels_ : ndarray of int
        Segment of each training row; 0 is the largest segment, -1 is DBSCAN noise.
    k_ : int
        Number of segments found (excluding noise).
    selection_ : DataFrame or None
        One row per candidate k: silhouette, calinski_harabasz, bic, inertia, chosen.
    preparation_ : DataFrame
        Per feature: skewness before and after, minimum, whether it was logged, median used to
        fill blanks, mean and standard deviation used to standardize.
    centers_ : DataFrame
        Segment means in the original units (rows: segments, columns: features).
    centers_z_ : ndarray
        Segment means in the prepared (logged, standardized) space, used by ``predict`` for
        k-means and Ward.
    silhouette_ : float
        Average silhouette width of the final labels (on a sample for large n).
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    """

    def __init__(self, k=None, k_range=(2, 8), method="kmeans", criterion="silhouette",
                 log="auto", scale=True, skew_threshold=1.0, sample_size=10_000,
                 selection_size=20_000, n_init=5, min_samples=None, eps=None, seed=None):
        self.k = k
        self.k_range = k_range
        self.method = method
        self.criterion = criterion
        self.log = log
        self.scale = scale
        self.skew_threshold = skew_threshold
        self.sample_size = sample_size
        self.selection_size = selection_size
        self.n_init = n_init
        self.min_samples = min_samples
        self.eps = eps
        self.seed = seed

    # ---- preparation

    def _validate_params(self, n_rows: int) -> list[int]:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")
        if self.k is not None:
            if int(self.k) != self.k or self.k < 1:
                raise ValueError(f"k must be a positive whole number or None, got {self.k!r}")
            return [int(self.k)]
        lo, hi = (int(v) for v in self.k_range)
        if lo < 2 or hi < lo:
            raise ValueError(f"k_range must be (low, high) with 2 <= low <= high, got {self.k_range!r}")
        # Silhouette needs at least one customer more than segments.
        hi = min(hi, n_rows - 1)
        if hi < lo:
            raise DataError(f"{n_rows} customers are too few to choose k in {tuple(self.k_range)}: "
                            f"at least {lo + 1} are needed", table=TABLE, n_rows=n_rows)
        return list(range(lo, hi + 1))

    def _fit_preparation(self, X: pd.DataFrame) -> None:
        values = X.to_numpy(dtype=float)
        medians = np.nanmedian(values, axis=0)
        values = np.where(np.isnan(values), medians, values)
        skew = pd.DataFrame(values, columns=X.columns).skew().to_numpy()
        minimum = values.min(axis=0)
        if isinstance(self.log, str) and self.log == "auto":
            logged = (skew > self.skew_threshold) & (minimum >= 0)
        elif isinstance(self.log, (bool, np.bool_)):
            logged = np.full(len(X.columns), bool(self.log)) & (minimum >= 0)
        else:
            unknown = sorted(set(self.log) - set(X.columns))
            if unknown:
                raise ValueError(f"log lists features that are not clustered: {unknown}")
            logged = np.isin(X.columns, list(self.log))
            negative = [c for c, m, lg in zip(X.columns, minimum, logged) if lg and m < 0]
            if negative:
                raise DataError(f"log1p asked for features with negative values: {negative}",
                                table=TABLE, column=negative[0])
        transformed = np.where(logged, np.log1p(np.where(logged, values, 0.0)), values)
        mean = transformed.mean(axis=0)
        sd = transformed.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        self._medians = medians
        self._logged = logged
        self._mean = mean if self.scale else np.zeros_like(mean)
        self._sd = sd if self.scale else np.ones_like(sd)
        self.preparation_ = pd.DataFrame({
            "skew": skew,
            "skew_after": pd.DataFrame(transformed).skew().to_numpy(),
            "min": minimum,
            "log1p": logged,
            "median": medians,
            "center": self._mean,
            "scale": self._sd,
        }, index=pd.Index(X.columns, name="feature"))

    def prepare(self, X) -> np.ndarray:
        """The features as the clusterer sees them: blanks filled, logged, standardized."""
        return self._prepare_checked(self._check_columns(X))

    def _prepare_checked(self, X: pd.DataFrame) -> np.ndarray:
        values = X.to_numpy(dtype=float)
        values = np.where(np.isnan(values), self._medians, values)
        bad = self._logged & (values < 0)
        if bad.any():
            col = X.columns[np.flatnonzero(bad.any(axis=0))[0]]
            require_rows(X, bad.any(axis=1), "negative values in a feature that is logged "
                         "(it was non-negative when the segmenter was fitted)", table=TABLE,
                         column=col)
        values = np.where(self._logged, np.log1p(np.where(self._logged, values, 0.0)), values)
        return (values - self._mean) / self._sd

    def _check_columns(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X, dtype=float), columns=self.feature_names_in_)
        return check_features(X, list(self.feature_names_in_))

    # ---- clustering

    def _clusterer(self, method: str, k: int, n_rows: int, n_features: int):
        if method == "kmeans":
            if n_rows > MINIBATCH_ROWS:
                return MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096,
                                       random_state=self.seed)
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.seed)
        if method == "gmm":
            return GaussianMixture(n_components=k, covariance_type="full",
                                   n_init=max(1, min(self.n_init, 3)), random_state=self.seed)
        if method == "ward":
            return AgglomerativeClustering(n_clusters=k, linkage="ward")
        raise ValueError(method)

    def _fit_labels(self, Z: np.ndarray, k: int, rng: np.random.Generator, strict: bool = True):
        """Cluster Z; returns (labels, model). Ward and DBSCAN fit on a sample if n is large.

        A convergence failure is retried once without the check and reported as a
        DataWarning that says what it means, instead of a library warning.
        """
        n, d = Z.shape
        method = self.method
        with warnings.catch_warnings():
            warnings.simplefilter("error" if strict else "ignore", ConvergenceWarning)
            try:
                if method in ("kmeans", "gmm"):
                    model = self._clusterer(method, k, n, d).fit(Z)
                    return model.predict(Z), model
                if method == "ward":
                    idx = sample_index(n, WARD_MAX_ROWS, rng)
                    sub = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(Z[idx])
                    if len(idx) == n:
                        return sub, None
                    centers = np.vstack([Z[idx][sub == j].mean(axis=0) for j in range(k)])
                    return _nearest(Z, centers), None
                # dbscan
                # 2 x n_features (Sander et al. 1998), at least 10: with fewer, the tails of
                # a segment break off as micro-segments.
                min_samples = self.min_samples or max(2 * d, 10)
                idx = sample_index(n, DBSCAN_MAX_ROWS, rng)
                eps = self.eps or dbscan_eps(Z[idx], min_samples)
                self.eps_ = float(eps)
                db = DBSCAN(eps=eps, min_samples=min_samples).fit(Z[idx])
                core = Z[idx][db.core_sample_indices_]
                core_labels = db.labels_[db.core_sample_indices_]
                model = (NearestNeighbors(n_neighbors=1).fit(core), core_labels, eps) if len(core) else None
                if len(idx) == n:
                    return db.labels_, model
                return _dbscan_assign(Z, model), model
            except ConvergenceWarning as exc:
                warnings.warn(f"{method} with k={k} did not converge ({exc}); the segments may "
                              "be unreliable: try other features or a smaller k", DataWarning,
                              stacklevel=3)
                return self._fit_labels(Z, k, rng, strict=False)
            except (np.linalg.LinAlgError, ValueError) as exc:
                raise DataError(f"{method} could not be fitted with k={k}: {exc}. Check for "
                                "near-duplicate features or too few distinct customers",
                                table=TABLE) from exc

    def fit(self, X, y=None):
        """Prepare the features, choose k if needed and fit the clusterer.

        Parameters
        ----------
        X : DataFrame
            One row per customer, one numeric column per feature (an array works too).
        y : ignored
        """
        with _threads(len(X)):
            return self._fit(X)

    def _fit(self, X):
        X = check_features(X, k=self.k if self.method != "dbscan" else None)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        ks = self._validate_params(len(X))
        self._fit_preparation(X)
        Z = self._prepare_checked(X)
        rng = np.random.default_rng(self.seed)
        self.selection_ = None
        if self.method == "dbscan":
            k = 0
        elif self.k is None:
            self.selection_ = select_k(Z, ks, method=self.method, criterion=self.criterion,
                                       sample_size=self.sample_size,
                                       selection_size=self.selection_size, n_init=self.n_init,
                                       seed=self.seed)
            k = int(self.selection_.loc[self.selection_["chosen"], "k"].iloc[0])
        else:
            k = int(self.k)
        raw, model = self._fit_labels(Z, k, rng)
        # Number segments by size (0 = largest) so that labels do not depend on the seed.
        found = np.unique(raw[raw >= 0])
        sizes = np.array([(raw == j).sum() for j in found])
        order = found[np.lexsort((found, -sizes))]
        self._relabel = {int(old): new for new, old in enumerate(order)}
        self._relabel[-1] = -1
        self._model = model
        self.labels_ = self._map(raw)
        self.k_ = len(found)
        noise = float(np.mean(self.labels_ < 0))
        if self.method == "dbscan" and (self.k_ < 2 or noise > 0.5):
            warnings.warn(
                f"DBSCAN found {self.k_} segment{'s' if self.k_ != 1 else ''} and left {noise:.0%} "
                f"of the customers as noise (eps={self.eps_:.3g}, min_samples="
                f"{self.min_samples or max(2 * Z.shape[1], 10)}): the customers form no dense, "
                "separated groups at this radius; try k-means or another eps", DataWarning,
                stacklevel=3)
        self.centers_z_ = np.vstack([Z[self.labels_ == j].mean(axis=0) for j in range(self.k_)]) \
            if self.k_ else np.empty((0, Z.shape[1]))
        filled = X.fillna(pd.Series(self._medians, index=X.columns))
        means = filled.groupby(self.labels_).mean()
        self.centers_ = means.loc[means.index >= 0]
        self.centers_.index.name = "segment"
        self.silhouette_ = _silhouette(Z, self.labels_, self.sample_size, self.seed)
        return self

    def _map(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=int)
        top = max(max(self._relabel), int(raw.max()) if len(raw) else 0)
        lut = np.full(top + 2, -1)
        for old, new in self._relabel.items():
            lut[old + 1] = new
        return lut[raw + 1]

    def predict(self, X) -> np.ndarray:
        """Assign customers to the fitted segments.

        k-means and Ward: nearest segment mean; Gaussian mixture: most probable component;
        DBSCAN: the segment of the nearest core customer within ``eps_``, else -1 (noise).
        """
        if not hasattr(self, "labels_"):
            raise ValueError("this Segmenter is not fitted yet; call fit first")
        Z = self.prepare(X)
        if self.method == "gmm":
            return self._map(self._model.predict(Z))
        if self.method == "dbscan":
            return self._map(_dbscan_assign(Z, self._model))
        return _nearest(Z, self.centers_z_)

    @property
    def segment_sizes_(self) -> pd.Series:
        """Customers per segment (noise, -1, included when there is any)."""
        return pd.Series(self.labels_).value_counts().sort_index().rename("n")


def _nearest(Z: np.ndarray, centers: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Index of the nearest center for every row, in chunks to bound memory."""
    out = np.empty(len(Z), dtype=int)
    c2 = (centers ** 2).sum(axis=1)
    for start in range(0, len(Z), chunk):
        block = Z[start:start + chunk]
        out[start:start + chunk] = np.argmin(c2 - 2.0 * block @ centers.T, axis=1)
    return out


def _dbscan_assign(Z: np.ndarray, model) -> np.ndarray:
    if model is None:
        return np.full(len(Z), -1)
    nn, core_labels, eps = model
    dist, idx = nn.kneighbors(Z)
    return np.where(dist[:, 0] <= eps, core_labels[idx[:, 0]], -1)


# --------------------------------------------------------------------------- choosing k


def select_k(Z: np.ndarray, k_values: Sequence[int], *, method: str = "kmeans",
             criterion: str = "silhouette", sample_size: int = 10_000,
             selection_size: int = 20_000, n_init: int = 5, seed=None) -> pd.DataFrame:
    """Score each candidate k on prepared features; mark the chosen one.

    Each k is fitted with ``method`` on (a seeded sample of ``selection_size`` rows of) ``Z``;
    the silhouette uses a further sample of ``sample_size`` rows. A Gaussian mixture (full
    covariance) is fitted for every k as well, for its BIC.

    Returns
    -------
    DataFrame with columns ``k``, ``silhouette``, ``calinski_harabasz``, ``bic``,
    ``bic_degenerate``, ``inertia`` (within-segment sum of squares, for an elbow plot) and
    ``chosen`` (bool). ``bic`` is NaN where ``bic_degenerate``: the mixture put a component on
    a singular covariance (see :func:`_mixture_is_degenerate`), where the likelihood is
    unbounded and the BIC says nothing about the number of groups.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    if method == "dbscan":
        raise ValueError("DBSCAN chooses its own number of segments; select_k does not apply")
    rng = np.random.default_rng(seed)
    Zs = Z[sample_index(len(Z), selection_size, rng)]
    with _threads(len(Zs)):
        table = _score_ks(Zs, k_values, method, sample_size, n_init, seed)
    if criterion == "bic" and table["bic"].isna().all():
        raise DataError("the Gaussian mixture collapsed onto repeated values at every k tried, "
                        "so its BIC cannot choose k; use criterion='silhouette'", table=TABLE)
    choices = criterion_choices(table)
    if criterion == "majority":
        chosen = majority_k(choices)
    else:
        chosen = choices[criterion]
    table["chosen"] = table["k"] == chosen
    return table


def criterion_choices(selection: pd.DataFrame) -> dict[str, int]:
    """The k each criterion prefers: highest silhouette (ties to three decimals go to the
    smaller k), highest Calinski-Harabasz index, lowest BIC (left out when every BIC is NaN)."""
    out = {"silhouette": int(selection.loc[selection["silhouette"].round(3).idxmax(), "k"]),
           "calinski_harabasz": int(selection.loc[selection["calinski_harabasz"].idxmax(), "k"])}
    if selection["bic"].notna().any():
        out["bic"] = int(selection.loc[selection["bic"].idxmin(), "k"])
    return out


def majority_k(choices: dict[str, int]) -> int:
    """The k most criteria prefer; without a majority, the silhouette's.

    The silhouette breaks ties because it is the one criterion that measures directly how well
    each customer sits in its own segment rather than in the nearest other (Rousseeuw 1987);
    the Calinski-Harabasz index favours many segments on large data and the BIC measures how
    well a mixture fits the density, not whether the groups are distinct.
    """
    counts = pd.Series(list(choices.values())).value_counts()
    top = counts[counts == counts.max()]
    return int(top.index[0]) if len(top) == 1 and top.iloc[0] > 1 else choices["silhouette"]


def _score_ks(Zs, k_values, method, sample_size, n_init, seed) -> pd.DataFrame:
    rows, labelings = [], []
    probe = Segmenter(method=method, n_init=n_init, seed=seed)
    for k in k_values:
        labels, _ = probe._fit_labels(Zs, k, np.random.default_rng(seed))
        labelings.append(labels)
        inertia = sum(((Zs[labels == j] - Zs[labels == j].mean(axis=0)) ** 2).sum()
                      for j in np.unique(labels))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gmm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed).fit(Zs)
        degenerate = _mixture_is_degenerate(gmm)
        rows.append({
            "k": int(k),
            "calinski_harabasz": calinski_harabasz(Zs, labels),
            "bic": float("nan") if degenerate else float(gmm.bic(Zs)),
            "bic_degenerate": degenerate,
            "inertia": float(inertia),
        })
    table = pd.DataFrame(rows)
    table.insert(1, "silhouette", _silhouettes(Zs, labelings, sample_size, seed))
    return table


#: A mixture component whose covariance has an eigenvalue below this (in standardized units,
#: i.e. a standard deviation under 1% of the feature's) has collapsed onto repeated values.
DEGENERATE_VARIANCE = 1e-4


def _mixture_is_degenerate(gmm: GaussianMixture) -> bool:
    """True when a component sits on a (near-)singular covariance.

    The Gaussian mixture likelihood is unbounded: a component that shrinks onto tied values
    (whole-number features such as ``support_tickets`` after the log has many customers at
    exactly 0) sends ln L towards infinity, held back only by the small ridge ``reg_covar``
    (Day 1969). Its BIC then drops by thousands without describing any customer group, so it
    is not comparable with the BIC of the other k and is reported as missing.
    """
    eig = np.linalg.eigvalsh(gmm.covariances_)
    return bool(eig.min() < DEGENERATE_VARIANCE)


# --------------------------------------------------------------------------- notebook inputs


class SegmentInputs(NamedTuple):
    """What :func:`load_inputs` returns: the features, the RFM table and the joins measured."""

    features: pd.DataFrame
    """Clustering features indexed by customer id."""
    rfm: pd.DataFrame | None
    """The RFM table (:func:`~cxlib.segments.rfm.rfm_table`); None without transactions."""
    joins: list
    """:class:`~cxlib.core.JoinCoverage` of the features with the transactions (empty when
    only one of the two tables is given)."""


#: RFM columns whose value is known for a customer without purchases: none bought, none spent.
#: Recency, tenure and spend per purchase are undefined for them and stay blank.
NO_PURCHASE_VALUES = {"frequency": 0.0, "monetary": 0.0}


def load_inputs(data_path, transactions_path, features: Sequence[str], *, observation_end=None,
                id_column: str = "customer_id", transaction_columns=None,
                allow_returns: bool = False, engine: str = "duckdb", spark_master: str | None = None,
                encoding: str | None = None) -> SegmentInputs:
    """The clustering features and the RFM table, from whichever tables are given.

    Features found in the per-customer table ``data_path`` are read from it; the others must
    be RFM columns (``recency``, ``frequency``, ``monetary``, ``avg_spend``, ``tenure``) built
    from ``transactions_path``. With ``data_path`` empty, every feature comes from RFM.

    Parameters
    ----------
    data_path, transactions_path : str or path-like
        The per-customer table and the purchase log; ``""`` for none.
    features : sequence of str
        The clustering features.
    observation_end : date-like, optional
        The analysis day (RFM recency is measured to it).
    id_column : str
        The customer id column of ``data_path``.
    transaction_columns : mapping, optional
        The canonical transaction columns (``customer_id``, ``timestamp``, ``amount``) mapped to
        yours.
    allow_returns : bool
        Keep negative amounts (returns) instead of refusing them; RFM monetary is then net
        spend (see :func:`~cxlib.segments.rfm.rfm_table`).
    engine, spark_master : str
        Where the purchase log is validated and reduced to one row per customer
        (:func:`cxlib.core.transaction_log`); only that reaches pandas.
    encoding : str, optional
        Text encoding of the CSV inputs (``latin-1``, ``cp1252``, ...); UTF-8 when not given.

    Returns
    -------
    SegmentInputs
        ``(features, rfm, joins)``: the features indexed by customer id, the RFM table (None
        without transactions) and the coverage of the features' join with the transactions.

    Raises
    ------
    DataError
        As the loaders do, and when no customer of ``data_path`` is found in the transactions
        (:func:`cxlib.core.join_coverage`); transactions of customers missing from ``data_path``
        give a :class:`~cxlib.core.DataWarning` with counts and examples.
    """
    from ..core import join_coverage, transaction_log
    from .rfm import rfm_and_rows

    features = list(features)
    rfm, rows = None, None
    if transactions_path not in (None, ""):
        cols = {"customer_id": "customer_id", "timestamp": "timestamp", "amount": "amount",
                **{k: v for k, v in (transaction_columns or {}).items() if v}}
        log = transaction_log(transactions_path, cols["customer_id"], cols["timestamp"], cols["amount"],
                              observation_end or None, engine=engine, spark_master=spark_master or None,
                              encoding=encoding or None, allow_returns=allow_returns)
        rfm, rows = rfm_and_rows(log)
        rfm.index.name = "customer_id"  # the canonical name, whatever the file calls it
    if data_path in (None, ""):
        if rfm is None:
            raise DataError("give data_path (a per-customer table) or transactions_path (RFM is "
                            "built from it); both are empty")
        require_columns(rfm, features, table="rfm (built from transactions)")
        X = rfm[features]
        X.attrs.update(table="rfm (built from transactions)")
        return SegmentInputs(check_features(X), rfm, [])
    raw = read_table(data_path, TABLE, encoding=encoding or None)
    own = [f for f in features if f in raw.columns]
    from_rfm = [f for f in features if f not in raw.columns]
    if from_rfm and (rfm is None or any(f not in rfm.columns for f in from_rfm)):
        require_columns(raw, features, table=TABLE, source=raw.attrs.get("source"))
    X = _features(raw, own, id_column, TABLE) if own else None  # the table read above, not read again
    joins = []
    if X is not None and rows is not None:
        # Every purchase should belong to a clustered customer; not every customer has bought,
        # so only the transactions' side warns. Measured before any RFM column is matched in,
        # from the log's rows per customer (counted in the engine with the spend).
        joins.append(join_coverage(X.index, rows.index, right_counts=rows.to_numpy(),
                                   left=f"features ({data_path})", right=f"transactions ({transactions_path})",
                                   key="customer_id", expect="right"))
    if from_rfm:
        extra = rfm[from_rfm].reindex(X.index if X is not None else rfm.index)
        extra = extra.fillna({c: v for c, v in NO_PURCHASE_VALUES.items() if c in extra})
        X = extra if X is None else X.join(extra)
    return SegmentInputs(check_features(X[features], table=TABLE, source=raw.attrs.get("source")),
                         rfm, joins)


#: How messages name each criterion.
CRITERION_LABELS = {"silhouette": "silhouette", "calinski_harabasz": "Calinski-Harabasz index",
                    "bic": "mixture BIC"}


def selection_summary(selection: pd.DataFrame, criterion: str = "silhouette") -> dict:
    """What each criterion prefers, whether they agree, and the rule that chose k.

    Parameters
    ----------
    selection : DataFrame
        A :func:`select_k` table (``Segmenter.selection_``).
    criterion : str
        The criterion the segmenter was given (``"majority"`` for the weighing rule).

    Returns
    -------
    dict with ``k_by_criterion`` (criterion -> preferred k; the BIC is left out when it is
    missing at every k), ``criteria_agree`` (bool), ``k_rule`` (``"silhouette"``,
    ``"calinski_harabasz"`` or ``"bic"`` when one criterion was asked for; with ``"majority"``:
    ``"unanimous"``, ``"majority"`` or ``"no majority: silhouette"``), ``k_votes`` (criteria that
    prefer the chosen k), ``n_criteria`` and ``k_chosen``. These are the values written to
    ``metrics.json``, so the report can say which rule chose k and who disagreed.
    """
    chosen = int(selection.loc[selection["chosen"], "k"].iloc[0])
    best = criterion_choices(selection)
    votes = sum(v == chosen for v in best.values())
    agree = len(set(best.values())) == 1
    if criterion != "majority":
        rule = criterion
    elif agree:
        rule = "unanimous"
    elif votes > 1:
        rule = "majority"
    else:
        rule = "no majority: silhouette"
    return {"k_by_criterion": best, "criteria_agree": agree, "k_rule": rule, "k_votes": int(votes),
            "n_criteria": len(best), "k_chosen": chosen}


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _preferences(best: dict[str, int], skip: str | None = None) -> str:
    """``the silhouette prefers k = 3; the Calinski-Harabasz index and the mixture BIC prefer
    k = 4``: criteria grouped by the k they prefer."""
    by_k: dict[int, list[str]] = {}
    for c, v in best.items():
        if c != skip:
            by_k.setdefault(v, []).append(f"the {CRITERION_LABELS[c]}")
    return "; ".join(f"{_and(names)} prefer{'s' if len(names) == 1 else ''} k = {v}"
                     for v, names in by_k.items())


def _rule_sentence(summary: dict, span: str, silhouette: float) -> str:
    """The weighing rule's paragraph: agreement, or the disagreement and how it was settled."""
    chosen, best = summary["k_chosen"], summary["k_by_criterion"]
    n = summary["n_criteria"]
    names = _and([CRITERION_LABELS[c] for c in best])
    tail = f" (over k = {span}; mean silhouette {silhouette:.2f})."
    if summary["k_rule"] == "unanimous":
        return (f"k = {chosen} segments: the criteria agree, all {n} ({names}) prefer "
                f"it{tail}")
    text = f"The criteria disagree: {_preferences(best)}. "
    if summary["k_rule"] == "majority":
        return text + (f"The rule is the majority: k = {chosen} segments, the k that "
                       f"{summary['k_votes']} of the {n} criteria prefer{tail}")
    return text + ("No two of them prefer the same k, so there is no majority and the rule falls "
                   "back to the silhouette, the criterion that measures directly how well each "
                   f"customer sits in its own segment: k = {chosen} segments{tail}")


def describe_selection(selection: pd.DataFrame, criterion: str = "silhouette") -> str:
    """One paragraph on how k was chosen and whether the criteria agree.

    With ``criterion="majority"`` it says in plain words when the criteria disagree, which k
    each prefers and how the rule settled it (:func:`majority_k`); with one criterion, which
    others agree and which prefer another k.
    """
    summary = selection_summary(selection, criterion)
    chosen, best = summary["k_chosen"], summary["k_by_criterion"]
    row = selection.loc[selection["chosen"]].iloc[0]
    span = f"{int(selection['k'].min())}..{int(selection['k'].max())}"
    if criterion == "majority":
        text = _rule_sentence(summary, span, row["silhouette"]) + " "
    else:
        text = (f"k = {chosen} segments, chosen by the {CRITERION_LABELS[criterion]} over k = {span} "
                f"(mean silhouette {row['silhouette']:.2f}). ")
        agree = [CRITERION_LABELS[c] for c, v in best.items() if v == chosen and c != criterion]
        if agree:
            text += f"The {' and the '.join(agree)} agree{'s' if len(agree) == 1 else ''}. "
        if not summary["criteria_agree"]:
            differ = {c: v for c, v in best.items() if v != chosen}
            text += f"The criteria disagree: {_preferences(differ)}. "
    if "bic" in best and best["bic"] != chosen and best["bic"] == int(selection["k"].max()):
        text += ("A BIC still falling at the largest k usually means the mixture is fitting "
                 "fine detail (such as whole-number features), not more customer groups. ")
    if "bic_degenerate" in selection and selection["bic_degenerate"].any():
        bad = ", ".join(str(int(v)) for v in selection.loc[selection["bic_degenerate"], "k"])
        text += (f"At k = {bad} the mixture collapsed a component onto repeated values (a "
                 "singular covariance, where the likelihood has no maximum), so that BIC is left "
                 "out rather than read as support for more segments.")
    return text.strip()
