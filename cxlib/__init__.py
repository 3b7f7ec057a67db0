"""CX Research Kit: the shared library behind the analysis notebooks.

Modules read like the notebooks' table of contents:

- :mod:`cxlib.data`: load and validate the canonical tables (customers, transactions, survey).
- :mod:`cxlib.synth`: a synthetic CX world with known truth.
- :mod:`cxlib.churn`: survival-based churn.
- :mod:`cxlib.satisfaction`: CSAT, NPS and satisfaction drivers.
- :mod:`cxlib.segments`: RFM and clustering segmentation.
- :mod:`cxlib.clv`: customer lifetime value.
- :mod:`cxlib.plots`: the plotting theme and shared figures.
- :mod:`cxlib.report`: artifacts, the papermill runner and the index page.
"""

__version__ = "0.1.0"
