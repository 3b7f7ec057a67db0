"""Next best action (``07_next_best_action``): what to recommend to each customer, and whom to
contact first.

Recommenders on purchase counts (popularity, item-item collaborative filtering with BM25
weighting, implicit-feedback ALS; the last two fitted by ``implicit``), judged by time on a
holdout period; then value at risk from the churn and CLV lessons' own models, the expected
saving of a contact, and one action list. This is the package's door; the pieces live in small
modules:

- :mod:`~cxlib.actions.purchases`: the log reduced in the engine to customer x item counts;
- :mod:`~cxlib.actions.recommenders`: the three recommenders and the lists as a table;
- :mod:`~cxlib.actions.comparison`: every method fitted before the holdout and judged after it;
- :mod:`~cxlib.actions.evaluation`: precision, recall, NDCG at k, coverage, bootstrap intervals;
- :mod:`~cxlib.actions.retention`: value at risk, who to contact, the action list;
- :mod:`~cxlib.actions.truth`: the lists against the synthetic world's tastes;
- :mod:`~cxlib.actions.sentences`, :mod:`~cxlib.actions.findings`, :mod:`~cxlib.actions.plots`.
"""

from . import plots
from .comparison import Comparison, check_methods, compare_recommenders, recommend_all
from .evaluation import HOLDOUT_COLUMNS, bootstrap_means, coverage, evaluate_methods, ranking_metrics
from .findings import key_findings
from .purchases import Purchases, purchase_counts
from .recommenders import (METHODS, RECOMMENDATION_COLUMNS, ALSRecommender, ItemItemRecommender, fold_in,
                           PopularityRecommender, make_recommender, popular_unbought, recommendation_table, top_k,
                           top_k_sparse)
from .retention import (ACTION_COLUMNS, action_list, choose_customers, format_items, rfm_segment_names,
                        value_at_risk)
from .sentences import (METHOD_NAMES, describe_als_sample, describe_choice, describe_history, describe_risk_checks, describe_fit_samples, describe_holdout, describe_lift, describe_purchases,
                        describe_taste_match, describe_value_at_risk, method_name, recall_lift)
from .truth import holdout_taste_match, load_tastes, taste_match

__all__ = [
    "plots",
    "Purchases", "purchase_counts",
    "METHODS", "PopularityRecommender", "ItemItemRecommender", "ALSRecommender", "fold_in", "make_recommender",
    "popular_unbought", "recommendation_table", "RECOMMENDATION_COLUMNS", "top_k", "top_k_sparse",
    "Comparison", "check_methods", "compare_recommenders", "recommend_all",
    "ranking_metrics", "coverage", "bootstrap_means", "evaluate_methods", "HOLDOUT_COLUMNS",
    "rfm_segment_names", "value_at_risk", "choose_customers", "action_list", "format_items", "ACTION_COLUMNS",
    "load_tastes", "taste_match", "holdout_taste_match",
    "METHOD_NAMES", "method_name", "describe_purchases", "describe_holdout", "describe_lift",
    "describe_taste_match", "describe_value_at_risk", "describe_choice", "recall_lift", "describe_history",
    "describe_risk_checks", "describe_fit_samples", "describe_als_sample", "key_findings",
]
