"""Experiments on the customer experience (``06_experiments``): is the change worth rolling out?

Design (sample sizes and detectable effects), the sample-ratio check, effects with intervals and
Holm-adjusted p-values, CUPED, retention by variant, and what peeking does to the error rate,
with sentences that read every result in words. The row-heavy step is one aggregation to
per-variant sufficient statistics; every estimate is computed from those. This is the package's
door; the pieces live in small modules:

- :mod:`~cxlib.experiments.data`: loading and checking the experiment table;
- :mod:`~cxlib.experiments.statistics`: per-variant sufficient statistics and retention counts;
- :mod:`~cxlib.experiments.intervals`: Wilson, Newcombe, Welch and the delta method;
- :mod:`~cxlib.experiments.effects`: the :class:`ABTest` estimator and Holm's adjustment;
- :mod:`~cxlib.experiments.cuped`: variance reduction with a pre-period covariate;
- :mod:`~cxlib.experiments.srm`: the sample-ratio check;
- :mod:`~cxlib.experiments.design`: sample sizes and detectable effects;
- :mod:`~cxlib.experiments.retention`: Kaplan-Meier, log-rank and Cox by variant;
- :mod:`~cxlib.experiments.peeking`: the peeking simulation and the always-valid mSPRT;
- :mod:`~cxlib.experiments.influence`: heavy tails and capping;
- :mod:`~cxlib.experiments.truth`, :mod:`~cxlib.experiments.sentences`,
  :mod:`~cxlib.experiments.findings` (the key findings, from ``metrics.json``),
  :mod:`~cxlib.experiments.plots`.
"""

from . import plots
from .cuped import CUPED_COLUMNS, cuped_effects
from .data import ENGINES, check_engine, describe_data, load_experiment, metric_kinds, prepare_experiment
from .design import (DESIGN_COLUMNS, design_table, detectable_difference, detectable_hazard_ratio,
                     n_two_means, n_two_proportions, retention_design, schoenfeld_events)
from .effects import RESULT_COLUMNS, ABTest, holm
from .findings import cuped_metrics, effect_metrics, key_findings
from .influence import influence_table
from .intervals import (newcombe_interval, relative_lift_interval, two_proportion_z, welch_interval,
                        wilson_interval)
from .peeking import PEEKING_RULES, msprt_ratio, simulate_peeking
from .retention import RETENTION_COLUMNS, RetentionComparison, cox_binary
from .sentences import (describe_cuped, describe_design, describe_effects, describe_influence,
                        describe_peeking, describe_retention, describe_srm, describe_truth,
                        format_difference, format_p)
from .srm import sample_ratio_check
from .statistics import (STATISTICS, as_records, cap_values, moments, retention_counts,
                         variant_statistics)
from .truth import compare_with_truth, experiment_truth

__all__ = [
    "plots",
    "ENGINES", "check_engine", "prepare_experiment", "load_experiment", "metric_kinds", "describe_data",
    "STATISTICS", "variant_statistics", "retention_counts", "cap_values", "moments", "as_records",
    "wilson_interval", "newcombe_interval", "two_proportion_z", "welch_interval",
    "relative_lift_interval",
    "ABTest", "RESULT_COLUMNS", "holm", "cuped_effects", "CUPED_COLUMNS",
    "sample_ratio_check",
    "n_two_proportions", "n_two_means", "schoenfeld_events", "detectable_difference",
    "detectable_hazard_ratio", "design_table", "retention_design", "DESIGN_COLUMNS",
    "RetentionComparison", "RETENTION_COLUMNS", "cox_binary",
    "simulate_peeking", "msprt_ratio", "PEEKING_RULES",
    "influence_table", "compare_with_truth", "experiment_truth",
    "format_p", "format_difference", "describe_srm", "describe_effects", "describe_cuped", "describe_design",
    "describe_retention", "describe_peeking", "describe_influence", "describe_truth",
    "effect_metrics", "cuped_metrics", "key_findings",
]
