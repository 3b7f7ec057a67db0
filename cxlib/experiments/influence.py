"""Heavy tails: does one unit decide a difference of means?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .intervals import welch_interval

__all__ = ["influence_table"]


def influence_table(df: pd.DataFrame, metrics: Sequence[str], kinds: Mapping[str, str],
                    control: str, caps: Mapping[str, float], alpha: float = 0.05) -> pd.DataFrame:
    """For each numeric metric and variant: the raw and the capped comparison side by side.

    Returns
    -------
    DataFrame ``metric, variant, median, max, top_unit_share`` (the largest unit's share of its
    variant's total), ``raw_difference, raw_ci_lower, raw_ci_upper, raw_p`` (uncapped Welch),
    ``without_top_difference`` (uncapped, after dropping the single largest unit of the whole
    experiment), ``cap, capped_difference, capped_ci_lower, capped_ci_upper``.
    """
    rows = []
    for m in metrics:
        if kinds[m] != "mean":
            continue
        y = df[m].to_numpy(dtype=float)
        cap = caps.get(m, np.inf)
        top = int(np.argmax(y))
        groups = {v: np.flatnonzero(df["variant"].to_numpy() == v) for v in df.attrs["variants"]}
        c = y[groups[control]]
        for v, idx in groups.items():
            if v == control:
                continue
            t = y[idx]
            raw = welch_interval(t.mean(), t.var(ddof=1), len(t), c.mean(), c.var(ddof=1), len(c),
                                 alpha)
            keep_t, keep_c = idx[idx != top], groups[control][groups[control] != top]
            capped_t, capped_c = np.minimum(t, cap), np.minimum(c, cap)
            capped = welch_interval(capped_t.mean(), capped_t.var(ddof=1), len(t),
                                    capped_c.mean(), capped_c.var(ddof=1), len(c), alpha)
            both = np.concatenate([t, c])
            rows.append({"metric": m, "variant": v, "median": float(np.median(both)),
                         "max": float(both.max()),
                         "top_unit_share": float(max(t.max() / t.sum(), c.max() / c.sum())),
                         "raw_difference": raw["difference"], "raw_ci_lower": raw["ci_lower"],
                         "raw_ci_upper": raw["ci_upper"], "raw_p": raw["p"],
                         "without_top_difference": float(y[keep_t].mean() - y[keep_c].mean()),
                         "cap": float(cap), "capped_difference": capped["difference"],
                         "capped_ci_lower": capped["ci_lower"],
                         "capped_ci_upper": capped["ci_upper"]})
    return pd.DataFrame(rows)
