"""The one rule by which every model fits on fewer rows than it scores."""

from __future__ import annotations

import numpy as np
import pytest

from cxlib import churn, clv
from cxlib.core import limited_sample, sample_index


def test_limited_sample_is_all_rows_or_a_seeded_sorted_sample():
    assert limited_sample(10, 0, 1) is None and limited_sample(10, None, 1) is None
    assert limited_sample(10, 10, 1) is None and limited_sample(10, 11, 1) is None
    rows = limited_sample(1000, 100, 7)
    assert len(rows) == len(np.unique(rows)) == 100 and np.array_equal(rows, np.sort(rows))
    assert np.array_equal(rows, limited_sample(1000, 100, 7))  # a rerun fits the same rows
    assert not np.array_equal(rows, limited_sample(1000, 100, 8))
    assert np.array_equal(rows, sample_index(1000, 100, np.random.default_rng(7)))
    with pytest.raises(ValueError, match="max_rows must be 0 \\(no limit\\) or a positive number"):
        limited_sample(10, -1, 1)


def test_the_churn_and_clv_samples_are_the_same_rule():
    import pandas as pd

    table = pd.DataFrame({"frequency": np.arange(500) % 4, "recency": 1.0, "T": 2.0},
                         index=pd.Index([f"C{i}" for i in range(500)], name="customer_id"))
    rows = limited_sample(500, 60, 3)
    assert clv.fit_sample(table, 60, seed=3).index.equals(table.index[rows])
    assert churn.fit_sample(table, 60, seed=3, categorical=[]).index.equals(table.index[rows])
    assert clv.fit_sample(table, 0, seed=3) is table
