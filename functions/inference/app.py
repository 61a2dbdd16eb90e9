"""Inference API, served by the champion ONNX model.

POST /predict (one Kindle review), POST /batch_predict (up to MAX_BATCH reviews, per-item errors),
GET /health (ready or not, and why), GET /model (the champion and its model card figures),
GET /swagger (Swagger UI; ?format=json gives the OpenAPI document, committed as openapi/inference.json).
Every client mistake is answered with RFC 9457 problem details (application/problem+json).

The champion is found through the SSM pointer and cached per warm environment
(review_sentiment.serving.model_cache). Each answered review is written as one data-capture line to
the function's log (review_sentiment.serving.capture); a subscription filter ships it to Firehose and
the capture bucket, so the request path makes no capture call of its own.
Imports onnxruntime and numpy only: no scikit-learn, no pandas.
"""

import json
import os
import sys

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from review_sentiment import aws
from review_sentiment.features.numeric import model_texts
from review_sentiment.serving.api_models import (
    MAX_BODY_BYTES,
    BatchItemError,
    BatchItemPrediction,
    BatchPrediction,
    BatchRequest,
    Health,
    ModelInfo,
    ModelRef,
    Prediction,
    Probabilities,
    Problem,
    Review,
)
from review_sentiment.serving.capture import capture_line, capture_record
from review_sentiment.serving.champion import NoChampion
from review_sentiment.serving.http_body import (
    JSON_MEDIA_TYPE,
    PROBLEM_CONTENT_TYPE,
    ClientProblem,
    field_errors,
    json_body,
    problem,
)
from review_sentiment.serving.model_cache import ChampionModelCache, ServingModel
from review_sentiment.serving.onnx_model import LABEL_NAMES

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"
ENV_CACHE_SECONDS = "CHAMPION_CACHE_SECONDS"
ENV_CAPTURE_ENABLED = "CAPTURE_ENABLED"  # "true" (default) writes data-capture lines to the log
ENV_CAPTURE_RAW_TEXT = "CAPTURE_RAW_TEXT"  # "true" adds reviewText to each capture line (off by default)
BODY_ROUTES = ("/predict", "/batch_predict")
API_TITLE = "Kindle review sentiment"
API_VERSION = "1.0.0"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
app = APIGatewayRestResolver(enable_validation=True, response_validation_error_http_code=500)
app.configure_openapi(
    title=API_TITLE,
    version=API_VERSION,
    description=(
        "Sentiment of Amazon Kindle reviews. Errors are RFC 9457 problem details "
        "(application/problem+json): 400 for a body that is not UTF-8 JSON, 413 for a body over "
        f"{MAX_BODY_BYTES:,} bytes, 415 for another media type or charset, 422 naming each invalid field, "
        "503 while no model is promoted."
    ),
)
app.enable_swagger(path="/swagger", title=API_TITLE, version=API_VERSION)
_models: ChampionModelCache | None = None


def models() -> ChampionModelCache:
    """The environment's model cache (created on first use, so the OpenAPI document needs no AWS)."""
    global _models
    if _models is None:
        _models = ChampionModelCache(
            aws.client("ssm"),
            aws.client("s3"),
            os.environ[ENV_CHAMPION_PARAMETER],
            max_age_s=float(os.environ.get(ENV_CACHE_SECONDS, "5")),
        )
    return _models


class ServiceUnavailable(Exception):
    """No model can answer yet (nothing promoted)."""


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _problem_content(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}}}


CLIENT_ERRORS = {
    400: _problem_content("The body is empty, not valid base64, not UTF-8 or not JSON."),
    413: _problem_content(f"The body is over {MAX_BODY_BYTES:,} bytes."),
    415: _problem_content("The media type is not application/json, or the charset is not UTF-8."),
    422: _problem_content("A field is missing, unknown or invalid; `errors` names each one."),
    503: _problem_content("No model has been promoted yet."),
}


def _serving() -> ServingModel:
    try:
        return models().get()
    except NoChampion as exc:
        raise ServiceUnavailable(str(exc)) from None


def _model_ref(serving: ServingModel) -> ModelRef:
    champion = serving.champion
    return ModelRef(name=champion.model_name, version=champion.version, kind=champion.model_kind)


def _request_id() -> str:
    return app.current_event.request_context.request_id or ""


def _predict(serving: ServingModel, reviews: list[Review]) -> list[tuple[str, Probabilities]]:
    """(label, probabilities) per review, and one capture line each written to the log."""
    texts = [review.reviewText for review in reviews]
    labels, probabilities = serving.model.predict_proba(texts)
    answers = [
        (LABEL_NAMES[int(label)], Probabilities(negative=float(p[0]), positive=float(p[1])))
        for label, p in zip(labels, probabilities, strict=True)
    ]
    if _flag(ENV_CAPTURE_ENABLED, "true"):
        _capture(serving, texts, answers)
    metrics.add_metric(name="Predictions", unit=MetricUnit.Count, value=len(answers))
    metrics.add_metric(name="RequestBytes", unit=MetricUnit.Bytes, value=len(app.current_event.body or ""))
    return answers


def _capture(serving: ServingModel, texts: list[str], answers: list[tuple[str, Probabilities]]) -> None:
    model = _model_ref(serving).model_dump()
    raw = _flag(ENV_CAPTURE_RAW_TEXT, "false")
    request_id = _request_id()
    lines = [
        capture_line(
            capture_record(
                request_id=request_id,
                model=model,
                model_text=model_text,
                label=label,
                probabilities=probabilities.model_dump(),
                raw_text=text if raw else None,
            )
        )
        for text, model_text, (label, probabilities) in zip(texts, model_texts(texts), answers, strict=True)
    ]
    sys.stdout.write("".join(lines))
    sys.stdout.flush()


@app.post(
    "/predict",
    operation_id="predict",
    summary="Sentiment of one review",
    description="The body is one review in the Kindle schema; only reviewText is required.",
    responses={200: {"description": "The prediction."}, **CLIENT_ERRORS},
    tags=["predict"],
)
@tracer.capture_method
def predict(review: Review) -> Prediction:
    serving = _serving()
    [(label, probabilities)] = _predict(serving, [review])
    return Prediction(
        requestId=_request_id(), label=label, probabilities=probabilities, model=_model_ref(serving)
    )


@app.post(
    "/batch_predict",
    operation_id="batchPredict",
    summary="Sentiment of many reviews",
    description="Each review is checked on its own: an invalid one gets its own error, the rest an answer.",
    responses={200: {"description": "One result per review, in request order."}, **CLIENT_ERRORS},
    tags=["predict"],
)
@tracer.capture_method
def batch_predict(batch: BatchRequest) -> BatchPrediction:
    serving = _serving()
    valid: list[tuple[int, Review]] = []
    results: list[BatchItemPrediction | BatchItemError] = []
    for index, item in enumerate(batch.reviews):
        try:
            valid.append((index, Review.model_validate(item)))
        except ValidationError as error:
            errors = field_errors(error.errors(), prefix=("reviews", index))
            detail = f"review {index} is invalid: " + "; ".join(
                f"{e['field']}: {e['message']}" for e in errors
            )
            results.append(BatchItemError(index=index, error=Problem(**problem(422, detail, errors=errors))))
    if valid:
        answers = _predict(serving, [review for _, review in valid])
        for (index, _), (label, probabilities) in zip(valid, answers, strict=True):
            results.append(BatchItemPrediction(index=index, label=label, probabilities=probabilities))
    results.sort(key=lambda r: r.index)
    failed = len(batch.reviews) - len(valid)
    if failed:
        metrics.add_metric(name="BatchItemsRejected", unit=MetricUnit.Count, value=failed)
    return BatchPrediction(
        requestId=_request_id(),
        model=_model_ref(serving),
        succeeded=len(valid),
        failed=failed,
        results=results,
    )


@app.get(
    "/health",
    operation_id="health",
    summary="Readiness",
    description="200 and ready when a champion model is loaded; 503 and the reason when not.",
    responses={
        200: {"description": "Ready.", "content": {"application/json": {"model": Health}}},
        503: {"description": "Not ready, and why.", "content": {"application/json": {"model": Health}}},
    },
    tags=["operations"],
)
def health() -> Response[Health]:
    try:
        status, body = 200, Health(status="ready", model=_model_ref(models().get()))
    except NoChampion as exc:
        status, body = 503, Health(status="not_ready", reason=str(exc))
    return Response(status, "application/json", body.model_dump(exclude_none=True))


@app.get(
    "/model",
    operation_id="getModel",
    summary="The serving champion",
    description="Name, version, kind, since when it serves, and the figures of its model card.",
    responses={200: {"description": "The champion."}, 503: CLIENT_ERRORS[503]},
    tags=["operations"],
)
def model() -> ModelInfo:
    champion = _serving().champion
    metrics_ = dict(champion.metrics) or {"test_macro_f1": champion.test_macro_f1}
    return ModelInfo(
        name=champion.model_name,
        version=champion.version,
        kind=champion.model_kind,
        promotedAt=champion.promoted_at or None,
        runId=champion.run_id,
        modelUri=champion.model_uri,
        metrics=metrics_,
        previousVersion=(champion.previous or {}).get("version"),
    )


# --- errors: one shape (RFC 9457) for all of them ---------------------------------------------------
def problem_response(status: int, detail: str, errors: list[dict] | None = None, headers=None) -> Response:
    body = problem(status, detail, instance=app.current_event.path, request_id=_request_id(), errors=errors)
    return Response(status, PROBLEM_CONTENT_TYPE, json.dumps(body), headers=headers)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    errors = field_errors(error.errors())
    if any(e.get("type") == "json_invalid" for e in error.errors()):
        return problem_response(400, "the request body is not valid JSON")
    detail = "invalid request: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, detail, errors)


@app.exception_handler(ClientProblem)
def client_problem(error: ClientProblem) -> Response:
    return problem_response(error.status, error.detail, error.errors, headers=error.headers)


@app.exception_handler(ServiceUnavailable)
def unavailable(error: ServiceUnavailable) -> Response:
    return problem_response(503, str(error), headers={"Retry-After": "60"})


@app.not_found
def not_found(error: Exception) -> Response:
    return problem_response(
        404, f"no route {app.current_event.http_method} {app.current_event.path}: see /swagger"
    )


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    logger.exception("unexpected error")
    return problem_response(500, "internal error: the request id identifies it in the logs")


def _check_body(event: dict) -> None:
    """Reads a POST body as UTF-8 JSON (ClientProblem if it is not) and hands powertools the JSON text.

    Done before the resolver because its validation parses the body first and knows neither charsets
    nor base64 mistakes; a body that passes is handed on as plain (not base64) JSON text.
    """
    if event.get("httpMethod") != "POST" or event.get("resource") not in BODY_ROUTES:
        return
    parsed = json_body(
        event.get("headers"), event.get("body"), bool(event.get("isBase64Encoded")), MAX_BODY_BYTES
    )
    event["body"], event["isBase64Encoded"] = json.dumps(parsed), False
    # the resolver matches the media type case-sensitively: hand it the canonical one
    for field in ("headers", "multiValueHeaders"):
        if event.get(field):
            event[field] = {k: v for k, v in event[field].items() if k.lower() != "content-type"}
    event["headers"] = {**(event.get("headers") or {}), "Content-Type": JSON_MEDIA_TYPE}


def _problem_event_response(event: dict, error: ClientProblem) -> dict:
    """The proxy response for a body rejected before the resolver ran (same shape as problem_response)."""
    request_id = (event.get("requestContext") or {}).get("requestId")
    body = error.problem(instance=event.get("path"), request_id=request_id)
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE, **error.headers},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        _check_body(event)
    except ClientProblem as error:
        logger.info("request rejected", status=error.status, detail=error.detail)
        return _problem_event_response(event, error)
    return app.resolve(event, context)
