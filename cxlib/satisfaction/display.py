"""Tables as the lesson shows them: rounded for reading (the files keep full precision)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["readable", "rounded", "headline_display"]


def readable(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A copy for display: floats rounded to ``digits`` and p-value columns (``p`` or ending in
    ``_p``) shown as text, with values below ``10**-digits`` written as ``<0.0001`` rather than
    a misleading ``0.0000``. The saved tables keep full precision."""
    out = table.copy()
    floor = 10.0 ** -digits
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col == "p" or str(col).endswith("_p"):
            out[col] = [f"<{floor:.{digits}f}" if v < floor else f"{v:.{digits}f}"
                        if pd.notna(v) else "" for v in out[col]]
        else:
            out[col] = out[col].round(digits)
    return out


def rounded(value, digits: int = 4):
    """``value`` with every float (also inside lists and dicts) rounded, for display."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(v, digits) for v in value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    return value


def headline_display(headline: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """A compact, readable view of :func:`headline_metrics`: one column per measure with its
    interval as text (the full table with every bound is what gets saved)."""
    h = headline
    fmt = f"{{:.{decimals}f}}"

    def interval(col, scale=1.0, spec=fmt):
        return [f"{spec.format(scale * m)} ({spec.format(scale * lo)} to {spec.format(scale * hi)})"
                if pd.notna(m) else "" for m, lo, hi in
                zip(h[col], h[f"{col}_ci_lower"], h[f"{col}_ci_upper"])]

    out = pd.DataFrame({"n": h["n"].astype(int)}, index=h.index)
    out["CSAT mean (CI)"] = interval("csat_mean")
    out["top box % (CI)"] = interval("csat_top2box", 100, "{:.0f}")
    out["sum k N_k / N"] = h["csat_distribution_score"].round(decimals)
    if "nps" in h:
        out["NPS (CI)"] = interval("nps", 1, "{:+.0f}")
        for part in ["promoters", "passives", "detractors"]:
            out[f"{part} %"] = (100 * h[f"nps_{part}"]).round(0).astype("Int64")
    return out
