"""One report run on the bundled data, shared by the tests that read a finished run."""

from __future__ import annotations

import pytest

from cxlib.report import run_report


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    """``cx report`` on the bundled data, once per test session (about 45 s on 2 cores)."""
    lines: list[str] = []
    run = run_report(out=tmp_path_factory.mktemp("reports"), echo=lines.append)
    run.log = lines  # what the command printed, for the progress test
    return run
