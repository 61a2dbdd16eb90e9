"""The inference service: the champion model answers reviews, and each answered review becomes one
data-capture record, written to the function's log (docs/data_capture.md: no capture call on the
request path). No HTTP and no Lambda event here: the routes (functions/inference/routes.py) hand over
bodies validated against `api_models` and the request id, and get response bodies back; while
nothing is promoted every call but `health` raises `NoChampion` (the API's 503). numpy, onnxruntime
and Pydantic only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pydantic import ValidationError

from review_sentiment.data.cleaning import model_texts
from review_sentiment.serving.api_models import (
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
from review_sentiment.serving.capture import CaptureRecord
from review_sentiment.serving.champion import NoChampion
from review_sentiment.serving.http_body import field_errors, problem
from review_sentiment.serving.model_cache import ChampionModelCache, ServingModel

STDOUT = partial(print, end="", flush=True)  # the function's log (sys.stdout at each call)


class InferenceService:
    """Predictions of the serving champion, in the API's bodies, with their data capture."""

    def __init__(
        self,
        models: ChampionModelCache,
        capture: bool = True,
        raw_text: bool = False,
        sink: Callable[[str], None] = STDOUT,
    ):
        """`models` gives the champion (`get()`, NoChampion when none). With `capture`, each answered
        review is written to `sink` as one capture line, with its text when `raw_text`: one string of
        newline-terminated lines per call."""
        self.models = models
        self.capture, self.raw_text = capture, raw_text
        self._sink = sink

    def predict(self, review: Review, request_id: str) -> Prediction:
        """The answer for one review; NoChampion while nothing is promoted."""
        serving = self.models.get()
        [(label, probabilities)] = self._answer(serving, [review], request_id)
        return Prediction(
            requestId=request_id,
            label=label,
            probabilities=probabilities,
            model=ModelRef.of(serving.champion),
        )

    def batch_predict(self, batch: BatchRequest, request_id: str) -> BatchPrediction:
        """One result per item in request order: its answer, or its own 422 problem when the item is not
        a valid Review (fields named `reviews.<index>.<field>`); NoChampion while nothing is promoted."""
        serving = self.models.get()
        valid: dict[int, Review] = {}
        results: list[BatchItemPrediction | BatchItemError] = []
        for index, item in enumerate(batch.reviews):
            try:
                valid[index] = Review.model_validate(item)
            except ValidationError as error:
                results.append(BatchItemError(index=index, error=_item_problem(error, index)))
        answers = self._answer(serving, list(valid.values()), request_id)
        results += [
            BatchItemPrediction(index=index, label=label, probabilities=probabilities)
            for index, (label, probabilities) in zip(valid, answers, strict=True)
        ]
        results.sort(key=lambda result: result.index)
        return BatchPrediction(
            requestId=request_id,
            model=ModelRef.of(serving.champion),
            succeeded=len(valid),
            failed=len(batch.reviews) - len(valid),
            results=results,
        )

    def health(self) -> Health:
        """Ready with the champion, or not ready and why (never raises NoChampion)."""
        try:
            return Health(status="ready", model=ModelRef.of(self.models.get().champion))
        except NoChampion as exc:
            return Health(status="not_ready", reason=str(exc))

    def model_info(self) -> ModelInfo:
        """The serving champion and its model card's figures; NoChampion while nothing is promoted."""
        return ModelInfo.of(self.models.get().champion)

    def _answer(
        self, serving: ServingModel, reviews: list[Review], request_id: str
    ) -> list[tuple[str, Probabilities]]:
        """(label, probabilities) per review, as the model names them; each one captured."""
        if not reviews:
            return []
        texts = [review.reviewText for review in reviews]
        predictions = serving.model.predict(texts)
        if self.capture:
            model = ModelRef.of(serving.champion)
            self._sink(
                "".join(
                    CaptureRecord.of(
                        model=model,
                        request_id=request_id,
                        model_text=model_text,
                        label=prediction["label"],
                        probabilities=prediction["probabilities"],
                        raw_text=review.reviewText if self.raw_text else None,
                        overall=review.overall,
                    ).to_line()
                    for review, model_text, prediction in zip(
                        reviews, model_texts(texts), predictions, strict=True
                    )
                )
            )
        return [(p["label"], Probabilities(**p["probabilities"])) for p in predictions]


def _item_problem(error: ValidationError, index: int) -> Problem:
    errors = field_errors(error.errors(), prefix=("reviews", index))
    detail = f"review {index} is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(**problem(422, detail, errors=errors))
