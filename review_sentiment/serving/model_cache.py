"""The inference Lambda's model cache: the champion's ONNX graph, reloaded when the pointer moves.

A warm environment keeps the loaded model and re-reads the SSM champion pointer at most every
`max_age_s` seconds; when the pointer names another version (promotion, rollback) it loads that one.
numpy/onnxruntime only, like review_sentiment.serving.onnx_model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from review_sentiment.s3_io import split_s3_uri
from review_sentiment.serving.champion import Champion, NoChampion, read_champion
from review_sentiment.serving.onnx_model import OnnxSentimentModel


@dataclass(frozen=True)
class ServingModel:
    champion: Champion
    model: OnnxSentimentModel


class ChampionModelCache:
    def __init__(
        self,
        ssm,
        s3,
        parameter_name: str,
        max_age_s: float = 5.0,
        loader: Callable[[bytes], OnnxSentimentModel] = OnnxSentimentModel,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ssm, self._s3 = ssm, s3
        self._parameter_name = parameter_name
        self._max_age_s = max_age_s
        self._loader = loader
        self._clock = clock
        self._current: ServingModel | None = None
        self._checked_at: float | None = None
        self.loads = 0  # how many graphs this environment loaded (tests, logs)

    def get(self) -> ServingModel:
        """The champion's model; raises NoChampion when nothing has been promoted."""
        now = self._clock()
        fresh = self._checked_at is not None and now - self._checked_at < self._max_age_s
        if fresh and self._current is not None:
            return self._current
        pointer = read_champion(self._ssm, self._parameter_name)
        self._checked_at = now
        if pointer is None:
            self._current = None
            raise NoChampion("no champion model has been promoted yet: run the training pipeline (make run)")
        if self._current is None or _identity(self._current.champion) != _identity(pointer):
            bucket, key = split_s3_uri(pointer.model_uri)
            graph = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            self._current = ServingModel(pointer, self._loader(graph))
            self.loads += 1
        return self._current


def _identity(champion: Champion) -> tuple[str, str, str]:
    return champion.model_name, champion.version, champion.model_uri
