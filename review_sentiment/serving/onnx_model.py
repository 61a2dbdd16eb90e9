"""Serving: the exported ONNX graph behind a small API. Imports numpy, onnxruntime, tokenizers and features.

This is what the inference Lambda loads (no scikit-learn, no pandas, no torch: Lambda's 250 MB limit).
Two kinds of graph share one interface (`predict_proba`, `predict`), recognised by their inputs:
- feature graphs (the scikit-learn kinds): `reviewText` [N, 1] plus one float [N, 1] per numeric feature;
- token graphs (the transformer kind): `input_ids` and `attention_mask` [N, L], encoded by the tokenizer
  stored in the graph's own metadata (`serving.tokenized`).
Both output `label` [N] and `probabilities` [N, 2].
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort

from review_sentiment.data.schema import LABEL_NAMES
from review_sentiment.features.numeric import NUMERIC_FEATURES, TEXT_INPUT, onnx_inputs

LABEL_OUTPUT = "label"
PROBABILITIES_OUTPUT = "probabilities"
FEATURE_INPUTS = (TEXT_INPUT, *NUMERIC_FEATURES)


class ModelInputMismatch(ValueError):
    """The graph's inputs are not the features this code computes: serving would skew."""


def _feeder(inputs: list[str], metadata: dict[str, str]) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """The function that turns texts into this graph's feed; ModelInputMismatch for an unknown graph."""
    if inputs == list(FEATURE_INPUTS):
        return onnx_inputs
    from review_sentiment.serving import tokenized  # tokenizers is needed for token graphs only

    if inputs == list(tokenized.TOKEN_INPUTS):
        if tokenized.TOKENIZER_METADATA_KEY not in metadata:
            raise ModelInputMismatch(
                f"token graph without its tokenizer (metadata {tokenized.TOKENIZER_METADATA_KEY!r} missing)"
            )
        return tokenized.TextTokenizer(metadata[tokenized.TOKENIZER_METADATA_KEY]).encode
    raise ModelInputMismatch(
        f"model inputs {inputs} differ from the serving features {list(FEATURE_INPUTS)} "
        f"and from the token inputs {list(tokenized.TOKEN_INPUTS)}"
    )


class OnnxSentimentModel:
    """Predicts labels and class probabilities for raw review texts, whatever the model kind."""

    def __init__(self, model: bytes | str | Path, threads: int = 1):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        source = str(model) if isinstance(model, Path) else model
        self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self._feed = _feeder([i.name for i in self.session.get_inputs()], metadata)
        # The tokenizer is large and only the encoder needs it: keep the descriptive entries.
        self.metadata = {k: v for k, v in metadata.items() if k != "tokenizer_json"}

    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(labels int64 [N], probabilities float32 [N, 2]) for `texts`."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.float32)
        labels, probabilities = self.session.run([LABEL_OUTPUT, PROBABILITIES_OUTPUT], self._feed(texts))
        return labels.astype(np.int64), probabilities

    def predict(self, texts: list[str]) -> list[dict]:
        """One dict per text: `label` (its name, data.schema.LABEL_NAMES), `label_index`,
        `positive_probability` and `probabilities` ({label name: probability}, as the graph computed them)."""
        labels, probabilities = self.predict_proba(texts)
        return [
            {
                "label": LABEL_NAMES[int(label)],
                "label_index": int(label),
                "positive_probability": float(p[1]),
                "probabilities": {name: float(value) for name, value in zip(LABEL_NAMES, p, strict=True)},
            }
            for label, p in zip(labels, probabilities, strict=True)
        ]
