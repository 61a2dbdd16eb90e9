"""A compact, model-independent sketch of a review's words for data capture and text drift.

Each token (case-folded words of two or more letters or digits in any script; each character of a
script written without spaces: Chinese, Japanese, Thai, ...) is hashed into one of
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

# The TF-IDF token_pattern of features.text: ASCII words of 2+ characters (ONNX-safe, FINDINGS). The
# sketch does not use it: a review in Cyrillic, Greek, Arabic or Japanese would have no token at all,
# and a change of language is exactly what text drift must see.
TOKEN_PATTERN = r"[a-zA-Z0-9_][a-zA-Z0-9_]+"
SKETCH_BUCKETS = 256
# Scripts written without spaces between words (Unicode blocks): Thai, Lao, Myanmar, Khmer, kana,
# CJK ideographs and their extensions; each character is a token.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f"
)
_SKETCH_TOKEN = re.compile(f"[{_UNSPACED}]|(?:(?![{_UNSPACED}])\\w){{2,}}")


def tokens(text: str) -> list[str]:
    """The sketch's tokens of `text`: case-folded words of 2+ word characters in any script, and each
    character of a script written without spaces (the text should already be a model text)."""
    if not isinstance(text, str):
        return []
    return [token for token in _SKETCH_TOKEN.findall(text.casefold()) if token.strip("_")]


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
