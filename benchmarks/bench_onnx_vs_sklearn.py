"""Benchmark: scikit-learn vs onnxruntime, per model kind, on the shipped data (not a test).

Single-row latency (p50/p99, features included: what one API request costs) and batch throughput,
each measured for both runtimes in the same run, one thread each, with ratios. Target: the chosen
model's onnxruntime single-row p99 is at least 20x faster than scikit-learn's.

    .venv/bin/python benchmarks/bench_onnx_vs_sklearn.py [--rows 300] [--batch 1000] [--kinds logreg,mlp]
    [--quick]   (logreg only, 20 texts once, batches of 100: a smoke run)

Uses each kind's parameters from the last `make run` (.state/artifacts/summary.json) when present,
else the kind's default parameters.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
import warnings

import numpy as np
from _common import add_common_arguments
from threadpoolctl import threadpool_limits

from review_sentiment.config import Settings
from review_sentiment.data.datasets import binary_splits, load_shipped
from review_sentiment.modeling.families import MODEL_KINDS
from review_sentiment.modeling.kinds import DEFAULT_PARAMS, build_pipeline, model_frame
from review_sentiment.modeling.onnx_export import to_onnx
from review_sentiment.serving.onnx_model import OnnxSentimentModel

TARGET_RATIO = 20.0


def percentiles(timings_ms) -> tuple[float, float]:
    return float(np.percentile(timings_ms, 50)), float(np.percentile(timings_ms, 99))


def time_single_rows(predicts: dict, texts: list[str], repeats: int, warmup: int = 20) -> dict[str, dict]:
    """Interleaved: each text goes through every runtime in turn, `repeats` times, so both runtimes see
    the same machine load. `raw` keeps every timing; `steady` keeps each text's fastest repetition,
    which removes the time the process spent descheduled on a busy machine."""
    for text in texts[:warmup]:
        for predict in predicts.values():
            predict([text])
    timings = {name: np.zeros((len(texts), repeats)) for name in predicts}
    gc.collect()
    gc.disable()  # a collection in the middle of one request is not the model's cost
    try:
        for i, text in enumerate(texts):
            for r in range(repeats):
                for name, predict in predicts.items():
                    start = time.perf_counter()
                    predict([text])
                    timings[name][i, r] = (time.perf_counter() - start) * 1000
    finally:
        gc.enable()
    return {
        name: {"raw": percentiles(values.ravel()), "steady": percentiles(values.min(axis=1))}
        for name, values in timings.items()
    }


def rows_per_second(predict, texts: list[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300, help="texts timed one at a time per runtime")
    parser.add_argument("--repeats", type=int, default=3, help="timings per text and runtime")
    parser.add_argument("--batch", type=int, default=1000, help="rows per batch for throughput")
    parser.add_argument("--kinds", default=",".join(MODEL_KINDS))
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeats, args.batch, args.kinds = 20, 1, 100, "logreg"
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    settings = Settings.from_env()
    summary_path = settings.artifacts_dir / "summary.json"
    chosen_kind, chosen_params = None, {}
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        chosen_kind = summary["chosen"]
        chosen_params = {r["model_kind"]: r["params"] for r in summary["results"]}
    splits = binary_splits(load_shipped(), settings.seed)
    train_texts = splits.train["reviewText"].tolist()
    pool = splits.test["reviewText"].tolist() + splits.validation["reviewText"].tolist()
    single = pool[: args.rows]
    batch = (pool * (args.batch // len(pool) + 1))[: args.batch]

    header = (
        f"{'model kind':<24}{'params':<9}{'sk p50':>8}{'sk p99':>8}{'ort p50':>9}{'ort p99':>9}{'p99 x':>8}"
        f"{'steady p99 sk/ort':>20}{'x':>7}{'sk rows/s':>11}{'ort rows/s':>12}{'batch x':>9}"
    )
    lines = []
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with threadpool_limits(limits=1):  # one thread each, as in a Lambda with one vCPU share
        for kind in args.kinds.split(","):
            params = chosen_params.get(kind, DEFAULT_PARAMS[kind])
            pipeline = build_pipeline(kind, params, train_texts, settings.seed)
            pipeline.fit(model_frame(train_texts), splits.train["label"].to_numpy())
            served = OnnxSentimentModel(to_onnx(pipeline), threads=1)

            def sklearn_predict(texts, pipeline=pipeline):
                return pipeline.predict_proba(model_frame(texts))

            latency = time_single_rows(
                {"sklearn": sklearn_predict, "onnxruntime": served.predict_proba}, single, args.repeats
            )
            (sk50, sk99), (ort50, ort99) = latency["sklearn"]["raw"], latency["onnxruntime"]["raw"]
            sk99_steady, ort99_steady = latency["sklearn"]["steady"][1], latency["onnxruntime"]["steady"][1]
            sk_rps = rows_per_second(sklearn_predict, batch)
            ort_rps = rows_per_second(served.predict_proba, batch)
            source = "run" if kind in chosen_params else "default"
            mark = "  <- chosen" if kind == chosen_kind else ""
            lines.append(
                (
                    kind,
                    sk99 / ort99,
                    sk99_steady / ort99_steady,
                    f"{kind:<24}{source:<9}{sk50:>8.2f}{sk99:>8.2f}{ort50:>9.3f}{ort99:>9.3f}"
                    f"{sk99 / ort99:>7.1f}x"
                    f"{sk99_steady:>12.2f} / {ort99_steady:<5.3f}{sk99_steady / ort99_steady:>6.1f}x"
                    f"{sk_rps:>11,.0f}{ort_rps:>12,.0f}{ort_rps / sk_rps:>8.2f}x{mark}",
                )
            )
            print(f"[{time.perf_counter() - started:6.1f}s] measured {kind}", flush=True)

    print()
    print(
        f"single-row latency in ms, {len(single)} texts x {args.repeats} interleaved repetitions (features "
        f"included); steady = each text's fastest repetition; throughput on batches of {len(batch)} rows; "
        f"one thread; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(header)
    print("-" * len(header))
    for *_, line in lines:
        print(line)
    print()
    target_kind = chosen_kind or lines[0][0]
    for kind, raw_ratio, steady_ratio, _ in lines:
        if kind == target_kind:
            verdict = "meets" if min(raw_ratio, steady_ratio) >= TARGET_RATIO else "does not meet"
            print(
                f"{kind}: onnxruntime single-row p99 is {raw_ratio:.1f}x (raw) / {steady_ratio:.1f}x "
                f"(steady) faster than scikit-learn; {verdict} the {TARGET_RATIO:.0f}x target on both"
            )


if __name__ == "__main__":
    main()
