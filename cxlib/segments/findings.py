"""The segmentation lesson's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["key_findings"]

_METHOD_NAMES = {"kmeans": "k-means", "gmm": "a Gaussian mixture", "ward": "Ward clustering",
                 "dbscan": "DBSCAN"}
_CRITERION_NAMES = {"silhouette": "silhouette", "calinski_harabasz": "Calinski-Harabasz index",
                    "bic": "BIC"}


def _verdict(ari: float) -> str:
    # the thresholds of the stability check's own reading (StabilityResult)
    if ari >= 0.8:
        return "stable"
    if ari >= 0.6:
        return "moderately stable"
    return "unstable: treat them with caution"


def key_findings(metrics: Mapping, n_boot: int) -> list[str]:
    """Two or three sentences built from the notebook's ``metrics.json`` values.

    Parameters
    ----------
    metrics : mapping
        The values the notebook wrote with ``out.metrics`` (full precision).
    n_boot : int
        Bootstrap resamples of the stability check, named in the second sentence.

    Counts are written in full and agreement indices with two decimals.
    """
    method = _METHOD_NAMES.get(metrics["method"], metrics["method"])
    if metrics["method"] == "dbscan":
        how = "which finds the number itself"
    elif metrics.get("k_chosen_by_data"):
        how = f"k chosen by the {_CRITERION_NAMES.get(metrics['criterion'], metrics['criterion'])}"
    else:
        how = "k given"
    sizes = [int(s) for s in metrics.get("segment_sizes") or []]
    text = (f"The {int(metrics['n_customers']):,} customers fall into {int(metrics['k'])} segments "
            f"({method}, {how})")
    text += f" of {max(sizes):,} to {min(sizes):,} customers." if sizes else "."
    found = [text]
    if metrics.get("stability_ari") is not None:
        found.append(f"Refitted on {n_boot} bootstrap resamples, the segments are "
                     f"{_verdict(metrics['stability_ari'])} (mean adjusted Rand index "
                     f"{metrics['stability_ari']:.2f}, most resamples between "
                     f"{metrics['stability_ari_low']:.2f} and {metrics['stability_ari_high']:.2f}).")
    if metrics.get("truth_ari") is not None:
        found.append(f"Against the known segments of these data the adjusted Rand index is "
                     f"{metrics['truth_ari']:.2f}.")
    return found
