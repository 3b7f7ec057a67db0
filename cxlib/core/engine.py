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
in one place, as the pandas loaders do. CSV files are UTF-8 unless an ``encoding`` is given
(:data:`CSV_ENCODINGS`); a file that is not valid UTF-8 gets a :class:`DataError` that says so and
suggests the encoding to give, as :func:`cxlib.core.read_table` does.
"""

from __future__ import annotations

import atexit
import codecs
import functools
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import resolve_path
from .errors import DataError, DataWarning, location, show_value

__all__ = ["ENGINES", "DUCKDB_MEMORY_LIMIT", "ROW", "Source", "connect", "check_engine", "read_source",
           "CSV_ENCODINGS", "csv_encoding",
           "RowRule", "check_rows", "count_rows", "examples", "strip", "blank", "backend_name",
           "strptime", "spark_datetime_pattern", "LogFence", "log_center", "log_upper_fence", "weighted_quantile",
           "HISTOGRAM_VALUES"]

ENGINES = ("duckdb", "spark")
#: DuckDB spills to disk beyond this, so a 100-million-row log summarizes in about 2.3 GB (with
#: 3GB its peak reached 5.7 GB, for a quarter less time); raise it where memory is plentiful.
DUCKDB_MEMORY_LIMIT = os.environ.get("CX_DUCKDB_MEMORY_LIMIT", "2GB")
ROW = "_cx_row"  # 1-based row number carried by sources that know it (DataFrames)
_CONNECTIONS: dict = {}
_CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".gz"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_DUCKDB_SUFFIXES = {".duckdb", ".db", ".ddb"}

#: Text encodings the engine reads CSV files in (the kit's names; aliases such as ``latin1``,
#: ``iso-8859-1`` and ``windows-1252`` are accepted, see :func:`csv_encoding`).
CSV_ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")
# Python's codec name -> the kit's name. ASCII is a subset of UTF-8 and a UTF-8 byte-order mark is
# read by both engines, so those are plain UTF-8.
_ENCODING_NAMES = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8", "iso8859-1": "latin-1",
                   "cp1252": "cp1252", "utf-16": "utf-16"}
_ENCODING_HINT = "give the file's encoding, for example encoding: latin-1 (or cp1252 for Windows exports)"
#: Bytes of a file checked in Python before DuckDB reads it: an encoding error near the top gets
#: its line number at once. DuckDB stops at a bad byte further down itself; Spark would replace
#: it silently, so for Spark the whole file is checked.
_CHECKED_BYTES = 1 << 20
_TRANSCODED: dict = {}


def check_engine(engine) -> str:
    """The engine's name, or a ``ValueError`` that lists the allowed ones."""
    name = "duckdb" if engine in (None, "") else str(engine).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    return name


def csv_encoding(encoding) -> str:
    """The kit's name (one of :data:`CSV_ENCODINGS`) of a CSV file's text encoding.

    ``None`` or ``""`` is UTF-8. Aliases are resolved as Python resolves them (``latin1``,
    ``ISO-8859-1`` and ``l1`` are ``latin-1``; ``windows-1252`` is ``cp1252``).

    Raises
    ------
    ValueError
        For an unknown encoding, or one the engine's CSV readers cannot read.
    """
    if encoding in (None, ""):
        return "utf-8"
    allowed = "utf-8, latin-1 (iso-8859-1), cp1252 (windows-1252) or utf-16"
    try:
        name = codecs.lookup(str(encoding).strip()).name
    except LookupError:
        raise ValueError(f"unknown text encoding {encoding!r}; CSV files are read in {allowed}") from None
    if name not in _ENCODING_NAMES:
        raise ValueError(f"encoding {encoding!r} is not one the engine reads CSV files in ({allowed}); "
                         "save the file as UTF-8 and leave encoding empty")
    return _ENCODING_NAMES[name]


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
    table_name : str, optional
        The kit's name of the table (``"transactions"``), for messages.
    encoding : str
        The text encoding a CSV file is read in (:func:`csv_encoding`).
    """

    table: object
    name: str
    kind: str
    con: object
    table_name: str | None = None
    encoding: str = "utf-8"

    def to_pandas(self, expr) -> pd.DataFrame:
        """Run ``expr`` (built on :attr:`table`) where the table lives and return pandas.

        DuckDB reads a CSV file as a query needs it, so a byte that does not decode far down the
        file stops the query, not the opening: that error gets the same message as at opening.
        """
        try:
            return self.con.to_pandas(expr) if self.con is not None else expr.to_pandas()
        except Exception as exc:
            if self.kind == "csv":
                error = _decoding_error(exc, self.name, self.table_name, self.encoding)
                if error is not None:
                    raise error from exc
            raise

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.columns if c != ROW]

    @property
    def has_row_numbers(self) -> bool:
        return ROW in self.table.columns


def _utc_wall_clock(values: pd.Series, source, table: str, column) -> pd.Series:
    """A zone-aware column as UTC wall-clock time, as :func:`cxlib.core.parse_dates` does by default."""
    n = int(values.notna().sum())
    warnings.warn(f"{location(source, table, column)}: {n} timestamp{'s carry' if n != 1 else ' carries'} a "
                  f"time zone; {'they are' if n != 1 else 'it is'} converted to UTC and kept as UTC wall-clock "
                  "time", DataWarning, stacklevel=4)
    return values.dt.tz_convert("UTC").dt.tz_localize(None)


def _split_table(text: str) -> tuple[str, str | None]:
    if "::" in text:
        left, name = text.rsplit("::", 1)
        return left, name or None
    return text, None


def read_source(source, *, table: str, engine: str = "duckdb", con=None,
                spark_master: str | None = None, encoding: str | None = None) -> Source:
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
    encoding : str, optional
        Text encoding of a CSV file, one of :data:`CSV_ENCODINGS` or an alias
        (:func:`csv_encoding`); UTF-8 when not given. Parquet files and database tables store
        their text encoding themselves: it is ignored for them.

    Raises
    ------
    DataError
        When the file does not exist, its type is not supported, or it cannot be read; a CSV file
        that does not decode in its encoding (by default UTF-8) is named with the line, and the
        message suggests the encoding to give.
    ValueError
        For a CSV file's encoding the engine cannot read.
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
        name = source.attrs.get("source") or "DataFrame"
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = _utc_wall_clock(frame[col], name, table, col)
        frame[ROW] = range(1, len(frame) + 1)
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
    # only CSV files are decoded by the reader: Parquet and databases keep their own encoding
    encoding = csv_encoding(encoding) if suffix in _CSV_SUFFIXES else "utf-8"
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
            _check_text(path, encoding, table, whole=con.name != "duckdb")
            return Source(_read_csv(con, path, suffix, encoding, table), str(path), "csv", con, table, encoding)
    except DataError:
        raise
    except Exception as exc:
        error = _decoding_error(exc, path, table, encoding) if suffix in _CSV_SUFFIXES else None
        if error is not None:
            raise error from exc
        hint = ""
        if "TIMESTAMP(NANOS" in str(exc):
            hint = ("; Spark reads microsecond timestamps only: write the file with "
                    "df.to_parquet(path, coerce_timestamps='us', allow_truncated_timestamps=True)")
        raise DataError(f"could not be read as a table: {_one_line(exc)}{hint}", table=table,
                        source=path) from exc
    raise DataError(f"unsupported file type '{suffix}': expected .csv, .parquet, a folder or glob of "
                    "Parquet files, or DATABASE.duckdb::TABLE", table=table, source=text)


def _read_csv(con, path: Path, suffix: str, encoding: str = "utf-8", table: str | None = None):
    """A CSV file with every column as text, decoded from ``encoding`` (:data:`CSV_ENCODINGS`)."""
    delimiter = "\t" if suffix == ".tsv" else ","
    if con.name == "duckdb":
        options = {}
        if encoding == "cp1252":  # DuckDB has no cp1252 decoder: read a UTF-8 copy instead
            path = _utf8_copy(path, suffix, encoding, table)
        elif encoding != "utf-8":
            if encoding == "utf-16" and _starts_with(path, codecs.BOM_UTF16_BE):
                # DuckDB reads big-endian UTF-16 as no rows at all, without an error
                raise DataError("is big-endian UTF-16 (it starts with the bytes FE FF), which DuckDB "
                                "cannot read; save it as UTF-8 (or little-endian UTF-16), or use "
                                "engine: spark", table=table, source=path)
            options["encoding"] = encoding
        return con.read_csv(str(path), all_varchar=True, delim=delimiter, header=True, **options)
    # Ibis infers Spark column types unless told not to; the kit reads text (ids such as 007 stay text)
    options = {"inferSchema": False}
    if encoding in ("latin-1", "cp1252"):
        options["encoding"] = "ISO-8859-1"  # Spark 4 has no cp1252 decoder: see _cp1252_columns
    elif encoding == "utf-16":
        # a file without a byte-order mark is little-endian, as DuckDB reads it; Spark splits
        # UTF-16 lines correctly only when it reads each file whole (multiLine)
        bom = _starts_with(path, codecs.BOM_UTF16_BE) or _starts_with(path, codecs.BOM_UTF16_LE)
        options.update(encoding="UTF-16" if bom else "UTF-16LE", multiLine=True)
    t = con.read_csv(str(path), header=True, sep=delimiter, **options)
    return _cp1252_columns(t) if encoding == "cp1252" else t


# cp1252 is latin-1 but for 27 of the bytes 0x80-0x9F (the euro sign, curly quotes, dashes ...);
# the other 5 are unassigned and stay as latin-1 reads them.
_CP1252_FROM = "".join(chr(b) for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D))
_CP1252_TO = bytes(ord(ch) for ch in _CP1252_FROM).decode("cp1252")
_CP1252 = str.maketrans(_CP1252_FROM, _CP1252_TO)


def _cp1252_columns(t):
    """A table read as latin-1, with the characters cp1252 assigns to 0x80-0x9F put back, in the engine."""
    return t.select(**{str(name).translate(_CP1252): t[name].translate(_CP1252_FROM, _CP1252_TO)
                       for name in t.columns})


def _opener(path: Path):
    import gzip

    return gzip.open if path.suffix.lower() == ".gz" else open


def _starts_with(path: Path, prefix: bytes) -> bool:
    with _opener(path)(path, "rb") as fh:
        return fh.read(len(prefix)) == prefix


def _check_text(path: Path, encoding: str, table: str, whole: bool = False) -> None:
    """Decode a UTF-8 file in Python, so that a bad byte is named with its line on any engine.

    Only the top (:data:`_CHECKED_BYTES`) unless ``whole``: DuckDB names a bad byte further down
    when a query meets it, Spark does not (it puts U+FFFD in its place), so for Spark the whole
    file is streamed through the decoder, a block at a time. Only UTF-8 is checked: every byte is
    some latin-1 or cp1252 character, and the engines' UTF-16 readers say themselves when a file
    is not UTF-16.
    """
    if encoding != "utf-8":
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0  # newlines in the blocks before this one
    with _opener(path)(path, "rb") as fh:
        while block := fh.read(_CHECKED_BYTES):
            try:
                decoder.decode(block, final=False)  # a character cut at the block's end waits for the next
            except UnicodeDecodeError as exc:
                # the error's offset is in the decoder's input: the block, after up to 3 bytes kept back
                kept = len(exc.object) - len(block)
                start = max(exc.start - kept, 0)
                line = lines + block[:start].count(b"\n") + 1
                raise DataError(f"is not valid utf-8 text ({exc.reason}: byte 0x{exc.object[exc.start]:02x} "
                                f"on line {line}); {_ENCODING_HINT}", table=table, source=path) from None
            if not whole:
                return
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise DataError(f"is not valid utf-8 text ({exc.reason} at the end of the file); {_ENCODING_HINT}",
                            table=table, source=path) from None


def _decoding_error(exc: BaseException, source, table: str | None, encoding: str) -> DataError | None:
    """The kit's message for an engine's decoding error, or None for another error."""
    text = str(exc)
    if "Invalid unicode" in text:
        line = re.search(r"CSV Error on Line: (\d+)", text)
        where = f" (line {line.group(1)})" if line else ""
        return DataError(f"is not valid utf-8 text{where}; {_ENCODING_HINT}", table=table, source=source)
    if "not latin-1 encoded" in text:
        return DataError("is not latin-1 text as the engine reads it: it has bytes 0x80-0x9F, which Windows "
                         "exports use for the euro sign, curly quotes and dashes; give encoding: cp1252",
                         table=table, source=source)
    if "not utf-16 encoded" in text:
        return DataError(f"is not valid {encoding} text; give the file's encoding (utf-8 when not given, "
                         "latin-1 or cp1252)", table=table, source=source)
    return None


def _utf8_copy(path: Path, suffix: str, encoding: str, table: str | None) -> Path:
    """A UTF-8 copy of a CSV file in another encoding, made once per file version and process.

    Streamed in blocks (memory stays small); the copies live in a scratch folder removed at exit.
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, encoding)
    if key not in _TRANSCODED or not _TRANSCODED[key].exists():
        target = Path(_scratch()) / f"{len(_TRANSCODED)}-{path.name.removesuffix('.gz')}"
        try:
            with _opener(path)(path, "rt", encoding=encoding, newline="") as src, \
                    open(target, "w", encoding="utf-8", newline="") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except UnicodeDecodeError as exc:
            target.unlink(missing_ok=True)
            raise DataError(f"is not valid {encoding} text ({exc.reason}: byte 0x{exc.object[exc.start]:02x}); "
                            "give the file's encoding (utf-8 when not given, latin-1)",
                            table=table, source=path) from None
        _TRANSCODED[key] = target
    return _TRANSCODED[key]


def _scratch() -> str:
    if "dir" not in _SCRATCH:
        _SCRATCH["dir"] = tempfile.mkdtemp(prefix="cx-csv-")
        atexit.register(shutil.rmtree, _SCRATCH["dir"], True)
    return _SCRATCH["dir"]


_SCRATCH: dict = {}


def strip(col):
    """Whitespace removed from both ends of an Ibis string column, on every engine.

    Ibis 12's ``strip()`` on Spark also removes the letters f and v at the ends ("feedback"
    becomes "eedback"), so the kit strips with a regular expression instead, and only in the cells
    that may need it (:func:`padded`): the test costs half the regular expression, and most
    cells pass it.
    """
    import ibis

    return ibis.ifelse(padded(col), col.re_replace(r"^\s+|\s+$", ""), col)


def padded(col):
    """Text cells that may start or end with whitespace: a first or last character at or below
    U+0020 (space, tab, line breaks, other control characters; an empty text too).

    A superset of the cells :func:`strip` changes, found without a regular expression. Counted
    in a log's first pass, it lets the later passes leave out the strip when no cell needs it
    (:func:`unpadded`).
    """
    return (col.ascii_str() <= 32) | (col.right(1).ascii_str() <= 32)


def padded_conditions(table, columns) -> dict:
    """For ``check_rows(also=...)``: the :func:`padded` cells of each text column among
    ``columns`` (empty names and repeats skipped), read back by :func:`padded_counts`."""
    return {f"_padded_{i}": (lambda t, c=c: padded(t[c])) for i, c in enumerate(_text_columns(table, columns))}


def padded_counts(table, columns, counts: dict) -> dict:
    """Column name to its number of padded cells, from the counts of :func:`padded_conditions`."""
    return {c: counts[f"_padded_{i}"] for i, c in enumerate(_text_columns(table, columns))}


def _text_columns(table, columns) -> list:
    import ibis.expr.types as ir

    return [c for c in dict.fromkeys(c for c in columns if c) if isinstance(table[c], ir.StringValue)]


def unpadded(col, n_padded: int | None = None):
    """A text column stripped, with empty text as null; the strip is left out when ``n_padded``
    (a count of :func:`padded` cells) is 0."""
    return (col if n_padded == 0 else strip(col)).nullif("")


def blank(col):
    """Missing cells of an Ibis column: null, NaN, or text that is empty after stripping."""
    import ibis.expr.types as ir

    if isinstance(col, ir.StringValue):
        return col.isnull() | (strip(col) == "")
    if isinstance(col, ir.FloatingValue):
        return col.isnull() | col.isnan()
    return col.isnull()


def first_by(value, key, backend: str, where=None):
    """Per group, ``value`` at the row with the smallest ``key`` (any one of them when several
    rows share it), among the rows ``where`` is true.

    Ibis writes ``argmin`` on DuckDB as ``FIRST(value ORDER BY key)``, an ordered aggregate that
    sorts every group; DuckDB's own ``arg_min`` is a plain hash aggregate (about 0.5 s of 4.5 s in
    the CLV summary of 10,000,000 purchases). Other backends get Ibis's ``argmin``.
    """
    if backend != "duckdb":
        return value.argmin(key, where=where)
    return _duckdb_arg_min(value.type(), key.type())(value, key, where=where)


@functools.cache
def _duckdb_arg_min(value_type, key_type):
    import ibis

    def arg_min(value, key):
        ...

    arg_min.__annotations__ = {"value": value_type, "key": key_type, "return": value_type}
    return ibis.udf.agg.builtin(arg_min, name="arg_min")


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


def count_rows(src: Source, conditions: dict, *, values: dict | None = None) -> dict:
    """Count the rows meeting each Ibis condition in one pass over the table; ``"rows"`` is all rows.

    ``values`` maps names to functions of the table returning other scalar aggregates (a median,
    a maximum), computed in the same pass and returned as floats (NaN when null).
    """
    t = src.table
    exprs = {name: cond(t).fill_null(False).cast("int64").sum() for name, cond in conditions.items()}
    exprs["rows"] = t.count()
    extra = {name: agg(t) for name, agg in (values or {}).items()}
    row = src.to_pandas(t.aggregate(**exprs, **extra)).iloc[0]
    counts = {k: int(0 if pd.isna(row[k]) else row[k]) for k in exprs}
    return {**counts, **{k: float("nan") if pd.isna(row[k]) else float(row[k]) for k in extra}}


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


def check_rows(src: Source, rules: Sequence[RowRule], *, table: str, also: dict | None = None,
               values: dict | None = None) -> dict:
    """Raise one :class:`DataError` for an empty table or the first rule that some rows break.

    All rules are counted in one pass, together with the conditions in ``also`` (whose counts
    are returned, for warnings) and the aggregates in ``values`` (returned too, see
    :func:`count_rows`); only a broken rule costs a second pass, for its examples.
    """
    counts = count_rows(src, {**{str(i): rule.bad for i, rule in enumerate(rules)}, **(also or {})},
                        values=values)
    if counts["rows"] == 0:
        raise DataError("the table is empty: expected at least one row", source=src.name, table=table)
    for i, rule in enumerate(rules):
        n = counts[str(i)]
        if n:
            shown = examples(src, rule.bad, list(rule.show) or ([rule.column] if rule.column else []))
            more = ", ..." if n > 5 else ""
            raise DataError(f"{n} row{'s' if n != 1 else ''} ({shown}{more}): {rule.message}",
                            source=src.name, table=table, column=rule.column, n_rows=n)
    return {name: counts[name] for name in [*(also or {}), *(values or {})]}


def backend_name(src: Source) -> str:
    """The Ibis backend that runs ``src`` (``"duckdb"``, ``"pyspark"``, ...), or ``""`` if unknown."""
    con = src.con
    if con is None:
        try:
            con = src.table._find_backend()
        except Exception:  # an unbound table: the backend is chosen when it runs
            return ""
    return str(getattr(con, "name", ""))


# strftime directives and their Spark (java.time) pattern letters. Single letters for numbers,
# so that 1/2/2024 reads with %d/%m/%Y on Spark as it does in pandas and DuckDB.
_SPARK_DIRECTIVES = {"Y": "yyyy", "y": "yy", "m": "M", "d": "d", "H": "H", "I": "h", "M": "m", "S": "s",
                     "f": "SSSSSS", "p": "a", "b": "MMM", "B": "MMMM", "a": "EEE", "A": "EEEE", "j": "D"}


def spark_datetime_pattern(date_format: str) -> str:
    """A strftime format (``%d/%m/%Y %H:%M``) as a Spark datetime pattern (``d/M/yyyy H:m``).

    Raises
    ------
    ValueError
        For directives Spark has no equivalent for in the engine path (``%z``, ``%Z``, ``%U``, ...).
    """
    out, literal, i = [], "", 0

    def flush():
        nonlocal literal
        if literal:  # letters and quotes are pattern syntax in Spark: quote literal text
            out.append("'" + literal.replace("'", "''") + "'" if re.search(r"[A-Za-z']", literal) else literal)
            literal = ""

    while i < len(date_format):
        ch = date_format[i]
        if ch != "%":
            literal += ch
            i += 1
            continue
        code = date_format[i + 1:i + 2]
        if code == "%":
            literal += "%"
        elif code in _SPARK_DIRECTIVES:
            flush()
            out.append(_SPARK_DIRECTIVES[code])
        else:
            raise ValueError(f"date_format {date_format!r}: %{code} is not supported in the engine; "
                             f"use {', '.join('%' + k for k in _SPARK_DIRECTIVES)}")
        i += 2
    flush()
    return "".join(out)


def strptime(text, date_format: str, backend: str):
    """``text`` (an Ibis string column) parsed with a strftime ``date_format``; null where it does not fit.

    DuckDB runs ``try_strptime``, Spark ``try_to_timestamp`` with the format translated by
    :func:`spark_datetime_pattern`; other backends their own strict parser (where a value that
    does not fit may stop the query rather than give null). Zone directives (``%z``, ``%Z``)
    are refused: the engine keeps zone-free wall-clock time.
    """
    import ibis
    import ibis.expr.datatypes as dt

    if "%z" in date_format or "%Z" in date_format:
        raise ValueError(f"date_format {date_format!r}: time zones (%z, %Z) are not supported in the "
                         "engine; ISO 8601 timestamps with an offset need no date_format (they are "
                         "converted to UTC)")
    # the backend's own functions; the signature is given explicitly (annotations are strings here)
    signature = ((dt.string, dt.string), dt.timestamp)
    if backend == "duckdb":
        parse = ibis.udf.scalar.builtin(_parse_text, name="try_strptime", signature=signature)
        return parse(text, date_format)
    if backend == "pyspark":
        parse = ibis.udf.scalar.builtin(_parse_text, name="try_to_timestamp", signature=signature)
        return parse(text, spark_datetime_pattern(date_format))
    return text.as_timestamp(date_format)


def _parse_text(value, fmt):
    """Stands for the backend's own text-to-timestamp function (see :func:`strptime`)."""


#: Normal-consistency factors: sigma = 1.4826 x MAD (Leys et al. 2013), and
#: sigma = sqrt(pi / 2) x mean absolute deviation, the fallback when more than half the values tie.
MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = math.sqrt(math.pi / 2)


@dataclass(frozen=True)
class LogFence:
    """An upper limit for positive values, far outside the bulk on the log scale.

    ``limit = exp(median + mads x scale)`` with ``median`` and ``scale`` (a robust standard
    deviation) of ``log(value)``.

    Attributes
    ----------
    limit : float
        Values above it are far outside the bulk.
    median : float
        The median value (``exp`` of the median log value).
    mad : float
        Median absolute deviation of the log values around their median.
    scale : float
        The robust standard deviation used: ``1.4826 x mad``, or ``1.2533 x`` the mean absolute
        deviation when ``mad`` is 0 (more than half of the values equal).
    mads : float
        How many robust standard deviations above the median the limit is.
    n : int
        Positive values the limit was computed from.
    approximate : bool
        Whether the medians are approximate (Spark's ``approx_percentile``).
    largest : float
        The largest value: none is above the limit when it is not, and counting them is skipped.
    """

    limit: float
    median: float
    mad: float
    scale: float
    mads: float
    n: int
    approximate: bool
    largest: float = math.inf

    def describe(self) -> str:
        """The rule in one clause, for messages."""
        how = "1.4826 x MAD" if self.mad > 0 else "1.2533 x mean absolute deviation (the MAD is 0)"
        return (f"exp(median + {self.mads:g} x {how}) of the log amounts, with median amount "
                f"{self.median:,.2f} and a robust standard deviation of {self.scale:.3f} on the log "
                f"scale{' (approximate medians)' if self.approximate else ''}")


#: at most this many distinct positive values (as the first pass estimates them), the medians
#: come exactly from a table of the values and their counts, one cheap grouping; beyond it, from
#: the engine's median aggregates, which gather the column (two passes)
HISTOGRAM_VALUES = 200_000


def _median(col, approximate: bool):
    """The median of an Ibis column: ``approx_median`` where the exact one gathers the column in
    one task (Spark), see :func:`log_upper_fence`."""
    return col.approx_median() if approximate else col.median()


def weighted_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` each repeated ``counts`` times, interpolated between the
    two nearest ranks as DuckDB's ``quantile_cont`` (and numpy's default) does: position
    ``(n - 1) q`` of the sorted values."""
    order = np.argsort(values, kind="stable")
    values, cum = np.asarray(values, dtype=np.float64)[order], np.cumsum(np.asarray(counts)[order])
    pos = (cum[-1] - 1) * q
    lo = math.floor(pos)
    below, above = values[np.searchsorted(cum, [lo, math.ceil(pos)], side="right")]
    return float(below + (pos - lo) * (above - below))


def _positive(value):
    """A function of the table: the value where positive, else null (aggregates skip nulls;
    Spark's percentile takes no filter)."""
    import ibis

    def positive(t):
        v = value(t).cast("float64")
        return ibis.ifelse(v > 0, v, ibis.null("float64"))
    return positive


def log_center(src: Source, value) -> dict:
    """The aggregates of the first pass of :func:`log_upper_fence`, as functions of the table.

    Give them to :func:`check_rows` (``values=``) so that they are taken in the pass that checks
    the rows, and pass what it returns to :func:`log_upper_fence` as ``center``: how many positive
    values, the largest, and about how many distinct ones (which decides how the medians are
    taken).
    """
    positive = _positive(value)
    return {"fence_n": lambda t: positive(t).count(),
            "fence_distinct": lambda t: positive(t).approx_nunique(),
            "fence_max": lambda t: positive(t).max()}


def _histogram_center(src: Source, value) -> tuple[float, float, float, bool]:
    """Median, MAD and mean absolute deviation of the log values, exactly, from the distinct
    values and their counts (one grouping in the engine; logs and medians in numpy)."""
    t = src.table
    v = value(t).cast("float64")
    positive = t.filter(v > 0).select(x=v)
    table = src.to_pandas(positive.group_by("x").aggregate(n=positive.count()))
    logs, counts = np.log(table["x"].to_numpy(dtype=np.float64)), table["n"].to_numpy(dtype=np.int64)
    med = weighted_quantile(logs, counts, 0.5)
    dev = np.abs(logs - med)
    return med, weighted_quantile(dev, counts, 0.5), float(dev @ counts / counts.sum()), False


def _engine_center(src: Source, value) -> tuple[float, float, float, bool]:
    """Median, MAD and mean absolute deviation of the log values by the engine's median
    aggregates (approximate on Spark), two passes."""
    approximate = backend_name(src) == "pyspark"
    positive = _positive(value)
    center = count_rows(src, {}, values={"median": lambda t: _median(positive(t).ln(), approximate)})
    med = float(center["median"])
    t = src.table
    v = value(t)
    logs = t.filter(v > 0).select(x=v.cast("float64").ln())
    dev = (logs.x - med).abs()
    second = src.to_pandas(logs.aggregate(mad=_median(dev, approximate), mean_ad=dev.mean())).iloc[0]
    return med, float(second["mad"]), float(second["mean_ad"]), approximate


def log_upper_fence(src: Source, value, mads: float, *, center: dict | None = None) -> LogFence | None:
    """The upper limit ``exp(median + mads x 1.4826 x MAD)`` of the positive values, in the engine.

    Median and MAD are taken on the log scale, where amounts are roughly symmetric, so a few
    huge values cannot move the limit (Leys et al. 2013, "Detecting outliers: Do not use
    standard deviation around the mean, use absolute deviation around the median", *Journal of
    Experimental Social Psychology* 49(4), 764-766).

    Parameters
    ----------
    src : Source
        The table.
    value : callable
        Function of the table returning the Ibis numeric column; values of 0 or less, and
        nulls, are left out.
    mads : float
        Robust standard deviations above the median; 0 or less means no limit (None).
    center : dict, optional
        The aggregates of :func:`log_center`, already computed (in :func:`check_rows`'s pass);
        without them a pass computes them.

    Returns
    -------
    LogFence or None
        None when ``mads <= 0`` or there is no positive value.

    Notes
    -----
    Amounts are prices: even on 100 million purchases they take a few thousand distinct values.
    When the first pass counts at most :data:`HISTOGRAM_VALUES` distinct positive values, one
    grouping gives each distinct value and its count, and the median and the MAD are computed
    from that table exactly, on every engine. Otherwise the engine's median aggregates take two
    more passes (the median, then the MAD). DuckDB's are exact; Spark's exact ``percentile``
    gathers the whole column in one task, so there the medians are ``approx_percentile``
    (relative rank error about 1e-4): limits then differ slightly between engines, and only a
    value within that sliver of the limit can be flagged on one and not the other.
    """
    if not mads or mads <= 0:
        return None
    if center is None:
        center = count_rows(src, {}, values=log_center(src, value))
    n = int(center["fence_n"])
    if n == 0:
        return None
    if center.get("fence_distinct", HISTOGRAM_VALUES + 1) <= HISTOGRAM_VALUES:
        med, mad, mean_ad, approximate = _histogram_center(src, value)
    else:
        med, mad, mean_ad, approximate = _engine_center(src, value)
    scale = MAD_TO_SD * mad if mad > 0 else MEAN_AD_TO_SD * mean_ad
    limit = math.exp(min(med + mads * scale, 709.0))  # exp overflows beyond 709
    return LogFence(limit, math.exp(med), mad, scale, float(mads), n, approximate,
                    float(center["fence_max"]))
