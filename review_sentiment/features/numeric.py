"""The one definition of the numeric review features.

Training, the ONNX graph's numeric inputs, the inference Lambda and the drift monitor all compute
them here. Pure Python + numpy on purpose: the serving path cannot carry scikit-learn or pandas.
The text part (TF-IDF word 1-2 grams + TruncatedSVD) lives inside the exported ONNX graph; its
definition is `review_sentiment.features.text`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from review_sentiment.data.cleaning import model_texts

# Order matters: it is the column order of `numeric_features` and the order of the ONNX inputs.
NUMERIC_FEATURES: tuple[str, ...] = (
    "text_len",  # characters
    "word_count",  # whitespace-separated tokens
    "avg_word_len",  # characters per word
    "exclamation_count",  # "!" (enthusiasm or anger)
    "question_count",  # "?" (doubt, rhetorical complaints)
    "uppercase_ratio",  # upper-case letters / letters (shouting)
    "all_caps_word_count",  # words of 2+ letters, all upper-case ("GREAT", "AWFUL")
    "digit_ratio",  # digits / characters (prices, model numbers: factual sentences)
)
TEXT_INPUT = "reviewText"  # name of the ONNX string input, [N, 1]


def numeric_feature_row(text: str) -> list[float]:
    """The features of one text, in NUMERIC_FEATURES order."""
    text = text if isinstance(text, str) else ""
    words = text.split()
    n_chars = len(text)
    n_words = len(words)
    letters = sum(ch.isalpha() for ch in text)
    upper = sum(ch.isupper() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    caps_words = sum(1 for w in words if sum(ch.isalpha() for ch in w) >= 2 and w.isupper())
    return [
        float(n_chars),
        float(n_words),
        (sum(len(w) for w in words) / n_words) if n_words else 0.0,
        float(text.count("!")),
        float(text.count("?")),
        (upper / letters) if letters else 0.0,
        float(caps_words),
        (digits / n_chars) if n_chars else 0.0,
    ]


def numeric_features(texts: Iterable[str]) -> np.ndarray:
    """float64 array [N, len(NUMERIC_FEATURES)] for a list of (model) texts: exactly the values of
    `numeric_feature_row`, which data capture stores per served review. The drift reference is binned
    on these, so a served value lands in the bin its training twin landed in (a float32 copy would put
    0.04 above its own float32 edge, one bin higher). The models take them as float32
    (`model_inputs`)."""
    rows = [numeric_feature_row(t) for t in texts]
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(NUMERIC_FEATURES))


def model_inputs(texts: Iterable[str]) -> np.ndarray:
    """The numeric features as the models take them: float32 [N, len(NUMERIC_FEATURES)] (the ONNX
    graphs' numeric inputs are float32; training uses the same values so that the graph agrees)."""
    return numeric_features(texts).astype(np.float32)


def onnx_inputs(texts: list[str]) -> dict[str, np.ndarray]:
    """The feed of the exported graph: the text [N, 1] plus one float32 [N, 1] input per numeric feature."""
    texts = model_texts(texts)
    numeric = model_inputs(texts)
    feed = {TEXT_INPUT: np.asarray(texts, dtype=object).reshape(-1, 1)}
    for i, name in enumerate(NUMERIC_FEATURES):
        feed[name] = numeric[:, i : i + 1]
    return feed
