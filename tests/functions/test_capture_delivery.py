"""The Firehose transformation of the capture delivery: CloudWatch Logs messages in, capture lines out."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from review_sentiment.serving.api_models import ModelRef
from review_sentiment.serving.capture import CaptureRecord, read_records
from tests.support.stack import load_handler

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")


def firehose_record(record_id: str, message: dict | bytes) -> dict:
    payload = message if isinstance(message, bytes) else gzip.compress(json.dumps(message).encode())
    return {"recordId": record_id, "data": base64.b64encode(payload).decode()}


def logs_message(lines: list[str], kind: str = "DATA_MESSAGE") -> dict:
    return {
        "messageType": kind,
        "logGroup": "/aws/lambda/inference",
        "logEvents": [{"id": str(i), "timestamp": 0, "message": line} for i, line in enumerate(lines)],
    }


def capture(request_id: str) -> str:
    return CaptureRecord.of(
        request_id=request_id,
        model=ModelRef(name="m", version="1", kind="logreg"),
        model_text="Loved it",
        label="positive",
        probabilities={"negative": 0.2, "positive": 0.8},
    ).to_line()


def test_capture_lines_are_kept_and_everything_else_dropped(aws_mock, lambda_context):
    handler = load_handler("capture_delivery")
    captured = [capture("r1"), capture("r2")]
    event = {
        "records": [
            firehose_record(
                "a",
                logs_message(
                    [
                        "START RequestId: r1\n",
                        captured[0],
                        '{"level":"INFO","message":"request rejected"}\n',
                        captured[1],
                        "END\n",
                    ]
                ),
            ),
            firehose_record("b", logs_message(["REPORT RequestId: r1\tDuration: 1 ms\n"])),
            firehose_record("c", logs_message([], kind="CONTROL_MESSAGE")),
            firehose_record("d", b"not gzip"),
        ]
    }
    records = handler.lambda_handler(event, lambda_context)["records"]
    assert [(r["recordId"], r["result"]) for r in records] == [
        ("a", "Ok"),
        ("b", "Dropped"),
        ("c", "Dropped"),
        ("d", "ProcessingFailed"),
    ]
    text = base64.b64decode(records[0]["data"]).decode()
    assert text.endswith("\n")
    assert text == "".join(captured)  # the lines as the function wrote them, and nothing else
    parsed = read_records(text.splitlines())
    assert [r.event_metadata.request_id for r in parsed.records] == ["r1", "r2"] and not parsed.skipped
