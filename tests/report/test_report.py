"""The report runner: folders, index, parameters, failures that leave the last good run alone."""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest
import yaml

from cxlib.report.cli import main
from cxlib.report import ReportError, load_config, run_report

pytestmark = pytest.mark.notebook


@pytest.fixture
def tiny_data(tmp_path):
    """Three small canonical tables written by hand (independent of the generator)."""
    d = tmp_path / "data"
    d.mkdir()
    pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"],
        "signup_date": ["2024-01-05", "2024-02-01", "2024-03-10", "2024-05-20"],
        "churn_date": ["", "2024-06-01", "", "2024-09-30"],
        "age": [34, 51, 28, 45], "monthly_fee": [20.0, 35.5, 12.0, 50.0],
        "usage_hours": [10.0, 3.5, 22.0, 1.0], "support_tickets": [0, 3, 1, 5],
    }).to_csv(d / "customers.csv", index=False)
    pd.DataFrame({
        "customer_id": ["C1", "C1", "C2", "C3", "C3", "C3", "C4"],
        "timestamp": ["2024-01-05", "2024-03-01", "2024-02-01", "2024-03-10", "2024-04-02",
                      "2024-08-15", "2024-05-20"],
        "amount": [20.0, 35.0, 12.5, 60.0, 41.0, 18.0, 99.9],
    }).to_csv(d / "transactions.csv", index=False)
    pd.DataFrame({
        "respondent_id": ["R1", "R2", "R3"], "customer_id": ["C1", "C2", "C3"],
        "date": ["2024-04-01", "2024-04-02", "2024-05-01"], "overall": [4, 2, 5], "nps": [9, 3, 10],
        "support": [4, 1, 5], "delivery": [5, 3, 4],
    }).to_csv(d / "survey.csv", index=False)
    return d


def write_config(path, data_dir, customers="customers.csv"):
    config = {"00_overview": {
        "customers_path": str(data_dir / customers),
        "transactions_path": str(data_dir / "transactions.csv"),
        "survey_path": str(data_dir / "survey.csv"),
        "observation_end": "2024-12-31",
        "ratings": ["support", "delivery"],
    }}
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_run_writes_every_artifact_and_records_its_parameters(tmp_path, tiny_data):
    config = write_config(tmp_path / "cfg.yaml", tiny_data)
    run = run_report(config, tmp_path / "reports", ["00_overview"], run_id="good", echo=lambda *_: None)
    assert run.ok
    folder = tmp_path / "reports" / "good" / "00_overview"
    for name in ["00_overview.ipynb", "00_overview.html", "00_overview_code.html", "parameters.yaml",
                 "counts.csv", "quality.csv", "metrics.json", "monthly_activity.png"]:
        assert (folder / name).is_file(), name
    assert (tmp_path / "reports" / "latest").resolve() == (tmp_path / "reports" / "good").resolve()
    # papermill records the parameters in the executed notebook's metadata
    executed = nbformat.read(folder / "00_overview.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["ratings"] == ["support", "delivery"]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["n_customers"] == 4 and metrics["n_transactions"] == 7 and metrics["n_survey"] == 3
    assert metrics["churned_share"] == pytest.approx(0.5)
    # the index opens with the findings, the key figure and the status; metrics, parameters,
    # input fingerprints and versions follow, folded
    index = (tmp_path / "reports" / "good" / "index.html").read_text()
    finding = "The data hold 4 customers, 7 transactions and 3 survey responses."
    assert finding in index and index.index(finding) < index.index("<details>")
    assert '<img src="00_overview/monthly_activity.png"' in index
    assert "00_overview" in index and ">ok<" in index and "n_transactions" in index
    assert "<td><b>ratings</b></td><td>[support, delivery]</td>" in index and "lifelines" in index
    # defaults are recorded too, not only overrides
    assert "<td>overall_scale</td><td>[1, 5]</td>" in index
    record = json.loads((tmp_path / "reports" / "good" / "run.json").read_text())
    nb = record["notebooks"][0]
    assert nb["findings"][0] == finding and nb["key_figure"] == "00_overview/monthly_activity.png"
    assert nb["parameters"]["observation_end"] == "2024-12-31"
    assert "ratings" in nb["overrides"] and "overall_scale" not in nb["overrides"]
    assert yaml.safe_load((folder / "parameters.yaml").read_text())["rating_scale"] == [1, 5]
    assert len(nb["inputs"]["customers_path"]["sha256_12"]) == 12
    assert record["metadata"]["packages"]["pandas"]
    # the stakeholder page carries no code, the other one does
    assert "load_tables" not in (folder / "00_overview.html").read_text()
    assert "load_tables" in (folder / "00_overview_code.html").read_text()


def test_a_failing_notebook_leaves_the_last_good_run_untouched(tmp_path, tiny_data, capsys):
    reports = tmp_path / "reports"
    good_cfg = write_config(tmp_path / "good.yaml", tiny_data)
    assert main(["report", "--config", str(good_cfg), "--out", str(reports), "--only", "00_overview"]) == 0
    good = (reports / "latest").resolve()
    before = {p: p.stat().st_mtime_ns for p in good.rglob("*")}

    bad = tiny_data / "bad_customers.csv"
    bad.write_text("customer_id,signup_date\nC1,2024-01-01\nC1,2024-02-01\n")
    bad_cfg = write_config(tmp_path / "bad.yaml", tiny_data, customers="bad_customers.csv")
    assert main(["report", "--config", str(bad_cfg), "--out", str(reports), "--only", "00_overview"]) == 1
    assert "failed: 00_overview" in capsys.readouterr().err

    assert (reports / "latest").resolve() == good
    assert {p: p.stat().st_mtime_ns for p in good.rglob("*")} == before
    failed = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and p != good]
    assert len(failed) == 1
    index = (failed[0] / "index.html").read_text()
    assert "failed" in index and "DataError" in index and "duplicate ids" in index
    assert (failed[0] / "00_overview" / "00_overview.ipynb").is_file()  # kept, with its error
    assert not list(reports.glob(".*partial"))


def test_cx_run_reads_parameter_values_as_yaml(tmp_path, tiny_data, capsys):
    out = tmp_path / "single"
    code = main(["run", "00_overview", "--out", str(out),
                 "-p", "customers_path", str(tiny_data / "customers.csv"),
                 "-p", "transactions_path", str(tiny_data / "transactions.csv"),
                 "-p", "survey_path", str(tiny_data / "survey.csv"),
                 "-p", "ratings", "[support, delivery]", "-p", "observation_end", "2024-12-31"])
    assert code == 0
    params = yaml.safe_load((out / "parameters.yaml").read_text())
    assert params["ratings"] == ["support", "delivery"]
    assert json.loads((out / "metrics.json").read_text())["n_survey"] == 3
    # progress per notebook, then a table of what ran
    printed = capsys.readouterr().out
    done, total = map(int, re.findall(r"00_overview: (\d+)/(\d+) cells, \d+ s", printed)[-1])
    assert done == total > 5
    assert re.search(r"^00_overview\s+ok\s+\d+\.\d s$", printed, re.M)


def test_config_naming_an_unknown_notebook_is_refused(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("99_nothing:\n  x: 1\n")
    with pytest.raises(ReportError, match=r"unknown notebooks \['99_nothing'\]"):
        load_config(cfg)


def test_a_misspelt_parameter_is_refused_before_anything_runs(tmp_path, capsys):
    assert main(["run", "00_overview", "--out", str(tmp_path / "x"), "-p", "custmers_path", "a.csv"]) == 2
    err = capsys.readouterr().err
    assert "00_overview has no parameter 'custmers_path'" in err and "customers_path" in err
    assert not (tmp_path / "x" / "00_overview.ipynb").exists()
    cfg = tmp_path / "c.yaml"
    cfg.write_text("00_overview:\n  survey_pth: s.csv\n")
    with pytest.raises(ReportError, match=r"section 00_overview: unknown parameters \['survey_pth'\]"):
        load_config(cfg)


def test_unknown_notebook_name_lists_the_known_ones(capsys):
    assert main(["run", "nope"]) == 2
    assert "known notebooks: 00_overview" in capsys.readouterr().err


def test_the_bundled_config_only_names_real_parameters():
    from cxlib.report import list_notebooks, notebook_defaults

    config = load_config()
    assert set(config) == {nb.stem for nb in list_notebooks()}
    for nb in list_notebooks():
        unknown = set(config[nb.stem]) - set(notebook_defaults(nb))
        assert not unknown, f"{nb.stem}: reports.yaml sets unknown parameters {sorted(unknown)}"


def test_several_workers_start_the_longest_notebooks_of_the_last_runs_first(tmp_path):
    from pathlib import Path

    from cxlib.report.runner import longest_first

    def run(name, times, status="ok"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "run.json").write_text(json.dumps({"notebooks": [
            {"notebook": n, "seconds": s, "status": status} for n, s in times.items()]}))

    paths = [Path(f"notebooks/{n}.ipynb") for n in ("00_a", "01_b", "02_c", "03_d")]
    assert longest_first(paths, tmp_path) == paths  # no earlier run: the notebooks' own order
    run("2026-01-01_000000", {"00_a": 5.0, "01_b": 90.0, "03_d": 40.0})
    # 02_c was not timed: it may be long, so it goes first
    assert [p.stem for p in longest_first(paths, tmp_path)] == ["02_c", "01_b", "03_d", "00_a"]
    run("2026-01-02_000000", {"03_d": 200.0})  # a newer run of one notebook
    run("2026-01-03_000000", {"02_c": 1.0, "01_b": 1.0}, status="failed")  # failed runs do not count
    (tmp_path / "2026-01-04_000000").mkdir()  # nor folders without a readable run.json
    assert [p.stem for p in longest_first(paths, tmp_path)] == ["02_c", "03_d", "01_b", "00_a"]
