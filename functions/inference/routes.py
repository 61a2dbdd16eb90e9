"""The inference API's routes: a powertools Router over review_sentiment.serving.service (app.py wires it).

POST /predict (one Kindle review), POST /batch_predict (up to MAX_BATCH reviews, per-item errors),
GET /health (ready or not, and why), GET /model (the champion and its model card figures). Bodies
arrive validated against review_sentiment.serving.api_models; a body that is not UTF-8 JSON never
reaches a route (`JsonBodyValidation`). Routes raise, app.py's exception handlers answer: every error
is RFC 9457 problem details. A new route goes here, its body models in api_models, its logic in the
service.
"""

import os
from functools import cache

from aws_lambda_powertools import Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.metrics import MetricUnit

from review_sentiment import aws
from review_sentiment.serving.api_models import (
    MAX_BODY_BYTES,
    BatchPrediction,
    BatchRequest,
    Health,
    ModelInfo,
    Prediction,
    Problem,
    Review,
)
from review_sentiment.serving.http_body import PROBLEM_CONTENT_TYPE, json_body
from review_sentiment.serving.model_cache import ChampionModelCache
from review_sentiment.serving.service import InferenceService

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"
ENV_CACHE_SECONDS = "CHAMPION_CACHE_SECONDS"
ENV_CAPTURE_ENABLED = "CAPTURE_ENABLED"  # "true" (default) writes data-capture lines to the log
ENV_CAPTURE_RAW_TEXT = "CAPTURE_RAW_TEXT"  # "true" adds reviewText to each capture line (off by default)

router = Router()
tracer = Tracer()
metrics = Metrics()


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


@cache
def service() -> InferenceService:
    """The environment's service, configured from its environment variables on first use (so the
    OpenAPI document needs no AWS); its model cache keeps the champion warm."""
    models = ChampionModelCache(
        aws.client("ssm"),
        aws.client("s3"),
        os.environ[ENV_CHAMPION_PARAMETER],
        max_age_s=float(os.environ.get(ENV_CACHE_SECONDS, "5")),
    )
    return InferenceService(
        models, capture=_flag(ENV_CAPTURE_ENABLED, "true"), raw_text=_flag(ENV_CAPTURE_RAW_TEXT, "false")
    )


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading the body as HTTP says (serving.http_body.json_body):
    400 for an empty body, broken base64, bytes that are not UTF-8 or text that is not strict JSON, 413
    over MAX_BODY_BYTES, 415 for another media type or charset, each a ClientProblem for the exception
    handlers; the parsed JSON is then validated against the route's body model (422) as usual."""

    def _get_body(self, app) -> object:
        event = app.current_event
        content_type = event.headers.get("content-type")  # any case of the name
        return json_body(content_type, event.body, bool(event.is_base64_encoded), MAX_BODY_BYTES)


def request_id() -> str:
    return router.current_event.request_context.request_id or ""


def _problem_content(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}}}


CLIENT_ERRORS = {
    400: _problem_content("The body is empty, not valid base64, not UTF-8 or not JSON."),
    413: _problem_content(f"The body is over {MAX_BODY_BYTES:,} bytes."),
    415: _problem_content("The media type is not application/json, or the charset is not UTF-8."),
    422: _problem_content("A field is missing, unknown or invalid; `errors` names each one."),
    503: _problem_content("No model has been promoted yet."),
}


def _count(predictions: int) -> None:
    metrics.add_metric(name="Predictions", unit=MetricUnit.Count, value=predictions)
    metrics.add_metric(name="RequestBytes", unit=MetricUnit.Bytes, value=len(router.current_event.body or ""))


@router.post(
    "/predict",
    operation_id="predict",
    summary="Sentiment of one review",
    description="The body is one review in the Kindle schema; only reviewText is required.",
    responses={200: {"description": "The prediction."}, **CLIENT_ERRORS},
    tags=["predict"],
)
@tracer.capture_method
def predict(review: Review) -> Prediction:
    answer = service().predict(review, request_id())
    _count(1)
    return answer


@router.post(
    "/batch_predict",
    operation_id="batchPredict",
    summary="Sentiment of many reviews",
    description="Each review is checked on its own: an invalid one gets its own error, the rest an answer.",
    responses={200: {"description": "One result per review, in request order."}, **CLIENT_ERRORS},
    tags=["predict"],
)
@tracer.capture_method
def batch_predict(batch: BatchRequest) -> BatchPrediction:
    answer = service().batch_predict(batch, request_id())
    if answer.succeeded:
        _count(answer.succeeded)
    if answer.failed:
        metrics.add_metric(name="BatchItemsRejected", unit=MetricUnit.Count, value=answer.failed)
    return answer


@router.get(
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
    body = service().health()
    status = 200 if body.status == "ready" else 503
    return Response(status, "application/json", body.model_dump(exclude_none=True))


@router.get(
    "/model",
    operation_id="getModel",
    summary="The serving champion",
    description="Name, version, kind, since when it serves, and the figures of its model card.",
    responses={200: {"description": "The champion."}, 503: CLIENT_ERRORS[503]},
    tags=["operations"],
)
def model() -> ModelInfo:
    return service().model_info()
