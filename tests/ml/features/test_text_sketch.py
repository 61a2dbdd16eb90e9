"""The hashed token sketch used by data capture and text drift."""

import zlib

import numpy as np

from review_sentiment.features.text_sketch import SKETCH_BUCKETS, bucket_shares, text_sketch, tokens


def test_sketch_counts_lowercased_tokens_of_two_or_more_characters_in_stable_buckets():
    sketch = text_sketch("Great book, GREAT plot! A 5 star read")
    # "a" and "5" are single characters: not tokens (the TF-IDF rule)
    expected = ["great", "book", "great", "plot", "star", "read"]
    assert tokens("Great book, GREAT plot! A 5 star read") == expected
    great = str(zlib.crc32(b"great") % SKETCH_BUCKETS)
    assert sketch[great] >= 2
    assert sum(sketch.values()) == 6
    assert text_sketch("") == {} and text_sketch(None) == {}


def test_bucket_shares_sum_to_one_and_reflect_a_vocabulary_shift():
    reference = bucket_shares(text_sketch(t) for t in ["good story", "bad story", "good plot"])
    assert reference.shape == (SKETCH_BUCKETS,)
    assert np.isclose(reference.sum(), 1.0)
    shifted = bucket_shares(text_sketch(t) for t in ["zzyzx quux", "flarp quux"])
    assert np.abs(reference - shifted).sum() > 1.0  # disjoint vocabularies: total variation near 2
    assert bucket_shares([]).sum() == 0.0


def test_every_script_has_tokens():
    # words in any script; each character of a script written without spaces
    assert tokens("Отличная книга, ОЧЕНЬ понравилась") == ["отличная", "книга", "очень", "понравилась"]
    assert tokens("Ένα υπέροχο βιβλίο") == ["ένα", "υπέροχο", "βιβλίο"]
    assert tokens("كتاب رائع جدا") == ["كتاب", "رائع", "جدا"]
    assert tokens("この本は面白い。") == ["こ", "の", "本", "は", "面", "白", "い"]  # no punctuation
    assert tokens("café NAÏVE") == ["café", "naïve"]
    assert text_sketch("この本は面白い") and text_sketch("Ένα υπέροχο βιβλίο")
