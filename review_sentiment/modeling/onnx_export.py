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
    rows: int
    label_agreement: float
    max_prob_diff: float
    min_label_agreement: float
    max_prob_diff_allowed: float

    @property
    def passed(self) -> bool:
        return (
            self.label_agreement >= self.min_label_agreement
            and self.max_prob_diff <= self.max_prob_diff_allowed
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}

    def refusal(self, what: str = "ONNX export") -> str:
        """Why `what` (the graph checked) is refused, in one line."""
        return (
            f"{what} refused: label agreement {self.label_agreement:.4f} "
            f"(need >= {self.min_label_agreement}), max probability difference {self.max_prob_diff:.2e} "
            f"(allowed {self.max_prob_diff_allowed}) on {self.rows} held-out rows"
        )


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
