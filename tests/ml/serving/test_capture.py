"""Data-capture records: the documented layout (docs/data_capture.md), one writer and one reader of it."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from review_sentiment.data.cleaning import model_texts
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.text_sketch import text_sketch
from review_sentiment.monitoring.capture import Window, read_lines
from review_sentiment.serving.api_models import ModelRef
from review_sentiment.serving.capture import MAX_LINE_BYTES, CaptureLineError, CaptureRecord, read_records

MODEL = ModelRef(name="review-sentiment", version="3", kind="logreg")
NOW = datetime(2026, 11, 29, 8, 0, 0, 123456, tzinfo=UTC)


def record(raw_text=None, overall=None) -> CaptureRecord:
    [text] = model_texts(["Loved   it &amp; the <br/>ending!!"])
    return CaptureRecord.of(
        request_id="req-1",
        model=MODEL,
        model_text=text,
        label="positive",
        probabilities={"negative": 0.1, "positive": 0.9},
        raw_text=raw_text,
        overall=overall,
        now=NOW,
    )


def test_a_line_has_exactly_the_documented_shape():
    value = json.loads(record().to_line())
    assert list(value) == ["eventVersion", "eventMetadata", "model", "captureData"]
    assert value["eventVersion"] == "0"
    assert value["eventMetadata"]["requestId"] == "req-1"
    assert value["eventMetadata"]["inferenceTime"] == "2026-11-29T08:00:00.123Z"
    assert len(value["eventMetadata"]["eventId"]) == 36
    assert value["model"] == MODEL.model_dump()
    endpoint_input = value["captureData"]["endpointInput"]
    assert {k: endpoint_input[k] for k in ("observedContentType", "mode", "encoding")} == {
        "observedContentType": "application/json",
        "mode": "INPUT",
        "encoding": "JSON",
    }
    assert list(endpoint_input["data"]) == ["features", "textSketch"]  # no raw text, no rating
    assert list(endpoint_input["data"]["features"]) == list(NUMERIC_FEATURES)
    assert endpoint_input["data"]["features"]["exclamation_count"] == 2.0
    # computed on the cleaned model text, as the model saw it
    assert endpoint_input["data"]["textSketch"] == text_sketch("Loved it & the ending!!")
    assert value["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    assert value["captureData"]["endpointOutput"]["data"] == {
        "label": "positive",
        "probabilities": {"negative": 0.1, "positive": 0.9},
    }


def test_raw_text_and_the_requests_rating_are_stored_only_when_given():
    line = record(raw_text="Loved it", overall=5).to_line()
    data = json.loads(line)["captureData"]["endpointInput"]["data"]
    assert (data["reviewText"], data["overall"]) == ("Loved it", 5.0)


@pytest.mark.parametrize(
    "text",
    ["😀" * 32_768, "ж" * 32_768, "a" * 32_768, '\u2028\n"' * 10_922 + "x"],
    ids=["emoji (12 bytes each)", "cyrillic (6)", "ascii (1)", "escapes"],
)
def test_a_line_stays_under_cloudwatch_logs_event_limit_whatever_the_raw_text(text):
    captured = record(raw_text=text, overall=5)
    line = captured.to_line()
    assert len(line.encode()) <= MAX_LINE_BYTES < 256 * 1024 - 26  # CloudWatch Logs: 256 KiB per event
    back = CaptureRecord.from_line(line).capture_data.endpoint_input.data
    assert text.startswith(back.review_text) and len(back.review_text) > 0
    assert back.review_text_truncated is (True if back.review_text != text else None)


def test_a_cut_raw_text_is_not_training_data():
    line = record(raw_text="😀" * 32_768, overall=5).to_line()
    captured = read_lines([line], Window(NOW - timedelta(hours=1), NOW + timedelta(hours=1)))
    assert captured.review_texts == [None] and captured.ratings.tolist() == [5.0]


def test_a_line_is_one_newline_terminated_ascii_json_object_even_with_newlines_in_the_text():
    text = "two\nlines\u2028and a caf\u00e9\u0085"  # str.splitlines() also cuts at U+2028 and U+0085
    line = record(raw_text=text).to_line()
    assert line.endswith("\n") and line.splitlines() == [line[:-1]] and line.isascii()
    assert CaptureRecord.from_line(line).capture_data.endpoint_input.data.review_text == text


def test_what_to_line_writes_from_line_reads_back_the_same():
    for written in (record(), record(raw_text="x", overall=1)):
        line = written.to_line()
        read = CaptureRecord.from_line(line)
        assert read.model_dump(exclude={"event_metadata"}) == written.model_dump(exclude={"event_metadata"})
        assert read.event_metadata.inference_time == written.event_metadata.inference_time.replace(
            microsecond=123000
        )  # milliseconds
        assert CaptureRecord.from_line(line.encode()).to_line() == line


def test_a_time_with_an_offset_or_none_is_read_as_utc():
    line = record().to_line()
    shifted = line.replace("2026-11-29T08:00:00.123Z", "2026-11-29T09:00:00.123+01:00")
    naive = line.replace("2026-11-29T08:00:00.123Z", "2026-11-29T08:00:00.123")
    for text in (shifted, naive):
        moment = CaptureRecord.from_line(text).event_metadata.inference_time
        assert moment == datetime(2026, 11, 29, 8, 0, 0, 123000, tzinfo=UTC)
        assert moment.utcoffset() == timedelta(0)


def test_fields_a_later_writer_adds_are_kept():
    value = json.loads(record().to_line())
    value["captureData"]["endpointInput"]["data"]["newField"] = [1, 2]
    read = CaptureRecord.from_line(json.dumps(value))
    assert json.loads(read.to_line())["captureData"]["endpointInput"]["data"]["newField"] == [1, 2]


def test_values_that_are_not_numbers_read_as_nan():
    value = json.loads(record().to_line())
    value["captureData"]["endpointInput"]["data"]["features"]["text_len"] = None
    value["captureData"]["endpointInput"]["data"]["features"].pop("digit_ratio")
    value["captureData"]["endpointOutput"]["data"]["probabilities"]["positive"] = "high"
    read = CaptureRecord.from_line(json.dumps(value))
    row = read.feature_row()
    assert math.isnan(row[NUMERIC_FEATURES.index("text_len")])
    assert math.isnan(row[NUMERIC_FEATURES.index("digit_ratio")])
    assert row[NUMERIC_FEATURES.index("exclamation_count")] == 2.0
    assert math.isnan(read.positive_probability())


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not_json"),
        ('{"eventVersion": "0"', "not_json"),
        ('{"level": "INFO", "message": "request rejected"}', "missing_field"),
        ('{"eventVersion": "0"}', "missing_field"),
        ("[1, 2]", "bad_value"),
        ('{"eventMetadata": {"inferenceTime": 5}}', "bad_value"),  # a number is not a time here
        ('"captureData"', "bad_value"),
    ],
)
def test_a_line_that_is_not_a_record_says_why(line, reason):
    with pytest.raises(CaptureLineError) as raised:
        CaptureRecord.from_line(line)
    assert raised.value.reason == reason


def test_a_record_of_another_event_version_or_encoding_is_not_read():
    for old, new in (('"eventVersion":"0"', '"eventVersion":"1"'), ('"encoding":"JSON"', '"encoding":"CSV"')):
        with pytest.raises(CaptureLineError) as raised:
            CaptureRecord.from_line(record().to_line().replace(old, new))
        assert raised.value.reason == "bad_value"


def test_readers_skip_and_count_lines_that_are_not_capture_records():
    text = record().to_line() + 'not json\n{"level": "INFO"}\n\n  \n' + record().to_line()
    parsed = read_records(text.splitlines())
    assert len(parsed.records) == 2
    assert parsed.skipped == {"not_json": 1, "missing_field": 1}
