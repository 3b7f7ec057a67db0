"""CX Research Kit: the library behind the analysis notebooks.

One package per analysis; each package's ``__init__`` is its door, and the notebooks import only
doors (``from cxlib import churn``)::

    core/          errors (DataError, DataWarning), validation rules, reading tables, the time-unit
                   vocabulary, the truth convention, paths, the plot theme
    synth/         the synthetic world with its truth
    overview/      00_overview: the data at a glance
    churn/         01_churn_survival: Kaplan-Meier, log-rank, Cox, validation, logistic baseline,
                   scoring
    satisfaction/  02_satisfaction_drivers: CSAT, NPS, drivers, relative importance,
                   importance-performance map, word of mouth
    segments/      03_segmentation: the segmenter, RFM, stability, profiles, comparisons
    clv/           04_clv: transaction summary, BG/NBD, Gamma-Gamma, Pareto/NBD, value, holdout
    report/        what a notebook writes (Artifacts), the runner, the index page, the cx command

Analyses depend on ``core`` (and ``segments`` on the ``clv`` door for the transaction summary),
never on each other's modules.
"""

__version__ = "0.1.0"
