"""The cx command's data and inspection verbs."""

from __future__ import annotations

import json

import pandas as pd

from cxlib.report.cli import main
from cxlib.core import load_customers, load_transactions


def test_cx_data_synth_writes_loadable_tables_and_a_truth_file(tmp_path, capsys):
    assert main(["data", "synth", "--customers", "300", "--seed", "11", "--out", str(tmp_path)]) == 0
    assert "truth" in capsys.readouterr().out
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["n_customers"] == 300 and truth["seed"] == 11
    customers = load_customers(tmp_path / "customers.csv", observation_end=truth["observation_end"])
    assert len(customers) == 300
    tx = load_transactions(tmp_path / "transactions.csv", observation_end=truth["observation_end"])
    assert set(tx["customer_id"]) <= set(customers["customer_id"])
    labels = pd.read_csv(tmp_path / "truth_segments.csv")
    assert len(labels) == 300


def test_cx_params_lists_a_notebooks_parameters(capsys):
    assert main(["params", "00_overview"]) == 0
    out = capsys.readouterr().out
    assert "customers_path: str = \"data/customers.csv\"" in out or "customers_path: str = data/customers.csv" in out
    assert "output_dir" in out
