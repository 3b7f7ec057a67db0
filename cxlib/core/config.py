"""Paths in one place: the project, its notebooks, data and reports, and how a parameter's path is found."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # cxlib/core/config.py -> the project
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DATA_DIR = PROJECT_ROOT / "data"
REPORTS_DIR = PROJECT_ROOT / "reports"
REPORT_CONFIG = NOTEBOOKS_DIR / "reports.yaml"
# The shared reference data sets live beside the project, never inside it.
REFERENCE_DATA_DIR = Path(os.environ.get("CX_REFERENCE_DATA", PROJECT_ROOT.parent / "shared" / "data"))

SEED = 20261125


def resolve_path(path: str | os.PathLike) -> Path:
    """Resolve a data path given in a notebook parameter.

    Absolute paths are returned as they are. A relative path is looked up in the working
    directory first, then under the project root, so ``data/customers.csv`` works both from
    JupyterLab (working directory ``notebooks/``) and from the report runner.
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    candidate = PROJECT_ROOT / p
    return candidate if candidate.exists() else p
