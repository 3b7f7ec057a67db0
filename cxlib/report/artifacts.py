"""The one writer through which a notebook leaves its results: tables (CSV), headline numbers
(``metrics.json``) and figures. The report runner and the tests read these files back, so the
index never re-parses notebooks.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import REPORTS_DIR

METRICS_FILE = "metrics.json"


def _jsonable(value):
    """Turn numpy and pandas scalars (and containers of them) into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [_jsonable(v) for v in list(value)]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NaT:
        return None
    return value


class Artifacts:
    """Where a notebook writes its result tables, metrics and figures.

    Parameters
    ----------
    notebook : str
        The notebook's name, such as ``"01_churn_survival"``.
    output_dir : str, optional
        Folder for the artifacts. The report runner passes the run's folder; when empty (an
        interactive session) artifacts go to ``reports/scratch/<notebook>/``.

    Examples
    --------
    >>> out = Artifacts("01_churn_survival", output_dir)       # doctest: +SKIP
    >>> out.table("coefficients", cox.summary_table())         # doctest: +SKIP
    >>> out.metrics(n=7043, concordance_test=0.84)              # doctest: +SKIP
    """

    def __init__(self, notebook: str, output_dir: str | os.PathLike = ""):
        self.notebook = notebook
        self.path = Path(output_dir) if output_dir else REPORTS_DIR / "scratch" / notebook
        self.path.mkdir(parents=True, exist_ok=True)
        self._metrics: dict = {}
        metrics_path = self.path / METRICS_FILE
        if metrics_path.exists():
            metrics_path.unlink()  # a re-run starts from a clean slate

    def table(self, name: str, df: pd.DataFrame, index: bool = False) -> Path:
        """Write ``df`` as ``<name>.csv`` and return the path."""
        path = self.path / (name if name.endswith(".csv") else f"{name}.csv")
        df.to_csv(path, index=index)
        return path

    def metrics(self, **values) -> dict:
        """Add headline numbers to ``metrics.json`` (merged with earlier calls) and return all."""
        self._metrics.update(_jsonable(values))
        (self.path / METRICS_FILE).write_text(json.dumps(self._metrics, indent=2, sort_keys=True))
        return dict(self._metrics)

    def figure(self, name: str, fig) -> Path:
        """Save a matplotlib figure as ``<name>.png``."""
        path = self.path / f"{name}.png"
        fig.savefig(path, bbox_inches="tight")
        return path

    def __repr__(self) -> str:
        return f"Artifacts({self.notebook!r}, {str(self.path)!r})"


def read_metrics(folder: str | os.PathLike) -> dict:
    """Read a notebook folder's ``metrics.json`` ({} when there is none)."""
    path = Path(folder) / METRICS_FILE
    return json.loads(path.read_text()) if path.exists() else {}
