"""The satisfaction lesson's key findings: the sentences the report index shows first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["key_findings"]


def _label(driver: str) -> str:
    return str(driver).replace("_", " ")


def _listed(items: Sequence[str]) -> str:
    items = [_label(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def key_findings(metrics: Mapping, scale: Sequence[float], top_box_from: float | None = None) -> list[str]:
    """Two or three sentences built from the notebook's ``metrics.json`` values.

    Parameters
    ----------
    metrics : mapping
        The values the notebook wrote with ``out.metrics`` (full precision).
    scale : (low, high)
        The overall score's scale, named in the first sentence.
    top_box_from : float, optional
        Lowest score counted as top box (default: the top two points of the scale).

    Mean scores keep two decimals, shares and NPS are whole numbers, as in the notebook.
    """
    low, high = scale
    box = ("one of the top two scores" if top_box_from in (None, high - 1)
           else f"a score of {top_box_from:g} or more")
    found = [f"Mean satisfaction is {metrics['csat_mean']:.2f} on the {low:g}-{high:g} scale "
             f"(n = {int(metrics['n']):,}); {metrics['csat_top2box']:.0%} of respondents give {box}."]
    if metrics.get("nps") is not None:
        found.append(f"The Net Promoter Score is {metrics['nps']:+.0f}, with "
                     f"{metrics['promoter_share']:.0%} of respondents promoters.")
    text = (f"{_label(metrics['top_driver']).capitalize()} matters most for overall satisfaction; "
            f"the ratings together explain {metrics['r2']:.0%} of its variation.")
    if metrics.get("fix_first"):
        text += (f" Fix first: {_listed(metrics['fix_first'])} (more important than average, "
                 "rated below average).")
    found.append(text)
    return found
