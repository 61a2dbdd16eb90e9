"""The transformer kind's text encoder: model texts -> token ids, with `tokenizers` only (no torch).

The tokenizer travels inside the exported ONNX graph (metadata entry TOKENIZER_METADATA_KEY holds the
whole `tokenizer.json`, with its truncation and padding), so every model version carries exactly the
tokenizer it was trained with. Training and serving encode through this one class: the text goes
through `data.cleaning.model_texts` (cleaning and the shared normalisation) and then through the
tokenizer's own normaliser (a BERT tokenizer lowercases and strips accents; after `model_texts` that is
plain lowercasing, the same as scikit-learn's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

from review_sentiment.data.cleaning import model_texts

TOKENIZER_METADATA_KEY = "tokenizer_json"
INPUT_IDS, ATTENTION_MASK = "input_ids", "attention_mask"
TOKEN_INPUTS = (INPUT_IDS, ATTENTION_MASK)


class TextTokenizer:
    """Encodes review texts into int64 `input_ids` and `attention_mask`, each [N, L] (L <= max_length)."""

    def __init__(self, tokenizer_json: str, max_length: int | None = None):
        """`tokenizer_json`: the content of a Hugging Face `tokenizer.json`. `max_length` (tokens,
        special tokens included) overrides its truncation; padding is always to the batch's longest."""
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        if max_length is not None:
            self.tokenizer.enable_truncation(max_length)
        truncation = self.tokenizer.truncation
        if not truncation:
            raise ValueError("the tokenizer has no truncation length: pass max_length")
        self.max_length = int(truncation["max_length"])
        pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")  # to the longest text of the batch

    def to_json(self) -> str:
        """The tokenizer with this truncation and padding, to store beside the model."""
        return self.tokenizer.to_str()

    def normalize(self, text: str) -> str:
        """What the tokenizer's own normaliser makes of one model text (lowercasing, accents, controls)."""
        normalizer = self.tokenizer.normalizer
        return normalizer.normalize_str(text) if normalizer is not None else text

    def encode(self, texts: Sequence[object]) -> dict[str, np.ndarray]:
        """{"input_ids", "attention_mask"}: int64 [N, L] for N texts (missing text counts as "")."""
        encodings = self.tokenizer.encode_batch(model_texts(texts))
        return {
            INPUT_IDS: np.asarray([e.ids for e in encodings], dtype=np.int64),
            ATTENTION_MASK: np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
        }
