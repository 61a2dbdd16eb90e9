"""scikit-learn pipeline -> ONE ONNX graph (raw text + numeric inputs), guarded by a parity gate."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from review_sentiment.features.numeric import NUMERIC_FEATURES, TEXT_INPUT
from review_sentiment.features.text import ONNX_LOCALE
from review_sentiment.modeling.kinds import model_frame
from review_sentiment.serving.api_models import MAX_BATCH
from review_sentiment.serving.onnx_model import LABEL_OUTPUT, PROBABILITIES_OUTPUT, OnnxSentimentModel

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}

# Texts the parity gate always checks besides the held-out rows: characters that scikit-learn,
# onnxruntime and a BERT tokenizer lowercase differently unless `data.cleaning.normalize_text` ran first
# (capital I with dot U+0130, KELVIN SIGN U+212A, sharp s, fullwidth letters, accents). Each is paired
# with its plain-ASCII spelling, which every model must score identically.
NORMALISATION_PROBES: tuple[tuple[str, str], ...] = (
    ("NOT WORTH İT, BORİNG AND POİNTLESS", "NOT WORTH IT, BORING AND POINTLESS"),
    ("A \u212aINDLE classic: KİND, warm and wonderful", "A KINDLE classic: KIND, warm and wonderful"),
    ("Die Straße war GROẞ, a great read", "Die Strasse war GROSS, a great read"),
    ("ＡＷＦＵＬ, boring and badly written", "AWFUL, boring and badly written"),
    ("ÉNORME déception, NAÏVE plot", "ENORME deception, NAIVE plot"),
)


def probe_texts() -> list[str]:
    """Every normalisation probe, the Unicode spelling and the ASCII twin."""
    return [text for pair in NORMALISATION_PROBES for text in pair]


class ParityError(RuntimeError):
    """The ONNX graph's predictions differ from the fitted model's beyond the configured bounds."""


@dataclass(frozen=True)
class ParityReport:
    """The parity gate's figures on `rows` texts. `label_agreement` and `max_prob_diff` compare the graph
    with the fitted model; when the rows were scored as served (`served_parity`) they are the worst over
    every way of scoring, and `batch_flips` counts the rows whose label alone differs from their label in
    a mixed batch, `max_batch_gap` the largest probability gap between the two (None: not checked).
    `max_batch_flips_allowed` None records the flips without refusing them."""

    rows: int
    label_agreement: float
    max_prob_diff: float
    min_label_agreement: float
    max_prob_diff_allowed: float
    batch_flips: int | None = None
    max_batch_gap: float | None = None
    max_batch_flips_allowed: int | None = None

    @property
    def passed(self) -> bool:
        flips_ok = (
            self.max_batch_flips_allowed is None
            or self.batch_flips is None
            or self.batch_flips <= self.max_batch_flips_allowed
        )
        return (
            self.label_agreement >= self.min_label_agreement
            and self.max_prob_diff <= self.max_prob_diff_allowed
            and flips_ok
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}

    def refusal(self, what: str = "ONNX export") -> str:
        """Why `what` (the graph checked) is refused, in one line."""
        line = (
            f"{what} refused: label agreement {self.label_agreement:.4f} "
            f"(need >= {self.min_label_agreement}), max probability difference {self.max_prob_diff:.2e} "
            f"(allowed {self.max_prob_diff_allowed}) on {self.rows} held-out rows"
        )
        if self.batch_flips is not None:
            allowed = self.max_batch_flips_allowed
            allowed = "recorded only" if allowed is None else f"allowed {allowed}"
            line += (
                f"; {self.batch_flips} rows change label between scored alone and in a batch ({allowed}), "
                f"largest probability gap {self.max_batch_gap:.2e}"
            )
        return line


def initial_types() -> list:
    return [(TEXT_INPUT, StringTensorType([None, 1]))] + [
        (n, FloatTensorType([None, 1])) for n in NUMERIC_FEATURES
    ]


def to_onnx(pipeline: Pipeline, metadata: dict[str, str] | None = None) -> bytes:
    """Serialized ONNX graph of a fitted pipeline, outputs `label` [N] and `probabilities` [N, 2]."""
    classifier = pipeline.named_steps["classifier"]
    options = {
        TfidfVectorizer: {"locale": ONNX_LOCALE},  # en_US.UTF-8 is missing on Lambda images
        type(classifier): {"zipmap": False},  # plain float tensor, not a list of dicts
    }
    model = convert_sklearn(
        pipeline,
        initial_types=initial_types(),
        options=options,
        target_opset=TARGET_OPSET,
        final_types=[(LABEL_OUTPUT, None), (PROBABILITIES_OUTPUT, None)],
    )
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    return model.SerializeToString()


def parity(
    expected: np.ndarray | Pipeline,
    onnx_model: bytes | OnnxSentimentModel,
    texts: Sequence[str],
    min_label_agreement: float,
    max_prob_diff: float,
) -> ParityReport:
    """onnxruntime vs the fitted model on `texts` (held out from training). `expected` is the fitted
    model's probabilities for `texts` (float [N, 2], classes 0 and 1) or a fitted scikit-learn pipeline."""
    served = onnx_model if isinstance(onnx_model, OnnxSentimentModel) else OnnxSentimentModel(onnx_model)
    texts = list(texts)
    if not isinstance(expected, np.ndarray):
        expected = expected.predict_proba(model_frame(texts))
    labels, proba = served.predict_proba(texts)
    return ParityReport(
        rows=len(texts),
        label_agreement=float(np.mean(labels == expected.argmax(axis=1))) if texts else 1.0,
        max_prob_diff=float(np.max(np.abs(proba - expected))) if texts else 0.0,
        min_label_agreement=min_label_agreement,
        max_prob_diff_allowed=max_prob_diff,
    )


def export_with_parity_gate(
    pipeline: Pipeline,
    held_out_texts: Sequence[str],
    min_label_agreement: float,
    max_prob_diff: float,
    metadata: dict[str, str] | None = None,
) -> tuple[bytes, ParityReport]:
    """ONNX bytes and the parity report; raises ParityError (and returns nothing) when parity fails.

    The report covers `held_out_texts` plus the normalisation probes (`probe_texts()`).
    """
    onnx_bytes = to_onnx(pipeline, metadata)
    texts = [*held_out_texts, *probe_texts()]
    report = parity(pipeline, onnx_bytes, texts, min_label_agreement, max_prob_diff)
    if not report.passed:
        raise ParityError(report.refusal())
    return onnx_bytes, report


# How the served API scores a row: alone (/predict, a batch of one) or among the other reviews of one
# /batch_predict request, in the order given and in a shuffled order.
SERVED_WAYS = ("alone", "batch", "shuffled")


def served_predictions(
    model: OnnxSentimentModel, texts: Sequence[str], batch_size: int = MAX_BATCH, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{way: (labels int64 [N], probabilities float32 [N, 2])} for every way in SERVED_WAYS, rows in the
    order of `texts`: "alone" scores each text in its own call; "batch" in consecutive calls of up to
    `batch_size` texts (serving.api_models.MAX_BATCH, what one /batch_predict request holds); "shuffled"
    the same after a permutation seeded by `seed`. A graph whose outputs depend on a row's batch mates
    (dynamic int8 quantisation computes activation scales per call) answers differently between them.
    ValueError when `batch_size` < 1."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    texts = list(texts)
    n = len(texts)

    def in_calls(order: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.zeros(n, dtype=np.int64)
        proba = np.zeros((n, 2), dtype=np.float32)
        for start in range(0, n, size):
            index = order[start : start + size]
            labels[index], proba[index] = model.predict_proba([texts[i] for i in index])
        return labels, proba

    in_order = np.arange(n)
    return {
        "alone": in_calls(in_order, 1),
        "batch": in_calls(in_order, batch_size),
        "shuffled": in_calls(np.random.default_rng(seed).permutation(n), batch_size),
    }


def served_parity(
    expected: np.ndarray,
    onnx_model: bytes | OnnxSentimentModel,
    texts: Sequence[str],
    min_label_agreement: float,
    max_prob_diff: float,
    max_batch_flips: int | None = None,
    batch_size: int = MAX_BATCH,
    seed: int = 0,
) -> ParityReport:
    """`parity` with every row scored as served (`served_predictions`): alone and in mixed batches.

    `expected`: the fitted model's probabilities for `texts`, float [N, 2]. The report's label agreement
    and max probability difference are the worst of the three ways against `expected`; `batch_flips` is
    the number of rows whose label alone differs from their label in either batch, `max_batch_gap` the
    largest absolute probability difference between alone and a batch. The report fails when the flips
    exceed `max_batch_flips` (None: recorded only) or the bounds are not met. ValueError when `expected`
    is not [len(texts), 2].
    """
    texts = list(texts)
    expected = np.asarray(expected)
    if expected.shape != (len(texts), 2):
        raise ValueError(f"expected probabilities of shape ({len(texts)}, 2), got {expected.shape}")
    served = onnx_model if isinstance(onnx_model, OnnxSentimentModel) else OnnxSentimentModel(onnx_model)
    ways = served_predictions(served, texts, batch_size, seed)
    reference = expected.argmax(axis=1)
    alone_labels, alone_proba = ways["alone"]
    agreement, diff, flipped, gap = 1.0, 0.0, np.zeros(len(texts), dtype=bool), 0.0
    for way, (labels, proba) in ways.items():
        if not texts:
            break
        agreement = min(agreement, float(np.mean(labels == reference)))
        diff = max(diff, float(np.max(np.abs(proba - expected))))
        if way != "alone":
            flipped |= labels != alone_labels
            gap = max(gap, float(np.max(np.abs(proba - alone_proba))))
    return ParityReport(
        rows=len(texts),
        label_agreement=agreement,
        max_prob_diff=diff,
        min_label_agreement=min_label_agreement,
        max_prob_diff_allowed=max_prob_diff,
        batch_flips=int(flipped.sum()),
        max_batch_gap=gap,
        max_batch_flips_allowed=max_batch_flips,
    )


def single_row_latency_ms(
    model: OnnxSentimentModel, texts: Sequence[str], warmup: int = 10, repeats: int = 3
) -> dict[str, float]:
    """p50/p99 over texts of the milliseconds one single-text prediction takes, features included.

    Each text is timed `repeats` times and its fastest time kept: on a shared machine the slower
    repetitions measure the scheduler, not the model. benchmarks/ reports raw timings instead.
    """
    texts = list(texts)
    for text in texts[:warmup]:
        model.predict_proba([text])
    timings = []
    gc.collect()
    gc.disable()  # a garbage collection during one request is not the model's cost
    try:
        for text in texts:
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                model.predict_proba([text])
                best = min(best, time.perf_counter() - start)
            timings.append(best * 1000)
    finally:
        gc.enable()
    return {"p50_ms": float(np.percentile(timings, 50)), "p99_ms": float(np.percentile(timings, 99))}
