"""Join coverage: counted rows of both tables, no match refused, partial matches warned about,
and a hint when ids differ only in letter case."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cxlib.core import DataError, DataWarning, coverage_table, join_coverage, transaction_log


def test_rows_of_both_tables_are_counted_and_blank_ids_left_out():
    with pytest.warns(DataWarning, match=r"2 of 5 rows of tx \(t\.csv\) \(40\.0%\) have a customer_id not "
                                         r"found in customers \(c\.csv\) \(e\.g\. 'x', 'y'\)"):
        cov = join_coverage(["a", "a", "b", "x", "y", None], ["a", "b", "c"], left="tx (t.csv)",
                            right="customers (c.csv)")
    assert (cov.left_rows, cov.left_matched, cov.right_rows, cov.right_matched) == (5, 3, 3, 2)
    assert cov.left_share == pytest.approx(0.6) and cov.right_share == pytest.approx(2 / 3)
    assert cov.right_missing == ["'c'"]
    assert "3 of 5 rows of tx (t.csv) (60.0%)" in cov.sentence()
    table = coverage_table([cov])
    assert table.loc[0, "left_matched"] == 3 and table.loc[0, "right_share"] == pytest.approx(2 / 3)


def test_only_the_side_that_should_match_in_full_is_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cov = join_coverage(["a", "b"], ["a", "b", "c", "d"], left="survey", right="customers")
    assert cov.right_matched == 2  # customers who did not answer are normal: reported, not warned
    with pytest.warns(DataWarning, match="2 of 4 rows of customers"):
        join_coverage(["a", "b"], ["a", "b", "c", "d"], left="survey", right="customers", expect="both")


def test_no_match_at_all_is_an_error_naming_both_files():
    with pytest.raises(DataError, match=r"no customer_id of survey \(s\.csv\) is found in customers "
                                        r"\(c\.csv\) \(2 rows against 3; e\.g\. 'X1', 'X2' against 'C1'"):
        join_coverage(["X1", "X2"], ["C1", "C2", "C3"], left="survey (s.csv)", right="customers (c.csv)")


def test_ids_that_differ_only_in_case_get_a_hint_and_are_not_matched():
    left = ["c1", "c2", "C3", "C4"]
    with pytest.warns(DataWarning, match=r"Ignoring letter case, 2 more rows of tx would match \(4 in all\)"):
        cov = join_coverage(left, ["C1", "C2", "C3", "C4"], left="tx", right="customers")
    assert cov.left_matched == 2 and cov.matched_ignoring_case == 4
    with pytest.raises(DataError, match="Ignoring letter case"):
        join_coverage(["c1"], ["C1"], left="tx", right="customers")


def test_counted_ids_give_the_same_coverage_as_one_id_per_row():
    rows = ["a", "a", "a", "b", "z"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        plain = join_coverage(rows, ["a", "b"], left="tx", right="customers")
        counted = join_coverage(["a", "b", "z"], ["a", "b"], left="tx", right="customers", left_counts=[3, 1, 1])
    assert plain == counted


def test_a_log_in_the_engine_is_counted_there(tmp_path):
    from cxlib.core import log_coverage

    path = tmp_path / "t.csv"
    pd.DataFrame({"customer_id": ["A", "A", "B", "Q"], "timestamp": ["2024-01-01"] * 4,
                  "amount": [1, 2, 3, 4]}).to_csv(path, index=False)
    log = transaction_log(str(path), observation_end="2024-12-31")
    with pytest.warns(DataWarning, match=r"1 of 4 rows of transactions .* \(e\.g\. 'Q'\)"):
        cov = log_coverage(log, pd.Series(["A", "B", "C"]), left=f"transactions ({path})", right="customers")
    assert (cov.left_rows, cov.left_matched, cov.right_matched) == (4, 3, 2)
