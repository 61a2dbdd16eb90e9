"""CaptureDelivery: the Firehose transformation that turns the inference function's log into capture lines.

The inference function writes one data-capture JSON line per answered review to its log; a CloudWatch
Logs subscription filter sends the log to the capture delivery stream, and Firehose calls this function
with each record (a gzipped CloudWatch Logs message, base64-encoded). It keeps the capture lines and
drops the rest (START/END/REPORT, application logs, control messages); Firehose writes what is kept to
`datacapture/YYYY/MM/DD/HH/` of the capture bucket. A line is kept when it is a
review_sentiment.serving.capture.CaptureRecord, and written back as one (`to_line`).
Record results follow the Firehose data transformation contract: Ok, Dropped or ProcessingFailed.
"""

from __future__ import annotations

import base64
import gzip
import json
import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment.serving.capture import read_records

logger = Logger()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`


def transform(record: dict) -> tuple[dict, int, int]:
    """(Firehose result record, capture lines kept, other lines skipped) for one delivery record."""
    record_id = record.get("recordId", "")  # always set by Firehose; LocalStack's leaves it out
    try:
        message = json.loads(gzip.decompress(base64.b64decode(record["data"])))
    except (OSError, EOFError, ValueError) as error:
        logger.warning("not a CloudWatch Logs message", record_id=record_id, error=str(error))
        return {"recordId": record_id, "result": "ProcessingFailed", "data": record["data"]}, 0, 0
    if message.get("messageType") != "DATA_MESSAGE":
        return {"recordId": record_id, "result": "Dropped", "data": ""}, 0, 0
    # each event's message holds one line or several (a message can carry a trailing newline)
    events = message.get("logEvents", [])
    parsed = read_records(line for event in events for line in str(event.get("message", "")).splitlines())
    skipped = parsed.skipped.total()
    if not parsed.records:
        return {"recordId": record_id, "result": "Dropped", "data": ""}, 0, skipped
    text = "".join(record.to_line() for record in parsed.records)
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {"recordId": record_id, "result": "Ok", "data": data}, len(parsed.records), skipped


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records, kept, skipped = [], 0, 0
    for record in event.get("records", []):
        result, n_kept, n_skipped = transform(record)
        records.append(result)
        kept, skipped = kept + n_kept, skipped + n_skipped
    metrics.add_metric(name="CaptureRecordsDelivered", unit=MetricUnit.Count, value=kept)
    logger.debug("capture delivery", records=len(records), kept=kept, skipped_lines=skipped)
    return {"records": records}
