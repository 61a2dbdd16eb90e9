"""The int8 gate as served: dynamic int8 quantisation computes activation scales per call, so a row's
answer can depend on the other rows of its batch. A hand-built token graph (an embedding sum and a
linear head, quantised by the code that quantises the transformer) makes that deterministic: "fine" is
positive alone and a tie (label 0, negative) beside a review whose large activation widens the scale.
One large batch sees a single flip among 250 rows, within the old gate's tolerance; scoring every row
alone and in mixed batches refuses the graph."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from review_sentiment.modeling import transformer
from review_sentiment.modeling.onnx_export import ParityReport, parity, served_parity, served_predictions
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from review_sentiment.serving.tokenized import TOKENIZER_METADATA_KEY, TextTokenizer

from ..conftest import make_settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Each word's value in the embedding table; multiples of max/127, so int8 weights hold them exactly.
STEP = 10 / 127
WORDS = {
    "[PAD]": 0.0,
    "[UNK]": 0.0,
    "great": 25 * STEP,
    "awful": -25 * STEP,
    "fine": STEP,  # alone: P(positive) = sigmoid(2 * STEP) = 0.54
    "masterpiece": 127 * STEP,
}
BORDERLINE = "fine"
WIDE = " ".join(["masterpiece"] * 16)  # a sum of 160: a quantisation step of 0.63 in its batch
CLEAR = ["great read", "awful"] * 124


def token_graph() -> bytes:
    """fp32 token graph served like the transformer's: P = softmax([-s, s]), s the sum of the words'
    values; the tokenizer (WordLevel, lowercase, 16 tokens) in its metadata."""
    vocab = {word: i for i, word in enumerate(WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    table = np.array(list(WORDS.values()), dtype=np.float32).reshape(-1, 1)
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["embedded"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last"], ["mask3"]),
        helper.make_node("Mul", ["embedded", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "tokens"], ["pooled"], keepdims=0),
        helper.make_node("MatMul", ["pooled", "head"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "sum_of_words",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2]),
        ],
        [
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(np.array([[-1.0, 1.0]], dtype=np.float32), "head"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "tokens"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    metadata = {
        TOKENIZER_METADATA_KEY: TextTokenizer(tokenizer.to_str(), 16).to_json(),
        "quantization": "none",
    }
    return transformer.with_metadata(model.SerializeToString(), metadata)


@pytest.fixture(scope="module")
def fp32() -> bytes:
    return token_graph()


@pytest.fixture(scope="module")
def int8(fp32) -> bytes:
    return transformer.quantize_int8(fp32)


def gate(fp32: bytes, texts: list[str], tmp_path, int8_max_f1_loss: float = 1.0, labels=()):
    """choose_int8 with the default parity bounds, the fp32 graph's probabilities as the reference
    (`labels`: the true labels of `texts`, for the macro-F1 bound)."""
    settings = make_settings(tmp_path, int8_max_f1_loss=int8_max_f1_loss)
    reference = OnnxSentimentModel(fp32).predict_proba(texts)[1]
    bounds = (settings.parity_min_label_agreement, settings.parity_max_prob_diff)
    fp32_report = served_parity(reference, fp32, texts, *bounds)
    assert fp32_report.passed and fp32_report.batch_flips == 0 and fp32_report.max_batch_gap == 0.0
    f1 = (texts, labels) if len(labels) else ((), ())
    return fp32_report, transformer.choose_int8(fp32, fp32_report, reference, texts, settings, *f1)


def test_an_int8_label_changes_with_its_batch_mates(int8):
    served = OnnxSentimentModel(int8)
    labels, proba = served.predict_proba([BORDERLINE])
    assert labels.tolist() == [1] and proba[0, 1] == pytest.approx(0.547, abs=1e-3)
    labels, proba = served.predict_proba([BORDERLINE, WIDE])
    assert labels[0] == 0 and proba[0, 1] == 0.5  # the quantised activation is 0: a tie, label 0


def test_the_served_gate_refuses_what_one_large_batch_lets_through(tmp_path, fp32, int8):
    texts = [BORDERLINE, WIDE, *CLEAR]
    reference = OnnxSentimentModel(fp32).predict_proba(texts)[1]
    # The old gate: one batch of every row; 1 flip in 250 rows (agreement 0.996) and a 0.04 gap pass.
    assert parity(reference, int8, texts, 0.995, 0.05).passed
    fp32_report, (shipped, report, record) = gate(fp32, texts, tmp_path)
    assert shipped == fp32 and report is fp32_report  # the float graph ships
    assert OnnxSentimentModel(shipped).metadata["quantization"] == "none"
    assert record["int8_kept"] is False
    assert record["int8_batch_flips"] == 1
    assert record["int8_max_batch_gap"] == pytest.approx(0.547 - 0.5, abs=1e-3)
    assert record["fp32_batch_flips"] == 0 and record["fp32_max_batch_gap"] == 0.0
    assert "1 rows change label between scored alone and in a batch (allowed 0)" in record["int8_reason"]


def test_a_flip_only_in_the_shuffled_batches_is_seen(tmp_path, fp32):
    # Rows i and j in different calls of 100 in order, in the same call once shuffled (seed 0).
    n = 2 + len(CLEAR)
    call = {row: position // 100 for position, row in enumerate(np.random.default_rng(0).permutation(n))}
    i, j = next((i, j) for i in range(100) for j in range(100, n) if call[i] == call[j])
    clear = iter(CLEAR)
    texts = [BORDERLINE if k == i else WIDE if k == j else next(clear) for k in range(n)]
    ways = served_predictions(OnnxSentimentModel(transformer.quantize_int8(fp32)), texts)
    assert [ways[way][0][i] for way in ("alone", "batch", "shuffled")] == [1, 1, 0]
    _, (_, _, record) = gate(fp32, texts, tmp_path)
    assert record["int8_kept"] is False and record["int8_batch_flips"] == 1


def test_int8_ships_when_no_row_depends_on_its_batch(tmp_path, fp32):
    texts = [BORDERLINE, *CLEAR]  # no wide row: every call's scale keeps "fine" positive
    _, (shipped, report, record) = gate(fp32, texts, tmp_path)
    assert record["int8_kept"] is True and record["int8_batch_flips"] == 0
    assert OnnxSentimentModel(shipped).metadata["quantization"] == "int8-dynamic"
    assert report.batch_flips == 0 and report.max_batch_flips_allowed == 0 and report.passed


def test_int8_without_flips_is_still_refused_when_it_loses_macro_f1(tmp_path, fp32):
    texts = [BORDERLINE, *CLEAR]
    labels = [1] + [1, 0] * 124
    # An impossible bound: int8 may not lose anything, not even -1.
    _, (shipped, _, record) = gate(fp32, texts, tmp_path, int8_max_f1_loss=-1.0, labels=labels)
    assert record["int8_batch_flips"] == 0 and record["int8_kept"] is False
    assert "loses more than -1.0" in record["int8_reason"] and shipped == fp32
    assert record["int8_val_macro_f1"] == record["fp32_val_macro_f1"] == 1.0


def test_served_predictions_keep_the_order_of_the_texts(fp32):
    texts = [BORDERLINE, WIDE, *CLEAR[:7]]
    ways = served_predictions(OnnxSentimentModel(fp32), texts, batch_size=4, seed=3)
    expected = OnnxSentimentModel(fp32).predict_proba(texts)
    for labels, proba in ways.values():
        np.testing.assert_array_equal(labels, expected[0])
        np.testing.assert_allclose(proba, expected[1], atol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        served_predictions(OnnxSentimentModel(fp32), texts, batch_size=0)


def test_the_report_fails_on_flips_only_when_flips_are_bounded():
    report = dict(rows=10, label_agreement=1.0, max_prob_diff=0.0, min_label_agreement=0.9)
    report |= dict(max_prob_diff_allowed=0.1, batch_flips=2, max_batch_gap=0.03)
    assert ParityReport(**report).passed  # recorded only
    assert not ParityReport(**report, max_batch_flips_allowed=1).passed
    assert ParityReport(**report, max_batch_flips_allowed=2).passed
    assert "2 rows change label" in ParityReport(**report, max_batch_flips_allowed=1).refusal("int8 graph")
    with pytest.raises(ValueError, match="shape"):
        served_parity(np.zeros((3, 2)), token_graph(), ["a", "b"], 0.9, 0.1)
