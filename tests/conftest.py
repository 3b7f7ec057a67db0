"""Shared test fixtures: paths to the reference data, a notebook runner and one report run.

This is the only conftest: the notebook tests import ``run_notebook`` from it by name, which
works only while no other ``conftest`` module can be found first.

``make test`` runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``). Each test
that uses a module- or session-scoped fixture is put in a group with the other users of that
fixture, so that an expensive fixture (a notebook run, the bundled report) runs once, on one
worker; every other test goes to whichever worker is free.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cxlib.core import NOTEBOOKS_DIR, PROJECT_ROOT, REFERENCE_DATA_DIR
from cxlib.report import run_report

TESTS_DIR = Path(__file__).resolve().parent

# Spark in the tests reads a few thousand rows, where starting the JVM and compiling dominate:
# two shuffle partitions instead of 200, and the JVM's quick compiler only. Neither changes a
# result. The variable reaches the notebook kernels too, which start their own Spark.
os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--conf spark.sql.shuffle.partitions=2 "
                      "--driver-java-options=-XX:TieredStopAtLevel=1 pyspark-shell")


def _shared_fixtures(item) -> list[str]:
    """The module- and session-scoped fixtures ``item`` uses: a module-scoped one by the test
    module (each test module gets its own instance), a session-scoped one by its name."""
    keys = []
    for name in item.fixturenames:
        if name == "reference_data":  # cheap (a path): fine to set up on both workers
            continue
        for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
            if not Path(fixturedef.func.__code__.co_filename).is_relative_to(TESTS_DIR):
                continue  # pytest's own (tmp_path_factory, ...): cheap
            if fixturedef.scope == "session":
                keys.append(f"session-{name}")
            elif fixturedef.scope == "module":
                keys.append(f"module-{item.module.__name__}")
    return keys


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the marks
def pytest_collection_modifyitems(config, items):
    # tests that share a fixture, directly or through another test, form one group
    parent: dict[str, str] = {}

    def root(key):
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    used = {item.nodeid: _shared_fixtures(item) for item in items}
    for keys in used.values():
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])
    group = {nodeid: root(keys[0]) for nodeid, keys in used.items() if keys}
    bundled = root("session-bundled_run")
    for item in items:
        if item.nodeid in group:
            item.add_marker(pytest.mark.xdist_group(group[item.nodeid]))
    # the bundled report run is the longest unit: start it first, so that no worker waits for it
    # at the end (a stable sort keeps the order within each group)
    items.sort(key=lambda item: group.get(item.nodeid) != bundled)


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The shared public data sets (``../shared/data``); tests that need them fail loudly if absent."""
    if not REFERENCE_DATA_DIR.exists():
        pytest.fail(f"reference data not found at {REFERENCE_DATA_DIR} (set CX_REFERENCE_DATA)")
    return REFERENCE_DATA_DIR


def run_notebook(name: str, output_dir: Path, **parameters) -> dict:
    """Execute ``notebooks/<name>.ipynb`` with papermill into ``output_dir``.

    Returns the notebook's ``metrics.json`` as a dict. Fails the test with the notebook's own
    error if execution fails.
    """
    import papermill as pm

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    parameters.setdefault("output_dir", str(output_dir))
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / f"{name}.ipynb"),
        str(output_dir / f"{name}.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(PROJECT_ROOT),
        progress_bar=False,
    )
    metrics = output_dir / "metrics.json"
    return json.loads(metrics.read_text()) if metrics.exists() else {}


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    """``cx report`` on the bundled data, once per test session, for the tests that read a
    finished run (about 45 s on 2 cores)."""
    lines: list[str] = []
    run = run_report(out=tmp_path_factory.mktemp("reports"), echo=lines.append)
    run.log = lines  # what the command printed, for the progress test
    return run
