"""Behavioural tests of a model (Ribeiro et al., "Beyond Accuracy: Behavioral Testing of NLP Models
with CheckList", ACL 2020; as in Made-With-ML's tests/model/test_behavioral.py), run by the promotion gate.

- Minimum functionality (MFT): short, unambiguous reviews get the right label.
- Invariance (INV): swapping book titles or author names leaves the label unchanged.
- Directional (DIR): adding a negation or an intensifier moves the positive probability the right way.

Any model with `predict_proba(texts) -> (labels [N], probabilities [N, 2])` can be tested (the served
ONNX graph of every kind, through serving.onnx_model.OnnxSentimentModel). Plain Python: the SelectBest
Lambda runs the tests, and the promotion gate (modeling.selection, parsed by every pipeline Lambda)
reads their report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

POSITIVE, NEGATIVE = 1, 0
MFT, INV, DIR = "minimum_functionality", "invariance", "directional"
TESTS = (MFT, INV, DIR)

MINIMUM_FUNCTIONALITY: tuple[tuple[str, int], ...] = (
    ("Awful, boring and badly written.", NEGATIVE),
    ("A terrible book. I hated it.", NEGATIVE),
    ("The worst novel I have ever read.", NEGATIVE),
    ("Dull, predictable and a waste of money.", NEGATIVE),
    ("I regret buying this book, do not bother.", NEGATIVE),
    ("A wonderful book, I loved every page.", POSITIVE),
    ("Brilliant, moving and beautifully written.", POSITIVE),
    ("One of the best novels I have ever read.", POSITIVE),
    ("Great story and great characters, highly recommended.", POSITIVE),
    ("An excellent read, I enjoyed it very much.", POSITIVE),
)

_TITLES = ("The Silent Harbor", "Gone Girl", "Pride and Prejudice", "The Martian")
_AUTHORS = ("Jane Austen", "Stephen King", "Haruki Murakami", "Agatha Christie")
INVARIANCE: tuple[tuple[str, ...], ...] = tuple(
    tuple(
        template.format(title=title, author=author) for title, author in zip(_TITLES, _AUTHORS, strict=True)
    )
    for template in (
        "{title} by {author} was a delight from start to finish.",
        "I could not finish {title}; {author} has written better and this one bored me.",
        "{author} tells a gripping story in {title}.",
        "{title} is a dull and lifeless book, a disappointment from {author}.",
    )
)

# (original, changed, +1 if the positive probability must rise, -1 if it must fall)
DIRECTIONAL: tuple[tuple[str, str, int], ...] = (
    ("This book is good.", "This book is not good.", -1),
    ("I liked the ending.", "I did not like the ending.", -1),
    ("The characters are interesting.", "The characters are not interesting.", -1),
    ("This book is bad.", "This book is not bad.", +1),
    ("The plot is good.", "The plot is really very good.", +1),
    ("The writing is bad.", "The writing is really very bad.", -1),
)

# texts -> (labels [N], probabilities [N, 2]), numpy arrays or lists
Predictor = Callable[[list[str]], tuple[Sequence[int], Sequence[Sequence[float]]]]


def _summary(failures: list[str], total: int) -> dict:
    passed = total - len(failures)
    return {
        "passed": passed,
        "total": total,
        "pass_rate": passed / total if total else 1.0,
        "failures": failures,
    }


def run_behavioural_tests(predict_proba: Predictor) -> dict[str, dict]:
    """{test: {"passed", "total", "pass_rate", "failures": [one line per failed case]}} for MFT, INV, DIR."""
    mft_texts = [text for text, _ in MINIMUM_FUNCTIONALITY]
    inv_texts = [text for group in INVARIANCE for text in group]
    dir_texts = [text for pair in DIRECTIONAL for text in pair[:2]]
    labels, proba = predict_proba([*mft_texts, *inv_texts, *dir_texts])
    labels, positive = [int(label) for label in labels], [float(row[1]) for row in proba]
    names = {POSITIVE: "positive", NEGATIVE: "negative"}

    mft_failures = [
        f"{text!r}: expected {names[want]}, got {names[int(got)]} (p positive {p:.2f})"
        for (text, want), got, p in zip(MINIMUM_FUNCTIONALITY, labels, positive, strict=False)
        if int(got) != want
    ]
    inv_failures, offset = [], len(mft_texts)
    for group in INVARIANCE:
        got = labels[offset : offset + len(group)]
        if len(set(got)) > 1:
            inv_failures.append(
                "labels differ when only the title or author changes: "
                + "; ".join(f"{t!r} -> {names[int(g)]}" for t, g in zip(group, got, strict=True))
            )
        offset += len(group)
    dir_failures = []
    for original, changed, direction in DIRECTIONAL:
        before, after = positive[offset], positive[offset + 1]
        if (after > before) - (after < before) != direction:  # the sign of the change
            want = "rise" if direction > 0 else "fall"
            dir_failures.append(
                f"{original!r} -> {changed!r}: p positive {before:.2f} -> {after:.2f}, should {want}"
            )
        offset += 2
    return {
        MFT: _summary(mft_failures, len(MINIMUM_FUNCTIONALITY)),
        INV: _summary(inv_failures, len(INVARIANCE)),
        DIR: _summary(dir_failures, len(DIRECTIONAL)),
    }


def behaviour_refusals(report: Mapping[str, dict], min_pass_rates: Mapping[str, float]) -> list[str]:
    """One reason per test whose pass rate is below its configured minimum (empty: the model passes).

    A report {"error": "..."} (the tests could not run, e.g. the graph would not load) is one reason.
    """
    if "error" in report:
        return [f"behavioural tests could not run: {report['error']}"]
    reasons = []
    for test in TESTS:
        needed = float(min_pass_rates.get(test, 0.0))
        result = report[test]
        if result["pass_rate"] < needed:
            shown = "; ".join(result["failures"][:3])
            reasons.append(
                f"behavioural test {test}: {result['passed']}/{result['total']} passed "
                f"(need {needed:.0%}): {shown}"
            )
    return reasons


def pass_rates(report: Mapping[str, dict]) -> dict[str, float] | None:
    if "error" in report:
        return None
    return {test: float(report[test]["pass_rate"]) for test in TESTS}


def all_texts() -> Sequence[str]:
    """Every text the tests use (for tests of the suite itself)."""
    return [
        *(t for t, _ in MINIMUM_FUNCTIONALITY),
        *(t for g in INVARIANCE for t in g),
        *(t for p in DIRECTIONAL for t in p[:2]),
    ]
