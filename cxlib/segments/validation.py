"""Are the segments real? Bootstrap stability, agreement between methods, known segments.

- :func:`bootstrap_stability` refits the whole pipeline on resamples and compares labels with
  the adjusted Rand index (Hubert & Arabie 1985), in the scheme of Hennig (2007).
- :func:`compare_methods` fits k-means, a Gaussian mixture, Ward and DBSCAN on the same sample.
- :func:`truth_ari` scores segments against known ones (the synthetic world's).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from ..core import DataWarning, clean_ids, load_truth, read_table, require_columns
from .segmenter import METHODS, Segmenter, calinski_harabasz, sample_index, check_features

__all__ = [
    "StabilityResult",
    "bootstrap_stability",
    "compare_methods",
    "describe_methods",
    "load_truth_segments",
    "truth_ari",
]


# --------------------------------------------------------------------------- stability


@dataclass
class StabilityResult:
    """Adjusted Rand index between the full-data segments and refits on bootstrap resamples."""

    ari: np.ndarray
    n_rows: int
    level: float = 0.95

    @property
    def mean(self) -> float:
        return float(np.mean(self.ari))

    @property
    def low(self) -> float:
        return float(np.quantile(self.ari, (1 - self.level) / 2))

    @property
    def high(self) -> float:
        return float(np.quantile(self.ari, 1 - (1 - self.level) / 2))

    def table(self) -> pd.DataFrame:
        """One row per resample: ``replicate``, ``ari``."""
        return pd.DataFrame({"replicate": np.arange(len(self.ari)), "ari": self.ari})

    def __str__(self) -> str:
        verdict = ("stable" if self.mean >= 0.8 else "moderately stable" if self.mean >= 0.6
                   else "unstable")
        return (f"Bootstrap stability over {len(self.ari)} resamples of {self.n_rows:,} customers: "
                f"mean adjusted Rand index {self.mean:.2f} ({self.level:.0%} of resamples between "
                f"{self.low:.2f} and {self.high:.2f}); the segments are {verdict} "
                "(1 = identical, 0 = no better than chance).")


def bootstrap_stability(segmenter: Segmenter, X, *, n_boot: int = 20, max_rows: int = 10_000,
                        seed=None, level: float = 0.95) -> StabilityResult:
    """How reproducible are the segments? Refit on resamples and compare labels.

    Each replicate draws ``min(n, max_rows)`` customers with replacement and keeps each drawn
    customer once, as ``fpc::clusterboot`` does by default (``multipleboot = FALSE``): repeated
    copies of a point would add artificial density (DBSCAN with a fixed eps would then find
    the same dense cores more easily) and overstate stability. It refits a copy of the fitted
    ``segmenter`` with its k fixed (the whole pipeline: log decision, scaling, clustering) and
    computes the adjusted Rand index between the replicate's labels and the full-data labels of
    the same customers (Hennig 2007 uses the Jaccard index in the same scheme). A replicate
    holds about 63% of the drawn size in distinct customers. Capping the resample size keeps the
    cost flat for millions of customers.
    """
    if not hasattr(segmenter, "labels_"):
        raise ValueError("fit the segmenter before measuring its stability")
    X = check_features(X, list(segmenter.feature_names_in_))
    full = segmenter.labels_
    if len(full) != len(X):
        raise ValueError("X must be the data the segmenter was fitted on")
    rng = np.random.default_rng(seed)
    # The replicates' own silhouette widths are not used: a small sample keeps them cheap.
    params = {"k": segmenter.k_ if segmenter.method != "dbscan" else None,
              "sample_size": min(segmenter.sample_size, 500)}
    if segmenter.method == "dbscan":
        params["eps"] = segmenter.eps_
    size = min(len(X), max_rows)
    ari = []
    for b in range(n_boot):
        idx = np.unique(rng.choice(len(X), size=size, replace=True))
        est = clone(segmenter).set_params(seed=int(rng.integers(2**31 - 1)), **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            est.fit(X.iloc[idx])
        ari.append(adjusted_rand(full[idx], est.labels_))
    return StabilityResult(np.asarray(ari), n_rows=size, level=level)


# --------------------------------------------------------------------------- method comparison


def compare_methods(X, k: int, *, methods: Sequence[str] = METHODS, max_rows: int = 10_000,
                    reference: str = "kmeans", truth=None, seed=None,
                    sample_size: int = 10_000) -> pd.DataFrame:
    """Fit each method with the same k on the same sample and compare.

    Parameters
    ----------
    X : DataFrame
        Features (one row per customer).
    k : int
        Number of segments for k-means, the mixture and Ward (DBSCAN finds its own).
    max_rows : int
        All methods see the same seeded sample of at most this many customers (Ward at most
        :data:`WARD_MAX_ROWS` of them, the rest assigned to the nearest Ward segment mean).
    reference : str
        Method whose labels the others are compared with (``ari_vs_reference``).
    truth : array-like, optional
        Known segments of the rows of ``X`` (synthetic data): adds ``ari_vs_truth``, over the
        rows whose segment is known.

    Returns
    -------
    DataFrame, one row per method: ``method``, ``n_segments``, ``noise_share``,
    ``silhouette``, ``calinski_harabasz``, ``ari_vs_reference``, ``ari_vs_truth``,
    ``seconds``.
    """
    X = check_features(X, k=k)
    rng = np.random.default_rng(seed)
    idx = sample_index(len(X), max_rows, rng)
    Xs = X.iloc[idx]
    truth_s = None if truth is None else np.asarray(truth)[idx]
    fits = {}
    for m in methods:
        start = time.perf_counter()
        seg = Segmenter(k=None if m == "dbscan" else k, method=m, seed=seed,
                        sample_size=sample_size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            seg.fit(Xs)
        fits[m] = (seg, time.perf_counter() - start)
    ref = fits[reference][0].labels_ if reference in fits else None
    rows = []
    for m, (seg, seconds) in fits.items():
        Z = seg.prepare(Xs)
        labels = seg.labels_
        rows.append({
            "method": m,
            "n_segments": seg.k_,
            "noise_share": float(np.mean(labels < 0)),
            "silhouette": seg.silhouette_,  # same rows, sample and seed
            "calinski_harabasz": calinski_harabasz(Z, labels),
            "ari_vs_reference": None if ref is None else adjusted_rand(ref, labels),
            "ari_vs_truth": None if truth_s is None else _ari_known(truth_s, labels),
            "seconds": seconds,
        })
    table = pd.DataFrame(rows)
    table.attrs["n_rows"] = len(idx)
    return table


def adjusted_rand(a, b) -> float:
    """scikit-learn's adjusted Rand index of two labellings, the labels coded as integers first.

    The index depends only on which customers share a label, so the codes give the same value;
    scikit-learn sorts the labels themselves, which for a million text labels (segment names)
    takes seconds, while hashing them into codes takes a fraction of one.
    """
    return float(adjusted_rand_score(pd.factorize(np.asarray(a))[0], pd.factorize(np.asarray(b))[0]))


def _ari_known(truth: np.ndarray, labels: np.ndarray) -> float | None:
    """ARI on the customers with a known segment: one missing from the truth file (its join
    warns) is left out rather than counted as a segment of its own."""
    known = pd.notna(truth)
    return adjusted_rand(truth[known], labels[known]) if known.any() else None


# --------------------------------------------------------------------------- known segments


def load_truth_segments(truth_path, *, n_customers: int | None = None, id_column: str = "customer_id",
                        column: str = "segment") -> pd.Series | None:
    """Known segments of the synthetic world as a Series by customer id.

    ``truth_path`` names the truth file (:func:`cxlib.core.load_truth`); its ``segments`` section
    names the labels file beside it. None when there is no truth for these data (``""``, another
    number of customers, or no segments section).
    """
    known = load_truth(truth_path, n_customers=n_customers)
    if known is None or not known.section("segments").get("labels_file"):
        return None
    p = known.file(known.section("segments")["labels_file"])
    df = read_table(p, "truth_segments")
    require_columns(df, [id_column, column], table="truth_segments", source=p)
    # the ids as every other table cleans them (a blank id stays blank, never "nan")
    return df.set_index(clean_ids(df[id_column]))[column].rename("truth")


def truth_ari(labels: pd.Series, truth: pd.Series | None) -> float | None:
    """Adjusted Rand index between segments and known segments, matched on customer id.

    ``None`` when there is no truth. Customers missing from either side are left out.
    """
    if truth is None:
        return None
    both = pd.concat([pd.Series(labels).rename("found"), truth.rename("truth")], axis=1,
                     join="inner")
    if both.empty:
        return None
    return adjusted_rand(both["truth"], both["found"])


def describe_methods(table: pd.DataFrame, reference: str = "kmeans") -> str:
    """One sentence per method from a :func:`compare_methods` table."""
    lines = [f"All methods saw the same {table.attrs.get('n_rows', 0):,} customers."]
    for _, row in table.iterrows():
        text = f"{row['method']}: {int(row['n_segments'])} segments"
        if row["noise_share"] > 0:
            text += f", {row['noise_share']:.0%} left as noise"
        if row["method"] != reference and pd.notna(row["ari_vs_reference"]):
            ari = row["ari_vs_reference"]
            verdict = ("the same segments as" if ari >= 0.9 else "broadly like" if ari >= 0.6
                       else "different segments from")
            text += f"; {verdict} {reference} (ARI {_ari_text(ari)})"
        if pd.notna(row.get("ari_vs_truth")):
            text += f"; ARI {_ari_text(row['ari_vs_truth'])} against the known segments"
        lines.append(text + ".")
    return "\n".join(lines)


def _ari_text(ari: float) -> str:
    """Two decimals without a minus sign on zero (an ARI of -0.001 is chance, not '-0.00')."""
    return f"{round(float(ari), 2) + 0.0:.2f}"
