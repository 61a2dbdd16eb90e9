"""Helpers of the drift tests: the references a promotion leaves, and captured traffic in the capture layout.

`capture_lines` writes what the inference API writes for each served review (the serving service's
calls: the model's `predict`, then `CaptureRecord.of` on each model text and `to_line`), so the monitor
can be tested on captured traffic of any texts with a real ONNX model.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from review_sentiment.data.cleaning import model_texts
from review_sentiment.data.datasets import assign_split, load_shipped, with_labels
from review_sentiment.features.profile import prediction_profile, texts_profile
from review_sentiment.serving.api_models import ModelRef
from review_sentiment.serving.capture import CAPTURE_PREFIX, CaptureRecord
from review_sentiment.serving.onnx_model import OnnxSentimentModel


def training_profile(seed: int = 42) -> dict:
    """The preprocessing job's profile of the shipped reviews' training split (split seed `seed`)."""
    frame = with_labels(load_shipped())
    train = frame[assign_split(frame, seed).to_numpy() == "train"]
    labels = [None if pd.isna(v) else int(v) for v in train["label"]]
    profile = texts_profile(train["reviewText"].tolist(), labels)
    return json.loads(json.dumps(profile))


def outputs_profile(model: OnnxSentimentModel, test_texts: list[str]) -> dict:
    """The champion's outputs on its own test split, as training writes them."""
    return prediction_profile(model.predict_proba(test_texts)[1][:, 1])


def capture_lines(
    texts: list[str],
    model: OnnxSentimentModel,
    when: datetime,
    version: str = "1",
    name: str = "review-sentiment",
    ratings: list[float | None] | None = None,
    raw_text: bool = False,
) -> list[str]:
    """One capture line per text (newline-terminated), as the inference API writes them at `when`;
    `ratings[i]` is the star rating request i carried (None: no rating); `raw_text` keeps each text as
    raw-text capture does."""
    served = ModelRef(name=name, version=version, kind="logreg")
    ratings = ratings or [None] * len(texts)
    return [
        CaptureRecord.of(
            model=served,
            request_id=str(uuid.uuid4()),
            model_text=text,
            label=prediction["label"],
            probabilities=prediction["probabilities"],
            overall=rating,
            raw_text=raw if raw_text else None,
            now=when,
        ).to_line()
        for raw, text, prediction, rating in zip(
            texts, model_texts(texts), model.predict(texts), ratings, strict=True
        )
    ]


def put_capture(
    s3, bucket: str, lines: list[str], per_object: int = 100, now: datetime | None = None
) -> list[str]:
    """Writes the lines as capture objects under datacapture/YYYY/MM/DD/HH/ (delivery hour = now); a line
    without its newline gets one."""
    now = now or datetime.now(UTC)
    keys = []
    for start in range(0, len(lines), per_object):
        key = f"{CAPTURE_PREFIX}{now:%Y/%m/%d/%H}/capture-{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        body = "".join(line.rstrip("\n") + "\n" for line in lines[start : start + per_object]).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        keys.append(key)
    return keys


def sample(texts: list[str], n: int, seed: int = 0) -> list[str]:
    picks = np.random.default_rng(seed).integers(0, len(texts), size=n)
    return [texts[i] for i in picks]
