"""Review text cleaning applied before features and training (the preprocessing Glue job).

Conservative on purpose: it only undoes markup and encoding artefacts of scraped reviews (HTML
entities, line-break tags, Unicode composition, runs of whitespace), so typed text at serving time is
left as it is and the features stay comparable. Pure Python: the serving path may call it too.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Tags start right after "<" (so "a < b and c > d" is text, not markup).
_MARKUP = re.compile(r"<br\s*/?>|</?(?:p|div|span|i|b|em|strong|u)\b[^<>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def clean_text(text: object) -> str:
    """HTML entities decoded, simple markup tags removed, NFC-composed, whitespace collapsed, stripped."""
    if not isinstance(text, str):
        return ""
    text = html.unescape(text)
    text = _MARKUP.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE.sub(" ", text).strip()
