"""CaptureDelivery: the Firehose transformation that turns the inference function's log into capture lines.

The inference function writes one data-capture JSON line per answered review to its log; a CloudWatch
Logs subscription filter sends the log to the capture delivery stream, and Firehose calls this function
with each record (a gzipped CloudWatch Logs message, base64-encoded). It keeps the capture lines and
drops the rest (START/END/REPORT, application logs, control messages); Firehose writes what is kept to
`datacapture/YYYY/MM/DD/HH/` of the capture bucket. A line is kept when it is a
review_sentiment.serving.capture.CaptureRecord, and written back as one (`to_line`).
Record results follow the Firehose data transformation contract: Ok, Dropped or ProcessingFailed.

Lambda answers at most 6 MB, and Firehose's Lambda buffer (1 MB by default) counts compressed
CloudWatch Logs records that decompress to ten times more. So the answer has a budget
(RESPONSE_BUDGET_BYTES): the records whose capture lines would pass it are put back into the delivery
stream as plain capture lines (PutRecordBatch, at most 1,000 KiB a record) and answered Dropped, as
AWS's CloudWatch Logs processor blueprint does; a later invocation passes such plain lines through.
Nothing is lost silently: lines delivered, records re-ingested and records that could not be (answered
ProcessingFailed, which Firehose writes under its error prefix) are metrics.
"""

from __future__ import annotations

import base64
import gzip
import json
import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.serving.capture import read_records

ENV_DELIVERY_STREAM = "DELIVERY_STREAM_NAME"  # where over-budget records are put back
RESPONSE_BUDGET_BYTES = 5_000_000  # of Lambda's 6 MB response: room for the JSON around the records
MAX_RECORD_BYTES = 1_000 * 1024  # Firehose's largest record
MAX_BATCH_RECORDS = 500  # PutRecordBatch's largest batch

logger = Logger()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`


def firehose():
    """The Firehose client that puts over-budget records back (a function: tests hand in another)."""
    return aws.client("firehose")


def _plain_lines(data: bytes) -> str | None:
    """Capture lines put back by an earlier invocation (plain text, not gzip), or None."""
    if data[:2] == b"\x1f\x8b":
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.lstrip().startswith("{") else None


def transform(record: dict) -> tuple[dict, int, int]:
    """(Firehose result record, capture lines kept, other lines skipped) for one delivery record: a
    gzipped CloudWatch Logs message, or plain capture lines that an earlier invocation put back."""
    record_id = record.get("recordId", "")  # always set by Firehose; LocalStack's leaves it out
    try:
        raw = base64.b64decode(record["data"])
        plain = _plain_lines(raw)
        message = None if plain is not None else json.loads(gzip.decompress(raw))
    except (OSError, EOFError, ValueError) as error:
        logger.warning("not a CloudWatch Logs message", record_id=record_id, error=str(error))
        return {"recordId": record_id, "result": "ProcessingFailed", "data": record["data"]}, 0, 0
    if plain is not None:
        lines = plain.splitlines()
    elif message.get("messageType") != "DATA_MESSAGE":
        return {"recordId": record_id, "result": "Dropped", "data": ""}, 0, 0
    else:  # each event's message holds one line or several (a message can carry a trailing newline)
        lines = [
            line
            for event in message.get("logEvents", [])
            for line in str(event.get("message", "")).splitlines()
        ]
    parsed = read_records(lines)
    skipped = parsed.skipped.total()
    if not parsed.records:
        return {"recordId": record_id, "result": "Dropped", "data": ""}, 0, skipped
    text = "".join(record.to_line() for record in parsed.records)
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {"recordId": record_id, "result": "Ok", "data": data}, len(parsed.records), skipped


def chunks(text: str, limit: int = MAX_RECORD_BYTES) -> list[bytes]:
    """Whole capture lines packed into records of at most `limit` bytes (a line is at most 200 KB)."""
    out, current = [], b""
    for line in text.splitlines(keepends=True):
        encoded = line.encode("utf-8")
        if current and len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
        current += encoded
    return [*out, current] if current else out


def reingest(firehose, stream: str, payloads: list[bytes]) -> int:
    """Puts `payloads` back into `stream`; returns how many could not be put (after one retry)."""
    failed = 0
    for start in range(0, len(payloads), MAX_BATCH_RECORDS):
        batch = payloads[start : start + MAX_BATCH_RECORDS]
        for _attempt in range(2):
            answer = firehose.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": d} for d in batch]
            )
            if not answer.get("FailedPutCount"):
                batch = []
                break
            batch = [d for d, r in zip(batch, answer["RequestResponses"], strict=True) if r.get("ErrorCode")]
        failed += len(batch)
    return failed


def within_budget(results: list[dict], budget: int = RESPONSE_BUDGET_BYTES) -> tuple[list[dict], list[bytes]]:
    """(results whose data fits `budget` in order, the others answered Dropped; the capture lines of
    those others, as records to put back)."""
    used, answered, spilled = 0, [], []
    for result in results:
        size = len(result["data"]) + 100  # the base64 data and the JSON around it
        if result["result"] != "Ok" or used + size <= budget:
            used += size
            answered.append(result)
            continue
        spilled.extend(chunks(base64.b64decode(result["data"]).decode("utf-8")))
        answered.append({"recordId": result["recordId"], "result": "Dropped", "data": ""})
    return answered, spilled


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records, kept, skipped = [], 0, 0
    for record in event.get("records", []):
        result, n_kept, n_skipped = transform(record)
        records.append(result)
        kept, skipped = kept + n_kept, skipped + n_skipped
    records, spilled = within_budget(records)
    failed_puts = reingest(firehose(), os.environ[ENV_DELIVERY_STREAM], spilled) if spilled else 0
    failed = sum(r["result"] == "ProcessingFailed" for r in records)
    metrics.add_metric(name="CaptureRecordsDelivered", unit=MetricUnit.Count, value=kept)
    metrics.add_metric(
        name="CaptureRecordsReingested", unit=MetricUnit.Count, value=len(spilled) - failed_puts
    )
    metrics.add_metric(name="CaptureRecordsFailed", unit=MetricUnit.Count, value=failed + failed_puts)
    if failed_puts:
        logger.error("capture lines could not be put back into the delivery stream", records=failed_puts)
    logger.debug(
        "capture delivery", records=len(records), kept=kept, skipped_lines=skipped, spilled=len(spilled)
    )
    return {"records": records}
