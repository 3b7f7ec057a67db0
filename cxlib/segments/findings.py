"""The segmentation lesson's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["key_findings"]

_METHOD_NAMES = {"kmeans": "k-means", "gmm": "a Gaussian mixture", "ward": "Ward clustering",
                 "dbscan": "DBSCAN"}
_CRITERION_NAMES = {"silhouette": "silhouette", "calinski_harabasz": "Calinski-Harabasz index",
                    "bic": "BIC"}
_ORDER = list(_CRITERION_NAMES)
# The weighing rule of criterion "majority" (cxlib.segments.segmenter.selection_summary) decides
# k in one of three ways; the findings name the one that applied, never just "majority".


def _verdict(ari: float) -> str:
    # the thresholds of the stability check's own reading (StabilityResult)
    if ari >= 0.8:
        return "stable"
    if ari >= 0.6:
        return "moderately stable"
    return "unstable: treat them with caution"


def _the(criteria) -> str:
    names = [f"the {_CRITERION_NAMES.get(c, c)}" for c in criteria]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _how_k_was_chosen(metrics: Mapping) -> str:
    """Which rule chose k, and who disagreed, from the ``k_*`` values of ``metrics.json``.

    Without them (a run from before they were recorded) only the criterion is named.
    """
    best = metrics.get("k_by_criterion")
    rule = metrics.get("k_rule", metrics["criterion"])
    if not best:
        return ("k chosen by the criteria's majority rule" if rule == "majority" else
                f"k chosen by the {_CRITERION_NAMES.get(rule, rule)}")
    k = int(metrics["k_chosen"])
    # metrics.json stores its keys sorted: name the criteria in their own order, so that the
    # sentences rebuilt from the file are the notebook's
    best = {c: best[c] for c in sorted(best, key=lambda c: (_ORDER.index(c) if c in _ORDER else 99, c))}
    backing = [c for c, v in best.items() if v == k]
    others = [f"{_the([c])} preferred {int(v)}" for c, v in best.items() if v != k]
    if rule == "unanimous":
        return f"k on which all {len(best)} criteria agree"
    if rule == "majority":
        how = f"k chosen by a majority of the criteria, {_the(backing)}"
    elif rule == "no majority: silhouette":
        how = "k chosen by the silhouette because no two criteria agreed"
    else:
        how = f"k chosen by the {_CRITERION_NAMES.get(rule, rule)}"
    return how + (f"; {', '.join(others)}" if others else "")


def key_findings(metrics: Mapping, n_boot: int) -> list[str]:
    """Two or three sentences built from the notebook's ``metrics.json`` values.

    Parameters
    ----------
    metrics : mapping
        The values the notebook wrote with ``out.metrics`` (full precision).
    n_boot : int
        Bootstrap resamples of the stability check, named in the second sentence.

    Counts are written in full and agreement indices with two decimals. The first sentence
    names the rule that chose k (``k_rule``) and the criteria that preferred another k.
    """
    method = _METHOD_NAMES.get(metrics["method"], metrics["method"])
    if metrics["method"] == "dbscan":
        how = "which finds the number itself"
    elif metrics.get("k_chosen_by_data"):
        how = _how_k_was_chosen(metrics)
    else:
        how = "k given"
    sizes = [int(s) for s in metrics.get("segment_sizes") or []]
    text = (f"The {int(metrics['n_customers']):,} customers fall into {int(metrics['k'])} segments "
            f"({method}, {how})")
    text += f" of {min(sizes):,} to {max(sizes):,} customers each." if sizes else "."
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
