"""Serving: the exported ONNX graph behind a small API. Imports numpy, onnxruntime and features only.

This is what the inference Lambda loads (no scikit-learn, no pandas: Lambda's 250 MB limit).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from review_sentiment.features.numeric import NUMERIC_FEATURES, TEXT_INPUT, onnx_inputs

LABEL_OUTPUT = "label"
PROBABILITIES_OUTPUT = "probabilities"
LABEL_NAMES = ("negative", "positive")  # index = label; the same as review_sentiment.data.schema.LABEL_NAMES


class ModelInputMismatch(ValueError):
    """The graph's inputs are not the features this code computes: serving would skew."""


class OnnxSentimentModel:
    """Predicts labels and class probabilities for raw review texts."""

    def __init__(self, model: bytes | str | Path, threads: int = 1):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        source = str(model) if isinstance(model, Path) else model
        self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        expected = [TEXT_INPUT, *NUMERIC_FEATURES]
        actual = [i.name for i in self.session.get_inputs()]
        if actual != expected:
            raise ModelInputMismatch(f"model inputs {actual} differ from the serving features {expected}")
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(labels int64 [N], probabilities float32 [N, 2]) for `texts`."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.float32)
        labels, probabilities = self.session.run([LABEL_OUTPUT, PROBABILITIES_OUTPUT], onnx_inputs(texts))
        return labels.astype(np.int64), probabilities

    def predict(self, texts: list[str]) -> list[dict]:
        """One dict per text: label name, label index and the probability of the positive class."""
        labels, probabilities = self.predict_proba(texts)
        return [
            {"label": LABEL_NAMES[int(label)], "label_index": int(label), "positive_probability": float(p[1])}
            for label, p in zip(labels, probabilities, strict=True)
        ]
