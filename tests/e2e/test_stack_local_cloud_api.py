"""The inference API through the API Gateway URL of the embedded local cloud: every route, the original
system's request, each class of malformed request, the data capture (N answered, N captured, across an
execution environment recycle) and a bounded, seeded schemathesis run against the OpenAPI document.

Uses the session's stack (conftest.py) and its champion (promoted by test_stack_local_cloud.py, or by
the `champion` fixture when this module runs alone).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from review_sentiment import aws
from review_sentiment.serving.api_models import MAX_BATCH, MAX_TEXT_CHARS
from review_sentiment.serving.capture import CAPTURE_PREFIX, CaptureRecord, read_records
from tests.support.stack import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]

OPENAPI_DOCUMENT = REPO_ROOT / "openapi" / "inference.json"
JSON = {"Content-Type": "application/json"}


def http(stack, method: str, path: str, body: bytes | str | dict | None = None, headers=None, api_key=True):
    """(status, headers, parsed body or text) of one request to the deployed API (with the stack's API
    key unless `api_key` is false)."""
    headers = dict(JSON if headers is None else headers) | ({"x-api-key": stack.api_key} if api_key else {})
    if isinstance(body, dict | list):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    request = urllib.request.Request(f"{stack.api_base_url}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer, raw = error.code, error.headers, error.read()
    try:
        return status, answer, json.loads(raw)
    except ValueError:
        return status, answer, raw.decode(errors="replace")


def test_the_original_systems_request_is_answered_with_label_probabilities_and_model(stack, champion):
    body = {"reviewText": "Great book, highly recommend!", "text_len": 30.0, "word_count": 5.0}
    status, _, answer = http(stack, "POST", "/predict", body)
    assert status == 200, answer
    assert answer["label"] == "positive"
    assert set(answer["probabilities"]) == {"negative", "positive"}
    assert answer["model"] == {"name": champion.model_name, "version": champion.version, "kind": "logreg"}
    assert answer["requestId"]


def test_a_kindle_review_and_a_batch_with_a_bad_item(stack, champion):
    review = {
        "reviewerID": "A1F6404F1VG29J",
        "asin": "B000F83SZQ",
        "reviewerName": "Avidreader",
        "helpful": [0, 0],
        "reviewText": "I enjoy vintage books and movies so I enjoyed reading this book.",
        "overall": 5.0,
        "summary": "Nice vintage story",
        "unixReviewTime": 1399248000,
        "reviewTime": "05 5, 2014",
    }
    assert http(stack, "POST", "/predict", review)[0] == 200
    batch = {"reviews": [review, {"reviewText": ""}, {"reviewText": "Dull and badly edited."}]}
    status, _, answer = http(stack, "POST", "/batch_predict", batch)
    assert status == 200
    assert (answer["succeeded"], answer["failed"]) == (2, 1)
    assert answer["results"][1]["error"]["errors"][0]["field"] == "reviews.1.reviewText"


def test_health_model_and_swagger_routes(stack, champion):
    status, _, health = http(stack, "GET", "/health", headers={})
    assert status == 200 and health["status"] == "ready" and not health.get("reason")
    assert health["model"]["version"] == champion.version
    status, _, model = http(stack, "GET", "/model", headers={})
    assert status == 200
    assert (model["version"], model["kind"]) == (champion.version, champion.model_kind)
    assert model["promotedAt"] == champion.promoted_at
    assert model["metrics"]["test_macro_f1"] == pytest.approx(champion.test_macro_f1)
    assert {"test_accuracy", "onnx_p99_ms"} <= set(model["metrics"])  # the model card's figures
    status, headers, page = http(stack, "GET", "/swagger", headers={})
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "swagger-ui" in page
    status, _, document = http(stack, "GET", "/swagger?format=json", headers={})
    assert status == 200 and document["paths"] == json.loads(OPENAPI_DOCUMENT.read_text())["paths"]


def _is_problem(headers, answer, status: int) -> bool:
    return (
        headers["Content-Type"].startswith("application/problem+json")
        and isinstance(answer, dict)
        and answer.get("status", status) == status
        and bool(answer.get("detail"))
    )


def test_the_gateway_keeps_the_problem_contract_for_keys_routes_and_methods(stack, champion):
    # GIVEN the deployed API (an API key and usage plan; every path and method reach the function)
    # THEN a missing or wrong key is a 403 problem, and the probes and the document need none
    for key in (False, "not-the-key-of-this-stack"):
        headers = JSON if key is False else JSON | {"x-api-key": key}
        status, answer_headers, answer = http(
            stack, "POST", "/predict", {"reviewText": "ok"}, headers, api_key=False
        )
        assert status == 403 and _is_problem(answer_headers, answer, 403), (status, answer)
    assert http(stack, "GET", "/health", headers={}, api_key=False)[0] == 200
    # AND with the key, an unknown path is a 404 problem and a wrong method a 405 problem naming the right one
    status, answer_headers, answer = http(stack, "GET", "/no/such/route")
    assert status == 404 and _is_problem(answer_headers, answer, 404), (status, answer)
    status, answer_headers, answer = http(stack, "GET", "/predict", headers={})
    assert status == 405 and _is_problem(answer_headers, answer, 405), (status, answer)
    assert answer_headers["Allow"] == "POST"


LATIN1_BODY = '{"reviewText": "caf\xe9 scenes were lovely"}'.encode("latin-1")


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "field"),
    [
        ("/predict", "notjson", JSON, 400, None),
        ("/predict", LATIN1_BODY, JSON, 400, None),
        ("/predict", "", JSON, 400, None),
        ("/predict", '{"reviewText": "x"}', {"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
        ("/predict", '{"reviewText": "x"}', {"Content-Type": "text/plain"}, 415, None),
        (
            "/predict",
            '{"reviewText": "x"}',
            {"Content-Type": "application/json; charset=iso-8859-1"},
            415,
            None,
        ),
        ("/predict", {"summary": "no text"}, JSON, 422, "reviewText"),
        ("/predict", {"reviewText": ""}, JSON, 422, "reviewText"),
        ("/predict", {"reviewText": "x" * (MAX_TEXT_CHARS + 1)}, JSON, 422, "reviewText"),
        ("/predict", {"reviewText": ["a list"]}, JSON, 422, "reviewText"),
        ("/predict", {"reviewText": "ok", "stars": 5}, JSON, 422, "stars"),
        ("/predict", {"text": "the old field"}, JSON, 422, "text"),
        ("/batch_predict", {"reviews": [{"reviewText": "ok"}] * (MAX_BATCH + 1)}, JSON, 422, "reviews"),
        ("/batch_predict", {"reviews": []}, JSON, 422, "reviews"),
    ],
)
def test_each_client_mistake_gets_one_problem_shape_and_never_a_5xx(
    stack, champion, path, body, headers, status, field
):
    got, answer_headers, answer = http(stack, "POST", path, body, headers)
    assert got == status, answer
    assert answer_headers["Content-Type"] == "application/problem+json"
    assert answer["status"] == status and answer["title"] and answer["detail"] and answer["requestId"]
    if field:
        assert field in [e["field"] for e in answer["errors"]], answer


def capture_records(stack) -> list[CaptureRecord]:
    s3 = aws.client("s3")
    bucket = stack["InferenceCaptureBucketName"]
    records = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=CAPTURE_PREFIX):
        for obj in page.get("Contents", []):
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            records += read_records(text.splitlines()).records
    return records


def test_every_answered_review_is_captured_once_even_when_environments_are_recycled(stack, champion):
    # GIVEN N single predictions and a batch, sent 4 at a time (several execution environments) ...
    texts = [f"Review number {i}: {'loved it' if i % 2 else 'hated it'}!" for i in range(24)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda t: http(stack, "POST", "/predict", {"reviewText": t}), texts))
    status, _, batch = http(
        stack, "POST", "/batch_predict", {"reviews": [{"reviewText": t} for t in texts[:6]]}
    )
    assert [a[0] for a in answers] == [200] * len(texts) and status == 200
    expected = {a[2]["requestId"] for a in answers}
    # ... and every environment recycled right after (a configuration change replaces them all)
    function = stack["InferenceFunctionName"]
    lam = aws.client("lambda")
    variables = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    lam.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "RECYCLED_AT": str(time.time())}}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=function)
    # WHEN the capture is delivered (the log -> subscription filter -> Firehose -> S3)
    deadline = time.monotonic() + 120
    while True:
        records = [
            r
            for r in capture_records(stack)
            if r.event_metadata.request_id in expected | {batch["requestId"]}
        ]
        if len(records) >= len(texts) + 6 or time.monotonic() > deadline:
            break
        time.sleep(2)
    # THEN each answered review is there exactly once, with what the model answered
    singles = [r for r in records if r.event_metadata.request_id in expected]
    assert sorted(r.event_metadata.request_id for r in singles) == sorted(expected)
    assert len([r for r in records if r.event_metadata.request_id == batch["requestId"]]) == 6
    assert len({r.event_metadata.event_id for r in records}) == len(records)
    by_request = {a[2]["requestId"]: (text, a[2]) for text, a in zip(texts, answers, strict=True)}
    for record in singles:
        text, answer = by_request[record.event_metadata.request_id]
        assert record.capture_data.endpoint_output.data.label == answer["label"]
        assert record.capture_data.endpoint_output.data.probabilities == answer["probabilities"]
        # CaptureRawText=auto: raw text is captured in the local stage (off by default on AWS)
        assert record.capture_data.endpoint_input.data.review_text == text
    # AND the objects follow the documented layout: datacapture/YYYY/MM/DD/HH/
    keys = [
        o["Key"]
        for o in aws.client("s3").list_objects_v2(Bucket=stack["InferenceCaptureBucketName"])["Contents"]
    ]
    assert all(k.startswith(CAPTURE_PREFIX) and len(k.split("/")) == 6 for k in keys)


def test_schemathesis_finds_no_server_error_through_api_gateway(stack, champion):
    """Bounded and seeded: positive and negative cases for every operation of the committed document."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

    schema = schemathesis.openapi.from_path(OPENAPI_DOCUMENT)
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # negative cases need something to break: a body (the GET routes take no input at all)
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if operation.method == "post" else [])
        for mode in modes:

            @settings(
                max_examples=25,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                response = case.call(
                    base_url=stack.api_base_url, headers={"x-api-key": stack.api_key}, timeout=60
                )
                seen.setdefault(f"{case.method.upper()} {case.path}", set()).add(response.status_code)
                assert response.status_code < 500, (
                    f"{case.method} {case.path} {case.body!r} -> {response.text}"
                )
                checks = [not_a_server_error, status_code_conformance, content_type_conformance]
                case.validate_response(response, checks=checks)

            check()
    print("status codes seen:", {k: sorted(v) for k, v in seen.items()})
    assert all(200 in codes for codes in seen.values()), seen
    assert all(any(400 <= c < 500 for c in seen[route]) for route in ("POST /predict", "POST /batch_predict"))
