"""A touchpoint event log in the engine, validated row by row there, and its customers table.

:func:`event_log` opens the log (a file, a DuckDB or warehouse table, a DataFrame or an Ibis
table; see :mod:`cxlib.core.engine`) and checks every row in the engine in one pass: blank ids,
times that do not parse, blank stages, scores that are not numbers or fall outside their scale,
events after the observation end. A name in ``funnel_stages`` that never occurs is an error that
lists the stages the log has. With a customers table (:func:`load_customers`, one row per
customer, small enough for pandas) two more checks run in the engine as a join: events of
customers missing from the table are set aside with a warning, and events dated before the
customer's signup are an error.

Times are kept as days since 1970-01-01 (a float with the time of day), so that every later
step is arithmetic on numbers that DuckDB and Spark compute alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..core import (
    DataError,
    DataWarning,
    JoinCoverage,
    location,
    log_coverage,
    read_table,
    require_columns,
    require_not_empty,
    require_rows,
    require_unique,
    show_value,
    to_datetime,
)
from ..core.engine import (ROW, RowRule, Source, blank, check_rows, padded_conditions, padded_counts, read_source,
                           unpadded)

__all__ = ["TABLE", "CUSTOMERS", "EventLog", "event_log", "load_customers", "to_days",
           "end_of_observation"]

TABLE = "events"
CUSTOMERS = "customers"
SECONDS_PER_DAY = 86_400


def to_days(value) -> float:
    """A date-like value as days since 1970-01-01, time of day included."""
    return pd.Timestamp(value).value / (SECONDS_PER_DAY * 1e9)


def end_of_observation(observation_end) -> float | None:
    """The last moment observed, in days since 1970-01-01: a date covers its whole day."""
    if observation_end in (None, ""):
        return None
    end = pd.Timestamp(observation_end)
    return to_days(end) + (1.0 if end == end.normalize() else 0.0)


@dataclass
class EventLog:
    """Validated events, lazily, in the engine.

    Attributes
    ----------
    source : Source
        The opened table.
    rows : ibis.Table
        One row per event: ``c`` (customer id), ``t`` (days since 1970-01-01), ``stage``, and
        ``ch`` (channel) and ``score`` when the log has them.
    funnel : list of str
        The funnel stages in order; every other stage is a touchpoint.
    stages : DataFrame
        ``stage, events``: every stage of the log and how often it occurs (a small table).
    end : float or None
        The end of observation in days since 1970-01-01 (the end of the given day).
    customers : DataFrame or None
        The customers table from :func:`load_customers`, when given.
    set_aside : int
        Events left out because their customer is not in the customers table.
    coverage : JoinCoverage or None
        How the events join the customers table (before unknown customers are set aside).
    """

    source: Source
    rows: object
    funnel: list
    stages: pd.DataFrame
    end: float | None
    customers: pd.DataFrame | None = None
    has_channel: bool = False
    has_score: bool = False
    score_scale: tuple = (1, 5)
    set_aside: int = 0
    coverage: JoinCoverage | None = None

    def to_pandas(self, expr) -> pd.DataFrame:
        """Run ``expr`` (built on :attr:`rows`) in the engine and return pandas."""
        return self.source.to_pandas(expr)

    @property
    def touchpoints(self) -> list[str]:
        """Stages outside the funnel (support, feedback, ...), most frequent first."""
        s = self.stages[~self.stages["stage"].isin(self.funnel)]
        return s.sort_values(["events", "stage"], ascending=[False, True])["stage"].tolist()

    @property
    def n_events(self) -> int:
        return int(self.stages["events"].sum())

    def last_time(self) -> float:
        """The end of observation: the given one, else the last event."""
        if self.end is not None:
            return self.end
        return float(self.to_pandas(self.rows.aggregate(last=self.rows.t.max()))["last"].iloc[0])

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The first and the last event time, from the engine."""
        row = self.to_pandas(self.rows.aggregate(first=self.rows.t.min(), last=self.rows.t.max())).iloc[0]
        return tuple(pd.Timestamp(round(float(row[k]) * SECONDS_PER_DAY), unit="s") for k in ("first", "last"))

    def customer_table(self):
        """The customers as an Ibis table in the log's engine: ``c, signup_t, duration, event``."""
        import ibis

        c = self.customers
        return ibis.memtable(pd.DataFrame({
            "c": c["customer_id"].astype(str), "signup_t": c["signup_t"].astype(float),
            "duration": c["duration"].astype(float), "event": c["event"].astype("int64")}))


def _text(col, n_padded: int | None = None):
    import ibis.expr.types as ir

    return unpadded(col, n_padded) if isinstance(col, ir.StringValue) else col.cast("string")


def load_customers(path, *, id_col: str = "customer_id", signup_col: str = "signup_date",
                   churn_col: str = "churn_date", observation_end=None, segment_col: str = "",
                   encoding: str | None = None) -> pd.DataFrame:
    """Read the customers table (CSV/Parquet or a DataFrame): ids, signup and churn dates.

    Parameters
    ----------
    path : str, path-like or DataFrame
        One row per customer.
    id_col, signup_col, churn_col : str
        Column names; ``churn_col`` is blank while the customer is active (as in
        ``01_churn_survival``).
    observation_end : date-like
        The censoring date of active customers.
    segment_col : str
        An optional grouping column (``""`` for none), kept as text.
    encoding : str, optional
        Text encoding of a CSV file; UTF-8 when not given (``""`` too).

    Returns
    -------
    DataFrame ``customer_id, signup_date, signup_t, duration, event`` (duration in days from the
    signup date to the churn date or the observation end; ``signup_t`` the signup date in days
    since 1970-01-01) and ``segment`` when given.

    Raises
    ------
    DataError
        Missing columns, duplicate ids, dates that do not parse, dates after the observation
        end, churn before signup.
    """
    if observation_end in (None, ""):
        raise DataError("observation_end is required with a customers table (the date active "
                        "customers were last seen)", table=CUSTOMERS, source=path)
    raw = path if isinstance(path, pd.DataFrame) else read_table(path, CUSTOMERS, encoding=encoding or None)
    source = raw.attrs.get("source", None if isinstance(path, pd.DataFrame) else str(path))
    wanted = [id_col, signup_col, churn_col] + ([segment_col] if segment_col else [])
    require_columns(raw, wanted, table=CUSTOMERS, source=source)
    require_not_empty(raw, table=CUSTOMERS, source=source)
    ids = raw[id_col].astype("string").str.strip()
    require_rows(raw, (ids.isna() | (ids == "")).to_numpy(), "blank customer ids; expected an id "
                 "in every row", table=CUSTOMERS, column=id_col, source=source)
    require_unique(raw.assign(**{id_col: ids}), id_col, table=CUSTOMERS, source=source)
    signup = to_datetime(raw, signup_col, table=CUSTOMERS, source=source)
    churn = to_datetime(raw, churn_col, table=CUSTOMERS, source=source, allow_missing=True)
    end = pd.Timestamp(observation_end)
    for col, values in ((signup_col, signup), (churn_col, churn)):
        require_rows(raw, (values > end).to_numpy(), f"dates after the observation end {end.date()}",
                     table=CUSTOMERS, column=col, source=source)
    require_rows(raw, (churn < signup).to_numpy(), "churn date before signup date", table=CUSTOMERS,
                 column=churn_col, source=source, show=[id_col, signup_col, churn_col])
    out = pd.DataFrame({
        "customer_id": ids.astype(str).to_numpy(),
        "signup_date": signup.to_numpy(),
        "signup_t": signup.to_numpy().astype("datetime64[ns]").astype(np.int64) / (SECONDS_PER_DAY * 1e9),
        "duration": ((churn.fillna(end) - signup).dt.total_seconds() / SECONDS_PER_DAY).to_numpy(),
        "event": churn.notna().astype(int).to_numpy(),
    })
    if segment_col:
        seg = raw[segment_col].astype("string").str.strip()
        out["segment"] = seg.where(seg != "").fillna("(missing)").astype(str).to_numpy()
    out.attrs.update(source=source, table=CUSTOMERS)
    return out


def event_log(events, *, customer_col: str = "customer_id", time_col: str = "timestamp",
              stage_col: str = "stage", funnel_stages: Sequence[str] = (), channel_col: str = "",
              score_col: str = "", score_scale: Sequence[float] = (1, 5), observation_end=None,
              customers: pd.DataFrame | None = None, engine: str = "duckdb", con=None,
              spark_master: str | None = None, encoding: str | None = None) -> EventLog:
    """Open and validate a touchpoint event log in the engine.

    Parameters
    ----------
    events : str, path-like, DataFrame, ibis.Table or Source
        One row per event (see :func:`cxlib.core.engine.read_source`).
    customer_col, time_col, stage_col : str
        Column names of the customer id, the event time and the stage (touchpoint).
    funnel_stages : sequence of str
        The funnel in order; each must occur in the log. Other stages are touchpoints.
    channel_col, score_col : str
        Optional columns (``""`` or None for none): the channel of the event, and a
        satisfaction score given at it (blank where none was asked).
    score_scale : (low, high)
        The scale of the scores; a score outside it is an error.
    observation_end : date-like, optional
        Events after it are an error (a date covers its whole day).
    customers : DataFrame, optional
        From :func:`load_customers`; enables the checks against signup.
    engine, con, spark_master
        Where the rows are processed (:func:`cxlib.core.engine.connect`).

    Raises
    ------
    DataError
        Missing columns (all listed at once), an empty log, blank ids, times or stages,
        unparseable times or scores, scores outside the scale, events after the observation
        end, a funnel stage that never occurs, events before the customer's signup. Events of
        customers missing from ``customers`` are set aside with a :class:`DataWarning`.
    """
    channel_col, score_col = channel_col or None, score_col or None
    funnel = [str(s) for s in funnel_stages]
    src = read_source(events, table=TABLE, engine=engine, con=con, spark_master=spark_master,
                      encoding=encoding or None)
    if not funnel:
        raise DataError("funnel_stages is empty; name the funnel's stages in order, such as "
                        "['signup', 'onboarding', 'first_purchase']", source=src.name, table=TABLE)
    dup = sorted({s for s in funnel if funnel.count(s) > 1})
    if dup:
        raise DataError(f"funnel_stages names {', '.join(map(repr, dup))} more than once; expected "
                        "each stage once, in order", source=src.name, table=TABLE)
    wanted = [customer_col, time_col, stage_col] + [c for c in (channel_col, score_col) if c]
    missing = [c for c in wanted if c not in src.columns]
    if missing:
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                        f"the table has {', '.join(map(repr, src.columns))}",
                        source=src.name, table=TABLE, column=missing[0], n_rows=0)
    t = src.table
    columns = (customer_col, time_col, stage_col, channel_col, score_col)
    typed = _typed(t, *columns)
    ts, days = _timestamp(t[time_col]), typed["t"]
    rules = [
        RowRule(lambda t: blank(t[customer_col]), "blank customer ids; expected an id in every row",
                customer_col),
        RowRule(lambda t: blank(t[time_col]), "blank times; expected a time in every row", time_col),
        RowRule(lambda t, ts=ts: ts.isnull() & ~blank(t[time_col]),
                "expected times (for example 2024-03-31 or 2024-03-31 14:05:00)", time_col),
        RowRule(lambda t: blank(t[stage_col]), "blank stages; expected the touchpoint of every event",
                stage_col),
    ]
    lo, hi = (float(v) for v in score_scale)
    if score_col:
        score = typed["score"]
        rules += [
            RowRule(lambda t, s=score: s.isnull() & ~blank(t[score_col]), "expected numbers "
                    "(a blank score means none was given)", score_col),
            RowRule(lambda t, s=score: (s < lo) | (s > hi), f"scores outside the scale [{lo:g}, {hi:g}]; "
                    "set score_scale to the scale the scores were given on",
                    score_col, show=[customer_col, stage_col, score_col]),
        ]
    end = end_of_observation(observation_end)
    if end is not None:
        end_date = pd.Timestamp(observation_end).date()
        rules.append(RowRule(lambda t, d=days: d >= end,
                             f"events after the observation end {end_date}; set observation_end to "
                             "the last day of the data or filter the log",
                             time_col, show=[customer_col, time_col, stage_col]))
    # text cells that may need stripping are counted in the same pass, so that later passes
    # strip only the columns that have them
    counts = check_rows(src, rules, table=TABLE, also=padded_conditions(t, columns))
    typed = _typed(t, *columns, n_padded=padded_counts(t, columns, counts))
    if src.has_row_numbers:
        typed[ROW] = t[ROW]
    rows = t.select(**typed)
    if src.kind == "csv":
        # every later step scans the log again: parse the text once, into the engine's own table
        rows = rows.cache()
    stages = src.to_pandas(rows.group_by("stage").aggregate(events=rows.count()))
    absent = [s for s in funnel if s not in set(stages["stage"])]
    if absent:
        found = ", ".join(map(repr, stages.sort_values("events", ascending=False)["stage"][:12]))
        raise DataError(f"funnel stage{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} "
                        f"never occur{'s' if len(absent) == 1 else ''} in the log; its stages are {found}. "
                        "Check the spelling in funnel_stages", source=src.name, table=TABLE, column=stage_col)
    log = EventLog(src, rows, funnel, stages, end, customers, has_channel=bool(channel_col),
                   has_score=bool(score_col), score_scale=(lo, hi))
    if customers is not None:
        log = _check_customers(log, customer_col, time_col, columns)
    return log


def _timestamp(raw, n_padded: int | None = None):
    import ibis.expr.types as ir

    if isinstance(raw, ir.StringValue):
        return unpadded(raw, n_padded).try_cast("timestamp")
    return raw.cast("timestamp")


def _typed(t, customer_col, time_col, stage_col, channel_col, score_col, n_padded: dict | None = None) -> dict:
    """The typed columns of the log as Ibis expressions on ``t``; text columns whose count in
    ``n_padded`` is 0 are not stripped."""
    import ibis.expr.types as ir

    n = (n_padded or {}).get
    # days since the epoch with the time of day: seconds are exact in both engines
    typed = {"c": _text(t[customer_col], n(customer_col)),
             "t": _timestamp(t[time_col], n(time_col)).epoch_seconds().cast("float64") / SECONDS_PER_DAY,
             "stage": _text(t[stage_col], n(stage_col))}
    if score_col:
        raw = t[score_col]
        typed["score"] = (unpadded(raw, n(score_col)).try_cast("float64") if isinstance(raw, ir.StringValue)
                          else raw.cast("float64"))
    if channel_col:
        typed["ch"] = _text(t[channel_col], n(channel_col))
    return typed


def _joined(rows, cust):
    j = rows.left_join(cust.select("c", "signup_t"), rows.c == cust.c)
    known = j.signup_t.notnull()
    # an event on the signup date is fine: the date has no time of day
    return j, known, known & (j.t < j.signup_t)


def _numbered(log: EventLog, columns):
    """The typed rows with their data-row numbers, for examples (DuckDB scans a file in order)."""
    import ibis

    src = log.source
    if src.has_row_numbers or getattr(src.con, "name", "") != "duckdb":
        return log.rows
    t = src.table.mutate(**{ROW: ibis.row_number() + 1})
    return t.select(**_typed(t, *columns), **{ROW: t[ROW]})


def _check_customers(log: EventLog, customer_col: str, time_col: str, columns) -> EventLog:
    """Set aside events of unknown customers (a warning) and stop at events before signup."""
    cust = log.customer_table()
    r = log.rows
    # Coverage first, from one row per customer: no match at all stops here, naming both files.
    coverage = log_coverage(log, log.customers["customer_id"], key=customer_col,
                            left=f"events ({log.source.name})",
                            right=f"customers ({log.customers.attrs.get('source') or 'DataFrame'})",
                            warn=False)
    log = replace(log, coverage=coverage)
    joined, known, early = _joined(r, cust)
    counts = log.to_pandas(joined.aggregate(unknown=(~known).cast("int64").sum(),
                                            early=early.cast("int64").sum())).iloc[0]
    n_unknown, n_early = int(counts["unknown"] or 0), int(counts["early"] or 0)
    if n_unknown or n_early:
        joined, known, early = _joined(_numbered(log, columns), cust)
    if n_early:
        shown = _examples(log, joined.filter(early), ["c", "t", "stage", "signup_t"])
        raise DataError(f"{n_early} row{'s' if n_early != 1 else ''} ({shown}{', ...' if n_early > 5 else ''}): "
                        f"dated before the customer's signup date in the customers table; "
                        "expected every event on or after signup (check the ids or the dates)",
                        source=log.source.name, table=TABLE, column=time_col, n_rows=n_early)
    if n_unknown:
        shown = _examples(log, joined.filter(~known), ["c", "t", "stage"])
        n_total = log.n_events
        warnings.warn(f"{location(log.source.name, TABLE, customer_col)}: {n_unknown} of {n_total} "
                      f"events ({shown}{', ...' if n_unknown > 5 else ''}) belong to customers "
                      "missing from the customers table; they are set aside." + coverage.case_hint(),
                      DataWarning, stacklevel=3)
        rows = r.filter(r.c.isin(cust.c))
        stages = log.to_pandas(rows.group_by("stage").aggregate(events=rows.count()))
        log = replace(log, rows=rows, stages=stages, set_aside=n_unknown)
    return log


def _examples(log: EventLog, picked, columns: Sequence[str], max_examples: int = 5) -> str:
    """A few rows of a joined selection as ``row 3 (c='J1', t=2024-01-02 ...)``."""
    keep = list(columns) + ([ROW] if ROW in picked.columns else [])
    picked = picked.select(*keep)
    if ROW in picked.columns:
        picked = picked.order_by(ROW)
    rows = log.to_pandas(picked.limit(max_examples))
    names = {"c": "customer", "t": "time", "stage": "stage", "signup_t": "signup"}
    out = []
    for _, r in rows.iterrows():
        parts = []
        for c in columns:
            v = r[c]
            if c in ("t", "signup_t") and pd.notna(v):
                v = pd.Timestamp(round(float(v) * SECONDS_PER_DAY), unit="s")
            parts.append(f"{names[c]}={show_value(v)}")
        head = f"row {int(r[ROW])}: " if ROW in rows.columns else ""
        out.append(head + ", ".join(parts))
    return "; ".join(out)
