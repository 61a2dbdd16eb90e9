"""One feature definition: serving computes exactly what training computed, without scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from review_sentiment.data.cleaning import model_texts
from review_sentiment.features.numeric import (
    NUMERIC_FEATURES,
    TEXT_INPUT,
    numeric_feature_row,
    numeric_features,
    onnx_inputs,
)
from review_sentiment.modeling.kinds import model_frame


def test_hand_computed_features():
    row = dict(zip(NUMERIC_FEATURES, numeric_feature_row("GREAT book!! 5 stars?"), strict=True))
    assert row == pytest.approx(
        {
            "text_len": 21,
            "word_count": 4,
            "avg_word_len": 18 / 4,
            "exclamation_count": 2,
            "question_count": 1,
            "uppercase_ratio": 5 / 14,
            "all_caps_word_count": 1,
            "digit_ratio": 1 / 21,
        }
    )


def test_empty_and_missing_text_give_zeros_not_errors():
    assert numeric_features(["", None]).tolist() == [[0.0] * len(NUMERIC_FEATURES)] * 2
    assert numeric_features([]).shape == (0, len(NUMERIC_FEATURES))


def test_serving_inputs_equal_training_inputs(small_frame):
    texts = [*small_frame["reviewText"].tolist()[:200], "ÜBER cool!!! 100%", "   "]
    training = model_frame(texts)
    serving = onnx_inputs(texts)
    assert list(serving) == [TEXT_INPUT, *NUMERIC_FEATURES]
    for name in NUMERIC_FEATURES:
        assert serving[name].dtype == np.float32 and serving[name].shape == (len(texts), 1)
        np.testing.assert_array_equal(serving[name][:, 0], training[name].to_numpy())
    assert serving[TEXT_INPUT][:, 0].tolist() == training[TEXT_INPUT].tolist()


def test_pandas_string_columns_become_object_tensors(small_frame):
    """FINDINGS pitfall 6: pandas 3 string columns must reach onnxruntime as object arrays."""
    column = small_frame["reviewText"].astype("string")
    feed = onnx_inputs(column.tolist())
    assert feed[TEXT_INPUT].dtype == object and feed[TEXT_INPUT].shape == (len(column), 1)
    assert isinstance(model_frame(pd.Series(["a", "b"], dtype="string")).loc[0, TEXT_INPUT], str)


def test_serving_modules_import_neither_sklearn_nor_pandas():
    code = (
        "import sys; import review_sentiment.features.numeric, review_sentiment.serving.onnx_model, "
        "review_sentiment.data.schema, "
        "review_sentiment.monitoring.drift; "
        "print(sorted(m for m in ('sklearn', 'pandas', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_scraped_markup_gets_the_features_its_cleaned_training_row_had():
    # GIVEN a review as scraped (entities, a line-break tag, runs of whitespace) and as the
    # preprocessing job stores it for training (cleaned)
    scraped = "Loved it &amp; cried<br/>twice!!   5 stars"
    cleaned = "Loved it & cried twice!! 5 stars"
    # WHEN serving builds the graph's feed and training builds the pipeline's frame
    served = onnx_inputs([scraped])
    trained = model_frame([cleaned])
    # THEN both see the same text and the same numeric features
    assert served[TEXT_INPUT][0, 0] == trained[TEXT_INPUT].iloc[0] == cleaned
    for name in NUMERIC_FEATURES:
        assert served[name][0, 0] == pytest.approx(trained[name].iloc[0]), name


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("NOT WORTH İT", "NOT WORTH IT"),  # U+0130: Python lowers it to "i" + U+0307
        ("a \u212aindle", "a Kindle"),  # KELVIN SIGN
        ("Straße GROẞ", "Strasse GROSS"),
        ("ＡＷＦＵＬ…", "AWFUL..."),
        ("<br/>ÉNORME &amp; naïve  ", "ENORME & naive"),
    ],
)
def test_model_texts_normalise_once_for_every_model(raw, normalised):
    assert model_texts([raw]) == [normalised]
    assert model_texts(model_texts([raw])) == [normalised]  # idempotent
    assert normalised.lower() == normalised.casefold()  # lowercasing has one answer left
