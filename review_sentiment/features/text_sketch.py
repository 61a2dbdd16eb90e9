"""A compact, model-independent sketch of a review's words for data capture and text drift.

Each token (lower-cased, the TF-IDF token rule of `features.text`) is hashed into one of
`SKETCH_BUCKETS` buckets (CRC-32, stable across processes and Python versions, unlike `hash()`); a
text's sketch is its sparse bucket counts. Summed over a window of served reviews and over the
training split, the bucket shares are two distributions over the same 256 bins, so a change of
vocabulary (new topics, another language, spam) shows as PSI / divergence between them, with no raw
text stored. This is the "hashing trick" (Weinberger et al., ICML 2009). Stdlib + numpy only.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

# Tokens of 2+ word characters: also the TF-IDF token_pattern of features.text (ONNX-safe, FINDINGS).
TOKEN_PATTERN = r"[a-zA-Z0-9_][a-zA-Z0-9_]+"
SKETCH_BUCKETS = 256
_TOKEN = re.compile(TOKEN_PATTERN)


def tokens(text: str) -> list[str]:
    """Lower-cased tokens of `text` by TOKEN_PATTERN (the text should already be a model text)."""
    return _TOKEN.findall(text.lower()) if isinstance(text, str) else []


def text_sketch(text: str, buckets: int = SKETCH_BUCKETS) -> dict[str, int]:
    """Sparse hashed token counts of one text: {"<bucket>": count}, bucket in [0, buckets).

    Keys are strings so the sketch is a JSON object as it is; an empty text gives {}.
    """
    counts = Counter(zlib.crc32(token.encode("utf-8")) % buckets for token in tokens(text))
    return {str(bucket): n for bucket, n in sorted(counts.items())}


def bucket_shares(sketches: Iterable[Mapping[str, int]], buckets: int = SKETCH_BUCKETS) -> np.ndarray:
    """Token share per bucket over many sketches: float64 [buckets], summing to 1 (all zeros if no tokens)."""
    totals = np.zeros(buckets, dtype=np.float64)
    for sketch in sketches:
        for bucket, n in sketch.items():
            totals[int(bucket)] += n
    total = totals.sum()
    return totals / total if total else totals
