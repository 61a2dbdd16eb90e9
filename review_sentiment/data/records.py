"""Raw review files -> records: the one reader of the local loaders and the validate Glue job.

Both read a file's bytes with `read_records` and map each record to the canonical schema with
`canonical_record`, so they reach the same verdict on the same bytes: a record that cannot even be
read (bad JSON, a CSV row with the wrong number of fields, bytes that are not UTF-8) is never dropped,
it becomes a record with a `problem` (its reason in quarantine), its line number and its raw text.

Rules (pure Python, no pandas):
  - format by suffix: .jsonl/.json/.ndjson (one JSON object per line) or .csv (a header row); `.gz`
    is decompressed first; a file that does not decompress is one `unreadable_file` record (line 0);
  - encoding: UTF-8; a UTF-8 byte order mark is dropped; UTF-16/32 with a byte order mark are decoded;
    a record holding bytes that are not UTF-8 is `undecodable_bytes` (its raw text shows them as \\xNN);
  - lines end at \\n, \\r\\n or \\r; blank lines are not records but count for line numbers;
  - JSON lines: a line that is not JSON is `unparseable_record`, valid JSON that is not an object
    (array, number, string) is `record_not_an_object`;
  - CSV (RFC 4180, quoted fields may hold commas, quotes and line breaks): a malformed row (bad
    quoting, an unterminated quote) is `unparseable_record`, a row whose field count differs from the
    header's is `wrong_field_count`; empty fields are missing values.
"""

from __future__ import annotations

import ast
import codecs
import csv
import gzip
import io
import json
import math
import re
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from review_sentiment.data.schema import CANONICAL_COLUMNS, RATING_COLUMN, review_id_for

JSON_LINES, CSV = "json", "csv"

# Record-level reasons: the record could not be read as a review at all.
UNREADABLE_FILE = "unreadable_file"
UNDECODABLE_BYTES = "undecodable_bytes"
UNPARSEABLE = "unparseable_record"
NOT_AN_OBJECT = "record_not_an_object"
WRONG_FIELD_COUNT = "wrong_field_count"
RECORD_REASONS = (UNREADABLE_FILE, UNDECODABLE_BYTES, UNPARSEABLE, NOT_AN_OBJECT, WRONG_FIELD_COUNT)

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte that is not UTF-8
_JSON_BLANK = " \t"
# Kaggle's Kindle CSV names the star rating `rating`; McAuley's JSON calls it `overall`.
_RENAMES = {"rating": RATING_COLUMN}
_NUMBER_COLUMNS = ("rating", RATING_COLUMN, "unixReviewTime")


@dataclass(frozen=True)
class RawRecord:
    """One record of a file as read: where it is, its text, its fields or why it has none.

    line: 1-based line where the record starts (0 for a problem of the whole file).
    raw: the record's text; bytes that are not UTF-8 appear as \\xNN escapes.
    fields: the record's own field names and values (None when `problem` is set).
    problem: a record-level reason (RECORD_REASONS) or "".
    """

    source_file: str
    line: int
    raw: str
    fields: dict | None
    problem: str = ""


def record_format(name: str) -> str | None:
    """json or csv by suffix (compression suffixes allowed), None for anything else."""
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if ".csv" in suffixes:
        return CSV
    if ".json" in suffixes or ".jsonl" in suffixes or ".ndjson" in suffixes:
        return JSON_LINES
    return None


def read_records(data: bytes, source_file: str, fmt: str | None = None) -> list[RawRecord]:
    """Every record of one file, in file order. `fmt` defaults to `record_format(source_file)`.

    Raises ValueError when the format is neither JSON lines nor CSV.
    """
    fmt = fmt or record_format(source_file)
    if fmt not in (JSON_LINES, CSV):
        raise ValueError(f"{source_file}: not a review file (.jsonl, .json, .ndjson, .csv, optionally .gz)")
    if PurePath(source_file).suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            reason = f"gzip data could not be decompressed ({type(exc).__name__}: {exc})"
            return [RawRecord(source_file, 0, reason, None, UNREADABLE_FILE)]
    text = decode(data)
    return list(_json_records(text, source_file) if fmt == JSON_LINES else _csv_records(text, source_file))


def decode(data: bytes) -> str:
    """UTF-8 text (BOM dropped; UTF-16/32 decoded by their BOM); bytes that are not UTF-8 survive as
    surrogate escapes, so each record can say whether it holds any (`printable` shows them)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if codec == "utf-8":
                break
            return body.decode(codec, errors="replace")
    else:
        body = data
    return body.decode("utf-8", errors="surrogateescape")


def printable(text: str) -> str:
    """`text` with undecodable bytes as \\xNN escapes: valid UTF-8 that keeps every byte."""
    if not _ESCAPED_BYTE.search(text):
        return text
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")


def _json_records(text: str, source: str):
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip(_JSON_BLANK):
            continue  # a blank line is not a record
        if _ESCAPED_BYTE.search(line):
            yield RawRecord(source, number, printable(line), None, UNDECODABLE_BYTES)
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            yield RawRecord(source, number, line, None, UNPARSEABLE)
            continue
        if not isinstance(value, dict):
            yield RawRecord(source, number, line, None, NOT_AN_OBJECT)
            continue
        yield RawRecord(source, number, line, value)


def _csv_records(text: str, source: str):
    lines = io.StringIO(text, newline="").readlines()  # keeps each line's own ending
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
            problem = ""
        except StopIteration:
            return
        except csv.Error:
            row, problem = None, UNPARSEABLE
        raw = "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n")
        if row == []:
            continue  # a blank line is not a record
        if header is None and not problem:
            header = row  # column names with bad bytes stay escaped: their columns are simply unknown
            continue
        if _ESCAPED_BYTE.search(raw):
            problem = UNDECODABLE_BYTES
        elif header is not None and not problem and len(row) != len(header):
            problem = WRONG_FIELD_COUNT
        if problem:
            yield RawRecord(source, start, printable(raw), None, problem)
            continue
        fields = {name: (value if value != "" else None) for name, value in zip(header, row, strict=True)}
        yield RawRecord(source, start, raw, fields)


# --- fields -> the canonical schema --------------------------------------------------------------------
def is_missing(value) -> bool:
    """None or NaN (a JSON NaN, or pandas' marker of a missing value)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def canonical_record(fields: dict, fmt: str) -> dict:
    """One record's fields -> the canonical columns first (renamed, numbers of CSV text parsed,
    `review_id` derived from reviewer and product when missing, `helpful` parsed), extras after.

    Never repairs or drops a value: validation judges what is left.
    """
    out = dict(fields)
    if fmt == CSV:
        for name in [k for k in out if k == "" or k.startswith("Unnamed:")]:
            del out[name]  # the Kaggle CSV's unnamed index column
        for name in _NUMBER_COLUMNS:
            if name in out:
                out[name] = number_or_text(out[name])
    for source, target in _RENAMES.items():
        if source in out and target not in out:
            out[target] = out.pop(source)
    for column in CANONICAL_COLUMNS:
        out.setdefault(column, None)
    reviewer, asin = out["reviewerID"], out["asin"]
    if is_missing(out["review_id"]) and isinstance(reviewer, str) and isinstance(asin, str):
        out["review_id"] = review_id_for(reviewer, asin)
    if is_missing(out["summary"]):
        out["summary"] = ""
    out["helpful"] = parse_helpful(out["helpful"])
    extra = {k: v for k, v in out.items() if k not in CANONICAL_COLUMNS}
    return {**{c: out[c] for c in CANONICAL_COLUMNS}, **extra}


def number_or_text(value):
    """'5' -> 5, '5.0' -> 5.0; anything else is left as it is for validation to judge."""
    if not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def parse_helpful(value):
    """ "[up, total]" text (CSV) or an array (Parquet) -> a list; anything else unchanged."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return value
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()  # Parquet/Arrow arrays -> plain ints
    if isinstance(value, tuple):
        return list(value)
    return value
