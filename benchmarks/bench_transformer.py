"""Benchmark: the transformer kind in onnxruntime (fp32, and int8 when the run kept it) beside the best
scikit-learn kind, on the shipped data's test split, in one run (not a test).

Single-request latency (p50/p99 of one text per call, tokenisation or features included: what one API
request costs) and batch throughput (rows/s over the test split in batches), one onnxruntime thread
each, measured interleaved so every graph sees the same machine load; then each kind's test macro-F1
and the training wall time of its job (HPO, final fit, export, parity gate).

    .venv/bin/python benchmarks/bench_transformer.py [--state-dir .state] [--rows 200] [--batch 64] [--quick]

Reads the graphs and figures of the last pipeline run (<state-dir>/artifacts/summary.json, written by
`make train-local` or `python -m review_sentiment.cli run`), which must include the transformer kind.
--quick makes its own run first (`review_sentiment.cli run` on 90 products' reviews: one logreg trial,
the transformer on 64 rows under a 5 s budget) and times 20 texts: a smoke run, about a minute.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import add_common_arguments

from review_sentiment.config import Settings
from review_sentiment.data.datasets import binary_splits, load_shipped
from review_sentiment.serving.onnx_model import OnnxSentimentModel


def single_requests(models: dict[str, OnnxSentimentModel], texts: list[str], warmup: int = 10) -> dict:
    """{name: (p50 ms, p99 ms)} of one-text calls, interleaved across the models, raw timings."""
    for text in texts[:warmup]:
        for model in models.values():
            model.predict_proba([text])
    timings = {name: [] for name in models}
    gc.collect()
    gc.disable()
    try:
        for text in texts:
            for name, model in models.items():
                start = time.perf_counter()
                model.predict_proba([text])
                timings[name].append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return {name: (float(np.percentile(t, 50)), float(np.percentile(t, 99))) for name, t in timings.items()}


def throughput(model: OnnxSentimentModel, texts: list[str], batch: int, repeats: int = 2) -> float:
    """Rows per second over `texts` in batches of `batch`, best of `repeats` passes."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.predict_proba(texts[i : i + batch])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Settings().state_dir)
    parser.add_argument("--rows", type=int, default=200, help="texts timed one by one")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the throughput pass")
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        with tempfile.TemporaryDirectory(prefix="bench-transformer-") as tmp:
            args.state_dir, args.rows = quick_run(Path(tmp)), 20
            return measure(args)
    return measure(args)


def quick_run(work: Path) -> Path:
    """A pipeline run with the transformer on a small slice of the shipped reviews; its state folder."""
    from review_sentiment.data.datasets import write_jsonl

    shipped = load_shipped()
    keep = sorted(shipped["asin"].unique())[:90]
    data = write_jsonl(shipped[shipped["asin"].isin(keep)], work / "reviews.jsonl.gz")
    env = {
        **os.environ,
        "SENTIMENT_STATE_DIR": str(work / "state"),
        "SENTIMENT_MLFLOW_TRACKING_URI": "",
        "SENTIMENT_OPTUNA_STORAGE_URL": "",
        "SENTIMENT_TRANSFORMER_TIME_BUDGET_S": "5",
        "SENTIMENT_TRANSFORMER_MAX_TRAIN_ROWS": "64",
        "SENTIMENT_LATENCY_ROWS": "20",
        "SENTIMENT_LATENCY_BUDGET_MS": "10000",
        "SENTIMENT_MIN_MFT_PASS_RATE": "0",
    }
    command = [sys.executable, "-m", "review_sentiment.cli", "run", "--data", str(data), "--trials", "1"]
    command += ["--model-kinds", "logreg,transformer"]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return work / "state"


def measure(args: argparse.Namespace) -> int:
    summary_path = args.state_dir / "artifacts" / "summary.json"
    if not summary_path.exists():
        print(
            f"no {summary_path}: run `make train-local` (or review_sentiment.cli run) first", file=sys.stderr
        )
        return 2
    summary = json.loads(summary_path.read_text())
    results = {r["model_kind"]: r for r in summary["results"]}
    neural = [k for k in results if k == "transformer"]
    classic = [k for k in results if k != "transformer"]
    if not neural or not classic:
        print(f"{summary_path} needs the transformer and a scikit-learn kind; it has {list(results)}")
        return 2
    best_sklearn = max(classic, key=lambda k: results[k]["test_macro_f1"])
    transformer = results[neural[0]]
    shipped = Path(transformer["onnx_uri"])
    graphs = {
        f"{best_sklearn} (best scikit-learn)": (
            Path(results[best_sklearn]["onnx_uri"]),
            results[best_sklearn],
        )
    }
    fp32 = shipped.with_name("model_fp32.onnx")
    if transformer.get("int8_kept"):
        if fp32.exists():
            graphs["transformer fp32"] = (fp32, None)
        graphs["transformer int8 (shipped)"] = (shipped, transformer)
    else:
        graphs["transformer fp32 (shipped)"] = (shipped, transformer)

    settings = Settings()
    splits = binary_splits(load_shipped(), settings.seed)
    texts, labels = splits.test["reviewText"].tolist(), splits.test["label"].to_numpy()
    models = {name: OnnxSentimentModel(path, threads=1) for name, (path, _) in graphs.items()}
    timed = min(args.rows, len(texts))
    print(f"test split: {len(texts)} rows; single requests: {timed} texts; batch {args.batch}")
    latency = single_requests(models, texts[: args.rows])
    header = (
        f"{'graph':<32}{'test F1':>8}{'test acc':>9}{'p50 ms':>8}{'p99 ms':>8}{'rows/s':>9}{'MB':>7}"
        f"{'train min':>10}"
    )
    print(header)
    print("-" * len(header))
    base_p50 = None
    for name, model in models.items():
        path, result = graphs[name]
        predicted, _ = model.predict_proba(texts)
        f1 = _macro_f1(labels, predicted)
        acc = float(np.mean(predicted == labels))
        rows_s = throughput(model, texts, args.batch)
        p50, p99 = latency[name]
        base_p50 = base_p50 or p50
        train_min = (
            f"{result['training_wall_seconds'] / 60:.1f}"
            if result and "training_wall_seconds" in result
            else "-"
        )
        print(
            f"{name:<32}{f1:>8.3f}{acc:>9.3f}{p50:>8.2f}{p99:>8.2f}{rows_s:>9.0f}"
            f"{path.stat().st_size / 1e6:>7.1f}{train_min:>10}"
        )
    vader = summary.get("vader")
    if vader:
        print(f"{'VADER (lexicon)':<32}{vader['test_macro_f1']:>8.3f}{vader['test_accuracy']:>9.3f}")
    gain = transformer["test_macro_f1"] - results[best_sklearn]["test_macro_f1"]
    print(
        f"\ntransformer test macro-F1 {transformer['test_macro_f1']:.3f} vs best scikit-learn "
        f"({best_sklearn}) {results[best_sklearn]['test_macro_f1']:.3f}: {gain:+.3f} (goal +0.05); "
        f"int8 kept: {transformer.get('int8_kept')} ({transformer.get('int8_reason', '-')})"
    )
    for name, (p50, _) in latency.items():
        print(f"  {name}: single-request p50 {p50 / base_p50:.1f}x the best scikit-learn graph's")
    return 0


def _macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    from review_sentiment.data.metrics import macro_f1

    return macro_f1(truth, predicted)


if __name__ == "__main__":
    sys.exit(main())
