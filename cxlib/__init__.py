"""CX Research Kit: the shared library behind the analysis notebooks.

The modules read like the notebooks' table of contents.

Data and the synthetic world
    :mod:`cxlib.data` (load and validate customers, transactions, survey; the one exception
    type :class:`~cxlib.data.DataError`), :mod:`cxlib.synth` (a CX world with known truth),
    :mod:`cxlib.overview` (the data at a glance).
Churn (``01_churn_survival``)
    :mod:`cxlib.churn` (the notebook's entry point), :mod:`cxlib.churn_data`, :mod:`cxlib.cox`,
    :mod:`cxlib.survival_metrics`, :mod:`cxlib.churn_logistic`, :mod:`cxlib.churn_plots`.
Satisfaction drivers (``02_satisfaction_drivers``)
    :mod:`cxlib.satisfaction` (CSAT, NPS, index, word of mouth), :mod:`cxlib.drivers`
    (OLS and ordinal driver models), :mod:`cxlib.importance` (LMG/Shapley, Johnson weights).
Segmentation (``03_segmentation``)
    :mod:`cxlib.segments` (the segmenter and k choice), :mod:`cxlib.rfm`,
    :mod:`cxlib.segment_validation`, :mod:`cxlib.segment_profiles`.
Customer lifetime value (``04_clv``)
    :mod:`cxlib.clv` (the public names), :mod:`cxlib.rfm_summary`, :mod:`cxlib.bgnbd`,
    :mod:`cxlib.gamma_gamma`, :mod:`cxlib.clv_value`, :mod:`cxlib.clv_plots`.
Reports
    :mod:`cxlib.artifacts` (what a notebook writes), :mod:`cxlib.report` (papermill runner and
    index page), :mod:`cxlib.cli` (the ``cx`` command), :mod:`cxlib.plots`, :mod:`cxlib.config`.
"""

__version__ = "0.1.0"
