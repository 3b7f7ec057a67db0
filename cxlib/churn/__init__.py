"""Churn as time to event (``01_churn_survival``): Kaplan-Meier curves, the log-rank test, the Cox
model, held-out validation, survival-tree and forest challengers, the logistic baseline and
per-customer scores, with plain-language sentences for the lesson.

The heavy lifting is done by lifelines (Davidson-Pilon, 2019) and, for the tree and forest
challengers, scikit-survival (Pölsterl, 2020). This is the package's door; the
pieces live in small modules:

- :mod:`~cxlib.churn.data`: loading, durations from dates, validation, the sample the models fit
  on (``max_fit_rows``), encoding, pre-fit checks;
- :mod:`~cxlib.churn.kaplan_meier`: Kaplan-Meier curves, medians and the log-rank test;
- :mod:`~cxlib.churn.cox`: the Cox model, its predictions and the proportional-hazards test;
- :mod:`~cxlib.churn.time_varying`: Cox regression on a (start, stop] table, for covariates that
  change over time (the journey's moments of truth);
- :mod:`~cxlib.churn.metrics`: held-out validation (concordance, Brier score, AUC, calibration);
- :mod:`~cxlib.churn.logistic`: the logistic baseline at a horizon;
- :mod:`~cxlib.churn.trees`: a pruned survival tree whose leaves read as rules;
- :mod:`~cxlib.churn.forest`: a random survival forest and held-out permutation importance;
- :mod:`~cxlib.churn.challengers`: every model side by side, the choice between them, and the
  classification tree that censoring misleads;
- :mod:`~cxlib.churn.scoring`: churn probability and risk tier of each active customer, in chunks;
- :mod:`~cxlib.churn.truth`: estimates against the synthetic world's truth;
- :mod:`~cxlib.churn.sentences`: the readings in words;
- :mod:`~cxlib.churn.plots`: the figures (``churn.plots.plot_retention(...)``).
"""

from . import plots
from .challengers import HorizonTree, choose_model, compare_models
from .cox import CoxChurnModel, schoenfeld_test, stratified_alternative, stratify_candidates
from .data import (CovariateEncoder, check_covariates, describe_data, fit_sample, load_churn_data,
                   prepare_churn_data)
from .forest import SurvivalForestModel, permutation_importance
from .kaplan_meier import kaplan_meier, logrank_test, median_survival_table, survival_table
from .logistic import HorizonLogistic, churn_probability, compare_with_cox, describe_censoring_bias
from .metrics import (brier_curve, calibration_table, concordance, describe_validation, evaluate_holdout,
                      evaluation_times, horizon_auc, km_survival, split_train_test)
from .scoring import SCORE_CHUNK_ROWS, risk_tiers, score_active_customers
from .sentences import (describe_classification_trap, describe_comparison, describe_fit_sample,
                        describe_hazard_ratios, describe_importance, describe_logrank, describe_medians,
                        describe_proportional_hazards, describe_pruning, describe_scores,
                        describe_tree_rules, describe_truth, key_findings)
from .time_varying import TimeVaryingCox
from .trees import LevelEncoder, SurvivalTreeModel, logrank_statistic
from .truth import compare_with_truth

__all__ = [
    "plots",
    "prepare_churn_data", "load_churn_data", "fit_sample", "CovariateEncoder", "check_covariates",
    "describe_data", "describe_fit_sample",
    "kaplan_meier", "median_survival_table", "logrank_test", "survival_table",
    "CoxChurnModel", "TimeVaryingCox", "schoenfeld_test", "stratify_candidates", "stratified_alternative",
    "split_train_test", "evaluation_times", "concordance", "brier_curve", "km_survival", "horizon_auc",
    "calibration_table", "evaluate_holdout", "describe_validation",
    "HorizonLogistic", "churn_probability", "compare_with_cox", "describe_censoring_bias",
    "risk_tiers", "score_active_customers", "SCORE_CHUNK_ROWS", "compare_with_truth",
    "describe_hazard_ratios", "describe_proportional_hazards", "describe_logrank", "describe_medians",
    "describe_truth", "describe_scores",
    "SurvivalTreeModel", "LevelEncoder", "logrank_statistic", "SurvivalForestModel",
    "permutation_importance", "HorizonTree", "compare_models", "choose_model",
    "describe_tree_rules", "describe_pruning", "describe_importance", "describe_comparison",
    "describe_classification_trap", "key_findings",
]
