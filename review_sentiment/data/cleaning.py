"""Review text cleaning and the one text normalisation every model sees.

`clean_text` (the preprocessing Glue job) is conservative on purpose: it only undoes markup and
encoding artefacts of scraped reviews (HTML entities, line-break tags, Unicode composition, runs of
whitespace). `normalize_text` is applied on top of it by `model_texts`, the single path of text into
every model, its features and the drift monitor, in training and serving alike. Pure Python: the
serving path calls all three.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

# Tags start right after "<" (so "a < b and c > d" is text, not markup).
_MARKUP = re.compile(r"<br\s*/?>|</?(?:p|div|span|i|b|em|strong|u)\b[^<>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
# Letters whose lowercase form is not one plain letter in every implementation: German sharp s stays
# "ß" in Python's str.lower() but is "ss" under full case folding; capital sharp s lowers to "ß".
_SPELLED_OUT = str.maketrans({"ß": "ss", "ẞ": "SS"})


def clean_text(text: object) -> str:
    """HTML entities decoded, simple markup tags removed, NFC-composed, whitespace collapsed, stripped."""
    if not isinstance(text, str):
        return ""
    text = html.unescape(text)
    text = _MARKUP.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE.sub(" ", text).strip()


def normalize_text(text: str) -> str:
    """The text every model sees: compatibility forms folded, accents stripped, case kept.

    Lowercasing is where the models' text paths disagree: scikit-learn lowercases with Python's
    `str.lower()` ("İ" -> "i" + U+0307 COMBINING DOT ABOVE), onnxruntime's StringNormalizer with the C
    library's per-character `towlower` under the graph's locale (which leaves "İ" or maps it to a plain
    "i"), and a BERT tokenizer lowercases, then drops accents. Normalising first leaves each of them only
    characters they lowercase alike:

    1. NFKC: compatibility characters become their plain forms (KELVIN SIGN U+212A -> "K", fullwidth
       and ligature letters -> ASCII, "…" -> "...").
    2. Canonical decomposition, combining marks (category Mn) dropped, recomposition: "İ" -> "I",
       "É" -> "E", "ñ" -> "n" (the BERT tokenizer's `strip_accents`, done before lowercasing).
    3. "ß" -> "ss", "ẞ" -> "SS" (the Unicode full case folding of sharp s).

    Case is kept, so the upper-case features (`uppercase_ratio`, `all_caps_word_count`) still see
    shouting. Idempotent: normalize_text(normalize_text(t)) == normalize_text(t).
    """
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", text.translate(_SPELLED_OUT))


def model_texts(texts: Iterable[object]) -> list[str]:
    """The strings every model input is computed from, in training, serving and drift alike.

    Cleaned (`clean_text`: markup, entities, whitespace) as the preprocessing job cleans its training
    rows, so a review typed or scraped differently at serving time gets the features it would have had
    in training; then normalised (`normalize_text`: compatibility forms, accents, sharp s) so that every
    model's own lowercasing (scikit-learn, the ONNX graph's StringNormalizer, a BERT tokenizer) gives the
    same result. Non-strings become "". Idempotent.
    """
    return [normalize_text(clean_text(t)) for t in texts]
