"""Data capture: the one record type of the capture layout (docs/data_capture.md: SageMaker Model
Monitor's data capture, one JSON line per answered review under `datacapture/YYYY/MM/DD/HH/` of the
capture bucket; adding fields is fine, changing them is not).

`CaptureRecord.of` builds the record of one answer, `to_line` writes it, `from_line` reads it back
(`read_records` for many lines): the serving service prints the lines to the function's log, the
delivery function keeps the log lines `from_line` accepts, the drift monitor reads windows of them.
Stdlib, numpy (through the features) and Pydantic only.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

from review_sentiment.data.schema import LABEL_NAMES, POSITIVE
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_feature_row
from review_sentiment.features.text_sketch import text_sketch
from review_sentiment.serving.api_models import ModelRef

EVENT_VERSION = "0"
CAPTURE_PREFIX = "datacapture/"  # the Firehose stream's S3 prefix; it adds YYYY/MM/DD/HH/
# A term every capture line holds and no other log line of the function should: the subscription
# filter pattern on AWS (a plain term matches events that contain it; template.yaml).
CAPTURE_MARKER = "captureData"
JSON_CONTENT_TYPE = "application/json"
# A capture line is one CloudWatch Logs event, at most 256 KiB (262,144 bytes with 26 of overhead); the
# raw text is cut so that a line stays well under it (an emoji is 12 bytes once ASCII-escaped: 32,768
# of them, the API's longest reviewText, would make a 394 KB line).
MAX_LINE_BYTES = 200_000


def _as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso_milliseconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ISO 8601 in UTC with milliseconds and a `Z` ("2026-11-29T08:00:00.123Z"); read from a string only
# (a number is not a time here), an offset converted to UTC, no offset read as UTC.
UtcTime = Annotated[
    datetime,
    Field(strict=True),
    AfterValidator(_as_utc),
    PlainSerializer(_iso_milliseconds, return_type=str),
]


class _Layout(BaseModel):
    """camelCase in JSON, snake_case in Python; fields added by a later writer are kept, not refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class EventMetadata(_Layout):
    event_id: str  # a uuid4 per record
    request_id: str  # the API Gateway request id (one request can give many records: /batch_predict)
    inference_time: UtcTime


class InputData(_Layout):
    """What the model saw, computed from the model text (data.cleaning.model_texts)."""

    features: dict[str, Any]  # each of NUMERIC_FEATURES; readers take a value that is not a number as NaN
    text_sketch: dict[str, Any] = {}  # features.text_sketch.text_sketch of the model text
    review_text: str | None = None  # the raw text, only when raw-text capture is on
    review_text_truncated: bool | None = None  # True: review_text was cut to keep the line under the limit
    # The star rating the request carried (1-5), when it carried one: the ground truth a later
    # model-quality monitor turns into a label (data.schema.label_from_rating). Not used to predict.
    overall: float | None = None


class OutputData(_Layout):
    label: str  # one of data.schema.LABEL_NAMES
    probabilities: dict[str, Any]  # by label name; readers take a value that is not a number as NaN


Data = TypeVar("Data", InputData, OutputData)


class Endpoint(_Layout, Generic[Data]):
    observed_content_type: str = JSON_CONTENT_TYPE
    mode: Literal["INPUT", "OUTPUT"]
    encoding: Literal["JSON"] = "JSON"
    data: Data


class CaptureData(_Layout):
    endpoint_input: Endpoint[InputData]
    endpoint_output: Endpoint[OutputData]


class CaptureLineError(ValueError):
    """A line that is not a capture record. `reason`: `not_json`, `missing_field` (a field of the
    layout is absent) or `bad_value` (a field has the wrong type or value, or the line is not an object)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class CaptureRecord(_Layout):
    """One answered review in the capture layout (module docstring); one JSON line."""

    event_version: Literal["0"] = EVENT_VERSION
    event_metadata: EventMetadata
    model: ModelRef
    capture_data: CaptureData

    @classmethod
    def of(
        cls,
        *,
        model: ModelRef,
        request_id: str,
        model_text: str,
        label: str,
        probabilities: Mapping[str, float],
        raw_text: str | None = None,
        overall: float | None = None,
        now: datetime | None = None,
        event_id: str | None = None,
    ) -> CaptureRecord:
        """The record of one answer. `model_text` is the text the model saw (data.cleaning.model_texts);
        the numeric features and the text sketch are computed from it. `raw_text` is stored as
        `reviewText` and `overall` as the request's rating only when given; a raw text that would take
        the line past MAX_LINE_BYTES is cut to fit and marked `reviewTextTruncated`. `now` defaults to
        the current time, `event_id` to a new uuid4."""
        features = dict(zip(NUMERIC_FEATURES, numeric_feature_row(model_text), strict=True))
        data_in = InputData(
            features=features, text_sketch=text_sketch(model_text), review_text=raw_text, overall=overall
        )
        data_out = OutputData(label=label, probabilities={k: float(v) for k, v in probabilities.items()})
        record = cls(
            event_metadata=EventMetadata(
                event_id=event_id or str(uuid.uuid4()),
                request_id=request_id,
                inference_time=now or datetime.now(UTC),
            ),
            model=model,
            capture_data=CaptureData(
                endpoint_input=Endpoint(mode="INPUT", data=data_in),
                endpoint_output=Endpoint(mode="OUTPUT", data=data_out),
            ),
        )
        if raw_text is not None and len(record.to_line()) > MAX_LINE_BYTES:
            record = record._with_text_cut(raw_text)
        return record

    def _with_text_cut(self, raw_text: str) -> CaptureRecord:
        """The record with the longest prefix of `raw_text` whose line fits MAX_LINE_BYTES, marked cut."""
        data_in = self.capture_data.endpoint_input.data
        data_in.review_text, data_in.review_text_truncated = "", True
        room = MAX_LINE_BYTES - len(self.to_line())
        kept = 0
        for char in raw_text:  # the bytes each character takes in the ASCII-escaped line
            cost = len(json.dumps(char, ensure_ascii=True)) - 2
            if cost > room:
                break
            room -= cost
            kept += 1
        data_in.review_text = raw_text[:kept]
        return self

    def to_line(self) -> str:
        """One newline-terminated, compact, ASCII JSON line (newlines, U+2028 and every other non-ASCII
        character escaped, so no line splitter cuts it); fields that are None are left out."""
        return self.model_dump_json(by_alias=True, exclude_none=True, ensure_ascii=True) + "\n"

    @classmethod
    def from_line(cls, line: str | bytes) -> CaptureRecord:
        """The record of one line; CaptureLineError (with its `reason`) when it is not one."""
        try:
            return cls.model_validate_json(line)
        except ValidationError as error:
            kinds = {e["type"] for e in error.errors()}
            if "json_invalid" in kinds:
                reason = "not_json"
            elif kinds == {"missing"}:
                reason = "missing_field"
            else:
                reason = "bad_value"
            first = error.errors()[0]
            raise CaptureLineError(reason, f"{first['loc']}: {first['msg']}") from None

    def feature_row(self) -> list[float]:
        """The numeric features in NUMERIC_FEATURES order; NaN where one is missing or not a number."""
        features = self.capture_data.endpoint_input.data.features
        return [_number(features.get(name)) for name in NUMERIC_FEATURES]

    def positive_probability(self) -> float:
        """P(positive) as answered; NaN when missing or not a number."""
        return _number(self.capture_data.endpoint_output.data.probabilities.get(LABEL_NAMES[POSITIVE]))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


@dataclass
class ParsedLines:
    """Capture records found among some lines, and how many other non-empty lines were skipped, by reason."""

    records: list[CaptureRecord] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # CaptureLineError.reason -> lines


def read_records(lines: Iterable[str | bytes]) -> ParsedLines:
    """The capture records among `lines`; blank lines are ignored, any other line that is not a record
    is counted by reason, never raised. Readers of capture objects pass each object's lines; the
    delivery passes the lines of CloudWatch Logs messages, where the function's other log lines are
    skipped."""
    parsed = ParsedLines()
    for line in lines:
        if not line.strip():
            continue
        try:
            parsed.records.append(CaptureRecord.from_line(line))
        except CaptureLineError as error:
            parsed.skipped[error.reason] += 1
    return parsed
