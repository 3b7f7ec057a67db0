"""The sample-ratio check: did the traffic split come out as designed?

A split that misses its design by more than chance (a sample-ratio mismatch) means units were
lost or moved by something related to the variant (a redirect that fails, a bot filter, a crash
in one arm), and then no comparison of the arms is a fair one (Fabijan et al., 2019,
"Diagnosing sample ratio mismatch in online controlled experiments", KDD).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..core import DataError
from .data import TABLE

__all__ = ["sample_ratio_check"]


def sample_ratio_check(counts: Mapping[str, int] | pd.Series, expected_split: Mapping[str, float] | None,
                       alpha: float = 0.01) -> dict:
    """Pearson's chi-square goodness-of-fit test of the observed units per variant.

    :math:`\\chi^2 = \\sum_g (n_g - N\\pi_g)^2 / (N\\pi_g)` on :math:`G - 1` degrees of freedom,
    with :math:`\\pi_g` the designed shares (normalised to sum to one; ``{}`` or ``None`` means
    equal shares).

    Returns
    -------
    dict with ``table`` (variant, observed, expected, observed_share, expected_share),
    ``statistic``, ``df``, ``p``, ``ok`` (``p >= alpha``) and ``alpha``.
    """
    counts = pd.Series(dict(counts), dtype=float)
    if not expected_split:  # not given: every variant is meant to get the same share
        expected_split = {k: 1.0 for k in counts.index}
    shares = pd.Series({str(k).strip(): float(v) for k, v in expected_split.items()})
    if set(shares.index) != set(counts.index):
        raise DataError(f"expected_split names {', '.join(map(repr, sorted(shares.index)))} but "
                        f"the data have variants {', '.join(map(repr, sorted(counts.index)))}",
                        table=TABLE)
    if (shares <= 0).any() or not np.isfinite(shares).all():
        raise DataError(f"expected_split shares must be positive numbers, got {dict(shares)}",
                        table=TABLE)
    counts = counts[list(shares.index)]  # in the order the design lists the variants
    shares = shares / shares.sum()
    n = counts.sum()
    expected = n * shares
    stat, p = stats.chisquare(counts.to_numpy(), expected.to_numpy())
    table = pd.DataFrame({"variant": counts.index, "observed": counts.to_numpy().astype(int),
                          "expected": expected.to_numpy(), "observed_share": (counts / n).to_numpy(),
                          "expected_share": shares.to_numpy()})
    return {"table": table, "statistic": float(stat), "df": len(counts) - 1, "p": float(p),
            "ok": bool(p >= alpha), "alpha": alpha}
