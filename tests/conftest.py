"""Shared test fixtures: paths to the reference data, a notebook runner and one report run.

This is the only conftest: the notebook tests import ``run_notebook`` from it by name, which
works only while no other ``conftest`` module can be found first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxlib.core import NOTEBOOKS_DIR, PROJECT_ROOT, REFERENCE_DATA_DIR
from cxlib.report import run_report


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
