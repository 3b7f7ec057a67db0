"""Parameters checked before a kernel starts.

Each value given for a notebook (``-p``, ``-f`` or ``reports.yaml``) is coerced to the type its
parameters cell declares and checked against the rules below; a bad value stops the run with
one message that names the notebook, the parameter, the value and what is allowed, before any
notebook executes.

Types, from the parameters cell's annotations: ``str`` (``null`` becomes ``""``: both mean "not
given"; numbers and dates become their text), ``int``, ``float``, ``bool``, ``list`` (a single
value becomes a one-element list, so ``-p covariates age`` means ``[age]``), ``dict`` (``null``
becomes ``{}``) and ``Optional[int]`` (``""`` and ``null`` become ``None``).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["ParameterError", "check_parameters", "RULES", "NOTEBOOK_RULES"]


class ParameterError(ValueError):
    """A notebook parameter that cannot be used, explained before anything runs."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _number(lo=None, hi=None, *, lo_open=False, hi_open=False, integer=False):
    """A rule: a number within [lo, hi] (open ends where asked)."""
    def rule(value):
        if lo is not None and (value < lo or (lo_open and value == lo)):
            return False
        return not (hi is not None and (value > hi or (hi_open and value == hi)))
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    kind = "a whole number" if integer else "a number"
    return rule, f"{kind} {' and '.join(parts)}" if parts else kind


def _date_or_blank(value):
    if value == "":
        return True
    if not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _ascending_pair(value):
    return (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)
            and value[0] < value[1])


def _ascending_shares(value):
    return (isinstance(value, list) and all(_is_number(v) and 0 < v < 1 for v in value)
            and all(a < b for a, b in zip(value, value[1:])))


def _k_range(value):
    return (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
            and 2 <= value[0] <= value[1])


def _time_unit(value):
    from ..core import unit_name

    try:
        unit_name(value)
    except ValueError:
        return False
    return True


def _engine(value):
    from ..core.engine import ENGINES

    return str(value).strip().lower() in ENGINES or value == ""


def _encoding(value):
    """Any codec Python knows: the pandas readers of plain CSV files take them all."""
    import codecs

    if value in ("", None):
        return True
    try:
        codecs.lookup(str(value))
    except LookupError:
        return False
    return True


def _engine_encoding(value):
    """The encodings the engine's CSV readers (DuckDB, Spark) can read."""
    from ..core.engine import csv_encoding

    if value in ("", None):
        return True
    try:
        csv_encoding(value)
    except ValueError:
        return False
    return True


_ENGINE_ENCODING = (_engine_encoding, 'utf-8, latin-1 (iso-8859-1), cp1252 (windows-1252) or utf-16, '
                                      'or "" for UTF-8 (the engine reads these)')


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_SHARE = _number(0, 1, lo_open=True, hi_open=True)
_POSITIVE = _number(0, lo_open=True)
_NON_NEGATIVE = _number(0)
_DATE = (_date_or_blank, 'an ISO date such as 2025-12-31, or "" for none')

#: Rules by parameter name, for every notebook that has the parameter: (check, what is allowed).
RULES = {
    "engine": (_engine, "duckdb or spark"),
    "encoding": (_encoding, 'a text encoding such as utf-8, latin-1 or cp1252, or "" for UTF-8'),
    "time_unit": (_time_unit, "D/W/M/Y or days/weeks/months/years"),
    "observation_end": _DATE, "calibration_end": _DATE, "holdout_start": _DATE,
    "seed": _number(0, integer=True),
    "horizon": _POSITIVE, "discount_rate": _NON_NEGATIVE, "margin": _number(0, 1, lo_open=True),
    "acquisition_cost": _NON_NEGATIVE, "penalizer": _NON_NEGATIVE, "logistic_penalizer": _NON_NEGATIVE,
    "test_size": _SHARE, "confidence": _SHARE, "alpha": _SHARE, "power": _SHARE, "srm_alpha": _SHARE,
    "cap_quantile": _number(0, 1, lo_open=True), "referral_rate": _NON_NEGATIVE,
    "tier_cutoffs": (_ascending_shares, "ascending shares between 0 and 1, such as [0.2, 0.5]"),
    "scale": (_ascending_pair, "[lowest, highest], lowest first"),
    "driver_scale": (_ascending_pair, "[lowest, highest], lowest first"),
    "overall_scale": (_ascending_pair, "[lowest, highest], lowest first"),
    "rating_scale": (_ascending_pair, "[lowest, highest], lowest first"),
    "k_range": (_k_range, "[smallest, largest] whole numbers, smallest at least 2"),
    "n_bootstrap": _number(0, integer=True), "n_boot": _number(1, integer=True),
    "n_customers": _number(0, integer=True), "sample_size": _number(100, integer=True),
    "tree_depth": _number(1, integer=True), "tree_min_leaf": _SHARE,
    "tree_sample": _number(100, integer=True), "forest_trees": _number(1, integer=True),
    "forest_min_leaf": _number(1, integer=True), "forest_sample": _number(100, integer=True),
    "importance_repeats": _number(1, integer=True), "min_gain": _NON_NEGATIVE,
    "n_simulations": _number(1, integer=True), "peek_days": _number(2, integer=True),
    "budget": _number(0, integer=True), "contact_cost": _NON_NEGATIVE,
    "max_fit_rows": _number(0, integer=True), "outlier_mads": _NON_NEGATIVE,
}

#: Rules that depend on the notebook (the same name means different things).
NOTEBOOK_RULES = {
    "03_segmentation": {
        "k": (lambda v: v is None or (isinstance(v, int) and v >= 2), "null (let the data choose) or a whole number >= 2"),
        "method": (lambda v: v in ("kmeans", "gmm", "ward", "dbscan"), "kmeans, gmm, ward or dbscan"),
        "criterion": (lambda v: v in ("silhouette", "calinski_harabasz", "bic", "majority"),
                      "silhouette, calinski_harabasz, bic or majority"),
    },
    "07_next_best_action": {"k": _number(1, integer=True), "encoding": _ENGINE_ENCODING},
}
# Notebooks whose CSV inputs go through the engine accept only the encodings it reads.
for _nb in ("00_overview", "02_satisfaction_drivers", "03_segmentation", "04_clv", "05_journey"):
    NOTEBOOK_RULES.setdefault(_nb, {})["encoding"] = _ENGINE_ENCODING


def _coerce(value, kind: str, default):
    """``value`` as the declared ``kind``; ValueError with what was expected."""
    if kind == "str":
        if value is None:
            return ""
        if isinstance(value, (list, dict)):
            raise ValueError("expected text")
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return value if isinstance(value, str) else str(value)
    if kind == "int" or kind.startswith("Optional[int"):
        if kind.startswith("Optional") and value in (None, ""):
            return None
        if isinstance(value, bool) or not _is_number(value) or float(value) != int(value):
            raise ValueError("expected a whole number")
        return int(value)
    if kind == "float":
        if value is None and default is None:
            return None
        if not _is_number(value):
            raise ValueError("expected a number")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if kind == "list":
        if value is None or value == "":
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]
    if kind == "dict":
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise ValueError("expected a mapping such as {name: value}")
        return dict(value)
    return value


def check_parameters(notebook, values: dict) -> dict:
    """Coerce and check ``values`` for ``notebook``; return the coerced values.

    Raises
    ------
    ParameterError
        Naming every bad parameter with its value and what is allowed.
    """
    import papermill as pm

    from .runner import find_notebook, notebook_defaults

    path = find_notebook(str(notebook))
    specs = pm.inspect_notebook(str(path))
    defaults = notebook_defaults(path)
    rules = {**RULES, **NOTEBOOK_RULES.get(path.stem, {})}
    out, problems = {}, []
    for name, value in values.items():
        if name not in specs or name == "output_dir":
            out[name] = value
            continue
        try:
            coerced = _coerce(value, specs[name]["inferred_type_name"], defaults.get(name))
        except ValueError as exc:
            problems.append(f"parameter '{name}' = {value!r}: {exc}")
            continue
        if name in rules and coerced is not None:
            check, allowed = rules[name]
            try:
                ok = bool(check(coerced))
            except TypeError:
                ok = False
            if not ok:
                problems.append(f"parameter '{name}' = {value!r}: expected {allowed}")
                continue
        out[name] = coerced
    if problems:
        raise ParameterError(f"{path.stem}: " + "; ".join(problems))
    return out


def inputs_that_belong_together(notebook, given: dict) -> tuple[dict, list[str]]:
    """Keep the bundled data out of a run on the user's own files.

    When a run names any input file (a ``*_path`` parameter) other than its bundled default,
    every other input left at a bundled default (a file under ``data/``) is set to ``""``
    unless the run names it too: the user's customers are never joined with the bundled survey,
    nor compared with the bundled truth. Returns the values to pass and one note per input set
    aside.
    """
    from .runner import find_notebook, notebook_defaults

    path = find_notebook(str(notebook))
    defaults = notebook_defaults(path)
    inputs = [n for n in defaults if n.endswith("_path")]
    own = [n for n in inputs if n in given and given[n] not in ("", None) and given[n] != defaults[n]]
    if not own:
        return dict(given), []
    out, notes = dict(given), []
    for name in inputs:
        default = defaults[name]
        bundled = isinstance(default, str) and default.replace("\\", "/").startswith("data/")
        if name not in given and bundled:
            out[name] = ""
            notes.append(f"{path.stem}: {name} is not given, so the bundled {default} is not used "
                         f"with your {', '.join(own)}; name it (-p {name} {default}) to use it")
    return out, notes
