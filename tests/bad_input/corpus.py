"""A corpus of bad and unusual input, each case built from the bundled data.

Every case says what a user did, which notebook they ran, the parameters, and what must happen:

- ``refused``: the runner stops before a kernel starts, with a message that names the parameter;
- ``error``: the notebook stops at its first step with the kit's own ``DataError`` (never a
  library traceback) whose message matches ``match`` (file, column, rows);
- ``warning``: the notebook finishes, shows a warning matching ``match``, and ``check`` verifies
  the numbers it saved;
- ``accepted``: valid but unusual input; the notebook finishes and ``check`` verifies the numbers.

Run it as a script to write every case to a folder and try them by hand::

    python tests/bad_input/corpus.py /tmp/corpus   # then: cx run NOTEBOOK -f /tmp/corpus/CASE.yaml
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxlib.core import DATA_DIR

CUSTOMERS = DATA_DIR / "customers.csv"
TRANSACTIONS = DATA_DIR / "transactions.csv"
SURVEY = DATA_DIR / "survey.csv"
EVENTS = DATA_DIR / "events.csv"
JOURNEY_CUSTOMERS = DATA_DIR / "journey_customers.csv"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(df: pd.DataFrame, folder: Path, name: str, **kw) -> str:
    path = folder / name
    df.to_csv(path, index=False, **kw)
    return str(path)


@dataclass(frozen=True)
class Case:
    """One kind of input a user may bring, and what the kit must do with it."""

    name: str
    notebook: str
    what: str  # what the user did, in plain words
    build: Callable[[Path], dict]  # writes the case's files into a folder, returns the parameters
    outcome: str  # "refused", "error", "warning" or "accepted"
    match: str  # a regular expression the message must contain
    check: Callable[[Path, dict], None] | None = None  # for accepted input: the saved numbers

    def parameters(self, folder: Path) -> dict:
        folder.mkdir(parents=True, exist_ok=True)
        return self.build(folder)


# --- the customers table ------------------------------------------------------------------------

def _customers_with_blank_ids(folder):
    df = _read(CUSTOMERS).head(400)
    df.loc[[6, 40], "customer_id"] = ["", "  "]
    return {"data_path": _write(df, folder, "customers.csv")}


def _customers_with_a_repeated_column(folder):
    df = _read(CUSTOMERS).head(400)
    text = df.to_csv(index=False).replace("usage_hours,support_tickets", "usage_hours,age", 1)
    (folder / "customers.csv").write_text(text)
    return {"data_path": str(folder / "customers.csv")}


def _customers_in_latin1(folder):
    df = _read(CUSTOMERS).head(400)
    df.loc[3, "region"] = "Montréal"
    return {"data_path": _write(df, folder, "customers.csv", encoding="latin-1")}


def _customers_with_ambiguous_day_month_dates(folder):
    df = _read(CUSTOMERS)
    df = df[pd.to_datetime(df["signup_date"]).dt.day.le(12)
            & pd.to_datetime(df["churn_date"].replace("", None)).dt.day.fillna(1).le(12)].head(400)
    for col in ("signup_date", "churn_date"):
        dates = pd.to_datetime(df[col].replace("", None))
        df[col] = dates.dt.strftime("%d/%m/%Y").fillna("")
    return {"data_path": _write(df, folder, "customers.csv")}


def _customers_missing_a_column(folder):
    df = _read(CUSTOMERS).head(400).drop(columns="signup_date")
    return {"data_path": _write(df, folder, "customers.csv")}


def _customers_after_the_end(folder):
    df = _read(CUSTOMERS).head(400)
    df.loc[12, "signup_date"] = "2026-02-01"
    return {"data_path": _write(df, folder, "customers.csv")}


# --- the purchase log ---------------------------------------------------------------------------

def _purchases(n=4000):
    return _read(TRANSACTIONS).head(n)


def _purchases_with_a_blank_id(folder):
    df = _purchases()
    df.loc[2500, "customer_id"] = ""
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_with_inf(folder):
    df = _purchases()
    df.loc[17, "amount"] = "inf"
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_with_decimal_commas(folder):
    df = _purchases()
    df.loc[[5, 9], "amount"] = ["12,50", "3,99"]
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_after_the_end(folder):
    df = _purchases()
    df.loc[100, "timestamp"] = "2026-01-05 10:00:00"
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_header_only(folder):
    return {"transactions_path": _write(_purchases().head(0), folder, "transactions.csv")}


def _purchases_with_ids_in_lower_case(folder):
    df = _read(TRANSACTIONS)
    lower = df["customer_id"].isin(_read(CUSTOMERS)["customer_id"].head(200))
    df.loc[lower, "customer_id"] = df.loc[lower, "customer_id"].str.lower()
    return {"transactions_path": _write(df, folder, "transactions.csv"), "survey_path": "",
            "customers_path": str(CUSTOMERS), "_changed": int(lower.sum())}


def _check_lower_case_join(out, params):
    joins = pd.read_csv(out / "joins.csv")
    row = joins[joins["left"].str.startswith("transactions")].iloc[0]
    assert row["left_rows"] - row["left_matched"] == params["_changed"]
    assert row["matched_ignoring_case"] == row["left_rows"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["transactions_unmatched_rows"] == params["_changed"]


def _purchases_with_ambiguous_day_month_dates(folder):
    df = _purchases()
    ts = pd.to_datetime(df["timestamp"])
    df = df[ts.dt.day.le(12)].copy()
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.strftime("%d/%m/%Y")
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_with_a_huge_amount(folder):
    df = _purchases()
    repeat = df["customer_id"].duplicated(keep="first").to_numpy().nonzero()[0][10]
    df.loc[repeat, "amount"] = "1e12"
    return {"transactions_path": _write(df, folder, "transactions.csv"), "_row": int(repeat) + 1}


def _check_huge_amount(out, params):
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["outliers"]["n_flagged"] == 1
    effect = pd.read_csv(out / "outlier_effect.csv").set_index("quantity")
    total = effect.loc[[q for q in effect.index if "total" in q.lower()][0]]
    assert total["all_purchases"] > 1000 * total["flagged_capped"]  # the typo dominates until capped


def _purchases_with_a_return(folder):
    df = _purchases()
    df.loc[30, "amount"] = "-12.50"
    return {"transactions_path": _write(df, folder, "transactions.csv")}


def _purchases_in_cp1252(folder, say_so):
    df, customers = _purchases(), _read(CUSTOMERS)
    euro = customers["customer_id"].head(10)  # ten customers whose ids carry a euro sign
    df.loc[df["customer_id"].isin(euro), "customer_id"] += "€"
    customers.loc[customers["customer_id"].isin(euro), "customer_id"] += "€"
    out = {"transactions_path": _write(df, folder, "transactions.csv", encoding="cp1252"),
           "customers_path": _write(customers, folder, "customers.csv", encoding="cp1252"),
           "survey_path": "", "_rows": len(df)}
    return {**out, "encoding": "cp1252"} if say_so else out


def _check_cp1252(out, params):
    joins = pd.read_csv(out / "joins.csv")
    assert joins.loc[0, "left_rows"] == joins.loc[0, "left_matched"] == params["_rows"]  # € ids still join


# --- the survey ---------------------------------------------------------------------------------

def _survey_of_other_customers(folder):
    df = _read(SURVEY)
    df["customer_id"] = "X" + df["customer_id"].str[1:]
    return {"survey_path": _write(df, folder, "survey.csv"), "transactions_path": "",
            "customers_path": str(CUSTOMERS)}


def _survey_partly_unknown(folder):
    df = _read(SURVEY)
    unknown = np.arange(len(df)) % 10 == 0
    df.loc[unknown, "customer_id"] = "Z" + df.loc[unknown, "customer_id"].str[1:]
    return {"survey_path": _write(df, folder, "survey.csv"), "transactions_path": "",
            "customers_path": str(CUSTOMERS), "_unknown": int(unknown.sum()), "_rows": len(df)}


def _check_survey_partly_unknown(out, params):
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["survey_unmatched_rows"] == params["_unknown"]
    kept = _read(SURVEY)["customer_id"][np.arange(params["_rows"]) % 10 != 0]
    customers = _read(CUSTOMERS)["customer_id"]
    assert abs(metrics["customers_with_survey_share"] - customers.isin(kept).mean()) < 1e-12


def _survey_with_half_points(folder, column):
    df = _read(SURVEY)
    df.loc[[3, 8, 20], column] = ["3.5", "4.5", "2.5"] if column == "overall" else ["6.5", "8.5", "9.5"]
    return {"data_path": _write(df, folder, "survey.csv"), "customers_path": str(CUSTOMERS),
            "n_bootstrap": 20}


def _check_half_point_overall(out, params):
    df = _read(SURVEY).assign(overall=lambda d: pd.to_numeric(d["overall"]).astype(float))
    df.loc[[3, 8, 20], "overall"] = [3.5, 4.5, 2.5]
    metrics = json.loads((out / "metrics.json").read_text())
    assert abs(metrics["csat_mean"] - df["overall"].mean()) < 1e-9  # used as numbers
    assert abs(metrics["csat_top2box"] - (df["overall"] >= 4).mean()) < 1e-9  # 3.5 is not top box


# --- the experiment -----------------------------------------------------------------------------

def _experiment_in_latin1(folder):
    df = _read(DATA_DIR / "experiment.csv")
    df["variant"] = df["variant"].replace({"treatment": "traitement é"})
    return {"data_path": _write(df, folder, "experiment.csv", encoding="latin-1"), "encoding": "latin-1",
            "expected_split": {"control": 0.5, "traitement é": 0.5}, "n_simulations": 100,
            "_units": len(df)}


def _check_latin1_experiment(out, params):
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_units"] == params["_units"]
    assert "traitement é" in json.dumps(metrics, ensure_ascii=False)  # the label read right


# --- the journey --------------------------------------------------------------------------------

def _events_of_other_customers(folder):
    df = _read(EVENTS)
    df["customer_id"] = "K" + df["customer_id"].str[1:]
    return {"events_path": _write(df, folder, "events.csv"), "customers_path": str(JOURNEY_CUSTOMERS)}


CASES = [
    # parameters: refused before a kernel starts
    Case("horizon_in_words", "04_clv", "gave the horizon as a word",
         lambda f: {"horizon": "twelve"}, "refused", r"horizon.*twelve"),
    Case("negative_horizon", "04_clv", "gave a negative horizon",
         lambda f: {"horizon": -52}, "refused", r"horizon.*-52"),
    Case("negative_discount_rate", "04_clv", "gave a discount rate of -1",
         lambda f: {"discount_rate": -1}, "refused", r"discount_rate"),
    Case("margin_above_one", "04_clv", "gave a margin of 2 (200%)",
         lambda f: {"margin": 2}, "refused", r"margin"),
    Case("cutoffs_descending", "01_churn_survival", "gave the risk cut-offs in descending order",
         lambda f: {"tier_cutoffs": [0.5, 0.2]}, "refused", r"tier_cutoffs"),
    Case("end_in_words", "01_churn_survival", "gave observation_end as 'yesterday'",
         lambda f: {"observation_end": "yesterday"}, "refused", r"observation_end.*yesterday"),
    Case("seed_in_words", "02_satisfaction_drivers", "gave the seed as 'abc'",
         lambda f: {"seed": "abc"}, "refused", r"seed.*abc"),
    Case("negative_bootstrap", "02_satisfaction_drivers", "asked for -1 bootstrap resamples",
         lambda f: {"n_bootstrap": -1}, "refused", r"n_bootstrap"),
    Case("unknown_parameter", "04_clv", "misspelt a parameter name",
         lambda f: {"horizn": 10}, "refused", r"no parameter 'horizn'"),
    # the customers table
    Case("blank_customer_ids", "01_churn_survival", "left two customer ids blank",
         _customers_with_blank_ids, "error",
         r"customers\.csv.*column 'customer_id'.*2 rows \(row 7.*row 41.*blank customer ids"),
    Case("repeated_column", "01_churn_survival", "exported a table with a column name twice",
         _customers_with_a_repeated_column, "error", r"customers\.csv.*column 'age'.*more than once"),
    Case("latin1_file", "01_churn_survival", "saved the customers table in Latin-1",
         _customers_in_latin1, "error", r"customers\.csv.*not valid utf-8.*encoding"),
    Case("ambiguous_dates", "01_churn_survival", "wrote dates as dd/mm/yyyy with no day above 12",
         _customers_with_ambiguous_day_month_dates, "error",
         r"customers\.csv.*column 'signup_date'.*day-first and month-first.*date_format"),
    Case("missing_column", "01_churn_survival", "left out the signup date column",
         _customers_missing_a_column, "error", r"customers\.csv.*signup_date"),
    Case("signup_after_the_end", "01_churn_survival", "has a signup after the observation end",
         _customers_after_the_end, "error", r"customers\.csv.*column 'signup_date'.*row 13"),
    # the purchase log
    Case("blank_purchase_id", "04_clv", "left one purchase's customer id blank",
         _purchases_with_a_blank_id, "error", r"transactions\.csv.*customer_id.*row 2501"),
    Case("infinite_amount", "04_clv", "has an amount of inf",
         _purchases_with_inf, "error", r"transactions\.csv.*amount.*row 18"),
    Case("decimal_commas", "04_clv", "wrote amounts with decimal commas",
         _purchases_with_decimal_commas, "error", r"transactions\.csv.*amount.*2 rows.*row 6"),
    Case("purchase_after_the_end", "04_clv", "has a purchase after the observation end",
         _purchases_after_the_end, "error", r"transactions\.csv.*row 101.*after"),
    Case("empty_log", "04_clv", "gave a log with a header and no rows",
         _purchases_header_only, "error", r"transactions\.csv.*empty"),
    Case("ambiguous_purchase_dates", "04_clv", "wrote purchase dates as dd/mm/yyyy, no day above 12",
         _purchases_with_ambiguous_day_month_dates, "error",
         r"transactions\.csv.*column 'timestamp'.*day-first and month-first.*date_format"),
    Case("huge_amount", "04_clv", "typed one purchase as 1e12",
         _purchases_with_a_huge_amount, "warning", r"transactions\.csv.*amount.*1 row.*row \d+", _check_huge_amount),
    Case("return_in_clv", "04_clv", "left a return (a negative amount) in the log",
         _purchases_with_a_return, "error", r"transactions\.csv.*amount.*row 31.*negative"),
    Case("return_in_segmentation", "03_segmentation", "left a return in the log used for RFM",
         _purchases_with_a_return, "error", r"transactions\.csv.*amount.*negative.*allow_returns"),
    # the survey
    Case("half_point_nps", "02_satisfaction_drivers", "gave NPS answers between whole points",
         lambda f: _survey_with_half_points(f, "nps"), "error", r"survey\.csv.*column 'nps'.*3 rows.*row 4"),
    Case("half_point_overall", "02_satisfaction_drivers", "gave overall scores between whole points",
         lambda f: _survey_with_half_points(f, "overall"), "warning",
         r"survey\.csv.*column 'overall'.*3 rows.*between the scale's whole points", _check_half_point_overall),
    Case("cp1252_without_encoding", "00_overview", "exported from Windows (cp1252) and did not say so",
         lambda f: _purchases_in_cp1252(f, False), "error",
         r"customers\.csv.*not valid utf-8.*encoding"),
    Case("cp1252_with_encoding", "00_overview", "exported from Windows (cp1252) and said so",
         lambda f: _purchases_in_cp1252(f, True), "accepted", "", _check_cp1252),
    # joins between tables
    Case("ids_differ_in_case", "00_overview", "lower-cased the ids of 200 customers in the log",
         _purchases_with_ids_in_lower_case, "warning",
         r"rows of transactions .* not found in customers.*Ignoring letter case",
         _check_lower_case_join),
    Case("survey_of_other_customers", "00_overview", "gave a survey whose ids match no customer",
         _survey_of_other_customers, "error",
         r"no customer_id of survey \(.*survey\.csv\) is found in customers \(.*customers\.csv\)"),
    Case("survey_partly_unknown", "00_overview", "gave a survey where a tenth of the ids are unknown",
         _survey_partly_unknown, "warning",
         r"rows of survey .* have a customer_id not found in customers", _check_survey_partly_unknown),
    Case("latin1_experiment", "06_experiments", "exported the experiment in Latin-1 and said so",
         _experiment_in_latin1, "accepted", "", _check_latin1_experiment),
    Case("events_of_other_customers", "05_journey", "gave events whose ids match no customer",
         _events_of_other_customers, "error",
         r"no customer_id of events \(.*events\.csv\) is found in customers \(.*journey_customers\.csv\)"),
]


def write_corpus(folder: str | Path) -> list[Path]:
    """Write every case's files and a ``CASE.yaml`` of its parameters into ``folder``."""
    import yaml

    folder = Path(folder)
    written = []
    for case in CASES:
        params = {k: v for k, v in case.parameters(folder / case.name).items() if not k.startswith("_")}
        path = folder / f"{case.name}.yaml"
        path.write_text(f"# {case.notebook}: {case.what}; expected: {case.outcome}\n"
                        + yaml.safe_dump(params, sort_keys=False))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_corpus(sys.argv[1] if len(sys.argv) > 1 else "corpus"):
        print(p)
