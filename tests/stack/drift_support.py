"""Helpers of the drift tests: the references a promotion leaves, and captured traffic in the capture layout.

`capture_lines` writes what the inference API writes for each served review (monitoring.capture's
layout: features and text sketch of the model text, the model's probabilities), so the monitor can be
tested on captured traffic of any texts with a real ONNX model.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from review_sentiment.data.datasets import assign_split, load_shipped, with_labels
from review_sentiment.features.numeric import NUMERIC_FEATURES, model_texts, numeric_features
from review_sentiment.features.profile import prediction_profile, reference_profile
from review_sentiment.features.text_sketch import text_sketch
from review_sentiment.monitoring.capture import capture_record
from review_sentiment.serving.onnx_model import LABEL_NAMES, OnnxSentimentModel


def training_profile(seed: int = 42) -> dict:
    """The preprocessing job's profile of the shipped reviews' training split (split seed `seed`)."""
    frame = with_labels(load_shipped())
    train = frame[assign_split(frame, seed).to_numpy() == "train"]
    texts = model_texts(train["reviewText"].tolist())
    labels = [None if pd.isna(v) else int(v) for v in train["label"]]
    profile = reference_profile(numeric_features(texts), labels, texts=texts)
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
) -> list[str]:
    """One capture line per text, as the inference API writes them at `when`."""
    cleaned = model_texts(texts)
    features = numeric_features(cleaned)
    _, probabilities = model.predict_proba(texts)
    lines = []
    for i, text in enumerate(cleaned):
        record = capture_record(
            dict(zip(NUMERIC_FEATURES, map(float, features[i]), strict=True)),
            text_sketch(text),
            {LABEL_NAMES[k]: float(probabilities[i][k]) for k in range(len(LABEL_NAMES))},
            when,
            {"name": name, "version": version, "kind": "logreg"},
            event_id=str(uuid.uuid4()),
            request_id=str(uuid.uuid4()),
        )
        lines.append(json.dumps(record))
    return lines


def put_capture(
    s3, bucket: str, lines: list[str], per_object: int = 100, now: datetime | None = None
) -> list[str]:
    """Writes the lines as capture objects under datacapture/YYYY/MM/DD/HH/ (delivery hour = now)."""
    now = now or datetime.now(UTC)
    keys = []
    for start in range(0, len(lines), per_object):
        key = f"datacapture/{now:%Y/%m/%d/%H}/capture-{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        body = "".join(line + "\n" for line in lines[start : start + per_object]).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        keys.append(key)
    return keys


def sample(texts: list[str], n: int, seed: int = 0) -> list[str]:
    picks = np.random.default_rng(seed).integers(0, len(texts), size=n)
    return [texts[i] for i in picks]
