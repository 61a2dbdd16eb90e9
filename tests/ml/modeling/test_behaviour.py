"""The behavioural tests themselves (modeling.behaviour), run on tiny deterministic keyword scorers: one
that reads negation and intensifiers passes every case, so each case's expectation is the one a sensible
reader would have; a flawed one fails a known subset, and the report names exactly those cases; the pass
rates and the gate follow, refusing below its minimum and passing at it (the default 1.0 included)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from review_sentiment.config import Thresholds
from review_sentiment.modeling import behaviour
from review_sentiment.modeling.behaviour import (
    DIR,
    DIRECTIONAL,
    INV,
    INVARIANCE,
    MFT,
    MINIMUM_FUNCTIONALITY,
    NEGATIVE,
    POSITIVE,
    TESTS,
    behaviour_refusals,
    pass_rates,
    run_behavioural_tests,
)
from review_sentiment.modeling.selection import decide

from .test_selection import candidate

POSITIVE_WORDS = (
    "wonderful loved brilliant moving beautifully best great recommended excellent enjoyed delight gripping "
    "good liked like interesting"
)
NEGATIVE_WORDS = (
    "awful boring badly terrible hated worst dull predictable waste regret bored lifeless disappointment bad"
)
LEXICON = {**dict.fromkeys(POSITIVE_WORDS.split(), 1.0), **dict.fromkeys(NEGATIVE_WORDS.split(), -1.0)}
NEGATIONS, INTENSIFIERS = {"not"}, {"really", "very"}


class KeywordScorer:
    """P(positive) = sigmoid(sum of the words' polarities); "not" flips the next word's polarity and each
    "really"/"very" doubles it. Labels: positive when the sum is above 0 (a tie is negative, as argmax).
    `overrides` {text: P(positive)} replace the score of those texts."""

    def __init__(self, lexicon=LEXICON, negation: bool = True, overrides: dict[str, float] | None = None):
        self.lexicon, self.negation, self.overrides = lexicon, negation, overrides or {}

    def score(self, text: str) -> float:
        total, sign, gain = 0.0, 1.0, 1.0
        for word in re.findall(r"[a-z']+", text.lower()):
            if word in NEGATIONS and self.negation:
                sign = -sign
            elif word in INTENSIFIERS:
                gain *= 2.0
            else:
                total += sign * gain * self.lexicon.get(word, 0.0)
                sign, gain = 1.0, 1.0
        return total

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        p = [self.overrides.get(t, 1 / (1 + math.exp(-self.score(t)))) for t in texts]
        positive = np.asarray(p)
        return (positive > 0.5).astype(np.int64), np.stack([1 - positive, positive], axis=1)


def names(report: dict) -> dict[str, list[str]]:
    return {test: report[test]["failures"] for test in TESTS}


def test_a_reader_of_negation_and_intensifiers_passes_every_case():
    report = run_behavioural_tests(KeywordScorer())
    assert names(report) == {MFT: [], INV: [], DIR: []}
    assert {test: (r["passed"], r["total"], r["pass_rate"]) for test, r in report.items()} == {
        MFT: (10, 10, 1.0),
        INV: (4, 4, 1.0),
        DIR: (6, 6, 1.0),
    }
    assert pass_rates(report) == {MFT: 1.0, INV: 1.0, DIR: 1.0}


def test_the_cases_are_balanced_and_change_one_thing_each():
    labels = [label for _, label in MINIMUM_FUNCTIONALITY]
    assert labels.count(POSITIVE) == labels.count(NEGATIVE) == 5
    for group in INVARIANCE:  # only the title and author differ
        masked = {
            re.sub("|".join(map(re.escape, behaviour._TITLES + behaviour._AUTHORS)), "X", t) for t in group
        }
        assert len(group) == 4 and len(set(group)) == 4 and len(masked) == 1
    for original, changed, direction in DIRECTIONAL:  # a negation or an intensifier, in the right direction
        added = set(changed.lower().split()) - set(original.lower().split())
        polarity = KeywordScorer().score(original)
        assert added in ({"not"}, {"did", "not", "like"}, {"really", "very"})
        assert direction == (-1 if "not" in added else 1) * (1 if polarity > 0 else -1)
    texts = behaviour.all_texts()
    assert len(texts) == len(set(texts)) == 10 + 16 + 12


def flip(text: str) -> dict[str, float]:
    """An override giving `text` the opposite of what the good scorer says (0.9 or 0.1)."""
    return {text: 0.1 if KeywordScorer().score(text) > 0 else 0.9}


@pytest.mark.parametrize("index", range(len(MINIMUM_FUNCTIONALITY)))
def test_each_minimum_case_fails_alone_when_its_label_is_wrong(index):
    text, want = MINIMUM_FUNCTIONALITY[index]
    report = run_behavioural_tests(KeywordScorer(overrides=flip(text)))
    expected, got = ("positive", "negative") if want == POSITIVE else ("negative", "positive")
    p = 0.1 if want == POSITIVE else 0.9
    assert names(report) == {
        MFT: [f"{text!r}: expected {expected}, got {got} (p positive {p:.2f})"],
        INV: [],
        DIR: [],
    }
    assert report[MFT]["passed"] == 9 and report[MFT]["pass_rate"] == 0.9


@pytest.mark.parametrize(("group", "member"), [(g, m) for g in range(4) for m in range(4)])
def test_each_invariance_group_fails_when_any_one_title_changes_the_label(group, member):
    texts = INVARIANCE[group]
    report = run_behavioural_tests(KeywordScorer(overrides=flip(texts[member])))
    (failure,) = report[INV]["failures"]
    assert failure.startswith("labels differ when only the title or author changes: ")
    assert all(repr(t) in failure for t in texts)
    assert report[MFT]["failures"] == report[DIR]["failures"] == []
    assert report[INV]["pass_rate"] == 0.75


@pytest.mark.parametrize("index", range(len(DIRECTIONAL)))
def test_each_directional_pair_fails_alone_when_the_change_goes_the_wrong_way(index):
    original, changed, direction = DIRECTIONAL[index]
    good = KeywordScorer()
    # swap the two probabilities: the change now goes the other way
    swapped = {original: good([changed])[1][0, 1], changed: good([original])[1][0, 1]}
    report = run_behavioural_tests(KeywordScorer(overrides=swapped))
    (failure,) = report[DIR]["failures"]
    assert failure.startswith(f"{original!r} -> {changed!r}: p positive ")
    assert failure.endswith("should rise" if direction > 0 else "should fall")
    assert report[MFT]["failures"] == report[INV]["failures"] == []
    # no change at all fails too: the probability must move
    report = run_behavioural_tests(KeywordScorer(overrides={original: 0.5, changed: 0.5}))
    assert report[DIR]["failures"] == [
        f"{original!r} -> {changed!r}: p positive 0.50 -> 0.50, should {'rise' if direction > 0 else 'fall'}"
    ]


def flawed() -> KeywordScorer:
    """Ignores negation, does not know "excellent" or "enjoyed", and reads the title "Gone Girl" as
    sentiment ("gone" -3)."""
    lexicon = {w: v for w, v in LEXICON.items() if w not in ("excellent", "enjoyed")} | {"gone": -3.0}
    return KeywordScorer(lexicon, negation=False)


def test_a_flawed_scorer_fails_exactly_the_cases_it_should():
    report = run_behavioural_tests(flawed())
    assert report[MFT]["failures"] == [
        "'An excellent read, I enjoyed it very much.': expected positive, got negative (p positive 0.50)"
    ]
    # the groups whose verdict is positive turn negative with "Gone Girl" only
    inv = report[INV]["failures"]
    assert len(inv) == 2
    assert "'Gone Girl by Stephen King was a delight from start to finish.' -> negative" in inv[0]
    assert "'Stephen King tells a gripping story in Gone Girl.' -> negative" in inv[1]
    # the four negations fail (no change), the two intensifiers pass
    assert [line.split(": p positive")[0] for line in report[DIR]["failures"]] == [
        f"{o!r} -> {c!r}" for o, c, _ in DIRECTIONAL if "not" in c
    ]
    assert {t: (r["passed"], r["total"]) for t, r in report.items()} == {
        MFT: (9, 10),
        INV: (2, 4),
        DIR: (2, 6),
    }
    assert pass_rates(report) == {MFT: 0.9, INV: 0.5, DIR: pytest.approx(2 / 6)}


def test_the_gate_refuses_below_each_minimum_and_passes_at_it():
    report = run_behavioural_tests(flawed())
    assert behaviour_refusals(report, {MFT: 0.9, INV: 0.5, DIR: 2 / 6}) == []  # exactly at the minimum
    assert behaviour_refusals(report, {}) == []  # a test without a minimum is not gated
    (reason,) = behaviour_refusals(report, {MFT: 1.0})
    assert reason == (
        "behavioural test minimum_functionality: 9/10 passed (need 100%): "
        "'An excellent read, I enjoyed it very much.': expected positive, got negative (p positive 0.50)"
    )
    reasons = behaviour_refusals(report, {MFT: 0.9, INV: 0.51, DIR: 0.34})
    assert [r.split(":")[0] for r in reasons] == [
        "behavioural test invariance",
        "behavioural test directional",
    ]
    shown = "; ".join(report[DIR]["failures"][:3])  # the first three of its four failures
    assert reasons[1] == f"behavioural test directional: 2/6 passed (need 34%): {shown}"
    error = {"error": "s3://m/x.onnx: NoSuchKey"}
    assert behaviour_refusals(error, {MFT: 0.0}) == [
        "behavioural tests could not run: s3://m/x.onnx: NoSuchKey"
    ]
    assert pass_rates(error) is None


def test_the_promotion_gate_at_its_default_minimum_passes_a_model_that_passes_every_case():
    assert Thresholds().min_mft_pass_rate == 1.0
    gate = decide(candidate(0.9), None, run_behavioural_tests(KeywordScorer()), Thresholds())
    assert gate.passed and gate.behaviour_passed and gate.min_behaviour_pass_rates == {MFT: 1.0}
    gate = decide(candidate(0.9), None, run_behavioural_tests(flawed()), Thresholds())
    assert not gate.passed and not gate.behaviour_passed
    assert gate.reasons == [behaviour_refusals(run_behavioural_tests(flawed()), {MFT: 1.0})[0]]
    assert gate.behaviour_pass_rates == {MFT: 0.9, INV: 0.5, DIR: pytest.approx(2 / 6)}
