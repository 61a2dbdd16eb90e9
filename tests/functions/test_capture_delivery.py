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


class DeliveryStream:
    """The delivery stream's PutRecordBatch as the function calls it: records kept, the first call's
    first `fail` records answered with an error (as Firehose does under throttling)."""

    def __init__(self, fail: int = 0):
        self.records: list[bytes] = []
        self.fail = fail

    def put_record_batch(self, DeliveryStreamName, Records):
        answers = []
        for i, record in enumerate(Records):
            if i < self.fail:
                answers.append({"ErrorCode": "ServiceUnavailableException"})
            else:
                self.records.append(record["Data"])
                answers.append({"RecordId": str(len(self.records))})
        failed, self.fail = min(self.fail, len(Records)), 0
        return {"FailedPutCount": failed, "RequestResponses": answers}


def big_event(records: int, lines: int) -> tuple[dict, set[str]]:
    """`records` CloudWatch Logs messages of `lines` capture lines each, raw text on (~1.3 KB a line)."""
    ids, event = set(), {"records": []}
    for r in range(records):
        texts = []
        for i in range(lines):
            request_id = f"r{r}-{i}"
            ids.add(request_id)
            texts.append(
                CaptureRecord.of(
                    request_id=request_id,
                    model=ModelRef(name="m", version="1", kind="logreg"),
                    model_text="Loved it",
                    label="positive",
                    probabilities={"negative": 0.2, "positive": 0.8},
                    raw_text=f"A long review number {i}. " * 40,
                ).to_line()
            )
        event["records"].append(firehose_record(f"rec{r}", logs_message(texts)))
    return event, ids


def delivered_ids(records: list[dict]) -> list[str]:
    lines = [
        ln for r in records if r["result"] == "Ok" for ln in base64.b64decode(r["data"]).decode().splitlines()
    ]
    return [rec.event_metadata.request_id for rec in read_records(lines).records]


def test_the_answer_stays_under_lambdas_6_mb_and_the_rest_comes_back_through_the_stream(
    aws_mock, lambda_context, monkeypatch
):
    handler = load_handler("capture_delivery")
    stream = DeliveryStream()
    monkeypatch.setattr(handler, "firehose", lambda: stream)
    monkeypatch.setenv("DELIVERY_STREAM_NAME", "capture")
    event, ids = big_event(records=8, lines=1000)  # ~10 MB of capture lines from ~0.2 MB of input
    answer = handler.lambda_handler(event, lambda_context)
    assert len(json.dumps(answer)) < 6 * 1024 * 1024
    assert {r["result"] for r in answer["records"]} == {"Ok", "Dropped"}  # dropped here, put back
    assert stream.records and all(len(d) <= 1000 * 1024 for d in stream.records)
    # Firehose hands the put-back records to the function again: they pass as capture lines
    delivered, rounds = delivered_ids(answer["records"]), 0
    while stream.records and rounds < 10:
        put_back, stream.records, rounds = stream.records, [], rounds + 1
        records = [{"recordId": str(i), "data": base64.b64encode(d).decode()} for i, d in enumerate(put_back)]
        again = handler.lambda_handler({"records": records}, lambda_context)
        assert len(json.dumps(again)) < 6 * 1024 * 1024
        delivered += delivered_ids(again["records"])
    assert sorted(delivered) == sorted(ids)  # every line exactly once


def test_records_that_cannot_be_put_back_are_counted(aws_mock, lambda_context, monkeypatch, capsys):
    handler = load_handler("capture_delivery")
    stream = DeliveryStream(fail=1_000)  # every put fails twice
    stream.put_record_batch = lambda **kw: {
        "FailedPutCount": len(kw["Records"]),
        "RequestResponses": [{"ErrorCode": "ServiceUnavailableException"} for _ in kw["Records"]],
    }
    monkeypatch.setattr(handler, "firehose", lambda: stream)
    monkeypatch.setenv("DELIVERY_STREAM_NAME", "capture")
    handler.lambda_handler(big_event(records=8, lines=1000)[0], lambda_context)
    blobs = [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if '"_aws"' in ln]
    failed = [b["CaptureRecordsFailed"] for b in blobs if "CaptureRecordsFailed" in b]
    assert failed and failed[0] not in (0, [0], 0.0, [0.0])
