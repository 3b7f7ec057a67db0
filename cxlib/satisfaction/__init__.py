"""Satisfaction, loyalty and what to fix first (``02_satisfaction_drivers``).

This is the package's door; the pieces live in small modules:

- :mod:`~cxlib.satisfaction.load`: a ratings table, canonical survey or any flat file, with the
  segment joined from the customers table and the join's coverage;
- :mod:`~cxlib.satisfaction.points`: ratings between a scale's whole points (3.5 on 1-5);
- :mod:`~cxlib.satisfaction.aggregates`: the headline counts by segment, in the data engine;
- :mod:`~cxlib.satisfaction.metrics`: CSAT mean and top-2-box, NPS, their intervals, segment
  differences and the weighted satisfaction index;
- :mod:`~cxlib.satisfaction.drivers`: the OLS and ordinal driver models;
- :mod:`~cxlib.satisfaction.importance`: relative importance (LMG/Shapley, Johnson's weights);
- :mod:`~cxlib.satisfaction.priorities`: the ranked driver table and the importance-performance
  map (Martilla & James, 1977);
- :mod:`~cxlib.satisfaction.word_of_mouth`: promoters, detractors and the referral projection;
- :mod:`~cxlib.satisfaction.display`, :mod:`~cxlib.satisfaction.sentences`,
  :mod:`~cxlib.satisfaction.plots`: tables for reading, readings in words, figures;
- :mod:`~cxlib.satisfaction.findings`: the key findings the report index shows first.

Missing answers: headline metrics use every answer given to the question at hand
(available-case); the driver models use the respondents who answered the target and every
driver (listwise deletion, with a warning that says how many rows were dropped).
"""

from ..core.engine import check_engine
from . import plots
from .display import headline_display, readable, rounded
from .drivers import DriverModel, OrdinalDriverModel, driver_frame, rank_agreement
from .aggregates import COUNT_COLUMNS, survey_counts
from .findings import key_findings
from .importance import RelativeImportance
from .load import UNKNOWN, count_customers, load_ratings
from .metrics import (ALL, csat_from_moments, csat_summary, headline_from_counts, headline_metrics,
                      nps_from_counts, nps_summary, satisfaction_index, segment_difference,
                      wilson_interval)
from .points import between_points, require_whole_points, warn_fractional_target
from .plots import plot_importance, plot_ipa, plot_residuals, plot_word_of_mouth
from .priorities import QUADRANTS, driver_table, importance_performance, mean_ratings, ordinal_check
from .sentences import (describe_drivers, describe_fix_first, describe_headline, describe_index,
                        describe_joins, describe_referrals)
from .word_of_mouth import referral_comparison, referral_projection, word_of_mouth, word_of_mouth_from_counts

__all__ = [
    "plots",
    "load_ratings", "count_customers", "UNKNOWN",
    "between_points", "require_whole_points", "warn_fractional_target",
    "COUNT_COLUMNS", "survey_counts", "check_engine",
    "ALL", "wilson_interval", "csat_summary", "csat_from_moments", "nps_summary", "nps_from_counts",
    "headline_metrics", "headline_from_counts", "segment_difference", "satisfaction_index",
    "DriverModel", "OrdinalDriverModel", "driver_frame", "rank_agreement", "RelativeImportance",
    "QUADRANTS", "driver_table", "ordinal_check", "mean_ratings", "importance_performance",
    "word_of_mouth", "word_of_mouth_from_counts", "referral_projection", "referral_comparison",
    "readable", "rounded", "headline_display",
    "key_findings", "describe_joins", "describe_headline", "describe_drivers", "describe_index", "describe_fix_first", "describe_referrals",
    "plot_importance", "plot_ipa", "plot_word_of_mouth", "plot_residuals",
]
