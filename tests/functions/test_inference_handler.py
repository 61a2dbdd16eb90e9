"""Unit tests of the inference Lambda through API Gateway proxy events, on moto, with a real ONNX model.

The same behaviour is checked through the API Gateway URL of the embedded local cloud in
tests/e2e/test_stack_local_cloud_api.py; these run in a second and cover more cases.
"""

from __future__ import annotations

import base64
import json

import pytest

from review_sentiment import aws
from review_sentiment.serving.api_models import MAX_BATCH, MAX_TEXT_CHARS
from review_sentiment.serving.capture import read_records
from review_sentiment.serving.champion import Champion, promoted, read_champion, rolled_back, write_champion
from tests.support.stack import CHAMPION_PARAMETER, load_handler

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")

REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def api_event(path: str, body=None, method: str = "POST", headers=None, base64_encoded=False) -> dict:
    if body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
    if isinstance(body, bytes):
        body, base64_encoded = base64.b64encode(body).decode(), True
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"} if headers is None else headers,
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "isBase64Encoded": base64_encoded,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": REQUEST_ID,
        },
        "body": body,
    }


def call(handler, context, path: str, body=None, **kwargs) -> tuple[int, dict, dict]:
    response = handler.lambda_handler(api_event(path, body, **kwargs), context)
    headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    return response["statusCode"], json.loads(response["body"]), headers


def champion_version(tiny_model, version: str, key: str) -> Champion:
    aws.client("s3").put_object(Bucket="models", Key=key, Body=tiny_model.onnx)
    return Champion(
        model_name="review-sentiment",
        version=version,
        model_kind="logreg",
        model_uri=f"s3://models/{key}",
        test_macro_f1=tiny_model.test_macro_f1,
        run_id=f"run-{version}",
        metrics={"test_macro_f1": tiny_model.test_macro_f1, "test_accuracy": 0.8},
    )


@pytest.fixture
def serving(aws_mock, tiny_model):
    write_champion(
        aws.client("ssm"), CHAMPION_PARAMETER, promoted(champion_version(tiny_model, "1", "v1.onnx"), None)
    )
    return load_handler("inference")


def test_predict_answers_label_probabilities_model_and_request_id(serving, lambda_context):
    status, body, _ = call(serving, lambda_context, "/predict", {"reviewText": "Wonderful book, I loved it!"})
    assert status == 200
    assert body["model"] == {"name": "review-sentiment", "version": "1", "kind": "logreg"}
    assert body["requestId"] == REQUEST_ID
    assert body["label"] in ("positive", "negative")
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert body["label"] == max(body["probabilities"], key=body["probabilities"].get)


def test_the_original_clients_body_is_accepted_and_its_features_are_recomputed(serving, lambda_context):
    review = {"reviewText": "Great book, highly recommend!", "text_len": 30.0, "word_count": 5.0}
    lying = {**review, "text_len": 99999.0, "word_count": 0.0}
    kindle = {**review, "summary": "Five stars", "asin": "B00X", "overall": 5.0, "helpful": [1, 2]}
    answers = [call(serving, lambda_context, "/predict", body)[:2] for body in (review, lying, kindle)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert answers[0][1]["probabilities"] == answers[1][1]["probabilities"] == answers[2][1]["probabilities"]


def test_batch_predict_answers_each_review_in_order_and_a_bad_item_alone(serving, lambda_context):
    texts = ["Great story, loved every page.", "Boring and badly edited, a waste of money."]
    reviews = [{"reviewText": texts[0]}, {"reviewText": ""}, {"reviewText": texts[1], "rating": 5}, "text"]
    reviews.append({"reviewText": texts[1]})
    status, body, _ = call(serving, lambda_context, "/batch_predict", {"reviews": reviews})
    assert status == 200 and body["model"]["version"] == "1"
    assert (body["succeeded"], body["failed"]) == (2, 3)
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3, 4]
    assert body["results"][1]["error"]["status"] == 422
    assert body["results"][1]["error"]["errors"][0]["field"] == "reviews.1.reviewText"
    assert body["results"][2]["error"]["errors"][0]["field"] == "reviews.2.rating"
    assert body["results"][3]["error"]["errors"][0]["message"] == "must be a JSON object"
    single = [call(serving, lambda_context, "/predict", {"reviewText": t})[1]["probabilities"] for t in texts]
    batch = [body["results"][0]["probabilities"], body["results"][4]["probabilities"]]
    for one, many in zip(single, batch, strict=True):
        assert many["positive"] == pytest.approx(one["positive"], abs=1e-6)


def test_each_answered_review_is_one_capture_line_in_the_log(serving, lambda_context, capsys, monkeypatch):
    capsys.readouterr()
    call(serving, lambda_context, "/predict", {"reviewText": "Loved it!"})
    call(
        serving,
        lambda_context,
        "/batch_predict",
        {"reviews": [{"reviewText": "ok", "overall": 4}, {"x": 1}, {"reviewText": "bad"}]},
    )
    parsed = read_records(capsys.readouterr().out.splitlines())
    assert len(parsed.records) == 3  # the invalid batch item is not captured
    first = parsed.records[0]
    assert first.event_metadata.request_id == REQUEST_ID
    assert first.model.model_dump() == {"name": "review-sentiment", "version": "1", "kind": "logreg"}
    assert first.capture_data.endpoint_input.data.features["exclamation_count"] == 1.0
    assert first.capture_data.endpoint_input.data.review_text is None
    # the rating a request carries is kept (ground truth), and only then
    assert [r.capture_data.endpoint_input.data.overall for r in parsed.records] == [None, 4.0, None]
    # raw text is a setting of the environment (read when it starts)
    monkeypatch.setenv("CAPTURE_RAW_TEXT", "true")
    serving = load_handler("inference")
    call(serving, lambda_context, "/predict", {"reviewText": "Loved it!"})
    [record] = read_records(capsys.readouterr().out.splitlines()).records
    assert record.capture_data.endpoint_input.data.review_text == "Loved it!"


def problem_of(handler, context, path, body=None, **kwargs) -> tuple[int, dict, dict]:
    status, answer, headers = call(handler, context, path, body, **kwargs)
    assert headers.get("Content-Type") == "application/problem+json"
    assert answer["status"] == status and answer["type"] == "about:blank" and answer["detail"]
    return status, answer, headers


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "reviewText", "Field required"),
        ({"reviewText": ""}, "reviewText", "at least 1 character"),
        ({"reviewText": "   "}, "reviewText", "not whitespace"),
        ({"reviewText": "x" * (MAX_TEXT_CHARS + 1)}, "reviewText", f"at most {MAX_TEXT_CHARS} characters"),
        ({"reviewText": "fine", "rating": 5}, "rating", "unknown field"),
        ({"reviewText": 42}, "reviewText", "valid string"),
        ({"reviewText": "fine", "text_len": "long"}, "text_len", "valid number"),
        ({"text": "fine"}, "reviewText", "Field required"),
        (["fine"], "body", "JSON object"),
    ],
)
def test_invalid_fields_get_a_422_problem_naming_the_field(serving, lambda_context, body, field, message):
    status, answer, _ = problem_of(serving, lambda_context, "/predict", body)
    assert status == 422
    assert field in [e["field"] for e in answer["errors"]]
    assert message in answer["detail"]


def test_a_batch_over_the_cap_or_empty_is_a_422(serving, lambda_context):
    too_many = {"reviews": [{"reviewText": "ok"}] * (MAX_BATCH + 1)}
    for body in (too_many, {"reviews": []}, {"reviews": "ok"}, {"texts": ["ok"]}):
        status, answer, _ = problem_of(serving, lambda_context, "/batch_predict", body)
        assert status == 422 and answer["errors"][0]["field"] in ("reviews", "texts")


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({"body": "this is not json"}, 400, "not valid JSON"),
        ({"body": '{"reviewText": "x"'}, 400, "not valid JSON"),
        ({"body": '{"reviewText": NaN}'}, 400, "not valid JSON"),
        ({"body": "[" * 100_000 + "]" * 100_000}, 400, "not valid JSON"),
        ({"body": '{"reviewText": "\\ud800 lone surrogate"}'}, 400, "surrogate"),
        ({"body": ""}, 400, "empty"),
        ({"body": None}, 400, "empty"),
        ({"body": '{"reviewText": "caf\xe9 scenes"}'.encode("latin-1")}, 400, "not valid UTF-8"),
        ({"body": "not base64!", "base64_encoded": True}, 400, "not valid base64"),
        ({"body": {"reviewText": "ok"}, "headers": {"content-type": "text/plain"}}, 415, "media type"),
        (
            {"body": {"reviewText": "ok"}, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            415,
            "Content-Type: application/json",
        ),
        (
            {"body": {"reviewText": "ok"}, "headers": {"Content-Type": "application/json; charset=latin-1"}},
            415,
            "UTF-8",
        ),
        ({"body": "x" * (5 * 1024 * 1024)}, 413, "limit"),
    ],
)
def test_malformed_bodies_get_a_problem_and_never_a_5xx(serving, lambda_context, kwargs, status, detail):
    got, answer, headers = problem_of(serving, lambda_context, "/predict", **kwargs)
    assert got == status
    assert detail in answer["detail"]
    assert answer["instance"] == "/predict" and answer["requestId"] == REQUEST_ID
    if status == 415:
        assert headers["Accept-Post"] == "application/json"


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json; charset=UTF-8"},
        {"content-type": 'Application/JSON; charset="utf-8"'},
        {},
    ],
)
def test_json_with_a_utf8_charset_any_case_or_no_content_type_is_accepted(serving, lambda_context, headers):
    body = '\ufeff{"reviewText": "Caf\u00e9 scenes were lovely"}'.encode()
    assert call(serving, lambda_context, "/predict", body, headers=headers)[0] == 200


def test_health_and_model_describe_the_champion(serving, lambda_context, tiny_model):
    status, health, _ = call(serving, lambda_context, "/health", method="GET")
    assert status == 200 and health["status"] == "ready" and health["model"]["version"] == "1"
    status, model, _ = call(serving, lambda_context, "/model", method="GET")
    assert status == 200
    assert (model["name"], model["version"], model["kind"]) == ("review-sentiment", "1", "logreg")
    assert model["promotedAt"]
    # a client learns what serves, not where it is stored or which run made it
    assert not {"runId", "modelUri"} & set(model) and "s3://" not in json.dumps(model)
    assert model["metrics"]["test_macro_f1"] == pytest.approx(tiny_model.test_macro_f1)


def test_no_champion_answers_503_with_a_clear_message(aws_mock, lambda_context):
    handler = load_handler("inference")
    status, body, headers = problem_of(handler, lambda_context, "/predict", {"reviewText": "Loved it"})
    assert status == 503 and "no champion model has been promoted yet" in body["detail"]
    assert headers["Retry-After"]
    status, health, _ = call(handler, lambda_context, "/health", method="GET")
    assert status == 503 and health["status"] == "not_ready" and "no champion" in health["reason"]
    assert problem_of(handler, lambda_context, "/model", method="GET")[0] == 503


def test_unknown_routes_are_a_404_problem(serving, lambda_context):
    assert problem_of(serving, lambda_context, "/nothing", method="GET")[0] == 404
    assert problem_of(serving, lambda_context, "/predict/extra", method="POST")[0] == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/predict", "POST"),
        ("DELETE", "/batch_predict", "POST"),
        ("POST", "/health", "GET"),
        ("PUT", "/model", "GET"),
    ],
)
def test_a_wrong_method_is_a_405_problem_that_names_the_allowed_ones(
    serving, lambda_context, method, path, allow
):
    status, body, headers = problem_of(serving, lambda_context, path, {}, method=method)
    assert status == 405 and headers["Allow"] == allow
    assert method in body["detail"] and allow in body["detail"]


def test_swagger_ui_and_the_openapi_document_are_served(serving, lambda_context):
    response = serving.lambda_handler(api_event("/swagger", method="GET"), lambda_context)
    assert response["statusCode"] == 200 and "swagger-ui" in response["body"]
    event = api_event("/swagger", method="GET")
    event["queryStringParameters"] = {"format": "json"}
    response = serving.lambda_handler(event, lambda_context)
    assert set(json.loads(response["body"])["paths"]) == {"/predict", "/batch_predict", "/health", "/model"}


def test_a_warm_environment_follows_promotion_and_rollback(serving, lambda_context, tiny_model):
    def version() -> str:
        return call(serving, lambda_context, "/predict", {"reviewText": "fine"})[1]["model"]["version"]

    assert version() == "1"
    ssm = aws.client("ssm")
    write_champion(
        ssm,
        CHAMPION_PARAMETER,
        promoted(champion_version(tiny_model, "2", "v2.onnx"), read_champion(ssm, CHAMPION_PARAMETER)),
    )
    assert version() == "2"
    assert call(serving, lambda_context, "/model", method="GET")[1]["previousVersion"] == "1"
    write_champion(ssm, CHAMPION_PARAMETER, rolled_back(read_champion(ssm, CHAMPION_PARAMETER)))
    assert version() == "1"
    assert serving.routes.service().models.loads == 3  # one load per version change, none for the same


@pytest.mark.slow
def test_a_transformer_champion_is_served_with_the_same_response_shape(
    serving, lambda_context, tiny_transformer
):
    """The API contract does not depend on the model kind: promote a transformer graph (tokenizer inside)
    and the same requests get answers with the same fields and types."""
    text = "NOT WORTH İT, BORİNG AND POİNTLESS"
    reviews = {"reviews": [{"reviewText": text}, {"reviewText": "Loved it"}]}
    _, before, _ = call(serving, lambda_context, "/predict", {"reviewText": text})
    _, batch_before, _ = call(serving, lambda_context, "/batch_predict", reviews)
    aws.client("s3").put_object(Bucket="models", Key="v2-transformer.onnx", Body=tiny_transformer)
    ssm = aws.client("ssm")
    champion = Champion(
        model_name="review-sentiment",
        version="2",
        model_kind="transformer",
        model_uri="s3://models/v2-transformer.onnx",
        test_macro_f1=0.9,
        run_id="run-2",
    )
    write_champion(ssm, CHAMPION_PARAMETER, promoted(champion, read_champion(ssm, CHAMPION_PARAMETER)))
    status, after, _ = call(serving, lambda_context, "/predict", {"reviewText": text})
    assert status == 200 and after["model"]["kind"] == "transformer" and after["model"]["version"] == "2"
    assert {k: type(v) for k, v in after.items()} == {k: type(v) for k, v in before.items()}
    status, batch, _ = call(serving, lambda_context, "/batch_predict", reviews)
    assert status == 200 and batch.keys() == batch_before.keys()
    assert [r.keys() for r in batch["results"]] == [r.keys() for r in batch_before["results"]]
    # the Unicode spelling is served as its ASCII twin
    _, twin, _ = call(
        serving, lambda_context, "/predict", {"reviewText": "NOT WORTH IT, BORING AND POINTLESS"}
    )
    assert twin["probabilities"] == after["probabilities"]
