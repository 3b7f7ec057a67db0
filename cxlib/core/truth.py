"""The one convention for known truth: a notebook's ``truth_path`` parameter names a JSON file
written by :mod:`cxlib.synth` (``""`` for none), and every comparison goes through :func:`load_truth`.

The truth describes one synthetic world. It is used only when it matches the data at hand (the
same number of customers and the same observation end, where the caller knows them), so a
notebook run on other data never compares itself with a world it did not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import resolve_path
from .errors import DataError

__all__ = ["KnownTruth", "load_truth"]


@dataclass(frozen=True)
class KnownTruth:
    """The parsed truth file and where it lies (files it names are relative to it)."""

    path: Path
    values: dict = field(repr=False)

    def section(self, name: str) -> dict:
        """One section of the truth (``{}`` when the file has none)."""
        return self.values.get(name) or {}

    def file(self, name: str) -> Path:
        """A file the truth names (such as the segment labels), beside the truth file."""
        return self.path.parent / name


def load_truth(truth_path, *, n_customers: int | None = None, observation_end=None) -> KnownTruth | None:
    """Read the known truth named by ``truth_path``, or None when there is none for these data.

    Parameters
    ----------
    truth_path : str or path-like
        The truth file; ``""`` and ``None`` mean not given.
    n_customers, observation_end : optional
        What the caller knows of its data. The truth is returned only when it describes the same
        number of customers and the same observation end.

    Raises
    ------
    DataError
        When a named file does not exist or is not valid JSON.
    """
    if truth_path in (None, ""):
        return None
    path = Path(resolve_path(truth_path))
    if not path.exists():
        raise DataError(f"truth file not found (looked for {path}); give \"\" for no truth",
                        source=truth_path, table="truth")
    try:
        values = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"could not be read as JSON: {exc}", source=path, table="truth") from exc
    if n_customers is not None and values.get("n_customers") != n_customers:
        return None
    if observation_end not in (None, "") and (
            values.get("observation_end") is None
            or pd.Timestamp(values["observation_end"]) != pd.Timestamp(observation_end)):
        return None
    return KnownTruth(path, values)
