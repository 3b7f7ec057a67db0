"""The first README command, end to end: every notebook renders on the bundled data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from cxlib.core import PROJECT_ROOT
from cxlib.report import list_notebooks

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

# Tables each notebook promises in its report folder (the issues' artifact lists).
EXPECTED = {
    "00_overview": ["counts.csv", "quality.csv"],
    "01_churn_survival": ["coefficients.csv", "customers.csv"],
    "02_satisfaction_drivers": ["drivers.csv"],
    "03_segmentation": ["segments.csv", "profiles.csv"],
    "04_clv": ["customers.csv"],
}
METRICS = {
    "00_overview": ["n_customers", "n_transactions", "n_survey"],
    "01_churn_survival": ["n", "events", "concordance_test", "integrated_brier_test", "median_survival"],
    "02_satisfaction_drivers": ["n", "r2", "csat_mean", "csat_top2box", "nps"],
    "03_segmentation": ["k", "method", "silhouette", "stability_ari"],
    "04_clv": ["bgnbd", "gamma_gamma"],
}


def test_every_notebook_renders_on_the_bundled_data(bundled_run):
    run = bundled_run
    failed = {r.notebook: r.error for r in run.results if r.status != "ok"}
    assert not failed
    assert [r.notebook for r in run.results] == [nb.stem for nb in list_notebooks()]
    for r in run.results:
        folder = run.folder / r.notebook
        for name in [f"{r.notebook}.html", f"{r.notebook}_code.html", f"{r.notebook}.ipynb",
                     "parameters.yaml", "metrics.json", *EXPECTED.get(r.notebook, [])]:
            assert (folder / name).is_file(), f"{r.notebook}: {name} missing"
        metrics = json.loads((folder / "metrics.json").read_text())
        missing = [k for k in METRICS.get(r.notebook, []) if k not in metrics]
        assert not missing, f"{r.notebook}: metrics.json lacks {missing}"
    assert (run.folder.parent / "latest").resolve() == run.folder.resolve()


def test_every_recorded_path_exists_after_the_run(bundled_run):
    run = bundled_run
    record = json.loads((run.folder / "run.json").read_text())
    assert not list(run.folder.parent.glob(".*partial")), "the staging folder was left behind"
    for nb in record["notebooks"]:
        name = nb["notebook"]
        # the run's own files, relative to the run folder
        assert nb["parameters"]["output_dir"] == nb["folder"] == name
        # (a notebook that failed before marking its key figure records none)
        recorded = [nb["folder"], *nb["pages"].values(), *([nb["key_figure"]] if nb["key_figure"] else [])]
        assert set(nb["pages"]) == {"report", "code", "notebook"}
        for rel in recorded:
            assert not Path(rel).is_absolute(), f"{name}: {rel!r} is not relative"
            assert (run.folder / rel).exists(), f"{name}: {rel} does not exist"
        # the input data, relative to the project root as the parameters give them
        for item in nb["inputs"].values():
            assert (PROJECT_ROOT / item["path"]).is_file(), item["path"]
        # the parameters file and the executed notebook say the same, not the staging folder
        folder = run.folder / name
        assert yaml.safe_load((folder / "parameters.yaml").read_text())["output_dir"] == name
        executed = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        assert executed.metadata["papermill"]["parameters"]["output_dir"] == name
        assert ".partial" not in json.dumps(executed.metadata)
        injected = [c.source for c in executed.cells
                    if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and ".partial" not in injected[0] and f'"{name}"' in injected[0]
    assert Path(record["metadata"]["config"]).is_file()


def test_the_run_shows_progress_and_ends_with_a_table(bundled_run):
    log = bundled_run.log
    for r in bundled_run.results:
        lines = [l for l in log if l.strip().startswith(f"{r.notebook}:")]
        assert lines, f"no progress line for {r.notebook}"
        done, total = map(int, re.search(r"(\d+)/(\d+) cells", lines[-1]).groups())
        assert re.search(r", \d+ s$", lines[-1]) and total > 0
        assert done == total if r.status == "ok" else done < total
    table = log[-1].splitlines()
    assert table[0].split() == ["notebook", "status", "time"]
    assert [row.split()[:2] for row in table[2:]] == [[r.notebook, r.status]
                                                      for r in bundled_run.results]
