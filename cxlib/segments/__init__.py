"""Segmentation (``03_segmentation``): who the customers are, in groups a team can act on.

This is the package's door; the pieces live in small modules:

- :mod:`~cxlib.segments.segmenter`: features, their preparation, the :class:`Segmenter`
  (k-means, Gaussian mixture, Ward, DBSCAN), the choice of k and what each criterion preferred,
  and the notebook's inputs with their join to the purchase log;
- :mod:`~cxlib.segments.rfm`: the RFM baseline (recency, frequency, monetary quintiles; net
  spend when returns are kept);
- :mod:`~cxlib.segments.validation`: bootstrap stability, the method comparison, known truth;
- :mod:`~cxlib.segments.profiles`: profiles, names and the feature summary;
- :mod:`~cxlib.segments.comparisons`: churn and satisfaction by segment, with tests;
- :mod:`~cxlib.segments.plots`: the figures.
"""

from . import plots
from .comparisons import (chi_square_by_segment, churn_by_customer, describe_test, effect_size_label,
                          kruskal_by_segment, satisfaction_by_customer, segment_crosstab,
                          survey_by_customer)
from .findings import key_findings
from .plots import (plot_correlations, plot_crosstab, plot_distributions, plot_k_selection,
                    plot_profile_heatmap, plot_rfm_segments, plot_segment_map)
from .profiles import (FEATURE_UNITS, NOISE_NAME, SHORT_LABELS, describe_preparation, describe_segments,
                       feature_summary, name_segments, profile_segments, segment_table)
from .rfm import RF_GRID, SEGMENT_ACTIONS, rfm_scores, rfm_segment_summary, rfm_segments, rfm_table
from .segmenter import (CRITERIA, CRITERION_LABELS, METHODS, SegmentInputs, Segmenter,
                        calinski_harabasz, check_features, criterion_choices, dbscan_eps,
                        describe_selection, load_features, load_inputs, majority_k, sample_index,
                        select_k, selection_summary, silhouette_mean)
from .validation import (StabilityResult, bootstrap_stability, compare_methods, describe_methods,
                         load_truth_segments, truth_ari)

__all__ = [
    "plots",
    "METHODS", "CRITERIA", "Segmenter", "load_features", "check_features", "select_k",
    "criterion_choices", "majority_k",
    "calinski_harabasz", "sample_index", "dbscan_eps", "silhouette_mean", "load_inputs",
    "describe_selection", "selection_summary", "CRITERION_LABELS", "SegmentInputs",
    "rfm_table", "rfm_scores", "rfm_segments", "rfm_segment_summary", "RF_GRID", "SEGMENT_ACTIONS",
    "StabilityResult", "bootstrap_stability", "compare_methods", "describe_methods",
    "load_truth_segments", "truth_ari",
    "SHORT_LABELS", "FEATURE_UNITS", "NOISE_NAME", "profile_segments", "name_segments",
    "describe_segments", "segment_table", "feature_summary", "describe_preparation",
    "churn_by_customer", "satisfaction_by_customer", "survey_by_customer", "segment_crosstab", "chi_square_by_segment",
    "kruskal_by_segment", "effect_size_label", "describe_test", "key_findings",
    "plot_k_selection", "plot_segment_map", "plot_profile_heatmap", "plot_distributions",
    "plot_correlations", "plot_crosstab", "plot_rfm_segments",
]
