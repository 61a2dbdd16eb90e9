"""Hypothesis strategy: small review files (JSON lines or CSV) mixing good rows with every kind of bad
record the contract knows, each record remembered with its file, start line and the reason it must get."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from review_sentiment.data import records
from review_sentiment.data.validation import DUPLICATE

LINE_BREAK = re.compile(r"\r\n|\r|\n")
CSV_HEADER = ["", "asin", "helpful", "rating", "reviewText", "reviewerID", "summary", "unixReviewTime"]

# kind -> the reason the record must get ("" = valid). Kinds only one format can express are listed apart.
COMMON_KINDS = {
    "good": "",
    "out_of_range": "rating_out_of_range",
    "rating_not_integer": "rating_not_integer",
    "rating_text": "rating_not_a_number",
    "empty_text": "empty_text",
    "missing_text": "missing_reviewText",
    "undecodable": records.UNDECODABLE_BYTES,
    "duplicate": DUPLICATE,
    "blank": None,  # a blank line: no record at all
}
JSON_KINDS = {
    "truncated": records.UNPARSEABLE,
    "not_an_object": records.NOT_AN_OBJECT,
    "text_not_string": "not_text_reviewText",
    "control_char": "undecodable_text",
}
CSV_KINDS = {
    "bad_quoting": records.UNPARSEABLE,
    "wrong_field_count": records.WRONG_FIELD_COUNT,
    "quoted_newline": "",
}
# Review text: letters of several scripts, punctuation that CSV must quote, and (for CSV) line breaks.
TEXT = st.lists(st.sampled_from([*"abcXYZ éüñ漢字😀,;'\"\t", "\n", "\r\n"]), max_size=30).map("".join)


@dataclass
class ExpectedRecord:
    file: str
    line: int
    kind: str
    reason: str  # the reason it must get; "" = valid


@dataclass
class Example:
    files: dict[str, bytes] = field(default_factory=dict)
    expected: list[ExpectedRecord] = field(default_factory=list)
    file_kinds: list[str] = field(default_factory=list)  # format, BOM, CRLF, gzip, blank lines: per file


def _good_row(n: int, text: str, rating: int) -> dict:
    return {
        "review_id": f"r{n}",
        "reviewerID": f"A{n}",
        "asin": f"B{n % 4}",
        "reviewText": f"Book {n} {text}",
        "summary": "fine",
        "overall": rating,
        "unixReviewTime": 1_400_000_000 + n,
        "helpful": [0, n % 3],
    }


def _json_line(kind: str, row: dict, first_of_id: dict | None) -> bytes:
    line = json.dumps(row, ensure_ascii=False)
    changes = {
        "out_of_range": {"overall": 9},
        "rating_not_integer": {"overall": 3.5},
        "rating_text": {"overall": "five"},
        "empty_text": {"reviewText": "  "},
        "text_not_string": {"reviewText": 42},
        "control_char": {"reviewText": row["reviewText"] + "\x07"},
    }
    if kind in changes:
        line = json.dumps({**row, **changes[kind]}, ensure_ascii=False)
    elif kind == "missing_text":
        line = json.dumps({k: v for k, v in row.items() if k != "reviewText"}, ensure_ascii=False)
    elif kind == "duplicate":
        line = json.dumps(first_of_id, ensure_ascii=False)
    elif kind == "truncated":
        line = line[: len(line) // 2]
    elif kind == "not_an_object":
        line = json.dumps([row["review_id"], row["overall"]])
    data = line.encode()
    if kind == "undecodable":
        data = data.replace(b"Book", b"B\xffook", 1)
    return data


def _csv_record(kind: str, row: dict, first_of_id: dict | None, newline: str) -> bytes:
    source = first_of_id if kind == "duplicate" else row
    values = {
        "": str(source["unixReviewTime"] % 1000),
        "asin": source["asin"],
        "helpful": json.dumps(source["helpful"]),
        "rating": str(source["overall"]),
        "reviewText": source["reviewText"],
        "reviewerID": source["reviewerID"],
        "summary": source["summary"],
        "unixReviewTime": str(source["unixReviewTime"]),
    }
    values.update(
        {
            "out_of_range": {"rating": "0"},
            "rating_not_integer": {"rating": "4.5"},
            "rating_text": {"rating": "five"},
            "empty_text": {"reviewText": "   "},
            "missing_text": {"reviewText": ""},
            "quoted_newline": {"reviewText": source["reviewText"] + '\nsecond line, "quoted"'},
        }.get(kind, {})
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerow([values[c] for c in CSV_HEADER])
    text = buffer.getvalue()[: -len(newline)]
    if kind == "bad_quoting":
        text = text.replace(values["asin"], f'"{values["asin"]}"x', 1)
    elif kind == "wrong_field_count":
        text += ",surplus"
    data = text.encode()
    if kind == "undecodable":
        data = data.replace(b"Book", b"B\xe9ook", 1)  # Latin-1 é
    return data


@st.composite
def review_files(draw, max_files: int = 6) -> Example:
    """1..max_files files; each one JSON lines or CSV, optionally with a BOM, CRLF line ends or gzip."""
    example = Example()
    counter = 0
    first_rows: dict[str, list[dict]] = {records.JSON_LINES: [], records.CSV: []}  # duplicates stay in
    # one format: a CSV row's key is derived from reviewer and product, a JSON row's is its review_id
    for index in range(draw(st.integers(1, max_files))):
        fmt = draw(st.sampled_from([records.JSON_LINES, records.CSV]))
        kinds = {**COMMON_KINDS, **(JSON_KINDS if fmt == records.JSON_LINES else CSV_KINDS)}
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        bom = draw(st.booleans())
        gz = draw(st.integers(0, 4)) == 0
        name = f"f{index:02d}.{'jsonl' if fmt == records.JSON_LINES else 'csv'}{'.gz' if gz else ''}"
        chunks: list[bytes] = []
        line = 1
        if fmt == records.CSV:
            chunks.append(",".join(CSV_HEADER).encode())
            line += 1
        for kind in draw(st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=12)):
            if kind == "duplicate" and not first_rows[fmt]:
                kind = "good"
            counter += 1
            text = draw(TEXT)
            if fmt == records.JSON_LINES or kind in ("undecodable", "bad_quoting"):
                # one line: after a quoting error the reader resumes at the next line, so a malformed
                # row whose fields span lines ends where the error is (the rest is its own bad record)
                text = LINE_BREAK.sub(" ", text)
            row = _good_row(counter, text, draw(st.integers(1, 5)))
            original = draw(st.sampled_from(first_rows[fmt])) if kind == "duplicate" else None
            if kind == "blank":
                data = b""
            elif fmt == records.JSON_LINES:
                data = _json_line(kind, row, original)
            else:
                data = _csv_record(kind, row, original, newline)
            if kind != "blank":
                example.expected.append(ExpectedRecord(name, line, kind, kinds[kind]))
            if kind == "good":
                first_rows[fmt].append(row)
            chunks.append(data)
            line += len(LINE_BREAK.findall(data.decode("utf-8", errors="replace"))) + 1
        example.file_kinds += [f"file {fmt}"] + ["file BOM"] * bom + ["file CRLF"] * (newline == "\r\n")
        example.file_kinds += ["file gzip"] * gz + ["file blank lines"] * (b"" in chunks)
        content = newline.encode().join(chunks) + newline.encode()
        if bom:
            content = b"\xef\xbb\xbf" + content
        example.files[name] = gzip.compress(content, mtime=0) if gz else content
    return example
