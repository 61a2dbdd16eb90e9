"""The one macro-F1 and accuracy, against scikit-learn's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from review_sentiment.data.metrics import accuracy, macro_f1

LABEL_PAIRS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=60)


@given(LABEL_PAIRS)
def test_macro_f1_is_scikit_learns(pairs):
    truth, predicted = [t for t, _ in pairs], [p for _, p in pairs]
    expected = f1_score(truth, predicted, average="macro", zero_division=0.0)
    assert macro_f1(truth, predicted) == pytest.approx(expected)


@given(LABEL_PAIRS)
def test_accuracy_is_scikit_learns(pairs):
    truth, predicted = [t for t, _ in pairs], [p for _, p in pairs]
    assert accuracy(truth, predicted) == pytest.approx(accuracy_score(truth, predicted))


def test_figures_of_nothing_are_zero_and_unequal_lengths_are_an_error():
    assert macro_f1([], []) == 0.0 and accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        accuracy([0, 1], [0])
