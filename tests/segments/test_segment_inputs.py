"""The segmentation's inputs: how its tables join on customer id, and returns in the purchase log."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cxlib import segments
from cxlib.core import DataError, DataWarning
from cxlib.synth import make_world


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    world = make_world(n_customers=300, seed=4)
    return world, world.write(folder)


def write(df: pd.DataFrame, path):
    df.to_csv(path, index=False)
    return str(path)


# --------------------------------------------------------------------------- joins


def test_purchases_of_unknown_customers_warn_with_counts(small_world, tmp_path):
    _, paths = small_world
    tx = pd.read_csv(paths["transactions"])
    tx.loc[:6, "customer_id"] = [f"Z{i:04d}" for i in range(7)]
    tx_path = write(tx, tmp_path / "tx.csv")
    with pytest.warns(DataWarning) as caught:
        X, rfm, joins = segments.load_inputs(paths["customers"], tx_path, ["age", "frequency"],
                                             observation_end="2025-12-31")
    text = " ".join(str(w.message) for w in caught)
    assert re.search(rf"7 of {len(tx):,} rows of transactions \({re.escape(tx_path)}\) \(\d+\.\d%\) "
                     r"have a customer_id not found in features", text)
    assert "Z0000" in text
    (cov,) = joins
    assert cov.right_rows == len(tx) and cov.right_matched == len(tx) - 7
    assert cov.left_rows == len(X) == 300
    # the unknown buyers are in the RFM baseline but not among the clustered customers
    assert {"Z0000", "Z0006"} <= set(rfm.index) and "Z0000" not in X.index


def test_transactions_of_other_customers_are_refused_naming_both_files(small_world, tmp_path):
    _, paths = small_world
    tx = pd.read_csv(paths["transactions"])
    tx["customer_id"] = "Q" + tx["customer_id"]
    tx_path = write(tx, tmp_path / "other_tx.csv")
    with pytest.raises(DataError) as err:
        segments.load_inputs(paths["customers"], tx_path, ["age"], observation_end="2025-12-31")
    message = str(err.value)
    assert "no customer_id of features" in message and "do not describe the same customers" in message
    assert str(paths["customers"]) in message and tx_path in message


def test_customers_without_purchases_have_no_frequency_rather_than_the_median(small_world, tmp_path):
    world, paths = small_world
    tx = pd.read_csv(paths["transactions"])
    quiet = tx["customer_id"].drop_duplicates().iloc[:5].tolist()
    tx_path = write(tx.loc[~tx["customer_id"].isin(quiet)], tmp_path / "tx_quiet.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no purchase is a fact, not a blank
        X, rfm, _ = segments.load_inputs(paths["customers"], tx_path, ["age", "frequency", "monetary"],
                                         observation_end="2025-12-31")
    assert (X.loc[quiet, ["frequency", "monetary"]] == 0).all().all()
    assert X["frequency"].drop(quiet).eq(rfm["frequency"].reindex(X.index).drop(quiet)).all()


def test_survey_responses_are_counted_per_customer(tmp_path):
    survey = pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"],
                           "customer_id": ["C1", "C1", " C2 ", None], "overall": [2, 4, 5, 3]})
    table = segments.survey_by_customer(write(survey, tmp_path / "s.csv"))
    assert table.to_dict("index") == {"C1": {"satisfaction": 3.0, "responses": 2},
                                      "C2": {"satisfaction": 5.0, "responses": 1}}
    with pytest.raises(DataError, match=r"s2\.csv.*missing column 'customer_id'"):
        segments.survey_by_customer(write(survey.drop(columns="customer_id"), tmp_path / "s2.csv"))


# --------------------------------------------------------------------------- returns


def test_rfm_with_returns_is_net_spend_and_a_return_is_no_purchase():
    """By hand: A buys 100 on 1 March, returns 30 on 5 March (a day with only a return) and buys
    50 on 10 March; B buys 40 and returns 40 the same day; C only returns."""
    tx = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "timestamp": pd.to_datetime(["2025-03-01", "2025-03-05", "2025-03-10", "2025-03-02",
                                     "2025-03-02", "2025-03-04"]),
        "amount": [100.0, -30.0, 50.0, 40.0, -40.0, -25.0]})
    with pytest.warns(DataWarning, match=r"1 customer has only returns and no purchase \(C\)"):
        rfm = segments.rfm_table(tx, observation_end="2025-03-31", allow_returns=True)
    assert list(rfm.index) == ["A", "B"]
    assert rfm.loc["A", "monetary"] == 120.0 and rfm.loc["B", "monetary"] == 0.0
    assert rfm.loc["A", "returned"] == 30.0 and rfm.loc["B", "returned"] == 40.0
    assert rfm.loc["A", "frequency"] == 2  # 1 and 10 March; 5 March holds only a return
    assert rfm.loc["A", "recency"] == 21 and rfm.loc["A", "tenure"] == 30
    assert rfm.loc["A", "avg_spend"] == 60.0
    with pytest.raises(DataError, match="negative amounts"):
        segments.rfm_table(tx, observation_end="2025-03-31")


def test_load_inputs_keeps_returns_only_when_asked(small_world, tmp_path):
    _, paths = small_world
    tx = pd.read_csv(paths["transactions"])
    returns = tx.iloc[::10].assign(amount=lambda d: -(d["amount"] / 2).round(2))
    tx_path = write(pd.concat([tx, returns]), tmp_path / "tx_returns.csv")
    with pytest.raises(DataError, match=r"negative amounts.*allow_returns: true keeps them"):
        segments.load_inputs(paths["customers"], tx_path, ["age", "monetary"], observation_end="2025-12-31")
    X, rfm, _ = segments.load_inputs(paths["customers"], tx_path, ["age", "monetary"],
                                     observation_end="2025-12-31", allow_returns=True)
    _, gross, _ = segments.load_inputs(paths["customers"], paths["transactions"], ["age"],
                                       observation_end="2025-12-31")
    returned = (-returns["amount"]).groupby(returns["customer_id"]).sum()
    net = gross["monetary"] - returned.reindex(gross.index).fillna(0.0)
    assert rfm["monetary"].to_numpy() == pytest.approx(net.reindex(rfm.index).to_numpy())
    assert rfm["returned"].to_numpy() == pytest.approx(returned.reindex(rfm.index).fillna(0).to_numpy())
    assert X["monetary"].to_numpy() == pytest.approx(net.reindex(X.index).fillna(0.0).to_numpy())
    # returns are no purchases: frequency and recency are those of the purchases alone
    pd.testing.assert_series_equal(rfm["frequency"], gross["frequency"].reindex(rfm.index))
    pd.testing.assert_series_equal(rfm["recency"], gross["recency"].reindex(rfm.index))


# --------------------------------------------------------------------------- the notebook


def _failing_notebook(tmp_path, world_paths, survey_path):
    from conftest import run_notebook

    with pytest.raises(Exception) as err:
        run_notebook("03_segmentation", tmp_path / "out", data_path=str(world_paths["customers"]),
                     transactions_path=str(world_paths["transactions"]),
                     customers_path=str(world_paths["customers"]), survey_path=survey_path,
                     truth_path="", n_boot=2, seed=1)
    return str(err.value)


@pytest.mark.notebook
def test_a_survey_of_other_customers_stops_the_notebook_naming_both_files(small_world, tmp_path):
    _, paths = small_world
    survey = pd.read_csv(paths["survey"])
    survey["customer_id"] = "S-" + survey["customer_id"].astype(str)
    survey_path = write(survey, tmp_path / "other_survey.csv")
    message = _failing_notebook(tmp_path, paths, survey_path)
    assert "DataError" in message and "do not describe the same customers" in message
    assert f"survey ({survey_path})" in message and f"features ({paths['customers']})" in message
    assert "Ignoring letter case" not in message


@pytest.mark.notebook
def test_survey_ids_differing_only_in_case_get_the_hint(small_world, tmp_path):
    _, paths = small_world
    survey = pd.read_csv(paths["survey"])
    survey["customer_id"] = survey["customer_id"].str.lower()
    message = _failing_notebook(tmp_path, paths, write(survey, tmp_path / "lower_survey.csv"))
    assert "DataError" in message and "Ignoring letter case" in message
    assert "differ in case" in message


def test_customers_missing_from_the_truth_are_left_out_of_its_ari(small_world):
    world, _ = small_world
    X = world.customers[["age", "monthly_fee", "usage_hours", "support_tickets"]]
    truth = world.segments.astype(str).to_numpy(dtype=object)
    full = segments.compare_methods(X, 4, methods=["kmeans"], truth=truth, seed=3)
    partial = truth.copy()
    partial[:30] = np.nan  # as truth.reindex(X.index) leaves customers the truth file lacks
    table = segments.compare_methods(X, 4, methods=["kmeans"], truth=partial, seed=3)
    labels = segments.Segmenter(k=4, seed=3).fit(X).labels_
    assert table["ari_vs_truth"].item() == pytest.approx(adjusted_rand_score(truth[30:], labels[30:]))
    assert table["ari_vs_truth"].item() != full["ari_vs_truth"].item()


# --------------------------------------------------------------------------- RFM in the engine


def pandas_rfm(tx: pd.DataFrame, observation_end=None, allow_returns: bool = False) -> pd.DataFrame:
    """RFM by hand in pandas, from the whole log: the numbers the engine must give."""
    ts = pd.to_datetime(tx["timestamp"])
    amount = pd.to_numeric(tx["amount"])
    day = ts.dt.normalize()
    end = pd.Timestamp(observation_end) if observation_end else day.max()  # returns included
    bought = amount >= 0 if allow_returns else pd.Series(True, index=tx.index)
    days = pd.DataFrame({"c": tx["customer_id"], "day": day})[bought].drop_duplicates()
    per = days.groupby("c")["day"].agg(["min", "max", "size"])
    out = pd.DataFrame({"recency": (end - per["max"]).dt.days.astype(float),
                        "frequency": per["size"].astype(float),
                        "monetary": amount.groupby(tx["customer_id"]).sum().reindex(per.index)})
    out["avg_spend"] = out["monetary"] / out["frequency"]
    out["tenure"] = (end - per["min"]).dt.days.astype(float)
    if allow_returns:
        out["returned"] = (-amount.where(amount < 0, 0.0)).groupby(tx["customer_id"]).sum().reindex(per.index)
    return out.rename_axis("customer_id")


def assert_same_rfm(rfm: pd.DataFrame, expected: pd.DataFrame) -> None:
    rfm = rfm.sort_index()
    assert list(rfm.columns) == list(expected.columns) and rfm.index.equals(expected.index)
    for col in ("recency", "frequency", "tenure"):  # whole days: exactly
        assert np.array_equal(rfm[col].to_numpy(), expected[col].to_numpy()), col
    for col in [c for c in ("monetary", "avg_spend", "returned") if c in rfm]:
        # sums of the same amounts in another order differ in the last bit at most
        np.testing.assert_allclose(rfm[col].to_numpy(), expected[col].to_numpy(), rtol=1e-12, atol=0)


@pytest.fixture(scope="module")
def bundled_with_returns(tmp_path_factory):
    from cxlib.core import DATA_DIR

    path = DATA_DIR / "transactions.csv"
    tx = pd.read_csv(path, dtype=str)
    returns = tx.iloc[::7].assign(amount=lambda d: (-pd.to_numeric(d["amount"]) / 3).round(2).astype(str))
    mixed = pd.concat([tx, returns]).sample(frac=1, random_state=3)  # returns anywhere in the file
    mixed_path = tmp_path_factory.mktemp("rfm") / "tx_returns.csv"
    mixed.to_csv(mixed_path, index=False)
    return path, tx, mixed_path, mixed


def test_rfm_in_the_engine_gives_the_numbers_of_the_whole_log_in_pandas(bundled_with_returns):
    path, tx, mixed_path, mixed = bundled_with_returns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for end in ("2025-12-31", None):
            assert_same_rfm(segments.rfm_table(path, observation_end=end), pandas_rfm(tx, end))
            assert_same_rfm(segments.rfm_table(mixed_path, observation_end=end, allow_returns=True),
                            pandas_rfm(mixed, end, allow_returns=True))
        # and load_inputs, which measures the join from the log's rows per customer
        X, rfm, joins = segments.load_inputs("", mixed_path, ["recency", "monetary"], allow_returns=True)
    assert_same_rfm(rfm, pandas_rfm(mixed, allow_returns=True))
    assert X.index.equals(rfm.index) and joins == []


def test_load_inputs_counts_every_row_of_the_log_in_the_join(small_world, tmp_path):
    _, paths = small_world
    tx = pd.read_csv(paths["transactions"])
    returns = tx.iloc[::5].assign(amount=lambda d: -(d["amount"] / 2).round(2))
    tx_path = write(pd.concat([tx, returns]), tmp_path / "tx_returns.csv")
    _, _, (cov,) = segments.load_inputs(paths["customers"], tx_path, ["age", "monetary"],
                                        observation_end="2025-12-31", allow_returns=True)
    assert cov.right_rows == len(tx) + len(returns) == cov.right_matched  # returns are rows of the log too
    assert cov.left_rows == 300 and cov.left_matched == tx["customer_id"].nunique()


def test_load_inputs_reads_encoded_inputs(small_world, tmp_path):
    _, paths = small_world
    cust = pd.read_csv(paths["customers"], dtype=str)
    tx = pd.read_csv(paths["transactions"], dtype=str)
    rename = {"C000001": "Andrée €"}  # only cp1252 has the euro sign in one byte
    cust["customer_id"] = cust["customer_id"].replace(rename)
    tx["customer_id"] = tx["customer_id"].replace(rename)
    cust.to_csv(tmp_path / "cust.csv", index=False, encoding="cp1252")
    tx.to_csv(tmp_path / "tx.csv", index=False, encoding="cp1252")
    with pytest.raises(DataError, match=r"is not valid utf-8 text.*encoding: latin-1"):
        segments.load_inputs(tmp_path / "cust.csv", tmp_path / "tx.csv", ["age", "frequency"])
    X, rfm, (cov,) = segments.load_inputs(tmp_path / "cust.csv", tmp_path / "tx.csv", ["age", "frequency"],
                                          observation_end="2025-12-31", encoding="cp1252")
    assert "Andrée €" in X.index and "Andrée €" in rfm.index and cov.right_matched == cov.right_rows
    churned = segments.churn_by_customer(tmp_path / "cust.csv", encoding="cp1252")
    assert "Andrée €" in churned.index


@pytest.fixture(scope="module")
def spark_available():
    import shutil

    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")


@pytest.mark.slow
def test_rfm_on_spark_gives_the_numbers_of_duckdb(bundled_with_returns, spark_available):
    path, _, mixed_path, _ = bundled_with_returns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for source, allow in ((path, False), (mixed_path, True)):
            duck = segments.rfm_table(source, observation_end="2025-12-31", allow_returns=allow)
            spark = segments.rfm_table(source, observation_end="2025-12-31", allow_returns=allow, engine="spark")
            pd.testing.assert_frame_equal(spark.sort_index(), duck.sort_index(), rtol=1e-12, check_names=False)
