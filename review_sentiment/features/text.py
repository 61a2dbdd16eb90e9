"""The text half of the feature definition: TF-IDF word 1-2 grams -> TruncatedSVD, ONNX-safe.

Each choice here avoids a known scikit-learn -> ONNX mismatch (skl2onnx 1.20 / onnxruntime 1.32):
- TOKEN_PATTERN: the default pattern is converted as `[a-zA-Z0-9_]+`, which keeps 1-char tokens
  and so changes the bigrams; this explicit 2+ char ASCII pattern converts exactly.
- `sublinear_tf` stays off: it is converted as log(tf + 1) where scikit-learn uses 1 + log(tf).
- The vocabulary is fixed: `max_features` can keep a bigram whose words were dropped, and the
  ONNX tokenizer then never matches it; `fixed_vocabulary` keeps the selected terms plus their words.
- ONNX_LOCALE: onnxruntime's StringNormalizer needs a locale that exists everywhere (en_US.UTF-8 is
  missing on Lambda images and here); the exporter passes it as a converter option.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from review_sentiment.features.text_sketch import TOKEN_PATTERN

NGRAM_RANGE = (1, 2)
ONNX_LOCALE = "C.UTF-8"


def fixed_vocabulary(texts: Sequence[str], max_features: int, min_df: int = 1) -> list[str]:
    """The `max_features` most frequent 1-2 grams, plus every word of a kept bigram, sorted."""
    selector = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=NGRAM_RANGE, max_features=max_features, min_df=min_df
    )
    selector.fit(texts)
    terms = set(selector.get_feature_names_out())
    for term in list(terms):
        terms.update(term.split(" "))
    return sorted(terms)


def tfidf_vectorizer(vocabulary: Sequence[str]) -> TfidfVectorizer:
    return TfidfVectorizer(
        token_pattern=TOKEN_PATTERN,
        ngram_range=NGRAM_RANGE,
        lowercase=True,
        sublinear_tf=False,
        vocabulary=list(vocabulary),
    )


def text_pipeline(texts: Sequence[str], max_features: int, svd_components: int, seed: int) -> Pipeline:
    """Unfitted TF-IDF -> SVD pipeline whose vocabulary is already fixed from `texts`."""
    vocabulary = fixed_vocabulary(texts, max_features)
    components = max(2, min(svd_components, len(vocabulary) - 1))
    return Pipeline(
        [
            ("tfidf", tfidf_vectorizer(vocabulary)),
            ("svd", TruncatedSVD(n_components=components, algorithm="randomized", random_state=seed)),
        ]
    )


def feature_definition() -> dict:
    """What the model card records about the text features."""
    return {
        "text": "reviewText -> lowercase -> tokens matching TOKEN_PATTERN -> TF-IDF of word 1-2 grams "
        "(fixed vocabulary, smooth idf, l2 norm, no sublinear tf) -> TruncatedSVD",
        "token_pattern": TOKEN_PATTERN,
        "ngram_range": list(NGRAM_RANGE),
        "onnx_locale": ONNX_LOCALE,
    }
