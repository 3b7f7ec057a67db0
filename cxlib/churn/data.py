"""Customer tables as survival data: durations, churn flags, covariate encoding and the checks
that must pass before a model is fitted.

Every problem is a :class:`~cxlib.data.DataError` naming the file, table, column and rows, built
with the helpers of :mod:`cxlib.data`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core import (
    limited_sample,
    DataError,
    clean_ids,
    DataWarning,
    describe_rows,
    location,
    read_table,
    require_columns,
    require_not_empty,
    require_rows,
    require_unique,
    to_datetime,
    to_numeric,
    unit_days,
    unit_name,
)
from ..core.engine import check_engine, read_source
from ..core.validation import text_numbers

__all__ = ["prepare_churn_data", "load_churn_data", "fit_sample", "CovariateEncoder",
           "SeparationError", "check_covariates", "describe_data"]

TABLE = "customers"
_EVENT_WORDS = {"1": 1, "0": 0, "yes": 1, "no": 0, "true": 1, "false": 0, "y": 1, "n": 0,
                "1.0": 1, "0.0": 0}


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------

def _parse_event(df: pd.DataFrame, column: str, source) -> pd.Series:
    """Read a churn flag given as 1/0, Yes/No or True/False (any case)."""
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(int)
    text = s.astype("string").str.strip().str.lower()
    mapped = text.map(_EVENT_WORDS)
    bad = mapped.isna().to_numpy()
    if bad.any():
        values = sorted(set(df.loc[bad, column].astype(str)))[:8]
        require_rows(df, bad, f"expected a churn flag 1/0, Yes/No or True/False; found values "
                     f"{', '.join(map(repr, values))}", table=TABLE, column=column, source=source)
    return mapped.astype(int)


def _is_numeric_text(s: pd.Series) -> bool:
    """True when every non-blank cell of ``s`` parses as a number."""
    if pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_numeric_dtype(s):
        return True
    num, blank = text_numbers(s)
    return bool((~blank).any()) and not bool((num.isna().to_numpy() & ~blank).any())


def prepare_churn_data(df: pd.DataFrame, *, duration_col: str | None = None,
                       event_col: str | None = None, signup_col: str | None = None,
                       churn_col: str | None = None, observation_end=None,
                       time_unit: str = "months", id_col: str | None = None,
                       covariates: Sequence[str] = (), categorical: Sequence[str] = (),
                       group_col: str | None = None, source=None, date_format: str | None = None,
                       timezone: str | None = None) -> pd.DataFrame:
    """Turn a customer table into survival data: one row per customer with duration and event.

    Give either ``duration_col`` (tenure in ``time_unit``) with ``event_col``, or ``signup_col``
    with ``churn_col`` (blank while active) and ``observation_end``; then the duration is the time
    from signup to churn, or to the observation end for active customers.

    Parameters
    ----------
    df : DataFrame
        The raw table (text or typed columns).
    duration_col, event_col : str, optional
        Tenure and churn flag (1/0, Yes/No, True/False). With dates, ``event_col`` is optional and
        defaults to "has a churn date".
    signup_col, churn_col : str, optional
        Date columns used to derive the duration.
    observation_end : date-like, optional
        Censoring date for active customers; required with dates.
    time_unit : str
        One of the kit's spellings (:mod:`cxlib.core.timeunits`): ``D``/``days``, ``W``/``weeks``,
        ``M``/``months``, ``Y``/``years``.
        Unit of derived durations (and the unit ``duration_col`` is assumed to be in).
    id_col : str, optional
        Customer id; row numbers when absent.
    covariates : sequence of str
        Model covariates. A column whose non-blank cells are all numbers is numeric, anything
        else (or a column listed in ``categorical``) is categorical.
    group_col : str, optional
        Column for the Kaplan-Meier curves, kept as text.

    Returns
    -------
    DataFrame with ``customer_id``, ``duration`` (float, > 0), ``event`` (0/1), the covariates
    and the group column. ``attrs`` holds ``source`` and ``time_unit``.

    Raises
    ------
    DataError
        Missing columns, unreadable values, missing or negative durations, a churn at duration 0
        or an event flag that is not 0/1.

    Notes
    -----
    Rows that cannot enter the model are left out with a :class:`~cxlib.core.DataWarning` that
    says why: censored customers with duration 0 (no follow-up: they are in no risk set and change
    no estimate) and rows with a blank covariate.
    """
    try:
        unit_length = unit_days(time_unit)
    except ValueError as exc:
        raise DataError(str(exc), table=TABLE, source=source) from None
    source = source if source is not None else df.attrs.get("source")
    covariates = list(covariates)
    # Empty strings (a notebook parameter left blank) mean "not given".
    duration_col, event_col, signup_col, churn_col, id_col, group_col = (
        c or None for c in (duration_col, event_col, signup_col, churn_col, id_col, group_col))
    use_dates = duration_col is None
    if use_dates and (signup_col is None or churn_col is None):
        raise DataError("give either duration_col (with event_col) or signup_col and churn_col "
                        "(with observation_end)", table=TABLE, source=source)
    needed = ([duration_col, event_col] if not use_dates else [signup_col, churn_col])
    needed += ([id_col] if id_col else []) + covariates + ([group_col] if group_col else [])
    if use_dates and event_col:
        needed.append(event_col)
    require_columns(df, [c for c in dict.fromkeys(needed) if c], table=TABLE, source=source)
    require_not_empty(df, table=TABLE, source=source)
    for reserved in ("duration", "event", "customer_id"):
        if reserved in covariates:
            raise DataError(f"'{reserved}' is computed by the kit and cannot be a covariate",
                            table=TABLE, column=reserved, source=source)

    out = pd.DataFrame(index=df.index)
    if id_col:
        out["customer_id"] = clean_ids(df[id_col])
        require_rows(out, out["customer_id"].isna().to_numpy(), "blank customer ids; expected an id "
                     "in every row (or leave id_col empty to number the rows)", table=TABLE,
                     column=id_col, source=source)
        require_unique(out.assign(**{id_col: out["customer_id"]}), id_col, table=TABLE,
                       source=source)
    else:
        out["customer_id"] = [f"row{i + 1}" for i in range(len(df))]

    if use_dates:
        if observation_end in (None, ""):
            raise DataError("observation_end is required to derive durations from dates (the date "
                            "active customers were last seen)", table=TABLE, column=signup_col,
                            source=source)
        end = pd.Timestamp(observation_end)
        dates = dict(date_format=date_format, timezone=timezone)  # see cxlib.core.dates
        signup = to_datetime(df, signup_col, table=TABLE, source=source, **dates)
        churn = to_datetime(df, churn_col, table=TABLE, source=source, allow_missing=True, **dates)
        for col, values in ((signup_col, signup), (churn_col, churn)):
            require_rows(df, (values > end).to_numpy(), f"dates after the observation end "
                         f"{end.date()}", table=TABLE, column=col, source=source)
        require_rows(df, (churn < signup).to_numpy(), "churn date before signup date",
                     table=TABLE, column=churn_col, source=source, show=[signup_col, churn_col])
        days = (churn.fillna(end) - signup).dt.total_seconds() / 86400.0
        duration = days / unit_length
        event = churn.notna().astype(int)
        if event_col:
            event = _parse_event(df, event_col, source)
        duration_name = f"{signup_col} to {churn_col}"
    else:
        with warnings.catch_warnings():  # blank tenures get the "missing durations" error below
            warnings.simplefilter("ignore", DataWarning)
            duration = to_numeric(df, duration_col, table=TABLE, source=source)
        event = _parse_event(df, event_col, source)
        duration_name = duration_col
    out["duration"] = duration.to_numpy(dtype=float)
    out["event"] = event.to_numpy(dtype=int)

    where_col = duration_col or signup_col
    require_rows(df, ~np.isfinite(out["duration"].to_numpy()), "missing durations; every customer "
                 "needs a tenure", table=TABLE, column=where_col, source=source)
    require_rows(df, (out["duration"] < 0).to_numpy(), "negative durations; expected tenure >= 0",
                 table=TABLE, column=where_col, source=source)
    zero_event = ((out["duration"] == 0) & (out["event"] == 1)).to_numpy()
    require_rows(df, zero_event, "churned at duration 0: a churn needs some time as a customer "
                 "first (check the dates, or give durations in a finer time_unit)",
                 table=TABLE, column=where_col, source=source)

    keep = np.ones(len(df), dtype=bool)
    zero = (out["duration"] == 0).to_numpy()
    numeric_cols, categorical_cols = [], []
    for col in covariates + ([group_col] if group_col and group_col not in covariates else []):
        is_group_only = col == group_col and col not in covariates
        if col not in categorical and not is_group_only and _is_numeric_text(df[col]):
            with warnings.catch_warnings():  # the blank cells get one clearer warning below
                warnings.simplefilter("ignore", DataWarning)
                out[col] = to_numeric(df, col, table=TABLE, source=source)
            numeric_cols.append(col)
        else:
            text = df[col].astype("string").str.strip()
            out[col] = text.where(text != "").astype(object)
            if not is_group_only:
                categorical_cols.append(col)
        blank = out[col].isna().to_numpy()
        if is_group_only and blank.any():
            out.loc[blank, col] = "(missing)"
            continue
        if blank.any():
            why = ""
            if zero[blank].all():
                why = (f"; all of them have {duration_name} = 0 (new customers with no follow-up "
                       "yet, so nothing to record)")
            warnings.warn(f"{location(source, TABLE, col)}: "
                          f"{describe_rows(df, blank, [col, where_col])} are blank{why}; "
                          "these rows are left out of the analysis", DataWarning, stacklevel=2)
            keep &= ~blank
    zero_kept = zero & keep
    if zero_kept.any():
        warnings.warn(f"{location(source, TABLE, where_col)}: "
                      f"{describe_rows(df, zero_kept, [where_col])} are active customers with "
                      "duration 0 (no follow-up yet); they are in no risk set, so they are left "
                      "out", DataWarning, stacklevel=2)
        keep &= ~zero_kept
    out = out.loc[keep].reset_index(drop=True)
    if len(out) == 0:
        raise DataError("no rows left after removing rows without follow-up or with blank "
                        "covariates", table=TABLE, source=source)
    out.attrs.update(source=None if source is None else str(source), table=TABLE,
                     time_unit=unit_name(time_unit), numeric=numeric_cols, categorical=categorical_cols)
    return out


def load_churn_data(path, *, columns: Mapping[str, str] | None = None, engine: str = "duckdb",
                    spark_master: str | None = None, encoding: str | None = None,
                    **kwargs) -> pd.DataFrame:
    """Read a customer table and prepare it with :func:`prepare_churn_data`.

    ``path`` is any source of :func:`cxlib.core.engine.read_source` (a CSV or Parquet file, a
    glob or folder of Parquet files, ``DB.duckdb::TABLE``, ``URL::TABLE``). With
    ``engine="spark"`` the table is read by Spark; the customer table has one row per customer,
    so it is then prepared in pandas. ``columns`` is an optional ``{canonical: yours}`` rename
    applied first, so that a mapping written for :func:`cxlib.core.load_customers` can be reused.
    ``encoding`` is the text encoding of a CSV file (UTF-8 when not given; ``""`` means not
    given): a file that is not valid in it is refused with a message naming the file and
    suggesting one. Parquet and database tables carry their own text types, so it does not apply
    to them.
    """
    if check_engine(engine) == "spark":
        src = read_source(path, table=TABLE, engine="spark", spark_master=spark_master,
                          encoding=encoding or None)
        raw = src.to_pandas(src.table)
        raw.attrs["source"] = src.name
    else:
        raw = read_table(path, TABLE, encoding=encoding or None)
    if columns:
        raw = raw.rename(columns={theirs: canon for canon, theirs in columns.items() if theirs})
    return prepare_churn_data(raw, source=raw.attrs.get("source", str(path)), **kwargs)


def fit_sample(df: pd.DataFrame, max_rows: int, seed: int = 0, *,
               categorical: Sequence[str] | None = None) -> pd.DataFrame:
    """The customers to fit the models on: all of them, or a seeded random sample of ``max_rows``.

    The Cox partial likelihood, the logistic likelihood and the Kaplan-Meier estimate on a random
    sample of customers estimate the same population quantities, with standard errors that grow
    as ``1 / sqrt(max_rows)``; every active customer is still scored with the fitted model
    (:func:`~cxlib.churn.score_active_customers`). The sample keeps the table's order and row
    labels (so messages still name the rows of the file) and its ``attrs``.

    Parameters
    ----------
    df : DataFrame
        Survival data from :func:`prepare_churn_data`.
    max_rows : int
        Largest number of customers to fit on; 0 (or ``None``) for no limit.
    seed : int
        Seed of the sample, so a rerun fits the same customers.
    categorical : sequence of str, optional
        Category covariates whose every level must be in the sample; by default those
        :func:`prepare_churn_data` recorded (``df.attrs["categorical"]``).

    Raises
    ------
    DataError
        When a level of a category covariate is missing from the sample: the model would know
        nothing about it and its customers could not be scored.
    """
    rows = limited_sample(len(df), max_rows, seed)
    if rows is None:
        return df
    sample = df.iloc[rows]
    sample.attrs.update(df.attrs)
    columns = df.attrs.get("categorical", []) if categorical is None else categorical
    for col in columns:
        _require_levels_in_sample(df, sample, col, seed)
    return sample


def _require_levels_in_sample(df: pd.DataFrame, sample: pd.DataFrame, col: str, seed: int) -> None:
    """Fail before the fits, not at scoring, when a rare level fell outside the sample."""
    missing = ~df[col].astype(str).isin(set(sample[col].astype(str))).to_numpy()
    if missing.any():
        levels = sorted(set(df.loc[missing, col].astype(str)))
        require_rows(df, missing, f"level(s) {', '.join(map(repr, levels[:8]))} are not in the "
                     f"random sample of {len(sample):,} of the {len(df):,} customers the models "
                     f"fit on (seed {seed}), so these customers could not be scored; raise "
                     "max_fit_rows (0: all customers) or merge the level with another",
                     table=TABLE, column=col, source=df.attrs.get("source"))


# --------------------------------------------------------------------------------------------
# Encoding and pre-fit checks
# --------------------------------------------------------------------------------------------

class CovariateEncoder:
    """One-hot encode categorical covariates as ``col=level`` against the first sorted level.

    Numeric covariates pass through unchanged (no standardisation, so coefficients are in the
    columns' own units).
    """

    def __init__(self, covariates: Sequence[str], categorical: Sequence[str] = ()):
        self.covariates = list(covariates)
        self.categorical = list(categorical)

    def fit(self, df: pd.DataFrame) -> CovariateEncoder:
        require_columns(df, self.covariates, table=TABLE, source=df.attrs.get("source"))
        self.levels_: dict[str, list[str]] = {}
        self.numeric_: list[str] = []
        for col in self.covariates:
            s = df[col]
            if col in self.categorical or not pd.api.types.is_numeric_dtype(s) \
                    or pd.api.types.is_bool_dtype(s):
                self.levels_[col] = sorted(s.dropna().astype(str).unique())
                if len(self.levels_[col]) < 2:
                    only = repr(self.levels_[col][0]) if self.levels_[col] else "blank"
                    raise DataError(f"covariate '{col}' is constant (every row is {only}); it "
                                    "carries no information, remove it from covariates",
                                    table=TABLE, column=col, source=df.attrs.get("source"))
            else:
                self.numeric_.append(col)
        self.references_ = {col: levels[0] for col, levels in self.levels_.items() if levels}
        self.columns_ = []
        for col in self.covariates:
            if col in self.levels_:
                self.columns_ += [f"{col}={lvl}" for lvl in self.levels_[col][1:]]
            else:
                self.columns_.append(col)
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The design matrix (float columns in ``columns_`` order)."""
        source = df.attrs.get("source")
        require_columns(df, self.covariates, table=TABLE, source=source)
        parts = {}
        for col in self.covariates:
            if col in self.levels_:
                text = df[col].astype(str)
                unseen = ~text.isin(self.levels_[col]).to_numpy()
                require_rows(df, unseen, f"levels not seen when the model was fitted (known: "
                             f"{', '.join(self.levels_[col])})", table=TABLE, column=col,
                             source=source)
                for lvl in self.levels_[col][1:]:
                    parts[f"{col}={lvl}"] = (text == lvl).to_numpy(dtype=float)
            else:
                parts[col] = df[col].to_numpy(dtype=float)
        return pd.DataFrame(parts, index=df.index, columns=self.columns_)

    def fit_transform(self, df: pd.DataFrame) -> pd.DataFrame:
        return self.fit(df).transform(df)


class SeparationError(DataError):
    """A covariate separates the outcome, so its unpenalized estimate is infinite."""


def check_covariates(X: pd.DataFrame, event, *, table: str = TABLE, source=None,
                     what: str = "churn", effect: str = "hazard ratio", model: str = "cox",
                     separation: bool = True) -> None:
    """Raise :class:`DataError` before fitting when a covariate cannot be estimated.

    Every model: no events at all; a blank or infinite value; a constant column; columns that are
    exact linear combinations of others. Then the separation rules of the model, when
    ``separation`` (a penalized fit stays finite, so ``separation=False`` skips them):

    - ``model="cox"``: a 0/1 column (a category level) with no churner among the customers who
      have it, or none among those who do not. The partial likelihood then grows without bound
      as the coefficient goes to minus (or plus) infinity. A level in which *every* customer
      churned, or churners' and non-churners' values that do not overlap, leave the Cox estimate
      finite (the risk sets still compare customers with different values), so they pass, and
      so does a table in which every customer churned (uncensored data).
    - ``model="logistic"``: besides no churner, also every churner or no non-churner at a
      level, and a numeric column whose values for churners and non-churners do not overlap
      (complete separation, Albert & Anderson 1984); a label that is the same for everyone.

    Separation raises :class:`SeparationError` (a :class:`DataError`); ``what`` and ``effect``
    name the outcome and the effect measure in the messages.
    """
    e = np.asarray(event, dtype=int)
    n_events = int(e.sum())
    if n_events == 0 or (model == "logistic" and n_events == len(e)):
        raise DataError(f"{'no' if n_events == 0 else 'every'} customer has {what} = 1 "
                        f"({n_events} of {len(e)}); a model needs both churners and non-churners",
                        table=table, source=source)
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        require_rows(X, ~np.isfinite(x), "blank or infinite covariate values; fill or drop these "
                     "rows first (load_churn_data leaves them out with a warning)", table=table,
                     column=col, source=source)
        if np.unique(x).size <= 1:
            raise DataError(f"covariate '{col}' is constant (every row is {x[0]:g}); it carries no "
                            "information, remove it from covariates", table=table, column=col,
                            source=source)
        if separation:
            _check_separation(col, x, e, table=table, source=source, what=what, effect=effect,
                              model=model)
    _check_rank(X, table=table, source=source)


def _check_separation(col, x, e, *, table, source, what, effect, model) -> None:
    if np.isin(x, (0.0, 1.0)).all():
        at = x == 1
        k, n_at = int(e[at].sum()), int(at.sum())
        k_out, n_out = int(e[~at].sum()), int((~at).sum())
        if k == 0 or (model == "logistic" and k == n_at):
            who = "none" if k == 0 else "all"
            raise SeparationError(
                f"covariate '{col}' perfectly separates churners: {who} of the {n_at} customers "
                f"with {col} have {what} = 1, so its {effect} is {'zero' if k == 0 else 'infinite'}; "
                "merge this level with another, drop the covariate, or set penalizer > 0",
                table=table, column=col, source=source)
        if k_out == 0 or (model == "logistic" and k_out == n_out):
            raise SeparationError(
                f"covariate '{col}' perfectly separates churners: {'none' if k_out == 0 else 'all'} "
                f"of the {n_out} customers without {col} have {what} = 1, so its {effect} is "
                f"{'infinite' if k_out == 0 else 'zero'}; merge this level with another, drop the "
                "covariate, or set penalizer > 0", table=table, column=col, source=source)
    elif model == "logistic":
        lo1, hi1 = x[e == 1].min(), x[e == 1].max()
        lo0, hi0 = x[e == 0].min(), x[e == 0].max()
        if hi1 < lo0 or hi0 < lo1:
            raise SeparationError(
                f"covariate '{col}' perfectly separates churners: churners have {col} in "
                f"[{lo1:g}, {hi1:g}], non-churners in [{lo0:g}, {hi0:g}], so the fit would "
                "diverge; this usually means the column is recorded after (or because of) the "
                "churn: drop it", table=table, column=col, source=source)


def _check_rank(X: pd.DataFrame, *, table: str, source=None) -> None:
    """Name columns that are exact linear combinations of earlier ones (singular design)."""
    Z = X.to_numpy(dtype=float)
    Z = (Z - Z.mean(0)) / Z.std(0)
    gram = Z.T @ Z / len(Z)  # p x p, cheap even for millions of rows
    kept: list[int] = []
    for j in range(Z.shape[1]):
        trial = kept + [j]
        sub = gram[np.ix_(trial, trial)]
        if np.linalg.eigvalsh(sub).min() < 1e-9:
            # regress j on the kept columns to name its partners
            coef = np.linalg.lstsq(gram[np.ix_(kept, kept)], gram[kept, j], rcond=None)[0]
            partners = [X.columns[k] for k, c in zip(kept, coef) if abs(c) > 1e-6]
            raise DataError(f"covariate '{X.columns[j]}' is an exact linear combination of "
                            f"{', '.join(map(repr, partners))} (for example two columns that "
                            "encode the same category); drop one of them", table=table,
                            column=X.columns[j], source=source)
        kept.append(j)


def describe_data(df: pd.DataFrame) -> str:
    """Customers, churners, censored customers and follow-up in one sentence."""
    unit = df.attrs.get("time_unit", "")
    n, k = len(df), int(df["event"].sum())
    d = df["duration"]
    return (f"{n} customers: {k} churned ({k / n:.1%}) and {n - k} are still active, so their "
            f"lifetime is only known to exceed their tenure (censored). Follow-up runs from "
            f"{round(d.min(), 2):g} to {round(d.max(), 2):g} {unit} "
            f"(median {round(d.median(), 1):g}).")
