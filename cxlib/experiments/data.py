"""The experiment table: one row per unit with its variant and outcomes, checked before any test.

Every problem is one :class:`~cxlib.core.DataError` that names the file, table, column and rows:
a unit assigned to two variants, a single variant, a control label that is not in the data, a
constant metric, blank outcomes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core import (DataError, DataWarning, describe_rows, read_table, require_columns,
                    require_not_empty, require_rows, require_unique, to_numeric)

__all__ = ["TABLE", "ENGINES", "prepare_experiment", "load_experiment", "metric_kinds",
           "check_engine", "describe_data"]

TABLE = "experiment"
ENGINES = ("duckdb", "spark")
_FLAGS = {"1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0,
          "no": 0.0, "y": 1.0, "n": 0.0}


def check_engine(engine: str) -> str:
    """The engine name in lower case; anything but ``duckdb`` or ``spark`` is an error."""
    name = str(engine or "").strip().lower()
    if name not in ENGINES:
        raise DataError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}", table=TABLE)
    return name


def _outcome(df: pd.DataFrame, column: str, source) -> pd.Series:
    """A metric as numbers: 0/1 flags may be written TRUE/FALSE or yes/no; blanks are an error."""
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        text = s.astype("string").str.strip().str.lower()
        flags = text.map(_FLAGS)
        given = text.notna() & (text != "")
        if given.any() and flags[given].notna().all():
            s = flags.astype(float)
        else:
            with warnings.catch_warnings():  # blanks get the clearer error below
                warnings.simplefilter("ignore", DataWarning)
                s = to_numeric(df, column, table=TABLE, source=source,
                               expected="expected numbers (or 0/1, TRUE/FALSE flags)")
    s = s.astype(float)
    require_rows(df, s.isna().to_numpy(), "blank outcomes; every assigned unit needs a value "
                 "(if no purchase means 0, write 0: dropping units breaks the randomization)",
                 table=TABLE, column=column, source=source)
    require_rows(df, ~np.isfinite(s.to_numpy()), "infinite values; expected finite numbers",
                 table=TABLE, column=column, source=source)
    return s


def metric_kinds(df: pd.DataFrame, metrics: Sequence[str]) -> dict[str, str]:
    """``"proportion"`` for a 0/1 metric, ``"mean"`` for any other number."""
    kinds = {}
    for m in metrics:
        values = np.unique(df[m].to_numpy(dtype=float))
        kinds[m] = "proportion" if np.isin(values, (0.0, 1.0)).all() else "mean"
    return kinds


def prepare_experiment(df: pd.DataFrame, *, unit_col: str, variant_col: str, control: str,
                       metrics: Sequence[str], pre_metrics: Mapping[str, str] | None = None,
                       duration_col: str | None = None, event_col: str | None = None,
                       expected_split: Mapping[str, float] | None = None,
                       source=None) -> pd.DataFrame:
    """Check an experiment table and return it typed: one row per unit.

    Parameters
    ----------
    df : DataFrame
        The raw table (text or typed columns).
    unit_col, variant_col : str
        The unit id (a customer) and the variant it was assigned to.
    control : str
        The control variant's label.
    metrics : sequence of str
        Outcome columns: 0/1 flags (``TRUE``/``FALSE`` and yes/no work) or numbers.
    pre_metrics : mapping, optional
        ``{metric: pre-period column}`` for CUPED.
    duration_col, event_col : str, optional
        Time to churn and its 0/1 flag for the retention comparison (``""`` to skip).
    expected_split : mapping, optional
        ``{variant: share}``; its labels must be the variants in the data.

    Returns
    -------
    DataFrame with ``unit``, ``variant`` (text), the metrics, pre-period and retention columns
    as floats; ``attrs`` holds ``source``, ``kinds`` (``{metric: "proportion" | "mean"}``),
    ``variants`` (control first) and ``control``.

    Raises
    ------
    DataError
        Missing columns, a unit in two variants, one variant only, an unknown control, a constant
        metric, blank or non-numeric outcomes, non-positive durations, events other than 0/1.
    """
    source = source if source is not None else df.attrs.get("source")
    pre_metrics = dict(pre_metrics or {})
    duration_col, event_col = duration_col or None, event_col or None
    metrics = list(metrics)
    if not metrics:
        raise DataError("no metrics given: name at least one outcome column", table=TABLE,
                        source=source)
    if bool(duration_col) != bool(event_col):
        raise DataError("give both duration_col and event_col for retention, or neither",
                        table=TABLE, source=source, column=duration_col or event_col)
    unknown = [m for m in pre_metrics if m not in metrics]
    if unknown:
        raise DataError(f"pre_metrics names {', '.join(map(repr, unknown))}, which "
                        f"{'is' if len(unknown) == 1 else 'are'} not among the metrics "
                        f"{', '.join(map(repr, metrics))}", table=TABLE, source=source,
                        column=unknown[0])
    needed = [unit_col, variant_col, *metrics, *pre_metrics.values(),
              *([duration_col, event_col] if duration_col else [])]
    require_columns(df, list(dict.fromkeys(needed)), table=TABLE, source=source)
    require_not_empty(df, table=TABLE, source=source)

    unit = df[unit_col].astype("string").str.strip()
    variant = df[variant_col].astype("string").str.strip()
    require_rows(df, (unit.isna() | (unit == "")).to_numpy(), "blank unit ids", table=TABLE,
                 column=unit_col, source=source)
    require_rows(df, (variant.isna() | (variant == "")).to_numpy(),
                 "blank variants; every unit must be assigned to one", table=TABLE,
                 column=variant_col, source=source, show=[unit_col, variant_col])
    per_unit = variant.groupby(unit.to_numpy()).nunique()
    crossed = unit.isin(per_unit.index[per_unit > 1]).to_numpy()
    if crossed.any():
        n_units = int((per_unit > 1).sum())
        raise DataError(f"{n_units} unit{'s' if n_units > 1 else ''} appear in more than one "
                        f"variant: {describe_rows(df, crossed, [unit_col, variant_col])}; each "
                        "unit must be assigned to exactly one variant (remove units exposed to "
                        "both, and check the assignment)", table=TABLE, column=unit_col,
                        source=source, n_rows=int(crossed.sum()))
    require_unique(df.assign(**{unit_col: unit}), unit_col, table=TABLE, source=source)

    variants = sorted(variant.unique())
    if len(variants) < 2:
        raise DataError(f"only one variant ({variants[0]!r}) in the data: an experiment needs a "
                        "control and at least one treatment", table=TABLE, column=variant_col,
                        source=source)
    control = str(control).strip()
    if control not in variants:
        raise DataError(f"the control {control!r} is not among the variants "
                        f"{', '.join(map(repr, variants))}", table=TABLE, column=variant_col,
                        source=source)
    if expected_split:
        labels = {str(k).strip() for k in expected_split}
        if labels != set(variants):
            raise DataError(f"expected_split names {', '.join(map(repr, sorted(labels)))} but the "
                            f"data have variants {', '.join(map(repr, variants))}", table=TABLE,
                            column=variant_col, source=source)

    out = pd.DataFrame({"unit": unit.to_numpy(dtype=object), "variant": variant.to_numpy(dtype=object)})
    for col in dict.fromkeys([*metrics, *pre_metrics.values()]):
        out[col] = _outcome(df, col, source).to_numpy()
    for m in metrics:
        values = out[m].to_numpy()
        if np.all(values == values[0]):
            raise DataError(f"the metric has the same value ({values[0]:g}) for all {len(out)} "
                            "units: there is nothing to compare (is it the right column?)",
                            table=TABLE, column=m, source=source)
    if duration_col:
        dur = _outcome(df, duration_col, source).to_numpy()
        require_rows(df, dur <= 0, "durations must be positive (time from assignment to churn or "
                     "to the end of follow-up)", table=TABLE, column=duration_col, source=source)
        ev = _outcome(df, event_col, source).to_numpy()
        require_rows(df, ~np.isin(ev, (0.0, 1.0)), "events must be 0/1 (or TRUE/FALSE)",
                     table=TABLE, column=event_col, source=source)
        out[duration_col], out[event_col] = dur, ev
    out.attrs.update(source=None if source is None else str(source), table=TABLE,
                     kinds=metric_kinds(out, metrics), control=control,
                     variants=[control] + [v for v in variants if v != control])
    return out


def load_experiment(path, *, encoding: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV/Parquet experiment table and check it with :func:`prepare_experiment`.

    ``encoding`` is a CSV's text encoding (UTF-8 unless given; ``""`` means not given).
    """
    raw = read_table(path, TABLE, encoding=encoding or None)
    return prepare_experiment(raw, source=raw.attrs["source"], **kwargs)


def describe_data(df: pd.DataFrame) -> str:
    """How many units per variant, and what each metric is."""
    counts = df["variant"].value_counts()
    parts = [f"{counts[v]:,} in {v}" for v in df.attrs["variants"]]
    kinds = df.attrs["kinds"]
    words = {"proportion": "a 0/1 outcome, compared as a proportion",
             "mean": "a number, compared as a mean"}
    metrics = "; ".join(f"{m} ({words[k]})" for m, k in kinds.items())
    return (f"{len(df):,} units: {', '.join(parts)}; the control is '{df.attrs['control']}'. "
            f"Metrics: {metrics}.")
