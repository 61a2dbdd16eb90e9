"""Traffic for the inference API: in-distribution reviews from the held-out test split, or drifted ones.

In-distribution: the shipped reviews whose product falls in the test split (the same seeded split the
pipeline uses), labelled rows only (the champion's prediction reference is its output on exactly
those), drawn with replacement. Drifted: three shifts at once, each one a kind users report:
  - class mix: about 85% negative reviews (about 41% of the shipped labelled reviews are negative);
  - lengths: each review is three to five sentences of one class joined (about 4x longer);
  - vocabulary: about a third of the words replaced by words of another domain (kitchen and garden),
    which the shipped reviews never contain.
`describe` says what a list of reviews is (the commands print it); `send` posts them to the API.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from review_sentiment.data.datasets import assign_split, load_shipped, with_labels
from review_sentiment.features.text_sketch import tokens

# Words of another domain (kitchen and garden; none occurs in the shipped reviews): a vocabulary shift.
OTHER_VOCABULARY = (
    "recipe",
    "oregano",
    "casserole",
    "saucepan",
    "tomato",
    "basil",
    "garlic",
    "simmer",
    "marinade",
    "cilantro",
    "spatula",
    "skillet",
    "parsley",
    "broth",
    "lentils",
    "zucchini",
    "tofu",
    "cumin",
    "paprika",
    "whisk",
    "dough",
    "yeast",
    "fertilizer",
    "mulch",
    "compost",
    "tulip",
    "seedlings",
    "trellis",
)
NEGATIVE_SHARE = 0.85
BATCH = 100  # reviews per /batch_predict request (the API's cap, serving.api_models.MAX_BATCH)


@dataclass(frozen=True)
class Reviews:
    """Texts to send, with the source label of each (1 positive, 0 negative) and what kind they are."""

    kind: str
    texts: list[str]
    labels: list[int]

    @property
    def ratings(self) -> list[float]:
        """A star rating per review that implies its label (5 positive, 1 negative): the ground truth a
        rated request carries (`overall`)."""
        return [5.0 if label == 1 else 1.0 for label in self.labels]


def _labelled(seed: int) -> pd.DataFrame:
    frame = with_labels(load_shipped())
    frame = frame.assign(split=assign_split(frame, seed).to_numpy())
    return frame[frame["label"].notna()].reset_index(drop=True)


def in_distribution(n: int, seed: int = 42, rng_seed: int = 0) -> Reviews:
    """`n` labelled reviews of the held-out test split (split seed `seed`), drawn with replacement."""
    frame = _labelled(seed)
    test = frame[frame["split"] == "test"]
    picks = np.random.default_rng(rng_seed).integers(0, len(test), size=n)
    rows = test.iloc[picks]
    return Reviews("in-distribution", rows["reviewText"].tolist(), [int(v) for v in rows["label"]])


def drifted(n: int, seed: int = 42, rng_seed: int = 1, negative_share: float = NEGATIVE_SHARE) -> Reviews:
    """`n` drifted reviews (module doc): another class mix, longer texts, another vocabulary."""
    rng = np.random.default_rng(rng_seed)
    frame = _labelled(seed)
    pools = {label: frame[frame["label"] == label]["reviewText"].tolist() for label in (0, 1)}
    texts, labels = [], []
    for _ in range(n):
        label = 0 if rng.random() < negative_share else 1
        pool = pools[label]
        sentences = [pool[i] for i in rng.integers(0, len(pool), size=int(rng.integers(3, 6)))]
        words = " ".join(sentences).split()
        for i in range(len(words)):
            if rng.random() < 0.33:
                words[i] = OTHER_VOCABULARY[int(rng.integers(0, len(OTHER_VOCABULARY)))]
        texts.append(" ".join(words))
        labels.append(label)
    return Reviews("drifted", texts, labels)


def describe(reviews: Reviews, top: int = 8) -> str:
    """A few lines: how many, lengths, class mix, most frequent words, two examples."""
    lengths = np.array([len(t) for t in reviews.texts]) if reviews.texts else np.zeros(1)
    words = np.array([len(t.split()) for t in reviews.texts]) if reviews.texts else np.zeros(1)
    negative = reviews.labels.count(0) / max(1, len(reviews.labels))
    counts = Counter(tok for text in reviews.texts for tok in tokens(text))
    examples = "\n".join(f"    e.g. {t[:110]!r}" for t in reviews.texts[:2])
    return (
        f"{len(reviews.texts)} {reviews.kind} reviews: {lengths.mean():.0f} characters and "
        f"{words.mean():.1f} words on average; {negative:.0%} negative by their star rating\n"
        f"  most frequent words: {', '.join(w for w, _ in counts.most_common(top))}\n{examples}"
    )


def _post(url: str, payload: dict, timeout: float, api_key: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({"x-api-key": api_key} if api_key else {})
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def batch_body(texts: Sequence[str], ratings: Sequence[float] | None = None) -> dict:
    """The /batch_predict request body for `texts`: reviews in the Kindle schema (serving.api_models),
    each with its star rating (`overall`) when `ratings` are given."""
    if ratings is None:
        return {"reviews": [{"reviewText": text} for text in texts]}
    return {"reviews": [{"reviewText": t, "overall": r} for t, r in zip(texts, ratings, strict=True)]}


def send(
    api_base_url: str,
    texts: Sequence[str],
    batch: int = BATCH,
    timeout: float = 60.0,
    api_key: str | None = None,
    ratings: Sequence[float] | None = None,
) -> dict:
    """Posts `texts` (with their `ratings`, when given) to /batch_predict in batches (with `api_key` as
    x-api-key); {"sent", "answered", "errors", "predicted": {label: n}}."""
    answered, errors, predicted = 0, Counter(), Counter()
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        rated = None if ratings is None else ratings[start : start + batch]
        url = f"{api_base_url.rstrip('/')}/batch_predict"
        status, body = _post(url, batch_body(chunk, rated), timeout, api_key)
        if status != 200:
            errors[f"{status}: {body.get('detail', body.get('title', ''))}"[:120]] += len(chunk)
            continue
        for item in body.get("results", []):
            if "label" in item:
                answered += 1
                predicted[item["label"]] += 1
            else:
                errors[str((item.get("error") or {}).get("detail", "item error"))[:120]] += 1
    return {"sent": len(texts), "answered": answered, "errors": dict(errors), "predicted": dict(predicted)}
