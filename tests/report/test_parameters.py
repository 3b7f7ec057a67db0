"""Bad parameters are refused before a kernel starts, with the notebook, name, value and what is
allowed; values of the right meaning in another spelling are accepted."""

from __future__ import annotations

import pytest

from cxlib.report import ReportError, execute_notebook
from cxlib.report.cli import main
from cxlib.report.parameters import ParameterError, check_parameters


@pytest.mark.parametrize("notebook, name, value, allowed", [
    ("04_clv", "horizon", "twelve", "expected a number"),
    ("04_clv", "horizon", -52, "expected a number > 0"),
    ("04_clv", "discount_rate", -1, "expected a number >= 0"),
    ("04_clv", "margin", 2, "expected a number > 0 and <= 1"),
    ("01_churn_survival", "tier_cutoffs", [0.5, 0.2], "ascending shares between 0 and 1"),
    ("01_churn_survival", "time_unit", "fortnight", "D/W/M/Y or days/weeks/months/years"),
    ("01_churn_survival", "observation_end", "yesterday", "an ISO date such as 2025-12-31"),
    ("01_churn_survival", "seed", "abc", "expected a whole number"),
    ("02_satisfaction_drivers", "n_bootstrap", -1, "expected a whole number >= 0"),
    ("03_segmentation", "method", "spectral", "kmeans, gmm, ward or dbscan"),
    ("03_segmentation", "k_range", [8, 2], "smallest at least 2"),
    ("04_clv", "engine", "polars", "duckdb or spark"),
])
def test_bad_values_are_named_with_what_is_allowed(notebook, name, value, allowed):
    with pytest.raises(ParameterError) as err:
        check_parameters(notebook, {name: value})
    text = str(err.value)
    assert text.startswith(f"{notebook}: parameter '{name}' = {value!r}") and allowed in text


def test_values_are_coerced_to_the_declared_types():
    out = check_parameters("01_churn_survival", {"covariates": "age", "group_col": None, "horizon": 6,
                                                 "time_unit": "M", "observation_end": "2025-12-31"})
    assert out == {"covariates": ["age"], "group_col": "", "horizon": 6.0, "time_unit": "M",
                   "observation_end": "2025-12-31"}
    assert check_parameters("03_segmentation", {"k": None})["k"] is None
    assert check_parameters("03_segmentation", {"k": 4})["k"] == 4


def test_a_bad_value_stops_cx_run_before_a_kernel_starts(tmp_path, capsys):
    assert main(["run", "04_clv", "-p", "horizon", "-52", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "04_clv: parameter 'horizon' = -52: expected a number > 0" in err
    assert not (tmp_path / "out" / "04_clv.ipynb").exists()  # no kernel was started
    with pytest.raises(ReportError, match="parameter 'margin' = 2"):
        execute_notebook("04_clv", tmp_path / "x", {"margin": 2})


def test_a_bad_value_in_the_config_stops_the_whole_report(tmp_path):
    from cxlib.report import run_report

    config = tmp_path / "reports.yaml"
    config.write_text("04_clv:\n  margin: 2\n01_churn_survival:\n  horizon: -1\n")
    with pytest.raises(ReportError, match=r"nothing was run: .*01_churn_survival: parameter 'horizon'"
                                          r".*04_clv: parameter 'margin'"):
        run_report(config, tmp_path / "reports")
    assert list((tmp_path / "reports").glob("*")) == []


def test_every_notebook_default_and_the_bundled_config_pass_the_rules():
    from cxlib.report import list_notebooks, load_config, notebook_defaults

    config = load_config()
    for nb in list_notebooks():
        defaults = {k: v for k, v in notebook_defaults(nb).items() if k != "output_dir"}
        check_parameters(nb, defaults)
        check_parameters(nb, config.get(nb.stem, {}))


def test_cx_run_refuses_a_folder_with_an_earlier_run_unless_told_to_replace_it(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old_table.csv").write_text("x\n1\n")
    assert main(["run", "04_clv", "-p", "margin", "2", "--out", str(out)]) == 2
    assert "is not empty; choose another --out, or add --replace" in capsys.readouterr().err
    assert (out / "old_table.csv").exists()  # nothing was touched


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_stops_a_report_with_one_line_no_staging_folder_and_no_process_left(tmp_path, jobs):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    reports = tmp_path / "reports"
    proc = subprocess.Popen([sys.executable, "-m", "cxlib.report.cli", "report", "--out", str(reports),
                             "--only", "04_clv", "06_experiments", "--jobs", str(jobs)],
                            stderr=subprocess.PIPE, text=True)
    kernels = []
    for _ in range(1200):  # wait until every worker runs a kernel (one at a time with one job)
        if proc.poll() is not None:
            break
        try:
            kernels = [c for c in psutil.Process(proc.pid).children(recursive=True)
                       if "ipykernel" in " ".join(c.cmdline())]
        except psutil.Error:
            kernels = []
        if len(kernels) >= jobs:
            break
        time.sleep(0.1)
    assert len(kernels) >= jobs, "the run never started its kernels"
    family = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGTERM)  # to the command only, as a scheduler or `kill` sends it
    sent = time.monotonic()
    _, err = proc.communicate(timeout=120)
    # the notebooks are stopped, not waited for: the two just started take over 20 s more here
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130
    lines = [line for line in err.strip().splitlines() if line]
    assert lines[-1].startswith("cx: stopped") and "Traceback" not in err
    assert not any(p.name.endswith(".partial") for p in reports.iterdir())
    _, alive = psutil.wait_procs(family, timeout=30)  # workers, their kernels, the queue's manager
    assert not alive, f"left running: {[' '.join(c.cmdline())[:80] for c in alive]}"


def test_the_bundled_data_is_never_mixed_into_a_run_on_the_users_own_files():
    from cxlib.report.parameters import inputs_that_belong_together

    own, notes = inputs_that_belong_together("03_segmentation", {"data_path": "/mine/customers.csv"})
    assert own == {"data_path": "/mine/customers.csv", "transactions_path": "", "customers_path": "",
                   "survey_path": "", "truth_path": ""}
    assert len(notes) == 4 and "survey_path is not given, so the bundled data/survey.csv is not used" in notes[2]
    # an input the run names is used, bundled or not
    own, _ = inputs_that_belong_together("03_segmentation", {"data_path": "/mine/customers.csv",
                                                             "survey_path": "data/survey.csv"})
    assert own["survey_path"] == "data/survey.csv" and own["customers_path"] == ""
    # the bundled run itself is untouched
    assert inputs_that_belong_together("03_segmentation", {"k": 4}) == ({"k": 4}, [])
    assert inputs_that_belong_together("04_clv", {"transactions_path": "data/transactions.csv"})[0] == {
        "transactions_path": "data/transactions.csv"}
