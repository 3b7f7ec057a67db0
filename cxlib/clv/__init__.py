"""Customer lifetime value: from a transaction log to what each customer is worth.

The public names live here; the work is split by topic:

- :mod:`~cxlib.clv.summary`: the per-customer summary (frequency, recency, T, monetary value).
- :mod:`~cxlib.clv.likelihood`: the maximum-likelihood machinery the fitters share.
- :mod:`~cxlib.clv.bgnbd`: the BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).
- :mod:`~cxlib.clv.gamma_gamma`: the Gamma-Gamma model of spend per purchase (Fader & Hardie 2013).
- :mod:`~cxlib.clv.pareto_nbd`: the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), for
  comparison.
- :mod:`~cxlib.clv.value`: teaching formulas, discounted CLV, tiers and the holdout check.
- :mod:`~cxlib.clv.plots`: the lesson's figures (``clv.plots.frequency_fit(...)``).
- :mod:`~cxlib.clv.findings`: the key findings the report index shows first.

Examples
--------
>>> from cxlib import clv                                                    # doctest: +SKIP
>>> summary = clv.rfm_summary(log, observation_end="2025-12-31", time_unit="W")  # doctest: +SKIP
>>> bgf = clv.BetaGeoFitter().fit(summary)                                   # doctest: +SKIP
>>> ggf = clv.GammaGammaFitter().fit(summary)                                # doctest: +SKIP
>>> table = clv.score_customers(bgf, ggf, summary, horizon=52, margin=0.3)   # doctest: +SKIP
"""

from __future__ import annotations

from . import plots
from .likelihood import ConvergenceWarning
from .bgnbd import BetaGeoFitter, bgnbd_log_likelihood
from .value import (
    clv_tiers,
    compare_models,
    compare_with_truth,
    cumulative_tracking,
    customer_lifetime_value,
    dcf_clv,
    fit_sample,
    outlier_effect,
    describe_outlier_effect,
    describe_holdout,
    describe_holdout_by_frequency,
    describe_model_comparison,
    describe_purchase_model,
    describe_spend_model,
    describe_value,
    describe_frequency_fit,
    frequency_fit,
    holdout_by_frequency,
    holdout_errors,
    ltv_cac_ratio,
    monthly_rate,
    score_customers,
    simple_clv,
    tier_summary,
    top_share,
)
from .findings import key_findings
from .gamma_gamma import GammaGammaFitter, gamma_gamma_log_likelihood, independence_check
from .pareto_nbd import ParetoNBDFitter, pareto_nbd_log_likelihood
from ..core.transactions import TransactionLog, transaction_log
from .summary import calibration_and_holdout, load_cdnow, rfm_summary

__all__ = [
    "plots",
    "transaction_log",
    "TransactionLog",
    "rfm_summary",
    "calibration_and_holdout",
    "BetaGeoFitter",
    "GammaGammaFitter",
    "ParetoNBDFitter",
    "ConvergenceWarning",
    "bgnbd_log_likelihood",
    "gamma_gamma_log_likelihood",
    "pareto_nbd_log_likelihood",
    "independence_check",
    "simple_clv",
    "dcf_clv",
    "ltv_cac_ratio",
    "monthly_rate",
    "customer_lifetime_value",
    "score_customers",
    "fit_sample",
    "outlier_effect",
    "describe_outlier_effect",
    "clv_tiers",
    "tier_summary",
    "top_share",
    "describe_value",
    "describe_purchase_model",
    "describe_spend_model",
    "describe_holdout",
    "describe_holdout_by_frequency",
    "describe_model_comparison",
    "load_cdnow",
    "frequency_fit",
    "describe_frequency_fit",
    "holdout_by_frequency",
    "compare_with_truth",
    "holdout_errors",
    "compare_models",
    "cumulative_tracking",
    "key_findings",
]
