"""The purchase log in the engine: counts that equal a plain groupby, and clear messages for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib import actions
from cxlib.core import DataError, DataWarning


def _log():
    return pd.DataFrame({
        "cid": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "when": ["2025-01-03", "2025-02-01", "2025-03-05", "2025-01-10", "2025-03-02", "2025-01-20",
                 "2025-01-21", "2025-03-10"],
        "sku": ["x", "x", "y", "y", "z", "x", "z", "x"],
        "amount": [10.0, 12.0, 5.0, 7.0, 8.0, 1.0, 2.0, 3.0],
    })


def test_counts_split_at_the_holdout_start_equal_a_pandas_groupby():
    log = _log()
    with pytest.warns(DataWarning, match=r"1 customer \('d'\) bought only on or after holdout_start 2025-03-01"):
        p = actions.purchase_counts(log, "cid", "when", "sku", "amount", observation_end="2025-03-31",
                                    holdout_start="2025-03-01")
    assert list(p.customers) == ["a", "b", "c", "d"] and list(p.items) == ["x", "y", "z"]
    got = pd.DataFrame({"cid": p.customers[p.user], "sku": p.items[p.item], "before": p.before, "after": p.after})
    late = pd.to_datetime(log["when"]) >= "2025-03-01"
    expected = (log.assign(before=~late, after=late).groupby(["cid", "sku"])[["before", "after"]].sum()
                .astype(float).reset_index())
    pd.testing.assert_frame_equal(got, expected)
    assert p.matrix("before").toarray().tolist() == [[2, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]]
    # new in the holdout: a's y, b's z and d's x (a bought x before, so its x does not count)
    assert p.new_in_holdout().toarray().tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]]
    assert p.spend.to_dict() == {"a": 27.0, "b": 15.0, "c": 3.0, "d": 3.0}
    facts = p.describe()
    assert (facts["customers_both"], facts["customers_only_after"], facts["n_transactions"]) == (2, 1, 8)
    assert p.matrix("all").sum() == 8


def test_a_file_and_a_dataframe_give_the_same_counts(tmp_path):
    path = tmp_path / "tx.csv"
    _log().to_csv(path, index=False)
    kwargs = dict(customer_col="cid", date_col="when", item_col="sku", observation_end="2025-03-31")
    a = actions.purchase_counts(str(path), **kwargs)
    b = actions.purchase_counts(_log(), **kwargs)
    assert a.customers.equals(b.customers) and np.array_equal(a.before, b.before)
    assert a.holdout_start is None and (a.after == 0).all()


def test_day_first_dates_and_padded_text_give_the_same_counts(tmp_path):
    """The counts use the log's own dates (its date_format) and strip padded ids and items."""
    from cxlib import clv

    kwargs = dict(customer_col="cid", date_col="when", item_col="sku", observation_end="2025-03-31",
                  holdout_start="2025-03-01")
    with pytest.warns(DataWarning):
        iso = actions.purchase_counts(_log(), **kwargs)
    log = _log().assign(when=pd.to_datetime(_log()["when"]).dt.strftime("%d/%m/%Y"))
    log.loc[2, "sku"], log.loc[4, "cid"] = " y\t", "b "
    log.to_parquet(tmp_path / "dmy.parquet")
    opened = clv.transaction_log(tmp_path / "dmy.parquet", "cid", "when", "amount", "2025-03-31",
                                 date_format="%d/%m/%Y")
    with pytest.warns(DataWarning):
        dmy = actions.purchase_counts(opened, **kwargs)
    assert dmy.customers.equals(iso.customers) and dmy.items.equals(iso.items)
    for field in ("user", "item", "before", "after"):
        assert np.array_equal(getattr(dmy, field), getattr(iso, field)), field
    pd.testing.assert_series_equal(dmy.spend, iso.spend)


@pytest.mark.parametrize("item_col", ["", None])
def test_an_item_column_not_given_is_named(item_col):
    with pytest.raises(DataError, match="item_col is not given; name the column that holds the product"):
        actions.purchase_counts(_log(), "cid", "when", item_col)


def test_a_missing_item_column_lists_the_columns(tmp_path):
    path = tmp_path / "tx.csv"
    _log().drop(columns="sku").to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"file {path}, table 'transactions', column 'item': missing column "
                                        r"'item' \(the product of each purchase\); the table has 'cid', 'when'"):
        actions.purchase_counts(str(path), "cid", "when", "item")


def test_blank_items_are_shown_with_their_rows(tmp_path):
    log = _log()
    log.loc[[2, 5], "sku"] = ["  ", None]
    path = tmp_path / "tx.csv"
    log.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'sku': 2 rows \(row 3 \(cid='a', when='2025-03-05', "
                                        r"sku='  '\); row 6 .*\): blank items; expected a product id in every row"):
        actions.purchase_counts(str(path), "cid", "when", "sku")


@pytest.mark.parametrize("start", ["2025-01-03", "2024-12-01", "2025-04-01"])
def test_a_holdout_start_outside_the_log_is_refused(start):
    with pytest.raises(DataError, match=rf"column 'when': holdout_start {start} is outside the log, whose "
                                        r"purchases run from 2025-01-03 to 2025-03-31"):
        actions.purchase_counts(_log(), "cid", "when", "sku", observation_end="2025-03-31", holdout_start=start)


def test_no_customer_on_both_sides_of_the_holdout_start_is_an_error():
    log = _log()[lambda d: d["cid"].isin(["c", "d"])]
    with pytest.raises(DataError, match="no customer bought both before and on or after holdout_start"):
        actions.purchase_counts(log, "cid", "when", "sku", holdout_start="2025-03-01")


def test_the_clv_checks_run_first():
    log = _log()
    log.loc[1, "amount"] = -4.0
    with pytest.raises(DataError, match="negative amounts"):
        actions.purchase_counts(log, "cid", "when", "sku", "amount")
