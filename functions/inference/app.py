"""Inference API: POST /predict (one review), POST /batch_predict (many), served by the champion ONNX model.

The champion is found through the SSM pointer and cached per warm environment
(review_sentiment.serving.model_cache); a promotion or rollback is picked up within CHAMPION_CACHE_SECONDS.
Imports onnxruntime and numpy only: no scikit-learn, no pandas.
"""

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from review_sentiment import aws
from review_sentiment.serving.champion import NoChampion
from review_sentiment.serving.model_cache import ChampionModelCache, ServingModel

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"
ENV_CACHE_SECONDS = "CHAMPION_CACHE_SECONDS"
ENV_CAPTURE_BUCKET = "CAPTURE_BUCKET"
MAX_TEXT_CHARS = 32_768
MAX_BATCH = 500

ReviewText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="review text")]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
app = APIGatewayRestResolver(enable_validation=True)
models = ChampionModelCache(
    aws.client("ssm"),
    aws.client("s3"),
    os.environ[ENV_CHAMPION_PARAMETER],
    max_age_s=float(os.environ.get(ENV_CACHE_SECONDS, "5")),
)


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: ReviewText


class BatchPredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[ReviewText] = Field(min_length=1, max_length=MAX_BATCH)


def _serving() -> ServingModel:
    try:
        return models.get()
    except NoChampion as exc:
        raise ServiceError(503, str(exc)) from None


def _model_fields(serving: ServingModel) -> dict:
    champion = serving.champion
    return {
        "model_name": champion.model_name,
        "model_version": champion.version,
        "model_kind": champion.model_kind,
    }


@tracer.capture_method
def _capture(serving: ServingModel, texts: list[str], predictions: list[dict]) -> None:
    """Requests and answers for drift monitoring; serving never fails because capture did."""
    bucket = os.environ.get(ENV_CAPTURE_BUCKET)
    if not bucket:
        return
    now = datetime.now(UTC)
    record = {
        "at": now.isoformat(timespec="milliseconds"),
        **_model_fields(serving),
        "texts": texts,
        "predictions": predictions,
    }
    key = f"capture/dt={now:%Y-%m-%d}/{now:%H%M%S}-{uuid.uuid4().hex}.json"
    try:
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode())
    except Exception as exc:  # botocore errors of any kind
        logger.warning("inference capture failed", error=str(exc))


@app.post("/predict")
@tracer.capture_method
def predict(body: PredictRequest) -> dict:
    serving = _serving()
    prediction = serving.model.predict([body.text])[0]
    _capture(serving, [body.text], [prediction])
    metrics.add_metric(name="Predictions", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RequestBytes", unit=MetricUnit.Bytes, value=len(app.current_event.body or ""))
    return {**_model_fields(serving), **prediction}


@app.post("/batch_predict")
@tracer.capture_method
def batch_predict(body: BatchPredictRequest) -> dict:
    serving = _serving()
    predictions = serving.model.predict(body.texts)
    _capture(serving, body.texts, predictions)
    metrics.add_metric(name="Predictions", unit=MetricUnit.Count, value=len(predictions))
    metrics.add_metric(name="RequestBytes", unit=MetricUnit.Bytes, value=len(app.current_event.body or ""))
    return {**_model_fields(serving), "predictions": predictions}


@app.exception_handler(RequestValidationError)
def bad_request(error: RequestValidationError) -> Response:
    problems = [
        f"{'.'.join(str(p) for p in err['loc'] if p != 'body') or 'body'}: {err['msg']}"
        for err in error.errors()
    ]
    return Response(
        status_code=422,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": "invalid request body: " + "; ".join(problems), "errors": problems}),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
