"""The customer journey (``05_journey``): the funnel with honest conversion, paths and loops,
satisfaction per touchpoint, the journey map, and the moments of truth whose bad experiences go
with later churn, estimated without immortal-time bias.

The event log is validated and aggregated in the data engine (:mod:`cxlib.core.engine`); only
per-customer or smaller tables reach pandas. This is the package's door; the pieces live in
small modules:

- :mod:`~cxlib.journey.log`: opening and validating the event log, the customers table;
- :mod:`~cxlib.journey.funnel`: per-customer journeys, the funnel, Wilson intervals, groups and
  their test, time to the next stage (Kaplan-Meier);
- :mod:`~cxlib.journey.paths`: common paths, moves between stages, loops;
- :mod:`~cxlib.journey.touchpoints`: satisfaction per touchpoint and the journey map table;
- :mod:`~cxlib.journey.moments`: the (start, stop] table and the time-varying Cox model beside
  the naive per-customer one;
- :mod:`~cxlib.journey.truth`: estimates against the synthetic journey's truth;
- :mod:`~cxlib.journey.sentences`: the readings in words;
- :mod:`~cxlib.journey.plots`: the figures (``journey.plots.plot_journey_map(...)``).
"""

from ..core.engine import check_engine
from . import plots
from .funnel import (
                     FUNNEL_COLUMNS,
                     GROUP_COLUMNS,
                     customer_journeys,
                     funnel_by_group,
                     funnel_table,
                     group_test,
                     km_conversion,
                     overall_conversion,
                     time_to_next,
                     wilson_interval,
)
from .log import (
                     CUSTOMERS,
                     TABLE,
                     EventLog,
                     end_of_observation,
                     event_log,
                     load_customers,
                     to_days,
)
from .moments import (
                     MOMENT_COLUMNS,
                     MomentsOfTruth,
                     proportional_check,
                     sample_customers,
                     start_stop_table,
)
from .paths import PATH_COLUMNS, loop_table, path_table, paths_and_transitions, transition_table
from .sentences import (
                     describe_censoring,
                     describe_funnel,
                     describe_group_test,
                     describe_log,
                     describe_loops,
                     describe_moments,
                     describe_naive_bias,
                     describe_paths,
                     describe_proportional,
                     describe_touchpoints,
                     describe_truth,
                     describe_window,
                     key_findings,
)
from .touchpoints import TOUCHPOINT_COLUMNS, journey_map, touchpoint_table
from .truth import TRUTH_COLUMNS, compare_with_truth, journey_truth

__all__ = [
    "plots", "check_engine",
    "TABLE", "CUSTOMERS", "EventLog", "event_log", "load_customers", "to_days", "end_of_observation",
    "FUNNEL_COLUMNS", "GROUP_COLUMNS", "wilson_interval", "customer_journeys", "funnel_table",
    "overall_conversion", "funnel_by_group", "group_test", "time_to_next", "km_conversion",
    "PATH_COLUMNS", "path_table", "transition_table", "paths_and_transitions", "loop_table",
    "TOUCHPOINT_COLUMNS", "touchpoint_table", "journey_map",
    "MOMENT_COLUMNS", "start_stop_table", "sample_customers", "MomentsOfTruth", "proportional_check",
    "TRUTH_COLUMNS", "journey_truth", "compare_with_truth",
    "describe_log", "describe_funnel", "describe_censoring", "describe_group_test", "describe_paths",
    "describe_loops", "describe_touchpoints", "describe_moments", "describe_naive_bias",
    "describe_truth", "describe_window", "describe_proportional", "key_findings",
]
