"""Inference API, served by the champion ONNX model: the wiring of the resolver, its routes and errors.

Routes are in routes.py (a powertools Router over review_sentiment.serving.service, which predicts and
writes one data-capture line per answered review to this function's log). Here: the resolver with
request validation that reads bodies as HTTP says, the OpenAPI document and Swagger UI (GET /swagger;
?format=json gives the document committed as openapi/inference.json), one error shape for everything
(RFC 9457 problem details, application/problem+json, in the exception handlers below) and the Lambda
handler. Imports onnxruntime and numpy only: no scikit-learn, no pandas.
"""

import json
import os
from functools import cache

import routes
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment.serving.api_models import MAX_BODY_BYTES
from review_sentiment.serving.champion import NoChampion
from review_sentiment.serving.http_body import PROBLEM_CONTENT_TYPE, ClientProblem, field_errors, problem

API_TITLE = "Kindle review sentiment"
API_VERSION = "1.0.0"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
app = APIGatewayRestResolver(enable_validation=True, response_validation_error_http_code=500)
# Powertools runs its request validation before any other middleware (by design), so the body checks
# cannot precede it: they replace how it reads the body, and their errors reach the handlers below.
app._request_validation_middleware = routes.JsonBodyValidation()
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
app.include_router(routes.router)


def problem_response(status: int, detail: str, errors: list[dict] | None = None, headers=None) -> Response:
    body = problem(
        status, detail, instance=app.current_event.path, request_id=routes.request_id(), errors=errors
    )
    return Response(status, PROBLEM_CONTENT_TYPE, json.dumps(body), headers=headers)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    errors = field_errors(error.errors())
    detail = "invalid request: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, detail, errors)


@app.exception_handler(ClientProblem)
def client_problem(error: ClientProblem) -> Response:
    logger.info("request rejected", status=error.status, detail=error.detail)
    return problem_response(error.status, error.detail, error.errors, headers=error.headers)


@app.exception_handler(NoChampion)
def unavailable(error: NoChampion) -> Response:
    return problem_response(503, str(error), headers={"Retry-After": "60"})


@cache
def allowed_methods() -> dict[str, list[str]]:
    """{path: [METHOD, ...]} of every route, from the OpenAPI document (plus /swagger's GET)."""
    paths = app.get_openapi_schema().paths or {}
    methods = {
        path: sorted(m.upper() for m in item.model_dump(exclude_none=True)) for path, item in paths.items()
    }
    return methods | {"/swagger": ["GET"]}


@app.not_found
def not_found(error: Exception) -> Response:
    # API Gateway forwards every method of the API's paths (and unknown paths) here, so the answer to a
    # wrong method is RFC 9110's 405 with Allow, and an unknown path a 404, both as problem details.
    method, path = app.current_event.http_method, app.current_event.path
    allowed = allowed_methods().get(path)
    if allowed:
        detail = f"{method} is not allowed on {path}: use {', '.join(allowed)}"
        return problem_response(405, detail, headers={"Allow": ", ".join(allowed)})
    return problem_response(404, f"no route {method} {path}: see /swagger")


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    logger.exception("unexpected error")
    return problem_response(500, "internal error: the request id identifies it in the logs")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
