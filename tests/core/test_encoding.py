"""Text encodings of CSV files in the engine: Latin-1, cp1252 and UTF-16 read right when given,
and a file that is not UTF-8 gets the kit's message when not."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from cxlib import clv
from cxlib.core import DataError, DataWarning, read_table, transaction_log
from cxlib.core.engine import CSV_ENCODINGS, csv_encoding, read_source

END = "2025-12-31"
#: Customers whose ids only an encoding reads right: é is one byte in Latin-1 and cp1252; the euro
#: sign and the curly quotes exist in cp1252 only (bytes 0x80, 0x93, 0x94).
LATIN = ["André", "Zoë", "Çelik", "Ana"]
WINDOWS = ["André", "€uro", "“Q”", "Ana"]


def log_frame(ids) -> pd.DataFrame:
    rows = [(cid, f"2025-0{m}-1{d} 10:00:00", f"{10 + 3 * i + m:.2f}")
            for i, cid in enumerate(ids) for m, d in ((1, 2), (3, 5), (6, 1))[: 1 + i % 3]]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount"])


def write(frame: pd.DataFrame, path, encoding: str) -> str:
    frame.to_csv(path, index=False, encoding=encoding)
    return str(path)


@pytest.fixture
def latin(tmp_path):
    return write(log_frame(LATIN), tmp_path / "latin.csv", "latin-1")


@pytest.fixture
def windows(tmp_path):
    return write(log_frame(WINDOWS), tmp_path / "windows.csv", "cp1252")


def ids_of(log) -> list:
    return sorted(log.to_pandas(log.rows.select("c").distinct())["c"])


@pytest.mark.parametrize("name, ids, encoding", [("latin", LATIN, "latin-1"), ("windows", WINDOWS, "cp1252")])
def test_an_encoded_log_reads_right_with_its_encoding(request, name, ids, encoding):
    path = request.getfixturevalue(name)
    log = transaction_log(path, observation_end=END, encoding=encoding)
    assert ids_of(log) == sorted(ids)
    # the same numbers as the same log in UTF-8, read by the pandas loaders
    reference = clv.rfm_summary(log_frame(ids), observation_end=END, sort=True)
    pd.testing.assert_frame_equal(clv.rfm_summary(log, observation_end=END), reference)


def test_aliases_of_the_encodings_are_accepted_and_others_refused(latin, windows):
    assert csv_encoding(None) == csv_encoding("") == csv_encoding("UTF8") == "utf-8"
    for alias in ("latin1", "ISO-8859-1", "iso_8859_1", "l1"):
        assert csv_encoding(alias) == "latin-1"
        assert ids_of(transaction_log(latin, encoding=alias)) == sorted(LATIN)
    assert csv_encoding("Windows-1252") == "cp1252"
    assert ids_of(transaction_log(windows, encoding="windows-1252")) == sorted(WINDOWS)
    assert set(map(csv_encoding, CSV_ENCODINGS)) == set(CSV_ENCODINGS)
    with pytest.raises(ValueError, match=r"'shift_jis' is not one the engine reads CSV files in \(utf-8, latin-1"):
        read_source(latin, table="transactions", encoding="shift_jis")
    with pytest.raises(ValueError, match="unknown text encoding 'klingon'"):
        transaction_log(latin, encoding="klingon")


@pytest.mark.parametrize("name", ["latin", "windows"])
def test_a_file_that_is_not_utf8_is_named_with_the_encoding_to_give(request, name):
    path = request.getfixturevalue(name)
    with pytest.raises(DataError) as err:
        transaction_log(path, observation_end=END)
    message = str(err.value)
    assert message.startswith(f"file {path}, table 'transactions': is not valid utf-8 text")
    assert "on line 2)" in message  # the first customer, André, is on the line after the header
    assert "encoding: latin-1 (or cp1252 for Windows exports)" in message
    # the pandas loader says the same
    with pytest.raises(DataError, match="is not valid utf-8 text.*encoding: latin-1"):
        read_table(path, "transactions")


def test_a_bad_byte_far_down_the_file_is_named_when_the_engine_meets_it(tmp_path):
    """Python checks the top of the file; DuckDB reads the rest as a query needs it."""
    frame = log_frame(["Ana"] * 2)
    many = pd.concat([frame] * 40_000, ignore_index=True)  # far more than the bytes checked up front
    late = pd.concat([many, log_frame(["André"])], ignore_index=True)
    path = write(late, tmp_path / "late.csv", "latin-1")
    with pytest.raises(DataError) as err:
        transaction_log(path, observation_end=END)
    assert f"line {len(many) + 2}" in str(err.value) and "encoding: latin-1" in str(err.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert len(ids_of(transaction_log(path, observation_end=END, encoding="latin-1"))) == 2


@pytest.mark.parametrize("block", [7, 8, 9, 1 << 20])
def test_the_whole_file_check_finds_a_bad_byte_on_its_line_across_blocks(tmp_path, monkeypatch, block):
    """The check Spark's reads get: the whole file, a block at a time. Characters cut at a
    block's end are fine; the bad byte is named with its own line whatever the block size."""
    from cxlib.core import engine

    monkeypatch.setattr(engine, "_CHECKED_BYTES", block)
    good = "id,name\n1,Zoë\n2,André €\n3,Ana\n".encode()
    path = tmp_path / "t.csv"
    path.write_bytes(good)
    engine._check_text(path, "utf-8", "customers", whole=True)  # no error
    path.write_bytes(good + "4,Çelik\n".encode("latin-1") + b"5,Bo\n")
    with pytest.raises(DataError, match=r"t\.csv.*not valid utf-8 text \(invalid continuation byte: "
                                        r"byte 0xc7 on line 5\)"):
        engine._check_text(path, "utf-8", "customers", whole=True)
    path.write_bytes(good + "6,Zo".encode() + "ë".encode()[:1])  # cut off in the last character
    with pytest.raises(DataError, match="not valid utf-8 text .*at the end of the file"):
        engine._check_text(path, "utf-8", "customers", whole=True)
    engine._check_text(path, "utf-8", "customers", whole=False)  # the top-only check lets it pass


def test_latin1_with_windows_characters_is_pointed_to_cp1252(windows):
    with pytest.raises(DataError, match=r"windows\.csv, table 'transactions': is not latin-1 text.*encoding: cp1252"):
        transaction_log(windows, encoding="latin-1")


def test_cp1252_bytes_that_it_does_not_assign_are_refused(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"customer_id,timestamp,amount\nA\x81,2025-01-01,3\n")
    with pytest.raises(DataError, match=r"odd\.csv, table 'transactions': is not valid cp1252 text.*0x81"):
        transaction_log(path, encoding="cp1252")


def test_utf16_reads_right_and_big_endian_is_refused_on_duckdb(tmp_path):
    path = write(log_frame(WINDOWS), tmp_path / "u16.csv", "utf-16")
    assert ids_of(transaction_log(path, encoding="utf-16")) == sorted(WINDOWS)
    big = tmp_path / "u16be.csv"
    big.write_bytes(b"\xfe\xff" + log_frame(WINDOWS).to_csv(index=False).encode("utf-16-be"))
    with pytest.raises(DataError, match=r"u16be\.csv.*big-endian UTF-16.*engine: spark"):
        transaction_log(big, encoding="utf-16")


def test_the_encoding_is_ignored_where_the_file_keeps_its_own(tmp_path):
    """Parquet stores its text as UTF-8: an encoding meant for the CSV inputs does not apply."""
    folder = tmp_path / "parts"
    folder.mkdir()
    log_frame(WINDOWS).to_parquet(folder / "a.parquet")
    df = read_table(folder, "transactions", encoding="cp1252")
    assert sorted(df["customer_id"].unique()) == sorted(WINDOWS)
    assert ids_of(transaction_log(folder, encoding="shift_jis")) == sorted(WINDOWS)


@pytest.fixture(scope="module")
def spark_available():
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install -y openjdk-17-jre-headless")


@pytest.mark.slow
def test_spark_reads_the_encodings_as_duckdb_does(latin, windows, tmp_path, spark_available):
    utf16 = write(log_frame(WINDOWS), tmp_path / "u16.csv", "utf-16")
    for path, ids, encoding in [(latin, LATIN, "latin-1"), (windows, WINDOWS, "cp1252"), (utf16, WINDOWS, "utf-16")]:
        log = transaction_log(path, observation_end=END, encoding=encoding, engine="spark")
        assert ids_of(log) == sorted(ids), encoding
        duck = clv.rfm_summary(transaction_log(path, observation_end=END, encoding=encoding), observation_end=END)
        pd.testing.assert_frame_equal(clv.rfm_summary(log, observation_end=END), duck, rtol=1e-9)
    # a bad byte far beyond the top of the file: Spark would read U+FFFD in its place
    frame = log_frame(["Ana"] * 2)
    many = pd.concat([frame] * 40_000, ignore_index=True)
    late = write(pd.concat([many, log_frame(["André"])], ignore_index=True), tmp_path / "late.csv", "latin-1")
    with pytest.raises(DataError, match=rf"late\.csv.*not valid utf-8 text .* on line {len(many) + 2}\).*latin-1"):
        transaction_log(late, observation_end=END, engine="spark")
    # a cp1252 header is put right too
    header = tmp_path / "header.csv"
    header.write_bytes("customer_id,timestamp,amount,note €\nA,2025-01-01,3,“x”\n".encode("cp1252"))
    src = read_source(header, table="transactions", engine="spark", encoding="cp1252")
    assert src.columns[-1] == "note €" and src.to_pandas(src.table)["note €"].tolist() == ["“x”"]
