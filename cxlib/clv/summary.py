"""From a raw transaction log to the per-customer summary the buy-till-you-die models use.

For each customer: ``frequency`` (number of repeat purchase days), ``recency`` (age at the last
purchase), ``T`` (age at the end of observation) and ``monetary_value`` (mean amount of the
repeat purchase days), all times in a chosen unit. Purchases on the same calendar day merge
into one, as in Fader, Hardie & Lee (2005).

The work is done on integer arrays (days since the epoch, factorized customer codes) with
``numpy`` grouped reductions, so that tens of millions of rows summarize in seconds.
"""

from __future__ import annotations

import ctypes
import warnings

import numpy as np
import pandas as pd

from ..core import DataError, DataWarning, describe_rows, require_columns, require_not_empty, require_rows
from ..core import location, to_datetime, to_numeric, unit_days

__all__ = ["rfm_summary", "calibration_and_holdout", "load_cdnow", "prepare_log",
           "to_day", "unique_pairs"]

TABLE = "transactions"


def to_day(value) -> int:
    """A date-like value as whole days since 1970-01-01 (time of day dropped)."""
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _sort_codes(codes: np.ndarray, uniques):
    """Renumber factorized codes so the unique ids are in sorted order.

    Arrow sorts millions of text ids several times faster than numpy or pandas sorting Python
    strings. Ids of mixed types (numbers and text) are sorted by their text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        order = np.asarray(pc.sort_indices(pa.array(np.asarray(uniques), from_pandas=True)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        order = pd.Index(uniques).astype(str).argsort()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), uniques[order]


def _addresses(values: np.ndarray) -> np.ndarray:
    """The memory address of every object of a contiguous object array, as integers.

    The objects themselves are not touched, which is what makes this cheap on a log in time
    order, where the rows of one customer point to objects scattered over the heap.
    """
    buf = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
    return np.frombuffer(buf, dtype=np.intp).copy()


def _compact_slots(addr: np.ndarray, limit: int):
    """Map addresses to small non-negative integers (equal address, equal slot), or None.

    Python objects are at least 8-byte aligned and the objects of one column usually sit close
    together, so ``(address - lowest) >> alignment`` is a direct index. When they are spread out,
    the high part (1 MB regions) is renumbered first. None when the table would exceed ``limit``.
    """
    lo = int(addr.min())
    rel = addr - lo
    spread = int(np.bitwise_or.reduce(rel))
    shift = (spread & -spread).bit_length() - 1 if spread else 0
    if shift:
        rel >>= shift
    size = int(rel.max()) + 1
    if size <= limit:
        return rel, size
    low_bits = max(20 - shift, 1)
    high, regions = pd.factorize(rel >> low_bits)
    n_high = len(regions)
    if (n_high << low_bits) > limit:
        return None
    rel &= (1 << low_bits) - 1
    rel |= high.astype(np.intp) << low_bits
    return rel, n_high << low_bits


def _factorize_text_objects(values: np.ndarray, sort: bool = False):
    """``pd.factorize`` of an object array of Python strings, or None to use ``pd.factorize``.

    Logs repeat a customer's id on every row, and the id column usually holds the same string
    object on all of them (the CSV and Parquet readers share repeated strings, and so does
    indexing an array of ids). Rows are first grouped by object identity, using the addresses
    as integer keys in a direct table instead of a hash table, then the distinct objects
    (one per customer) are checked for equal text. Codes follow the order of first
    appearance, exactly as ``pd.factorize`` numbers them, or with ``sort`` the order of the
    sorted ids.
    """
    n = len(values)
    if n < 2 or not values.flags.c_contiguous:
        return None
    addr = _addresses(values)
    # A log grouped by customer has runs of the same object: keep only the first row of each.
    head = np.empty(n, dtype=bool)
    head[0] = True
    np.not_equal(addr[1:], addr[:-1], out=head[1:])
    n_heads = int(np.count_nonzero(head))
    grouped = n_heads < n // 2
    if grouped:
        run_start = np.flatnonzero(head)
        addr = addr[run_start]
    m = len(addr)
    compact = _compact_slots(addr, 2 * m + (1 << 22))
    if compact is None:  # objects spread over the heap: a hash table of the addresses
        obj_code, uniq_addr = pd.factorize(addr)
        k = len(uniq_addr)
        if k > n // 2:  # hardly any sharing: hashing the text directly is as quick
            return None
        order = np.arange(k)
        first_pos = np.flatnonzero(np.r_[True, obj_code[1:] > np.maximum.accumulate(obj_code)[:-1]])
    else:
        slot, size = compact
        # First row of each object: its place in the order of first appearance.
        first = np.full(size, m, dtype=np.intp)
        np.minimum.at(first, slot, np.arange(m))
        used = np.flatnonzero(first < m)
        k = len(used)
        if k > n // 2:
            return None
        first = first[used]
        # The first rows are distinct, so they order the objects without a sort.
        by_row = np.full(m, -1, dtype=np.intp)
        by_row[first] = np.arange(k)
        order = by_row[by_row >= 0]
        del by_row
        first_pos = first[order]
        obj_code = None  # the code of each row is looked up by its slot below
    objs = values[run_start[first_pos]] if grouped else values[first_pos]
    if pd.api.types.infer_dtype(objs, skipna=False) != "string":
        return None
    try:
        import pyarrow as pa

        text = pa.array(objs, type=pa.large_string())
        # pandas takes "a\0" for "a"; text with zero characters keeps its factorize as it is.
        if not np.all(_utf8_bytes(text)):
            return None
        by_text, distinct = _argsort_text(text)
    except Exception:  # text Arrow cannot hold (lone surrogates): leave it to pandas
        return None
    rank = np.empty(k, dtype=np.intp)
    rank[order] = np.arange(k)
    if not distinct:  # distinct objects with the same text
        text_code, objs = pd.factorize(objs)
        rank = text_code[rank]
        by_text, _ = _argsort_text(pa.array(objs, type=pa.large_string()))
    if sort:
        objs = objs[by_text]
        renumber = np.empty(len(by_text), dtype=np.intp)
        renumber[by_text] = np.arange(len(by_text))
        rank = renumber[rank]
    if obj_code is None:  # rank is by object in address order, which is slot order
        table = np.empty(size, dtype=np.intp)
        table[used] = rank
        codes = table[slot]
    else:
        codes = rank[obj_code]
    if grouped:
        codes = np.repeat(codes, np.diff(np.append(run_start, n)))
    return codes, objs


def _utf8_offsets(text) -> np.ndarray:
    """Start of each string of an Arrow ``large_string`` array in its data buffer, and the end."""
    return np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]


def _utf8_bytes(text) -> np.ndarray:
    """The UTF-8 bytes of all strings of an Arrow ``large_string`` array, one after the other."""
    offsets = _utf8_offsets(text)
    buf = text.buffers()[2]
    if buf is None:  # only empty strings
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(buf, dtype=np.uint8)[offsets[0]:offsets[-1]]


def _argsort_text(text):
    """Order of an Arrow array of non-null strings (code point order, as ``sorted``), and
    whether the strings are all distinct.

    Short strings (up to 32 bytes, the usual ids) are compared as big-endian 8-byte words
    of their zero-padded UTF-8, which numpy sorts as integers several times faster than any
    string sort; UTF-8 byte order is code point order.
    """
    import pyarrow.compute as pc

    k = len(text)
    offsets = _utf8_offsets(text)
    data = _utf8_bytes(text)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if k else 0
    # Zero padding cannot tell "a" from "a\0": leave text with zero bytes to Arrow.
    if k < 2 or width > 32 or not np.all(data):
        order = np.asarray(pc.sort_indices(text))
        return order, len(pc.unique(text)) == k
    n_words = (width + 7) // 8
    mat = np.zeros((k, 8 * n_words), dtype=np.uint8)
    if np.all(lengths == width):
        mat[:, :width] = data.reshape(k, width)
    else:
        row = np.repeat(np.arange(k), lengths)
        col = np.arange(len(data)) - np.repeat(offsets[:-1] - offsets[0], lengths)
        mat[row, col] = data
    words = mat.view(">u8").astype(np.uint64)
    del mat
    if n_words == 1:
        order = np.argsort(words[:, 0], kind="stable")
    else:
        order = np.lexsort(words.T[::-1])
    ranked = words[order]
    distinct = not np.any(np.all(ranked[1:] == ranked[:-1], axis=1))
    return order, distinct


def _factorize(ids: pd.Series, sort: bool = False):
    """Codes (-1 for missing) and unique ids, as ``pd.factorize``: in order of first appearance,
    or with ``sort`` in the order of :func:`_sort_codes`."""
    if ids.dtype == object:
        fast = _factorize_text_objects(np.asarray(ids.to_numpy()), sort)
        if fast is not None:
            return fast
    codes, uniques = pd.factorize(ids, sort=False)
    if sort:
        codes, uniques = _sort_codes(codes, uniques)
    return codes, uniques


#: Length of a day in each datetime64 unit pandas uses.
_PER_DAY = {"ns": 86_400_000_000_000, "us": 86_400_000_000, "ms": 86_400_000, "s": 86_400}


def _whole_days(values: np.ndarray) -> np.ndarray:
    """datetime64 values as whole days since 1970-01-01 (int64), flooring the time of day.

    Floor division of the integer view is the cast to ``datetime64[D]`` without its per-element
    calendar work; so a purchase at 23:59 belongs to its own day, also before 1970.
    """
    unit, count = np.datetime_data(values.dtype)
    per_day = _PER_DAY.get(unit)
    if per_day is None or count != 1:
        return values.astype("datetime64[D]").astype(np.int64)
    return np.floor_divide(values.view(np.int64), np.int64(per_day))


def prepare_log(transactions: pd.DataFrame, customer_col: str, date_col: str, amount_col: str | None,
             sort: bool = False):
    """Validate the log and return (customer codes, customer ids, days, amounts)."""
    source = transactions.attrs.get("source")
    cols = [customer_col, date_col] + ([amount_col] if amount_col else [])
    require_columns(transactions, cols, table=TABLE, source=source)
    require_not_empty(transactions, table=TABLE, source=source)

    # factorize marks missing ids with -1, which spares a separate pass over the ids.
    codes, uniques = _factorize(transactions[customer_col], sort)
    require_rows(transactions, codes < 0, "blank customer ids; expected an id in every row",
                 table=TABLE, column=customer_col, source=source)

    dates = transactions[date_col]
    if not pd.api.types.is_datetime64_any_dtype(dates) or dates.isna().any():
        dates = to_datetime(transactions, date_col, table=TABLE, source=source)
    values = dates.to_numpy()
    if values.dtype.kind != "M":  # timezone-aware columns come back as objects
        values = dates.dt.tz_localize(None).to_numpy()
    days = _whole_days(values)

    amounts = None
    if amount_col:
        col = transactions[amount_col]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            col = to_numeric(transactions, amount_col, table=TABLE, source=source, allow_missing=False)
        amounts = col.to_numpy(dtype=np.float64)
        require_rows(transactions, np.isnan(amounts), "blank amounts; expected a number in every row",
                     table=TABLE, column=amount_col, source=source)
        require_rows(
            transactions, amounts < 0,
            "negative amounts (returns); the spend model needs purchase values, not refunds. Net "
            "each return against its purchase, or drop returns, before summarizing",
            table=TABLE, column=amount_col, source=source, show=[customer_col, date_col, amount_col])
        zero = amounts == 0
        if zero.any():
            warnings.warn(
                f"{location(source, TABLE, amount_col)}: "
                f"{describe_rows(transactions, zero, [customer_col, amount_col])} "
                "have amount 0; they are kept as purchases (they count in frequency and recency "
                "and lower the mean spend)", DataWarning, stacklevel=3)
    return np.asarray(codes, dtype=np.int64), uniques, days, amounts


def unique_pairs(codes: np.ndarray, days: np.ndarray):
    """The distinct (customer code, day) pairs, as two arrays sorted by customer then day.

    The pair is packed into one integer and sorted; a log already in customer and time order
    is detected in one pass and not sorted again.
    """
    if len(codes) == 0:
        return codes, days
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    pair = codes * span + (days - lo)
    if not np.all(pair[1:] >= pair[:-1]):
        pair = np.sort(pair)
    first = np.empty(len(pair), dtype=bool)
    first[0] = True
    np.not_equal(pair[1:], pair[:-1], out=first[1:])
    pair = pair[first]
    return pair // span, pair % span + lo


def _group_order(codes: np.ndarray, n: int):
    """A stable ordering of the rows by customer code (a counting sort) and the rows per code."""
    try:
        from pandas._libs.algos import groupsort_indexer

        order, counts = groupsort_indexer(np.asarray(codes, dtype=np.intp), n)
        return order, counts[1:]
    except (ImportError, TypeError, ValueError):
        return np.argsort(codes, kind="stable"), np.bincount(codes, minlength=n)


def _day_stats(codes: np.ndarray, days: np.ndarray, n: int):
    """Per customer code: first and last purchase day and the number of distinct purchase days.

    Codes without rows get first = int64 max, last = -int64 max and no days. The rows are put
    in customer order by a counting sort, which keeps each customer's rows in log order; when
    that is time order (a log in time order, or each customer's rows in time order) the
    distinct days are the changes of day within a customer, with no sort of the days at all.
    Other logs sort the packed (customer, day) pairs.
    """
    big = np.iinfo(np.int64).max
    first = np.full(n, big, dtype=np.int64)
    last = np.full(n, -big, dtype=np.int64)
    if len(codes) == 0:
        return first, last, np.zeros(n, dtype=np.int64)
    if np.all(codes[1:] >= codes[:-1]):
        d = days
        counts = np.bincount(codes, minlength=n)
    else:
        order, counts = _group_order(codes, n)
        d = days[order]
    ends = np.cumsum(counts)
    has = counts > 0
    starts = (ends - counts)[has]
    step = d[1:] - d[:-1]
    back = step < 0
    back[starts[1:] - 1] = False  # a new customer may start on an earlier day
    if back.any():  # some customer's rows are out of time order
        np.minimum.at(first, codes, days)
        np.maximum.at(last, codes, days)
        pair_codes, _ = unique_pairs(codes, days)
        return first, last, np.bincount(pair_codes, minlength=n)
    new_day = np.empty(len(d), dtype=bool)
    np.not_equal(step, 0, out=new_day[1:])
    new_day[starts] = True
    seen = np.cumsum(new_day)
    n_days = np.zeros(n, dtype=np.int64)
    n_days[has] = seen[ends[has] - 1] - seen[starts] + 1
    first[has] = d[starts]
    last[has] = d[ends[has] - 1]
    return first, last, n_days


def _summarize(codes, n_customers, days, amounts, end_day, unit_days):
    """Grouped reductions on integer arrays; returns a dict of per-customer arrays."""
    first, last, n_days = _day_stats(codes, days, n_customers)

    frequency = n_days - 1
    out = {
        "frequency": frequency.astype(np.float64),
        "recency": (last - first) / unit_days,
        "T": (end_day - first) / unit_days,
    }
    if amounts is not None:
        total = np.bincount(codes, weights=amounts, minlength=n_customers)
        on_first = days == first[codes]
        first_total = np.bincount(codes[on_first], weights=amounts[on_first], minlength=n_customers)
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, (total - first_total) / np.maximum(frequency, 1), 0.0)
        out["monetary_value"] = monetary
    out["_first"] = first
    return out


def rfm_summary(transactions: pd.DataFrame, customer_col: str = "customer_id",
                date_col: str = "timestamp", amount_col: str | None = "amount",
                observation_end=None, time_unit: str = "W", sort: bool = False) -> pd.DataFrame:
    """Summarize a transaction log into frequency, recency, T and monetary value per customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase.
    customer_col, date_col, amount_col : str
        Column names of the customer id, purchase timestamp and purchase amount. Pass
        ``amount_col=None`` to skip ``monetary_value``.
    observation_end : date-like, optional
        End of the observation window (a calendar day). Defaults to the last purchase day.
        Purchases on a later day are an error.
    time_unit : {"D", "W", "M"}
        Unit of ``recency`` and ``T``: days, weeks (7 days) or months (365.25 / 12 days).
    sort : bool, default False
        Sort the customers by id. By default they come in order of first appearance in the log
        (sorted whenever the log is); sorting millions of text ids costs more than the summary.

    Returns
    -------
    DataFrame indexed by customer id with columns

    - ``frequency``: number of purchase days after the first one (repeat purchases);
    - ``recency``: days from the first to the last purchase day, in ``time_unit``; 0 without repeats;
    - ``T``: days from the first purchase day to ``observation_end``, in ``time_unit``;
    - ``monetary_value``: mean amount per repeat purchase day (the first purchase excluded);
      0 without repeats.

    Notes
    -----
    Purchases on the same calendar day merge into one purchase with the summed amount. Time
    differences are whole calendar days divided by the unit length: with weeks and an end of
    1997-09-30, a first purchase on 1997-01-01 gives ``T = 272 / 7 = 38.86``, so the end day
    itself is the upper limit (a purchase on the end day has ``recency == T``). This is the
    convention of the published CDNOW summary (Fader, Hardie & Lee 2005), which this function
    reproduces exactly.

    Raises
    ------
    DataError
        Missing columns (all listed at once), blank ids or dates, dates that do not parse,
        negative amounts, purchases after ``observation_end``. Zero amounts give a
        :class:`~cxlib.data.DataWarning` and are kept.
    """
    unit_length = unit_days(time_unit)
    codes, uniques, days, amounts = prepare_log(transactions, customer_col, date_col, amount_col, sort)
    source = transactions.attrs.get("source")
    end_day = int(days.max()) if observation_end in (None, "") else to_day(observation_end)
    late = days > end_day
    if late.any():
        require_rows(transactions, late,
                     f"purchases after the observation end {_day_to_timestamp(end_day).date()}; "
                     "set observation_end to the last day of the data or filter the log",
                     table=TABLE, column=date_col, source=source, show=[customer_col, date_col])
    stats = _summarize(codes, len(uniques), days, amounts, end_day, unit_length)
    stats.pop("_first")
    index = pd.Index(uniques, name=customer_col)
    return pd.DataFrame(stats, index=index)


def calibration_and_holdout(transactions: pd.DataFrame, customer_col: str = "customer_id",
                            date_col: str = "timestamp", amount_col: str | None = "amount",
                            calibration_end=None, observation_end=None,
                            time_unit: str = "W", sort: bool = False) -> pd.DataFrame:
    """Split a log at ``calibration_end`` into a calibration summary and holdout counts.

    Customers whose first purchase falls after ``calibration_end`` are not in the calibration
    cohort and are left out, as in Fader, Hardie & Lee (2005).

    Returns
    -------
    DataFrame indexed by customer id (order as in :func:`rfm_summary`) with its columns suffixed ``_cal``,
    plus ``frequency_holdout`` (purchase days in ``(calibration_end, observation_end]``),
    ``monetary_value_holdout`` (their mean amount, 0 without purchases) and
    ``duration_holdout`` (length of the holdout period in ``time_unit``).
    """
    if calibration_end in (None, ""):
        raise ValueError("calibration_end is required (the last day of the calibration period)")
    unit_length = unit_days(time_unit)
    codes, uniques, days, amounts = prepare_log(transactions, customer_col, date_col, amount_col, sort)
    source = transactions.attrs.get("source")
    end_day = int(days.max()) if observation_end in (None, "") else to_day(observation_end)
    cal_day = to_day(calibration_end)
    if cal_day >= end_day:
        raise ValueError(f"calibration_end {_day_to_timestamp(cal_day).date()} must be before the "
                         f"observation end {_day_to_timestamp(end_day).date()}")
    late = days > end_day
    if late.any():
        require_rows(transactions, late,
                     f"purchases after the observation end {_day_to_timestamp(end_day).date()}",
                     table=TABLE, column=date_col, source=source, show=[customer_col, date_col])
    cal = days <= cal_day
    if not cal.any():
        raise DataError(f"no purchases on or before calibration_end {_day_to_timestamp(cal_day).date()}; "
                        "choose a later calibration end", table=TABLE, column=date_col, source=source)
    n = len(uniques)
    stats = _summarize(codes[cal], n, days[cal], None if amounts is None else amounts[cal],
                       cal_day, unit_length)
    in_cohort = stats.pop("_first") <= cal_day

    hold = ~cal
    h_codes = codes[hold]
    # Holdout purchase days, merged per day like the calibration ones.
    h_freq = _day_stats(h_codes, days[hold], n)[2].astype(np.float64)

    frame = pd.DataFrame({f"{k}_cal": v for k, v in stats.items()}, index=pd.Index(uniques, name=customer_col))
    frame["frequency_holdout"] = h_freq
    if amounts is not None:
        h_total = np.bincount(h_codes, weights=amounts[hold], minlength=n)
        frame["monetary_value_holdout"] = np.where(h_freq > 0, h_total / np.maximum(h_freq, 1), 0.0)
    frame["duration_holdout"] = (end_day - cal_day) / unit_length
    return frame.loc[in_cohort]


def load_cdnow(path) -> pd.DataFrame:
    """Read Hardie's CDNOW sample (``CDNOW_sample.txt``) as a canonical transaction log.

    The file is whitespace separated without a header: master id, sample id (used as
    ``customer_id``), date ``YYYYMMDD`` (``timestamp``), number of CDs, dollar value (``amount``).
    """
    from ..core import resolve_path

    p = resolve_path(path)
    if not p.exists():
        raise DataError(f"file not found (looked for {p})", table=TABLE, source=path)
    raw = pd.read_csv(p, sep=r"\s+", header=None, names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"customer_id": str, "date": str})
    log = pd.DataFrame({"customer_id": raw["customer_id"],
                        "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d"),
                        "amount": raw["amount"].astype(float)})
    log.attrs["source"] = str(p)
    return log
