"""The first README command, end to end: every notebook renders on the bundled data."""

from __future__ import annotations

import json

import pytest

from cxlib.report import list_notebooks, run_report

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


def test_every_notebook_renders_on_the_bundled_data(tmp_path):
    run = run_report(out=tmp_path, echo=lambda *_: None)
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
    assert (tmp_path / "latest").resolve() == run.folder.resolve()
