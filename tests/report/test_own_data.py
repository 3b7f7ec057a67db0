"""Every notebook on the user's own files, with the bundled data out of reach.

The user's data here is a different synthetic world (another seed, another size, another
observation end, the purchase log in Parquet) written to a temporary folder. The report runs from
a copy of the project that has no ``data/`` folder at all, so a single read of a bundled file would
fail the run instead of silently mixing the bundled customers in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from cxlib.core import PROJECT_ROOT
from cxlib.synth import make_world

END = "2025-06-30"


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    mine = root / "my_data"
    world = make_world(n_customers=1500, seed=424242, observation_end=END)
    paths = world.write(mine)
    for known in ("truth", "segments", "tastes", "products"):  # a user has no truth files
        paths.pop(known).unlink()
    tx = pd.read_csv(paths["transactions"])
    paths["transactions"].unlink()
    paths["transactions"] = mine / "purchases.parquet"
    tx.to_parquet(paths["transactions"], index=False)

    project = root / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("cxlib", "notebooks"):
        shutil.copytree(PROJECT_ROOT / folder, project / folder, ignore=ignore)
    assert not (project / "data").exists()

    p = {k: str(v) for k, v in paths.items()}
    config = {
        "00_overview": {"customers_path": p["customers"], "transactions_path": p["transactions"],
                        "survey_path": p["survey"], "observation_end": END},
        "01_churn_survival": {"data_path": p["customers"], "observation_end": END, "forest_trees": 20,
                              "importance_repeats": 1},
        "02_satisfaction_drivers": {"data_path": p["survey"], "customers_path": p["customers"],
                                    "n_bootstrap": 30},
        "03_segmentation": {"data_path": p["customers"], "transactions_path": p["transactions"],
                            "customers_path": p["customers"], "survey_path": p["survey"],
                            "observation_end": END, "n_boot": 4, "k_range": [2, 5]},
        "04_clv": {"transactions_path": p["transactions"], "observation_end": END,
                   "calibration_end": "2024-12-31"},
        "05_journey": {"events_path": p["events"], "customers_path": p["journey_customers"],
                       "observation_end": END},
        "06_experiments": {"data_path": p["experiment"], "n_simulations": 200},
        "07_next_best_action": {"transactions_path": p["transactions"], "customers_path": p["customers"],
                                "observation_end": END, "holdout_start": "2025-01-01",
                                "methods": ["popularity", "item_item"], "n_bootstrap": 100},
    }
    cfg = root / "my_reports.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(project)}
    where = subprocess.run([sys.executable, "-c", "import cxlib; print(cxlib.__file__)"], cwd=project,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(project)), where  # the kernels import the copy, not the repository
    proc = subprocess.run([sys.executable, "-m", "cxlib.report.cli", "report", "--config", str(cfg),
                           "--out", str(root / "reports"), "--jobs", "2"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=1200)
    runs = [d for d in (root / "reports").iterdir() if d.is_dir() and not d.is_symlink()]
    return {"proc": proc, "mine": mine, "run": runs[0] if runs else None, "config": config}


def test_every_notebook_runs_on_the_users_files_without_the_bundled_data(own_run):
    proc = own_run["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads((own_run["run"] / "run.json").read_text())
    results = {r["notebook"]: r for r in record["notebooks"]}
    assert sorted(results) == sorted(own_run["config"])
    assert all(r["status"] == "ok" for r in results.values()), {k: r["error"] for k, r in results.items()}
    # every input the runs read is one of the user's files; none is bundled
    read = {i["path"] for r in results.values() for i in r["inputs"].values()}
    assert read and all(path.startswith(str(own_run["mine"])) for path in read), read
    # the known-truth comparisons were skipped, not fed the bundled truth
    for r in results.values():
        assert r["parameters"].get("truth_path", "") == ""


def test_the_users_joins_are_reported_in_full(own_run):
    joins = pd.read_csv(own_run["run"] / "00_overview" / "joins.csv")
    assert set(joins["left"].str.split(" ").str[0]) == {"transactions", "survey"}
    assert (joins["left_share"] == 1.0).all()  # every purchase and answer has its customer
    assert joins["right"].str.contains(str(own_run["mine"] / "customers.csv"), regex=False).all()
    metrics = json.loads((own_run["run"] / "00_overview" / "metrics.json").read_text())
    assert metrics["n_customers"] == 1500  # the user's customers, not the bundled 5,000
