"""Data capture: one JSON line per served review, in the layout the drift monitor reads.

Layout (docs/data_capture.md, shared with the drift monitor; adding fields is fine, changing them is
not): objects under `datacapture/YYYY/MM/DD/HH/` of the capture bucket (the default Kinesis Data
Firehose S3 key layout, UTC hour of delivery), each holding newline-terminated JSON lines shaped like
SageMaker Model Monitor's data capture (`data` is a JSON object, `encoding: "JSON"`).

The serving path never writes to S3: the inference function prints each record as one line of its
log (`capture_line`), a CloudWatch Logs subscription filter sends the log to a Firehose delivery
stream, and the stream's transformation function keeps only the capture lines
(`capture_lines_from_log_events`). The log leaves the execution environment with the invocation, so a
recycled or frozen environment loses nothing. Stdlib + numpy (through the features) only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_feature_row
from review_sentiment.features.text_sketch import text_sketch

EVENT_VERSION = "0"
CAPTURE_PREFIX = "datacapture/"  # the Firehose stream's S3 prefix; it adds YYYY/MM/DD/HH/
# A term every capture line holds and no other log line of the function should: the subscription
# filter pattern on AWS (a plain term matches events that contain it).
CAPTURE_MARKER = "captureData"
JSON_CONTENT_TYPE = "application/json"


def capture_record(
    *,
    request_id: str,
    model: Mapping[str, str],
    model_text: str,
    label: str,
    probabilities: Mapping[str, float],
    raw_text: str | None = None,
    now: datetime | None = None,
    event_id: str | None = None,
) -> dict:
    """One capture record (a dict ready for `json.dumps`) for one answered review.

    `model` holds `name`, `version`, `kind`; `model_text` is the cleaned text the model saw
    (features.numeric.model_texts); the features and the text sketch are computed from it. `raw_text`
    is stored as `reviewText` only when given (raw-text capture is a setting, off by default).
    `inferenceTime` is ISO 8601 UTC with milliseconds and a `Z`.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    features = dict(zip(NUMERIC_FEATURES, numeric_feature_row(model_text), strict=True))
    data_in: dict = {"features": features, "textSketch": text_sketch(model_text)}
    if raw_text is not None:
        data_in["reviewText"] = raw_text
    return {
        "eventVersion": EVENT_VERSION,
        "eventMetadata": {
            "eventId": event_id or str(uuid.uuid4()),
            "requestId": request_id,
            "inferenceTime": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        },
        "model": {"name": model["name"], "version": str(model["version"]), "kind": model["kind"]},
        "captureData": {
            "endpointInput": {
                "observedContentType": JSON_CONTENT_TYPE,
                "mode": "INPUT",
                "encoding": "JSON",
                "data": data_in,
            },
            "endpointOutput": {
                "observedContentType": JSON_CONTENT_TYPE,
                "mode": "OUTPUT",
                "encoding": "JSON",
                "data": {"label": label, "probabilities": {k: float(v) for k, v in probabilities.items()}},
            },
        },
    }


def capture_line(record: Mapping) -> str:
    """The record as one newline-terminated ASCII JSON line (JSON escapes newlines and non-ASCII text)."""
    return json.dumps(record, separators=(",", ":")) + "\n"


def is_capture_record(value: object) -> bool:
    """True for a dict with the capture layout's top-level keys (what the delivery keeps)."""
    return (
        isinstance(value, dict)
        and value.get("eventVersion") == EVENT_VERSION
        and isinstance(value.get("captureData"), dict)
        and isinstance(value.get("eventMetadata"), dict)
    )


@dataclass
class ParsedLines:
    """Capture records found in some text, and how many other non-empty lines were skipped."""

    records: list[dict] = field(default_factory=list)
    skipped: int = 0


def parse_capture_lines(lines: Iterable[str]) -> ParsedLines:
    """Capture records among `lines`; a line that is not JSON or not a capture record is counted, not raised.

    Readers of the capture bucket use this on each object's text (`text.splitlines()`); the delivery
    transformation uses it on CloudWatch Logs messages, where the function's other log lines are skipped.
    """
    parsed = ParsedLines()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            parsed.skipped += 1
            continue
        if is_capture_record(value):
            parsed.records.append(value)
        else:
            parsed.skipped += 1
    return parsed


def capture_lines_from_log_events(log_events: Iterable[Mapping]) -> tuple[str, int]:
    """(JSON lines text, lines skipped) for the `logEvents` of one CloudWatch Logs subscription message.

    Each event's `message` may hold one line or several (the runtime splits output by line, but a
    message can carry a trailing newline); only capture records are kept, re-serialised one per line.
    """
    parsed = parse_capture_lines(
        line for event in log_events for line in str(event.get("message", "")).splitlines()
    )
    return "".join(capture_line(record) for record in parsed.records), parsed.skipped
