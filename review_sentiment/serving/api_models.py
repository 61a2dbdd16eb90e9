"""The inference API's request and response bodies (Pydantic): one definition for validation, the
OpenAPI document (openapi/inference.json) and the clients' documentation.

A request is a review in the Kindle schema (McAuley's Kindle Store reviews and the Kaggle Kindle CSV
use the same columns): `reviewText` is required, the other columns are optional and do not change the
answer. `text_len` and `word_count`, which clients of the original system send, are accepted and
ignored: the server computes every feature from `reviewText`, as training does
(review_sentiment.features.numeric), so a client cannot skew the model's inputs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from review_sentiment.data.schema import LABEL_NAMES
from review_sentiment.serving.champion import Champion

MAX_TEXT_CHARS = 32_768  # characters of reviewText (the longest shipped or Kindle review is far shorter)
MAX_SUMMARY_CHARS = 1_024
MAX_FIELD_CHARS = 256
MAX_BATCH = 100  # reviews per /batch_predict request
MAX_BODY_BYTES = 4 * 1024 * 1024  # request body, under Lambda's 6 MB synchronous payload limit

Label = Literal[LABEL_NAMES]
ShortText = Annotated[str, Field(max_length=MAX_FIELD_CHARS)]
Count = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Review(BaseModel):
    """One Kindle review. Only `reviewText` is read by the model."""

    model_config = ConfigDict(extra="forbid", title="Review")

    reviewText: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=r"\S",
        description=f"The review's text (1 to {MAX_TEXT_CHARS:,} characters, not only whitespace).",
        examples=["Great book, highly recommend!"],
    )
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS, description="The review's title.")
    reviewerID: ShortText | None = None
    asin: ShortText | None = Field(default=None, description="The book's ASIN.")
    reviewerName: ShortText | None = None
    helpful: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description="[helpful votes, total votes]."
    )
    overall: float | None = Field(
        default=None, ge=1, le=5, description="Star rating, 1-5 (not used to predict)."
    )
    unixReviewTime: int | None = Field(default=None, ge=0, description="Seconds since the Unix epoch.")
    reviewTime: ShortText | None = Field(
        default=None, description='As in the Kindle data, e.g. "05 5, 2014".'
    )
    text_len: Count | None = Field(
        default=None,
        deprecated=True,
        description="Accepted from clients of the original system and ignored: computed from reviewText.",
    )
    word_count: Count | None = Field(
        default=None,
        deprecated=True,
        description="Accepted from clients of the original system and ignored: computed from reviewText.",
    )


class BatchRequest(BaseModel):
    """Many reviews. Each item is checked on its own: a bad item gets its own error in the answer and
    the others are still predicted."""

    model_config = ConfigDict(extra="forbid", title="BatchRequest")

    reviews: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_BATCH),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Review"},
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "description": f"1 to {MAX_BATCH} reviews; an invalid item is answered with its own error.",
            }
        ),
    ]


class ModelRef(BaseModel):
    """The model version that answered."""

    name: str = Field(description="Registered model name (MLflow registry).")
    version: str = Field(description="Registry version.")
    kind: str = Field(description="Model kind, e.g. logreg, mlp.")

    @classmethod
    def of(cls, champion: Champion) -> ModelRef:
        return cls(name=champion.model_name, version=champion.version, kind=champion.model_kind)


class Probabilities(BaseModel):
    """Class probabilities by label name; they sum to 1."""

    negative: float = Field(ge=0, le=1)
    positive: float = Field(ge=0, le=1)


class Prediction(BaseModel):
    """The answer for one review."""

    requestId: str = Field(description="API Gateway request id (also in the logs and the data capture).")
    label: Label
    probabilities: Probabilities
    model: ModelRef


class FieldError(BaseModel):
    """One problem with one field of the request."""

    field: str = Field(description='Dotted path of the field, e.g. "reviewText" or "reviews.3.reviewText".')
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`), the shape of every error answer."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(default="about:blank", description="about:blank: the status code says what happened.")
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What was wrong and what to do, in one sentence.")
    instance: str | None = Field(default=None, description="The request path.")
    requestId: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="One entry per invalid field.")


class BatchItemPrediction(BaseModel):
    index: int = Field(ge=0, description="Position of the review in the request.")
    label: Label
    probabilities: Probabilities


class BatchItemError(BaseModel):
    index: int = Field(ge=0, description="Position of the review in the request.")
    error: Problem


class BatchPrediction(BaseModel):
    """One result per review, in request order: a prediction or that item's error."""

    requestId: str
    model: ModelRef
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    results: list[BatchItemPrediction | BatchItemError]


class Health(BaseModel):
    """Readiness: `ready` when a champion model is loaded and answers."""

    status: Literal["ready", "not_ready"]
    reason: str | None = Field(default=None, description="Why not ready.")
    model: ModelRef | None = None


class ModelInfo(BaseModel):
    """The serving champion as a client needs to know it, from the SSM champion pointer written by
    promotion. Where it is stored and which run made it are the operator's business: they read the
    pointer and the registry with their AWS credentials (`python -m stack status`, the console)."""

    name: str
    version: str
    kind: str
    promotedAt: str | None = Field(description="When it became champion (ISO 8601, UTC).")
    metrics: dict[str, float] = Field(
        description="The model card's figures: test_macro_f1, test_accuracy, val_macro_f1, onnx_p50_ms, ..."
    )
    previousVersion: str | None = Field(default=None, description="What a rollback would serve.")

    @classmethod
    def of(cls, champion: Champion) -> ModelInfo:
        """The champion as the API describes it (the model card's figures, or at least its test macro-F1)."""
        return cls(
            name=champion.model_name,
            version=champion.version,
            kind=champion.model_kind,
            promotedAt=champion.promoted_at or None,
            metrics=dict(champion.metrics) or {"test_macro_f1": champion.test_macro_f1},
            previousVersion=(champion.previous or {}).get("version"),
        )
