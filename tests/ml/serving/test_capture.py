"""Data-capture records: the documented layout (docs/data_capture.md), and readers that skip bad lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from review_sentiment.features.numeric import NUMERIC_FEATURES, model_texts
from review_sentiment.features.text_sketch import text_sketch
from review_sentiment.serving.capture import (
    capture_line,
    capture_lines_from_log_events,
    capture_record,
    parse_capture_lines,
)

MODEL = {"name": "review-sentiment", "version": "3", "kind": "logreg"}


def record(raw_text=None) -> dict:
    [text] = model_texts(["Loved   it &amp; the <br/>ending!!"])
    return capture_record(
        request_id="req-1",
        model=MODEL,
        model_text=text,
        label="positive",
        probabilities={"negative": 0.1, "positive": 0.9},
        raw_text=raw_text,
        now=datetime(2026, 11, 29, 8, 0, 0, 123456, tzinfo=UTC),
    )


def test_a_record_has_exactly_the_documented_shape():
    value = record()
    assert value["eventVersion"] == "0"
    assert value["eventMetadata"]["requestId"] == "req-1"
    assert value["eventMetadata"]["inferenceTime"] == "2026-11-29T08:00:00.123Z"
    assert len(value["eventMetadata"]["eventId"]) == 36
    assert value["model"] == MODEL
    endpoint_input = value["captureData"]["endpointInput"]
    assert {k: endpoint_input[k] for k in ("observedContentType", "mode", "encoding")} == {
        "observedContentType": "application/json",
        "mode": "INPUT",
        "encoding": "JSON",
    }
    assert list(endpoint_input["data"]["features"]) == list(NUMERIC_FEATURES)
    assert endpoint_input["data"]["features"]["exclamation_count"] == 2.0
    # computed on the cleaned model text, as the model saw it
    assert endpoint_input["data"]["textSketch"] == text_sketch("Loved it & the ending!!")
    assert "reviewText" not in endpoint_input["data"]
    assert value["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    assert value["captureData"]["endpointOutput"]["data"] == {
        "label": "positive",
        "probabilities": {"negative": 0.1, "positive": 0.9},
    }


def test_raw_text_is_stored_only_when_given():
    assert record(raw_text="Loved it")["captureData"]["endpointInput"]["data"]["reviewText"] == "Loved it"


def test_a_line_is_one_newline_terminated_json_object_even_with_newlines_in_the_text():
    line = capture_line(record(raw_text="two\nlines"))
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["captureData"]["endpointInput"]["data"]["reviewText"] == "two\nlines"


def test_readers_skip_and_count_lines_that_are_not_capture_records():
    lines = [capture_line(record()), "not json", '{"level": "INFO"}', "", capture_line(record())]
    parsed = parse_capture_lines("\n".join(lines).splitlines())
    assert len(parsed.records) == 2 and parsed.skipped == 2


def test_log_events_keep_only_capture_lines():
    events = [
        {"message": "START RequestId: x Version: $LATEST\n"},
        {"message": capture_line(record())},
        {"message": '{"level":"INFO","message":"request rejected"}\n'},
        {"message": "REPORT RequestId: x\tDuration: 3 ms\n"},
    ]
    text, skipped = capture_lines_from_log_events(events)
    assert skipped == 3
    assert [json.loads(line)["eventMetadata"]["requestId"] for line in text.splitlines()] == ["req-1"]
