"""The data engine: where row-heavy work runs, through Ibis.

One Ibis expression runs on DuckDB (embedded, the default: nothing to start or configure), on
Spark (a local ``SparkSession``, or a cluster named by ``spark_master`` or the usual Spark
environment variables) and on the warehouses Ibis supports. Only per-customer or smaller tables
reach pandas.

A *source* names a table:

- a CSV or Parquet file (``data/transactions.csv``), a glob of Parquet files
  (``exports/tx-*.parquet``) or a folder of Parquet files;
- a DuckDB database file and a table, ``warehouse.duckdb::transactions``;
- an Ibis connection URL and a table, ``postgres://user@host/db::transactions``;
- a pandas DataFrame or an Ibis table already in hand.

CSV columns are read as text, so that numbers and dates are coerced (and bad values reported)
in one place, as the pandas loaders do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import resolve_path
from .errors import DataError, show_value

__all__ = ["ENGINES", "DUCKDB_MEMORY_LIMIT", "ROW", "Source", "connect", "check_engine", "read_source",
           "RowRule", "check_rows", "count_rows", "examples", "strip", "blank"]

ENGINES = ("duckdb", "spark")
#: DuckDB spills to disk beyond this, so a 100-million-row log summarizes in about 2.3 GB (with
#: 3GB its peak reached 5.7 GB, for a quarter less time); raise it where memory is plentiful.
DUCKDB_MEMORY_LIMIT = os.environ.get("CX_DUCKDB_MEMORY_LIMIT", "2GB")
ROW = "_cx_row"  # 1-based row number carried by sources that know it (DataFrames)
_CONNECTIONS: dict = {}
_CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".gz"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_DUCKDB_SUFFIXES = {".duckdb", ".db", ".ddb"}


def check_engine(engine) -> str:
    """The engine's name, or a ``ValueError`` that lists the allowed ones."""
    name = "duckdb" if engine in (None, "") else str(engine).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return name


def connect(engine: str = "duckdb", *, spark_master: str | None = None):
    """The Ibis backend for ``engine``, created once per process.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
        ``duckdb`` runs embedded, in memory, with a memory limit (:data:`DUCKDB_MEMORY_LIMIT`,
        environment variable ``CX_DUCKDB_MEMORY_LIMIT``) beyond which it spills to disk.
        ``spark`` starts (or joins) a ``SparkSession``.
    spark_master : str, optional
        Spark master URL (``spark://host:7077``, ``yarn``, ``local[4]``). Without it, the
        ``SPARK_MASTER`` or ``MASTER`` environment variable, else ``local[2]``.
    """
    import ibis

    engine = check_engine(engine)
    master = None
    if engine == "spark":
        master = spark_master or os.environ.get("SPARK_MASTER") or os.environ.get("MASTER") or "local[2]"
    key = (engine, master)
    if key not in _CONNECTIONS:
        if engine == "duckdb":
            _CONNECTIONS[key] = ibis.duckdb.connect(memory_limit=DUCKDB_MEMORY_LIMIT)
        else:
            from pyspark.sql import SparkSession

            session = (SparkSession.builder.master(master).appName("cx-research-kit")
                       .config("spark.ui.enabled", "false")
                       # timestamps are wall-clock times, as in the files: no zone shifts
                       .config("spark.sql.session.timeZone", "UTC")
                       .getOrCreate())
            session.sparkContext.setLogLevel("ERROR")
            _CONNECTIONS[key] = ibis.pyspark.connect(session)
    return _CONNECTIONS[key]


@dataclass
class Source:
    """A table in the engine and how to name it in messages.

    Attributes
    ----------
    table : ibis.Table
        The rows, lazily: nothing is read until a result is asked for.
    name : str
        The file (or ``DataFrame``, or the URL) for messages.
    kind : str
        ``"table"``, ``"csv"``, ``"parquet"``, ``"duckdb"``, ``"url"`` or ``"ibis"``.
    con : ibis backend
        Where ``table`` lives.
    """

    table: object
    name: str
    kind: str
    con: object

    def to_pandas(self, expr) -> pd.DataFrame:
        """Run ``expr`` (built on :attr:`table`) where the table lives and return pandas."""
        return self.con.to_pandas(expr) if self.con is not None else expr.to_pandas()

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.columns if c != ROW]

    @property
    def has_row_numbers(self) -> bool:
        return ROW in self.table.columns


def _split_table(text: str) -> tuple[str, str | None]:
    if "::" in text:
        left, name = text.rsplit("::", 1)
        return left, name or None
    return text, None


def read_source(source, *, table: str, engine: str = "duckdb", con=None,
                spark_master: str | None = None) -> Source:
    """Open ``source`` (see the module docstring) as a lazy table in the engine.

    Parameters
    ----------
    source : str, path-like, pandas.DataFrame, ibis.Table or Source
        What to read.
    table : str
        The kit's name for the table (``"transactions"``), for messages.
    engine, spark_master : str
        Which engine (see :func:`connect`); ignored for an Ibis table, which stays where it is.
    con : ibis backend, optional
        Use this connection instead of the engine's default one.

    Raises
    ------
    DataError
        When the file does not exist, its type is not supported, or it cannot be read.
    """
    import ibis

    if isinstance(source, Source):
        return source
    if isinstance(source, ibis.expr.types.Table):
        return Source(source, "Ibis table", "ibis", None)
    con = con if con is not None else connect(engine, spark_master=spark_master)
    if isinstance(source, pd.DataFrame):
        if source.columns.duplicated().any():
            dup = sorted(set(source.columns[source.columns.duplicated()]))
            raise DataError(f"duplicated column names {dup}; expected each column once",
                            table=table, source=source.attrs.get("source"))
        frame = source.copy(deep=False)
        for col in frame.columns:  # the engine keeps wall-clock time, as the pandas loaders do
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = frame[col].dt.tz_localize(None)
        frame[ROW] = range(1, len(frame) + 1)
        name = source.attrs.get("source") or "DataFrame"
        return Source(ibis.memtable(frame), str(name), "table", con)

    text = os.fspath(source)
    target, name = _split_table(text)
    if "://" in target:
        if not name:
            raise DataError(f"a connection URL needs a table: {target}::TABLE", table=table, source=text)
        try:
            return Source(ibis.connect(target).table(name), text, "url", None)
        except Exception as exc:  # the backend's own message, in one line
            raise DataError(f"could not open table '{name}': {_one_line(exc)}", table=table,
                            source=text) from exc
    has_glob = any(ch in target for ch in "*?[")
    path = Path(target) if has_glob else resolve_path(target)
    if not has_glob and not path.exists():
        raise DataError(f"file not found (looked for {path})", table=table, source=text)
    suffix = Path(target).suffix.lower()
    try:
        if name is not None or suffix in _DUCKDB_SUFFIXES:
            if not name:
                raise DataError(f"a DuckDB database needs a table: {target}::TABLE", table=table, source=text)
            db = ibis.duckdb.connect(str(path), read_only=True)
            return Source(db.table(name), f"{path}::{name}", "duckdb", db)
        if path.is_dir() or suffix in _PARQUET_SUFFIXES:
            pattern = str(path / "*.parquet") if path.is_dir() else str(path)
            return Source(con.read_parquet(pattern), str(path), "parquet", con)
        if suffix in _CSV_SUFFIXES:
            return Source(_read_csv(con, path, suffix), str(path), "csv", con)
    except DataError:
        raise
    except Exception as exc:
        hint = ""
        if "TIMESTAMP(NANOS" in str(exc):
            hint = ("; Spark reads microsecond timestamps only: write the file with "
                    "df.to_parquet(path, coerce_timestamps='us', allow_truncated_timestamps=True)")
        raise DataError(f"could not be read as a table: {_one_line(exc)}{hint}", table=table,
                        source=path) from exc
    raise DataError(f"unsupported file type '{suffix}': expected .csv, .parquet, a folder or glob of "
                    "Parquet files, or DATABASE.duckdb::TABLE", table=table, source=text)


def _read_csv(con, path: Path, suffix: str):
    delimiter = "\t" if suffix == ".tsv" else ","
    if con.name == "duckdb":
        return con.read_csv(str(path), all_varchar=True, delim=delimiter, header=True)
    # Spark reads every column as text unless asked to infer a schema
    return con.read_csv(str(path), header=True, sep=delimiter)


def strip(col):
    """Whitespace removed from both ends of an Ibis string column, on every engine.

    Ibis 12's ``strip()`` on Spark also removes the letters f and v at the ends ("feedback"
    becomes "eedback"), so the kit strips with a regular expression instead.
    """
    return col.re_replace(r"^\s+|\s+$", "")


def blank(col):
    """Missing cells of an Ibis column: null, NaN, or text that is empty after stripping."""
    import ibis.expr.types as ir

    if isinstance(col, ir.StringValue):
        return col.isnull() | (strip(col) == "")
    if isinstance(col, ir.FloatingValue):
        return col.isnull() | col.isnan()
    return col.isnull()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass(frozen=True)
class RowRule:
    """A rule every row must keep: ``bad`` flags the rows that break it.

    ``bad`` is a function of the table returning an Ibis boolean column; ``message`` says what
    was expected; ``column`` is where the problem is; ``show`` the columns of the examples.
    """

    bad: object
    message: str
    column: str | None = None
    show: Sequence[str] = ()


def count_rows(src: Source, conditions: dict) -> dict[str, int]:
    """Count the rows meeting each Ibis condition in one pass over the table; ``"rows"`` is all rows."""
    t = src.table
    exprs = {name: cond(t).fill_null(False).cast("int64").sum() for name, cond in conditions.items()}
    exprs["rows"] = t.count()
    row = src.to_pandas(t.aggregate(**exprs)).iloc[0]
    return {k: int(0 if pd.isna(v) else v) for k, v in row.items()}


def examples(src: Source, bad, show: Sequence[str], max_examples: int = 5) -> str:
    """A few offending rows as ``row 3 (customer_id='a', amount=-1.0)``; row numbers where known."""
    import ibis

    t = src.table
    if not src.has_row_numbers and src.con is not None and getattr(src.con, "name", "") == "duckdb":
        # DuckDB scans a single file in order, so a row number over the scan is the data row
        t = t.mutate(**{ROW: ibis.row_number() + 1})
    cols = [c for c in show if c in t.columns]
    keep = cols + ([ROW] if ROW in t.columns else [])
    picked = t.filter(bad(t).fill_null(False)).select(*keep)
    if ROW in t.columns:
        picked = picked.order_by(ROW)
    rows = src.to_pandas(picked.limit(max_examples))
    out = []
    for _, r in rows.iterrows():
        shown = ", ".join(f"{c}={show_value(r[c])}" for c in cols[:4])
        head = f"row {int(r[ROW])}" if ROW in rows.columns else "e.g."
        out.append(f"{head} ({shown})" if shown else head)
    return "; ".join(out)


def check_rows(src: Source, rules: Sequence[RowRule], *, table: str, also: dict | None = None) -> dict:
    """Raise one :class:`DataError` for an empty table or the first rule that some rows break.

    All rules are counted in one pass, together with the conditions in ``also`` (whose counts
    are returned, for warnings); only a broken rule costs a second pass, for its examples.
    """
    counts = count_rows(src, {**{str(i): rule.bad for i, rule in enumerate(rules)}, **(also or {})})
    if counts["rows"] == 0:
        raise DataError("the table is empty: expected at least one row", source=src.name, table=table)
    for i, rule in enumerate(rules):
        n = counts[str(i)]
        if n:
            shown = examples(src, rule.bad, list(rule.show) or ([rule.column] if rule.column else []))
            more = ", ..." if n > 5 else ""
            raise DataError(f"{n} row{'s' if n != 1 else ''} ({shown}{more}): {rule.message}",
                            source=src.name, table=table, column=rule.column, n_rows=n)
    return {name: counts[name] for name in (also or {})}
