"""Unit tests of the inference Lambda through API Gateway proxy events, on moto, with a real ONNX model."""

from __future__ import annotations

import json

import pytest
from stack_test_support import CHAMPION_PARAMETER, load_handler

from review_sentiment import aws
from review_sentiment.serving.champion import Champion, promoted, read_champion, rolled_back, write_champion

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")


def api_event(path: str, body) -> dict:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/local{path}",
            "stage": "local",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        },
        "body": body if isinstance(body, str) else json.dumps(body),
    }


def call(handler, context, path: str, body) -> tuple[int, dict]:
    response = handler.lambda_handler(api_event(path, body), context)
    return response["statusCode"], json.loads(response["body"])


def champion_version(tiny_model, version: str, key: str) -> Champion:
    aws.client("s3").put_object(Bucket="models", Key=key, Body=tiny_model.onnx)
    return Champion(
        model_name="review-sentiment",
        version=version,
        model_kind="logreg",
        model_uri=f"s3://models/{key}",
        test_macro_f1=tiny_model.test_macro_f1,
        run_id=f"run-{version}",
    )


@pytest.fixture
def serving(aws_mock, tiny_model):
    write_champion(
        aws.client("ssm"), CHAMPION_PARAMETER, promoted(champion_version(tiny_model, "1", "v1.onnx"), None)
    )
    return load_handler("inference")


def test_predict_answers_with_the_champion_version_and_a_label(serving, lambda_context):
    status, body = call(serving, lambda_context, "/predict", {"text": "This book was wonderful, I loved it!"})
    assert status == 200
    assert body["model_version"] == "1" and body["model_kind"] == "logreg"
    assert body["label"] in ("positive", "negative") and 0.0 <= body["positive_probability"] <= 1.0


def test_batch_predict_answers_one_prediction_per_text_in_order(serving, lambda_context):
    texts = ["Great story, loved every page.", "Boring and badly edited, a waste of money.", "ok"]
    status, body = call(serving, lambda_context, "/batch_predict", {"texts": texts})
    assert status == 200 and body["model_version"] == "1"
    assert len(body["predictions"]) == 3
    single = [
        call(serving, lambda_context, "/predict", {"text": t})[1]["positive_probability"] for t in texts
    ]
    assert [p["positive_probability"] for p in body["predictions"]] == pytest.approx(single, abs=1e-6)


def test_requests_and_answers_are_captured_for_drift_monitoring(serving, lambda_context):
    call(serving, lambda_context, "/predict", {"text": "Loved it"})
    objects = aws.client("s3").list_objects_v2(Bucket="capture", Prefix="capture/")["Contents"]
    record = json.loads(aws.client("s3").get_object(Bucket="capture", Key=objects[0]["Key"])["Body"].read())
    assert record["texts"] == ["Loved it"] and record["model_version"] == "1"


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/predict", {}, "text: Field required"),
        ("/predict", {"text": ""}, "text: String should have at least 1 character"),
        ("/predict", {"text": "fine", "rating": 5}, "rating: Extra inputs are not permitted"),
        ("/predict", {"text": 42}, "text: Input should be a valid string"),
        ("/batch_predict", {"texts": []}, "texts: List should have at least 1 item"),
        ("/predict", "this is not json", "invalid request body"),
    ],
)
def test_bad_bodies_get_a_422_that_says_what_is_wrong(serving, lambda_context, path, body, expected):
    status, answer = call(serving, lambda_context, path, body)
    assert status == 422
    assert expected in answer["message"]


def test_no_champion_answers_503_with_a_clear_message(aws_mock, lambda_context):
    handler = load_handler("inference")
    status, body = call(handler, lambda_context, "/predict", {"text": "Loved it"})
    assert status == 503
    assert "no champion model has been promoted yet" in body["message"]


def test_a_warm_environment_follows_promotion_and_rollback(serving, lambda_context, tiny_model):
    assert call(serving, lambda_context, "/predict", {"text": "fine"})[1]["model_version"] == "1"
    ssm = aws.client("ssm")
    write_champion(
        ssm,
        CHAMPION_PARAMETER,
        promoted(champion_version(tiny_model, "2", "v2.onnx"), read_champion(ssm, CHAMPION_PARAMETER)),
    )
    assert call(serving, lambda_context, "/predict", {"text": "fine"})[1]["model_version"] == "2"
    write_champion(ssm, CHAMPION_PARAMETER, rolled_back(read_champion(ssm, CHAMPION_PARAMETER)))
    assert call(serving, lambda_context, "/predict", {"text": "fine"})[1]["model_version"] == "1"
    assert serving.models.loads == 3  # one load per version change, none for the unchanged calls


@pytest.mark.slow
def test_a_transformer_champion_is_served_with_the_same_response_shape(
    serving, lambda_context, tiny_transformer
):
    """The API contract does not depend on the model kind: promote a transformer graph (tokenizer inside)
    and the same requests get answers with the same fields and types."""
    text = "NOT WORTH İT, BORİNG AND POİNTLESS"
    _, before = call(serving, lambda_context, "/predict", {"text": text})
    _, batch_before = call(serving, lambda_context, "/batch_predict", {"texts": [text, "Loved it"]})
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
    status, after = call(serving, lambda_context, "/predict", {"text": text})
    assert status == 200 and after["model_kind"] == "transformer" and after["model_version"] == "2"
    assert {k: type(v) for k, v in after.items()} == {k: type(v) for k, v in before.items()}
    status, batch = call(serving, lambda_context, "/batch_predict", {"texts": [text, "Loved it"]})
    assert status == 200 and batch.keys() == batch_before.keys()
    assert [p.keys() for p in batch["predictions"]] == [p.keys() for p in batch_before["predictions"]]
    # the Unicode spelling is served as its ASCII twin
    _, twin = call(serving, lambda_context, "/predict", {"text": "NOT WORTH IT, BORING AND POINTLESS"})
    assert twin["positive_probability"] == after["positive_probability"]
