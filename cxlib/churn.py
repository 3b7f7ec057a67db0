"""Churn as time to event: data preparation, Kaplan-Meier curves, the log-rank test and the Cox
proportional hazards model, with the checks a careful analyst runs before trusting them.

The heavy lifting is done by lifelines (Davidson-Pilon, 2019); this module adds what a churn study
needs around it: loading a customer table with either a tenure column or signup/churn dates,
validation that names the bad rows, categorical encoding (``col=level`` dummies against the first
sorted level), guards against constant and separating covariates, per-customer scores for active
customers and plain-language sentences.

Validation metrics live in :mod:`cxlib.survival_metrics`, the logistic baseline in
:mod:`cxlib.churn_logistic` and the figures in :mod:`cxlib.churn_plots`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .config import resolve_path
from .data import (
    DataError,
    DataWarning,
    describe_rows,
    read_table,
    require_columns,
    require_not_empty,
    require_rows,
    require_unique,
    to_datetime,
    to_numeric,
)

__all__ = [
    "TIME_UNITS",
    "prepare_churn_data",
    "load_churn_data",
    "CovariateEncoder",
    "check_covariates",
    "CoxChurnModel",
    "kaplan_meier",
    "median_survival_table",
    "logrank_test",
    "survival_table",
    "risk_tiers",
    "compare_with_truth",
    "describe_hazard_ratios",
    "describe_proportional_hazards",
    "describe_logrank",
    "describe_medians",
    "describe_data",
    "describe_truth",
    "describe_scores",
    "stratified_alternative",
]

TABLE = "customers"
# Days per unit; a month is the average Gregorian month so that 12 months make a year.
TIME_UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
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
    text = s.astype("string").str.strip()
    text = text[text.notna() & (text != "")]
    return len(text) > 0 and bool(pd.to_numeric(text, errors="coerce").notna().all())


def prepare_churn_data(df: pd.DataFrame, *, duration_col: str | None = None,
                       event_col: str | None = None, signup_col: str | None = None,
                       churn_col: str | None = None, observation_end=None,
                       time_unit: str = "months", id_col: str | None = None,
                       covariates: Sequence[str] = (), categorical: Sequence[str] = (),
                       group_col: str | None = None, source=None) -> pd.DataFrame:
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
    time_unit : {"days", "weeks", "months", "years"}
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
    Rows that cannot enter the model are left out with a :class:`~cxlib.data.DataWarning` that
    says why: censored customers with duration 0 (no follow-up: they are in no risk set and change
    no estimate) and rows with a blank covariate.
    """
    if time_unit not in TIME_UNITS:
        raise DataError(f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}",
                        table=TABLE, source=source)
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
        out["customer_id"] = df[id_col].astype(str).str.strip()
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
        signup = to_datetime(df, signup_col, table=TABLE, source=source)
        churn = to_datetime(df, churn_col, table=TABLE, source=source, allow_missing=True)
        for col, values in ((signup_col, signup), (churn_col, churn)):
            require_rows(df, (values > end).to_numpy(), f"dates after the observation end "
                         f"{end.date()}", table=TABLE, column=col, source=source)
        require_rows(df, (churn < signup).to_numpy(), "churn date before signup date",
                     table=TABLE, column=churn_col, source=source, show=[signup_col, churn_col])
        days = (churn.fillna(end) - signup).dt.total_seconds() / 86400.0
        duration = days / TIME_UNITS[time_unit]
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
            warnings.warn(f"file {source}, table '{TABLE}', column '{col}': "
                          f"{describe_rows(df, blank, [col, where_col])} are blank{why}; "
                          "these rows are left out of the analysis", DataWarning, stacklevel=2)
            keep &= ~blank
    zero_kept = zero & keep
    if zero_kept.any():
        warnings.warn(f"file {source}, table '{TABLE}', column '{where_col}': "
                      f"{describe_rows(df, zero_kept, [where_col])} are active customers with "
                      "duration 0 (no follow-up yet); they are in no risk set, so they are left "
                      "out", DataWarning, stacklevel=2)
        keep &= ~zero_kept
    out = out.loc[keep].reset_index(drop=True)
    if len(out) == 0:
        raise DataError("no rows left after removing rows without follow-up or with blank "
                        "covariates", table=TABLE, source=source)
    out.attrs.update(source=None if source is None else str(source), table=TABLE,
                     time_unit=time_unit, numeric=numeric_cols, categorical=categorical_cols)
    return out


def load_churn_data(path, *, columns: Mapping[str, str] | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV/Parquet customer table and prepare it with :func:`prepare_churn_data`.

    ``columns`` is an optional ``{canonical: yours}`` rename applied first, so that a mapping
    written for :func:`cxlib.data.load_customers` can be reused.
    """
    raw = read_table(path, TABLE)
    if columns:
        raw = raw.rename(columns={theirs: canon for canon, theirs in columns.items() if theirs})
    return prepare_churn_data(raw, source=raw.attrs.get("source", str(path)), **kwargs)


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


def check_covariates(X: pd.DataFrame, event, *, table: str = TABLE, source=None,
                     what: str = "churn", effect: str = "hazard ratio",
                     separation: bool = True) -> None:
    """Raise :class:`DataError` before fitting when a covariate cannot be estimated.

    Checks, in order: no events at all; a constant column; a 0/1 column (a category level) in
    which every customer or no customer churned; a numeric column whose values for churners and
    non-churners do not overlap (perfect separation); columns that are exact linear combinations
    of others. Each of these makes the likelihood flat or unbounded, so the fit would either fail
    to converge or report an infinite hazard ratio.

    ``separation=False`` skips the separation checks (a penalized fit stays finite); ``what`` and
    ``effect`` name the outcome and the effect measure in the messages.
    """
    e = np.asarray(event, dtype=int)
    n_events = int(e.sum())
    if n_events == 0 or n_events == len(e):
        raise DataError(f"{'no' if n_events == 0 else 'every'} customer has {what} = 1 "
                        f"({n_events} of {len(e)}); a model needs both churners and non-churners",
                        table=table, source=source)
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        if np.unique(x).size <= 1:
            raise DataError(f"covariate '{col}' is constant (every row is {x[0]:g}); it carries no "
                            "information, remove it from covariates", table=table, column=col,
                            source=source)
        if not separation:
            continue
        if np.isin(x, (0.0, 1.0)).all():
            at = x == 1
            k, n_at = int(e[at].sum()), int(at.sum())
            if k in (0, n_at):
                who = "none" if k == 0 else "all"
                raise DataError(f"covariate '{col}' perfectly separates churners: {who} of the "
                                f"{n_at} customers with {col} have {what} = 1, so its {effect} "
                                f"is {'zero' if k == 0 else 'infinite'}; merge this level with "
                                "another, drop the covariate, or set penalizer > 0",
                                table=table, column=col, source=source)
        else:
            lo1, hi1 = x[e == 1].min(), x[e == 1].max()
            lo0, hi0 = x[e == 0].min(), x[e == 0].max()
            if hi1 < lo0 or hi0 < lo1:
                raise DataError(f"covariate '{col}' perfectly separates churners: churners have "
                                f"{col} in [{lo1:g}, {hi1:g}], non-churners in [{lo0:g}, "
                                f"{hi0:g}], so the fit would diverge; this usually means the "
                                "column is recorded after (or because of) the churn: drop it",
                                table=table, column=col, source=source)
    _check_rank(X, table=table, source=source)


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


# --------------------------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------------------------

def _step(times: np.ndarray, values: np.ndarray, at) -> np.ndarray:
    """Evaluate a right-continuous step function (0 before the first time) at ``at``."""
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)


class CoxChurnModel:
    """Cox proportional hazards model for churn on a customer table.

    Parameters
    ----------
    penalizer : float
        L2 penalty passed to lifelines (0 = ordinary partial likelihood, as R's ``coxph``).
    strata : list of str, optional
        Categorical columns whose baseline hazard is left free (a stratified Cox model); use it
        for covariates that break proportional hazards.
    alpha : float
        1 - confidence level of the intervals.

    Attributes
    ----------
    params_ : Series
        Log hazard ratios per design column.
    summary_ : DataFrame
        ``covariate, coef, se, z, p, hazard_ratio, ci_lower, ci_upper, reference`` (intervals on
        the hazard-ratio scale).
    references_ : dict
        Reference level of each categorical covariate.
    baseline_cumulative_hazard_ : DataFrame
        Breslow estimate at the mean covariate values, one column per stratum.
    n_, events_, concordance_train_ : int, int, float

    Notes
    -----
    The hazard of customer *i* is :math:`h_i(t) = h_0(t) \\exp(x_i^\\top \\beta)` (Cox, 1972,
    "Regression models and life-tables"); ties are handled with Efron's method, as in R.
    """

    def __init__(self, penalizer: float = 0.0, strata: Sequence[str] | None = None,
                 alpha: float = 0.05):
        self.penalizer = penalizer
        self.strata = strata
        self.alpha = alpha

    # -- fitting -------------------------------------------------------------------------------
    def _design(self, df: pd.DataFrame) -> pd.DataFrame:
        X = self.encoder_.transform(df)
        for col in self.strata_:
            X[col] = df[col].astype(str).to_numpy()
        return X

    def fit(self, df: pd.DataFrame, covariates: Sequence[str], *, duration_col: str = "duration",
            event_col: str = "event", categorical: Sequence[str] = ()) -> CoxChurnModel:
        """Fit on survival data from :func:`prepare_churn_data` (or any frame with the columns)."""
        from lifelines import CoxPHFitter
        from lifelines.exceptions import ConvergenceError, ConvergenceWarning

        source = df.attrs.get("source")
        self.strata_ = list(self.strata or [])
        covariates = [c for c in covariates if c not in self.strata_]
        require_columns(df, [duration_col, event_col, *covariates, *self.strata_], table=TABLE,
                        source=source)
        require_not_empty(df, table=TABLE, source=source)
        dur = df[duration_col].to_numpy(dtype=float)
        ev = df[event_col].to_numpy()
        require_rows(df, ~(np.isfinite(dur) & (dur > 0)), "durations must be positive numbers",
                     table=TABLE, column=duration_col, source=source)
        require_rows(df, ~np.isin(ev, (0, 1)), "events must be 0 or 1", table=TABLE,
                     column=event_col, source=source)
        self.encoder_ = CovariateEncoder(covariates, categorical).fit(df)
        X = self._design(df)
        check_covariates(X[self.encoder_.columns_], ev, source=source,
                         separation=self.penalizer == 0)
        X["_duration"] = dur
        X["_event"] = ev.astype(int)
        cph = CoxPHFitter(penalizer=self.penalizer, alpha=self.alpha,
                          strata=self.strata_ or None)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                cph.fit(X, "_duration", "_event")
        except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError) as exc:
            raise DataError(f"the Cox model did not converge ({str(exc).splitlines()[0]}); "
                            "usually a covariate nearly separates churners or two covariates are "
                            "nearly collinear: try penalizer=0.1 or drop a covariate",
                            table=TABLE, source=source) from exc
        self.lifelines_ = cph
        self.params_ = cph.params_.copy()
        self.references_ = dict(self.encoder_.references_)
        self.n_ = int(len(X))
        self.events_ = int(ev.sum())
        self.concordance_train_ = float(cph.concordance_index_)
        self.baseline_cumulative_hazard_ = cph.baseline_cumulative_hazard_.copy()
        self.max_time_ = float(dur.max())
        self.summary_ = self._summary(cph)
        return self

    def _summary(self, cph) -> pd.DataFrame:
        s = cph.summary
        covariate = s.index.astype(str)
        reference = []
        for name in covariate:
            col = name.split("=", 1)[0]
            reference.append(f"{col}={self.references_[col]}" if "=" in name
                             and col in self.references_ else "")
        return pd.DataFrame({
            "covariate": covariate,
            "coef": s["coef"].to_numpy(),
            "se": s["se(coef)"].to_numpy(),
            "z": s["z"].to_numpy(),
            "p": s["p"].to_numpy(),
            "hazard_ratio": s["exp(coef)"].to_numpy(),
            "ci_lower": np.exp(s.filter(like="coef lower").iloc[:, 0].to_numpy()),
            "ci_upper": np.exp(s.filter(like="coef upper").iloc[:, 0].to_numpy()),
            "reference": reference,
        })

    # -- prediction ----------------------------------------------------------------------------
    def predict_log_hazard(self, df: pd.DataFrame) -> pd.Series:
        """Linear predictor :math:`(x - \\bar x)^\\top\\beta` (centred at the training means)."""
        X = self.encoder_.transform(df)
        lp = (X.to_numpy() - self.lifelines_._norm_mean.to_numpy()) @ self.params_.to_numpy()
        return pd.Series(lp, index=df.index, name="log_hazard")

    def _baselines(self, df: pd.DataFrame):
        """Yield (row positions, event times, baseline cumulative hazard) per stratum."""
        H = self.baseline_cumulative_hazard_
        t = H.index.to_numpy(dtype=float)
        if not self.strata_:
            yield np.arange(len(df)), t, H.iloc[:, 0].to_numpy()
            return
        keys = df[self.strata_].astype(str)
        labels = keys.iloc[:, 0] if len(self.strata_) == 1 else keys.apply(tuple, axis=1)
        for key, pos in pd.Series(np.arange(len(df))).groupby(labels.to_numpy()):
            if key not in H.columns:
                raise DataError(f"stratum {key!r} was not in the training data", table=TABLE,
                                column=self.strata_[0], source=df.attrs.get("source"))
            yield pos.to_numpy(), t, H[key].to_numpy()

    def predict_survival(self, df: pd.DataFrame, times) -> np.ndarray:
        """:math:`S(t \\mid x)` for every row (rows) and time in ``times`` (columns)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        risk = np.exp(self.predict_log_hazard(df).to_numpy())
        out = np.empty((len(df), len(times)))
        for pos, t, H in self._baselines(df):
            out[pos] = np.exp(-np.outer(risk[pos], _step(t, H, times)))
        return out

    def predict_survival_at(self, df: pd.DataFrame, time: float) -> pd.Series:
        """Probability of still being a customer at ``time`` (from signup)."""
        return pd.Series(self.predict_survival(df, [time])[:, 0], index=df.index,
                         name="survival")

    def predict_remaining(self, df: pd.DataFrame, horizon: float, *,
                          tenure_col: str = "duration", chunk: int = 20_000) -> pd.DataFrame:
        """Forward-looking scores for customers who are still active at their current tenure.

        For tenure :math:`t_0` and window end :math:`c = \\min(t_0 + h, \\tau)`, where
        :math:`\\tau` is the longest follow-up in the training data (the model knows nothing
        beyond it):

        - ``survival_horizon`` :math:`= S(c \\mid x) / S(t_0 \\mid x)`, the chance to stay until
          the window end given active now;
        - ``remaining_lifetime`` :math:`= \\int_{t_0}^{c} S(t \\mid x) / S(t_0 \\mid x)\\,dt`,
          the restricted mean remaining lifetime within the window;
        - ``window_end`` :math:`c`; ``capped`` says when :math:`c < t_0 + h`.
        """
        t0 = df[tenure_col].to_numpy(dtype=float)
        cap = np.maximum(np.minimum(t0 + horizon, self.max_time_), t0)
        risk = np.exp(self.predict_log_hazard(df).to_numpy())
        surv = np.empty(len(df))
        rmst = np.empty(len(df))
        for pos, t, H in self._baselines(df):
            grid = np.concatenate([[0.0], t])
            Hg = np.concatenate([[0.0], H])  # H constant on [grid_k, grid_k+1)
            upper = np.concatenate([grid[1:], [np.inf]])
            for start in range(0, len(pos), chunk):
                p = pos[start:start + chunk]
                a, c, r = t0[p, None], cap[p, None], risk[p, None]
                H0 = _step(t, H, a)
                length = np.clip(np.minimum(upper, c) - np.maximum(grid, a), 0, None)
                rmst[p] = (np.exp(-(Hg - H0) * r) * length).sum(1)
                surv[p] = np.exp(-(_step(t, H, c) - H0) * r)[:, 0]
        return pd.DataFrame({"survival_horizon": surv, "remaining_lifetime": rmst,
                             "window_end": cap, "capped": cap < t0 + horizon - 1e-12},
                            index=df.index)

    # -- assumptions ---------------------------------------------------------------------------
    def check_proportional_hazards(self, df: pd.DataFrame, *, duration_col: str = "duration",
                                   event_col: str = "event", alpha: float = 0.05) -> pd.DataFrame:
        """Schoenfeld-residual tests of proportional hazards, one row per design column.

        Pass the data the model was fitted on. Uses lifelines' ``proportional_hazard_test`` with
        the rank time transform (Grambsch and Therneau, 1994, "Proportional hazards tests and
        diagnostics based on weighted residuals").

        Returns
        -------
        DataFrame ``covariate, variable, kind, statistic, p, proportional, advice``.
        """
        from lifelines.statistics import proportional_hazard_test

        X = self._design(df)
        X["_duration"] = df[duration_col].to_numpy(dtype=float)
        X["_event"] = df[event_col].to_numpy(dtype=int)
        res = proportional_hazard_test(self.lifelines_, X, time_transform="rank")
        s = res.summary
        rows = []
        for name, row in s.iterrows():
            name = name if isinstance(name, str) else name[0]
            variable = name.split("=", 1)[0]
            categorical = variable in self.encoder_.levels_
            ok = bool(row["p"] >= alpha)
            advice = "" if ok else (
                f"fit a model stratified by {variable}" if categorical else
                f"bin {variable} into groups and stratify, or let its effect change with time")
            rows.append({"covariate": name, "variable": variable,
                         "kind": "categorical" if categorical else "numeric",
                         "statistic": float(row["test_statistic"]), "p": float(row["p"]),
                         "proportional": ok, "advice": advice})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        fitted = f", n={self.n_}, events={self.events_}" if hasattr(self, "params_") else ""
        return f"CoxChurnModel(penalizer={self.penalizer}, strata={self.strata}{fitted})"


def stratify_candidates(ph_table: pd.DataFrame) -> list[str]:
    """Categorical variables whose proportional-hazards test failed (candidates for strata)."""
    bad = ph_table[(~ph_table["proportional"]) & (ph_table["kind"] == "categorical")]
    return list(dict.fromkeys(bad["variable"]))


def stratified_alternative(df: pd.DataFrame, covariates: Sequence[str], ph_table: pd.DataFrame,
                           *, penalizer: float = 0.0, categorical: Sequence[str] = ()):
    """A Cox model stratified by the categorical covariates that failed the PH test.

    Returns ``(model, sentence)``; ``model`` is None when no categorical covariate failed.
    Each stratum gets its own baseline hazard, so the failing covariate no longer needs a
    constant hazard ratio (and no longer gets one).
    """
    strata = stratify_candidates(ph_table)
    if not strata:
        return None, ("No categorical covariate fails the proportional-hazards test, so no "
                      "stratified model is needed.")
    model = CoxChurnModel(penalizer=penalizer, strata=strata).fit(df, covariates,
                                                                  categorical=categorical)
    return model, (f"Stratified by {', '.join(strata)}: each level keeps its own baseline "
                   "churn curve, and the remaining hazard ratios are estimated within levels. "
                   "Where they move little from the unstratified model, the PH violation did "
                   "not distort them.")


# --------------------------------------------------------------------------------------------
# Kaplan-Meier and the log-rank test
# --------------------------------------------------------------------------------------------

def kaplan_meier(df: pd.DataFrame, group_col: str | None = None, *, duration_col: str = "duration",
                 event_col: str = "event", alpha: float = 0.05) -> dict:
    """Kaplan-Meier fits overall (key ``"all"``) or per group (sorted group labels).

    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)` (Kaplan and Meier, 1958,
    "Nonparametric estimation from incomplete observations"), with Greenwood log-log bands.
    """
    from lifelines import KaplanMeierFitter

    groups = {"all": df} if group_col is None else {
        str(k): g for k, g in df.groupby(df[group_col].astype(str), sort=True)}
    fits = {}
    for label, g in groups.items():
        fits[label] = KaplanMeierFitter(alpha=alpha, label=label).fit(
            g[duration_col], g[event_col])
    return fits


def survival_table(fits: dict, times) -> pd.DataFrame:
    """Tidy KM table: ``group, time, survival, ci_lower, ci_upper, at_risk`` at ``times``."""
    rows = []
    times = np.atleast_1d(np.asarray(times, dtype=float))
    for label, kmf in fits.items():
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        t = sf.index.to_numpy(dtype=float)
        durations = kmf.durations
        for time in times:
            i = max(np.searchsorted(t, time, side="right") - 1, 0)
            rows.append({"group": label, "time": time, "survival": float(sf.iloc[i]),
                         "ci_lower": float(ci.iloc[i, 0]), "ci_upper": float(ci.iloc[i, 1]),
                         "at_risk": int((durations >= time).sum())})
    return pd.DataFrame(rows)


def median_survival_table(fits: dict) -> pd.DataFrame:
    """Median lifetime per group with its confidence interval (NaN when not reached)."""
    from lifelines.utils import median_survival_times

    rows = []
    for label, kmf in fits.items():
        med = float(kmf.median_survival_time_)
        ci = median_survival_times(kmf.confidence_interval_survival_function_)
        rows.append({"group": label, "n": int(len(kmf.durations)),
                     "events": int(np.sum(kmf.event_observed)),
                     "median": med if np.isfinite(med) else np.nan,
                     "ci_lower": float(ci.iloc[0, 0]) if np.isfinite(ci.iloc[0, 0]) else np.nan,
                     "ci_upper": float(ci.iloc[0, 1]) if np.isfinite(ci.iloc[0, 1]) else np.nan})
    return pd.DataFrame(rows)


def logrank_test(df: pd.DataFrame, group_col: str, *, duration_col: str = "duration",
                 event_col: str = "event") -> dict:
    """Log-rank test that all groups share one survival curve (Mantel, 1966).

    Returns ``{"statistic", "df", "p", "groups"}``.
    """
    from lifelines.statistics import multivariate_logrank_test

    groups = df[group_col].astype(str)
    if groups.nunique() < 2:
        raise DataError(f"the log-rank test needs at least two groups; '{group_col}' has one",
                        table=TABLE, column=group_col, source=df.attrs.get("source"))
    res = multivariate_logrank_test(df[duration_col], groups, df[event_col])
    return {"statistic": float(res.test_statistic), "df": int(res.degrees_of_freedom),
            "p": float(res.p_value), "groups": sorted(groups.unique())}


# --------------------------------------------------------------------------------------------
# Per-customer output
# --------------------------------------------------------------------------------------------

def risk_tiers(churn_probability, cutoffs: Sequence[float] = (0.2, 0.5)) -> pd.Series:
    """Label churn probabilities ``low`` (< first cut-off), ``medium`` or ``high`` (>= second).

    Fixed cut-offs keep a tier's meaning the same from one run to the next (tertiles would
    always put a third of customers in "high", whatever the risk).
    """
    lo, hi = cutoffs
    p = np.asarray(churn_probability, dtype=float)
    labels = np.where(p >= hi, "high", np.where(p >= lo, "medium", "low"))
    index = churn_probability.index if isinstance(churn_probability, pd.Series) else None
    return pd.Series(pd.Categorical(labels, categories=["low", "medium", "high"], ordered=True),
                     index=index, name="risk_tier")


def score_active_customers(model: CoxChurnModel, df: pd.DataFrame, horizon: float,
                           cutoffs: Sequence[float] = (0.2, 0.5)) -> pd.DataFrame:
    """Scores for customers still active (``event == 0``): the table ``customers.csv``.

    Columns: ``customer_id, tenure, survival_horizon, churn_probability, risk_tier,
    remaining_lifetime, window_end, capped`` (see :meth:`CoxChurnModel.predict_remaining`).
    """
    active = df[df["event"] == 0]
    rem = model.predict_remaining(active, horizon)
    out = pd.DataFrame({"customer_id": active["customer_id"].to_numpy(),
                        "tenure": active["duration"].to_numpy()})
    out["survival_horizon"] = rem["survival_horizon"].to_numpy()
    out["churn_probability"] = 1.0 - out["survival_horizon"]
    out["risk_tier"] = risk_tiers(out["churn_probability"], cutoffs).to_numpy()
    out["remaining_lifetime"] = rem["remaining_lifetime"].to_numpy()
    out["window_end"] = rem["window_end"].to_numpy()
    out["capped"] = rem["capped"].to_numpy()
    return out


def compare_with_truth(summary: pd.DataFrame, data_path) -> pd.DataFrame:
    """Estimated vs true hazard coefficients when ``truth.json`` sits next to the data file.

    Returns ``covariate, true_coef, coef, ci_lower, ci_upper, inside`` (log-hazard scale);
    an empty table (same columns) when there is no truth file or it has no hazard section.
    """
    cols = ["covariate", "true_coef", "coef", "ci_lower", "ci_upper", "inside"]
    path = Path(resolve_path(data_path)).parent / "truth.json"
    if not path.exists():
        return pd.DataFrame(columns=cols)
    truth = json.loads(path.read_text()).get("hazard", {}).get("coefficients", {})
    rows = []
    for _, r in summary.iterrows():
        if r["covariate"] in truth:
            lo, hi = np.log(r["ci_lower"]), np.log(r["ci_upper"])
            true = float(truth[r["covariate"]])
            rows.append({"covariate": r["covariate"], "true_coef": true, "coef": r["coef"],
                         "ci_lower": lo, "ci_upper": hi, "inside": bool(lo <= true <= hi)})
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Plain-language sentences
# --------------------------------------------------------------------------------------------

def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe_hazard_ratios(summary: pd.DataFrame, alpha: float = 0.05,
                           time_unit: str = "") -> str:
    """One sentence per covariate: how much it changes the churn hazard, and how sure we are."""
    lines = []
    for _, r in summary.sort_values("p").iterrows():
        hr, lo, hi = r["hazard_ratio"], r["ci_lower"], r["ci_upper"]
        change = (hr - 1) * 100
        direction = "higher" if change >= 0 else "lower"
        if r.get("reference"):
            subject = f"Customers with {r['covariate']} (vs {r['reference']})"
        else:
            subject = f"Each extra unit of {r['covariate']}"
        verb = "have" if r.get("reference") else "means"
        sure = ("a clear effect" if r["p"] < alpha else
                "not distinguishable from no effect")
        lines.append(f"- {subject} {verb} a {abs(change):.1f}% {direction} churn hazard "
                     f"(HR {hr:.3f}, 95% CI {lo:.3f} to {hi:.3f}, {_fmt_p(r['p'])}): {sure}.")
    return "\n".join(lines)


def describe_proportional_hazards(ph: pd.DataFrame) -> str:
    """Say which covariates keep a constant hazard ratio over time and what to do otherwise."""
    ok = ph.loc[ph["proportional"], "covariate"].tolist()
    bad = ph.loc[~ph["proportional"]]
    parts = []
    if ok:
        parts.append("The hazard ratio looks constant over time (Schoenfeld test p >= 0.05) for "
                     + ", ".join(ok) + ".")
    if len(bad) == 0:
        parts.append("No covariate breaks the proportional-hazards assumption, so one hazard "
                     "ratio per covariate is a fair summary.")
    for _, r in bad.iterrows():
        parts.append(f"The effect of {r['covariate']} changes over time ({_fmt_p(r['p'])}): its "
                     f"hazard ratio is an average over follow-up; {r['advice']}.")
    return " ".join(parts)


def describe_logrank(result: dict, group_col: str) -> str:
    """The log-rank result in words."""
    verdict = ("differ" if result["p"] < 0.05 else "do not differ detectably")
    return (f"Retention curves by {group_col} ({', '.join(result['groups'])}) {verdict}: "
            f"log-rank chi-square {result['statistic']:.1f} on {result['df']} df, "
            f"{_fmt_p(result['p'])}.")


def describe_medians(medians: pd.DataFrame, time_unit: str) -> str:
    """Median lifetime per group in words (``not reached`` when fewer than half churned)."""
    parts = []
    for _, r in medians.iterrows():
        if np.isnan(r["median"]):
            parts.append(f"{r['group']}: not reached (fewer than half churned during follow-up)")
        else:
            parts.append(f"{r['group']}: {r['median']:.1f} {time_unit}")
    return "Median customer lifetime - " + "; ".join(parts) + "."


def describe_data(df: pd.DataFrame) -> str:
    """Customers, churners, censored customers and follow-up in one sentence."""
    unit = df.attrs.get("time_unit", "")
    n, k = len(df), int(df["event"].sum())
    d = df["duration"]
    return (f"{n} customers: {k} churned ({k / n:.1%}) and {n - k} are still active, so their "
            f"lifetime is only known to exceed their tenure (censored). Follow-up runs from "
            f"{d.min():.1f} to {d.max():.1f} {unit} (median {d.median():.1f}).")


def describe_truth(table: pd.DataFrame) -> str:
    """How many true coefficients the 95% intervals cover ('' when there is no truth)."""
    if table.empty:
        return ""
    k, n = int(table["inside"].sum()), len(table)
    missed = ", ".join(table.loc[~table["inside"], "covariate"])
    return (f"{k} of {n} true coefficients lie inside their 95% intervals"
            + (f" (missed: {missed}); about one miss in twenty is expected by chance." if missed
               else "."))


def describe_scores(scores: pd.DataFrame, horizon: float, time_unit: str,
                    cutoffs: Sequence[float] = (0.2, 0.5)) -> str:
    """Risk tiers of the active customers in words."""
    counts = scores["risk_tier"].astype(str).value_counts()
    parts = [f"{counts.get(t, 0)} {t}" for t in ("high", "medium", "low")]
    capped = int(scores["capped"].sum())
    text = (f"Of {len(scores)} active customers, {', '.join(parts)} risk (churn within the next "
            f"{horizon:g} {time_unit}: high >= {cutoffs[1]:.0%}, low < {cutoffs[0]:.0%}). "
            f"On average they are expected to stay {scores['remaining_lifetime'].mean():.1f} of "
            f"the next {horizon:g} {time_unit}.")
    if capped:
        text += (f" For {capped} long-tenured customers the window is cut at the longest "
                 "follow-up in the data, beyond which the model cannot see.")
    return text
