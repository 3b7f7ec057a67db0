"""The one writer through which a notebook leaves its results: tables (CSV), headline numbers
(``metrics.json``), figures, and its key findings with its key figure (``findings.json``). The
report runner and the tests read these files back, so the index never re-parses notebooks.
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
FINDINGS_FILE = "findings.json"
#: Tables from this many rows on are written by Arrow's CSV writer (:meth:`Artifacts.table`).
FAST_CSV_ROWS = 100_000
MAX_FINDINGS = 3  # the index is read in a minute: two or three sentences per notebook


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
    >>> out.figure("retention_overall", fig, key=True)         # doctest: +SKIP
    >>> out.findings("Half of the customers stay 31 months or longer.")  # doctest: +SKIP
    """

    def __init__(self, notebook: str, output_dir: str | os.PathLike = ""):
        self.notebook = notebook
        self.path = Path(output_dir) if output_dir else REPORTS_DIR / "scratch" / notebook
        self.path.mkdir(parents=True, exist_ok=True)
        self._metrics: dict = {}
        self._findings: list[str] = []
        self._key_figure: str | None = None
        for name in (METRICS_FILE, FINDINGS_FILE):
            if (self.path / name).exists():
                (self.path / name).unlink()  # a re-run starts from a clean slate

    def table(self, name: str, df: pd.DataFrame, index: bool = False) -> Path:
        """Write ``df`` as ``<name>.csv`` and return the path.

        A table of :data:`FAST_CSV_ROWS` rows or more whose columns are all text and numbers is
        written by Arrow's CSV writer, several times faster than pandas (a list of ten offers for
        each of 1,000,000 customers is 10,000,000 rows). Its text is quoted and a whole float has
        no ``.0``; read back with ``pd.read_csv`` it gives the same table as pandas' writer.
        """
        path = self.path / (name if name.endswith(".csv") else f"{name}.csv")
        # an unnamed index has an empty header in pandas' file, and reset_index would name it
        fast = len(df) >= FAST_CSV_ROWS and not (index and None in df.index.names)
        if not fast or not _write_csv_with_arrow(df.reset_index() if index else df, path):
            df.to_csv(path, index=index)
        return path

    def metrics(self, **values) -> dict:
        """Add headline numbers to ``metrics.json`` (merged with earlier calls) and return all."""
        self._metrics.update(_jsonable(values))
        (self.path / METRICS_FILE).write_text(json.dumps(self._metrics, indent=2, sort_keys=True))
        return dict(self._metrics)

    def figure(self, name: str, fig, key: bool = False) -> Path:
        """Save a matplotlib figure as ``<name>.png``.

        Parameters
        ----------
        name : str
            File name without ``.png``.
        fig : matplotlib.figure.Figure
        key : bool
            Mark this as the notebook's one key figure, shown as a thumbnail on the index.
        """
        path = self.path / f"{name}.png"
        if key and self._key_figure not in (None, path.name):
            raise ValueError(f"{self.notebook}: the key figure is already {self._key_figure!r}; "
                             f"a notebook has one key figure, so {path.name!r} cannot be another")
        fig.savefig(path, bbox_inches="tight")
        if key:
            self._key_figure = path.name
            self._write_findings()
        return path

    def findings(self, *sentences: str) -> list[str]:
        """Record the notebook's key findings, the first thing the index shows.

        Parameters
        ----------
        *sentences : str
            Two or three sentences with rounded numbers and their units, built from the
            values written to ``metrics.json``. A second call replaces the first.

        Returns
        -------
        list of str
            The findings as written to ``findings.json``.
        """
        found = list(sentences)
        if not found:
            raise ValueError(f"{self.notebook}: findings() needs at least one sentence")
        if len(found) > MAX_FINDINGS:
            raise ValueError(f"{self.notebook}: {len(found)} findings given; keep the "
                             f"{MAX_FINDINGS} a reader most needs")
        for i, sentence in enumerate(found, 1):
            if not isinstance(sentence, str) or not sentence.strip():
                raise ValueError(f"{self.notebook}: finding {i} is {sentence!r}; each finding is "
                                 "a sentence of text")
        self._findings = [s.strip() for s in found]
        self._write_findings()
        return list(self._findings)

    def _write_findings(self) -> None:
        record = {"findings": self._findings, "key_figure": self._key_figure}
        (self.path / FINDINGS_FILE).write_text(json.dumps(record, indent=2))

    def __repr__(self) -> str:
        return f"Artifacts({self.notebook!r}, {str(self.path)!r})"


def read_metrics(folder: str | os.PathLike) -> dict:
    """Read a notebook folder's ``metrics.json`` ({} when there is none)."""
    path = Path(folder) / METRICS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def read_findings(folder: str | os.PathLike) -> dict:
    """Read a notebook folder's ``findings.json``: ``{"findings": [...], "key_figure": name}``.

    The key figure is ``None`` when none was marked or its file is missing, so a recorded
    figure always exists.
    """
    path = Path(folder) / FINDINGS_FILE
    record = json.loads(path.read_text()) if path.exists() else {}
    figure = record.get("key_figure")
    if figure and not (Path(folder) / figure).is_file():
        figure = None
    return {"findings": list(record.get("findings") or []), "key_figure": figure}


def _write_csv_with_arrow(df: pd.DataFrame, path: Path) -> bool:
    """Write ``df`` with Arrow's CSV writer when every column is text, an integer or a float;
    return False (nothing written) otherwise."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not all(df[c].dtype.kind in "iufO" or pd.api.types.is_string_dtype(df[c]) for c in df.columns):
        return False
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):  # mixed types in a column
        return False
    types = pa.types
    if not all(types.is_string(t) or types.is_large_string(t) or types.is_integer(t) or types.is_floating(t)
               for t in table.schema.types):
        return False  # booleans or dates hidden in an object column: pandas writes them as before
    pacsv.write_csv(table, path)
    return True
