"""Customer lifetime value: from a transaction log to what each customer is worth.

The public names live here; the work is split by topic:

- :mod:`cxlib.rfm_summary`: the per-customer summary (frequency, recency, T, monetary value).
- :mod:`cxlib.bgnbd`: the BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).
- :mod:`cxlib.gamma_gamma`: the Gamma-Gamma model of spend per purchase (Fader & Hardie 2013).
- :mod:`cxlib.clv_value`: simple teaching formulas, discounted CLV, tiers and holdout validation.
"""

from __future__ import annotations

from .rfm_summary import TIME_UNITS, calibration_and_holdout, rfm_summary

__all__ = [
    "TIME_UNITS",
    "rfm_summary",
    "calibration_and_holdout",
]
