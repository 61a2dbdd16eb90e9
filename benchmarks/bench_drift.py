"""Benchmark: drift scoring time and the drift monitor's honesty on the shipped data (not a test).

1. Time: PSI of the 8 numeric features and of the prediction on 10k, 100k and 1M captured rows (the
   columns already parsed), with the growth ratio per 10x (target: 1M rows under 1 s, linear); the
   text score's aggregation and the JSON parsing of capture lines are timed beside it.
2. False alarms: the reference is built as the pipeline builds it (training split profile, a logreg
   champion and its outputs on its test split); windows of held-out reviews (labelled test split, and
   the validation split that no reference saw) are drawn with replacement and decided with the default
   configuration, every signal on: each request carries its rating, so live model quality is judged
   against the champion's test macro-F1 beside PSI and text drift. Target: at most 1 window in 20
   flagged (warn or act) at the production window size.
3. Detection delay: a stream of windows, in-distribution until an onset in the middle of a window,
   then a share of drifted traffic (stack.traffic.drifted); the delay is the number of windows from
   the first one holding drifted traffic to the first that acts (consecutive_windows 1).

    .venv/bin/python benchmarks/bench_drift.py [--windows 200] [--window-rows 500] [--quick]

--quick: 1k and 10k rows, 3 windows per size, 2 streams per drifted share (a smoke run).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from _common import add_common_arguments  # also puts the repository on the path (stack/)

from review_sentiment.data.cleaning import model_texts
from review_sentiment.data.datasets import assign_split, load_shipped, with_labels
from review_sentiment.data.metrics import macro_f1
from review_sentiment.data.schema import LABEL_NAMES
from review_sentiment.features.numeric import numeric_features
from review_sentiment.features.profile import prediction_profile, texts_profile
from review_sentiment.features.text_sketch import text_sketch
from review_sentiment.modeling.kinds import build_pipeline, model_frame
from review_sentiment.modeling.onnx_export import to_onnx
from review_sentiment.monitoring.capture import CapturedWindow, Window, read_lines
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.drift import BinnedReference, feature_scores, score
from review_sentiment.monitoring.report import evaluate
from review_sentiment.monitoring.text_drift import reference_shares, window_bucket_counts
from review_sentiment.serving.api_models import ModelRef
from review_sentiment.serving.capture import CaptureRecord
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from stack.traffic import drifted

SEED = 42
WINDOW = Window(datetime(2026, 11, 29, 8, 0, tzinfo=UTC), datetime(2026, 11, 29, 9, 0, tzinfo=UTC))


class Pool:
    """Precomputed model inputs and outputs of a set of reviews, to assemble windows from quickly."""

    def __init__(self, texts: list[str], model: OnnxSentimentModel, labels: list[int]):
        self.texts = model_texts(texts)
        self.features = numeric_features(self.texts).astype(np.float64)
        self.sketches = [text_sketch(t) for t in self.texts]
        predicted, probabilities = model.predict_proba(self.texts)
        self.positive = probabilities[:, 1].astype(np.float64)
        self.predicted = np.asarray([LABEL_NAMES[int(p)] for p in predicted])
        self.ratings = np.where(np.asarray(labels) == 1, 5.0, 1.0)  # every request rated: quality on

    def window(self, picks: np.ndarray) -> CapturedWindow:
        return CapturedWindow.of(
            WINDOW,
            self.features[picks],
            self.positive[picks],
            [self.sketches[i] for i in picks],
            self.predicted[picks].tolist(),
            self.ratings[picks],
        )


def references():
    frame = with_labels(load_shipped())
    frame = frame.assign(reviewText=model_texts(frame["reviewText"]))
    frame = frame.assign(split=assign_split(frame, SEED).to_numpy())
    train = frame[frame["split"] == "train"]
    labels = [None if pd.isna(v) else int(v) for v in train["label"]]  # NA: 3 stars
    profile = texts_profile(train["reviewText"].tolist(), labels)
    profile = json.loads(json.dumps(profile, default=lambda v: None))  # as stored
    labelled = frame[frame["label"].notna()]
    fit = labelled[labelled["split"] == "train"]
    texts = fit["reviewText"].tolist()
    pipeline = build_pipeline("logreg", {"max_features": 2000, "svd_components": 50, "C": 3.0}, texts, SEED)
    pipeline.fit(model_frame(texts), fit["label"].astype(int).to_numpy())
    model = OnnxSentimentModel(to_onnx(pipeline, {"model_kind": "logreg"}))
    test = labelled[labelled["split"] == "test"]
    predicted, probabilities = model.predict_proba(test["reviewText"].tolist())
    predictions = prediction_profile(probabilities[:, 1])
    test_f1 = macro_f1(test["label"].astype(int).tolist(), predicted)  # the champion's promotion figure
    pools = {
        split: Pool(part["reviewText"].tolist(), model, part["label"].astype(int).tolist())
        for split, part in ((s, labelled[labelled["split"] == s]) for s in ("validation", "test"))
    }
    return profile, predictions, model, pools, test_f1


def time_psi(profile: dict, predictions: dict, pool: Pool, rows: int, rng, repeats: int = 3) -> dict:
    """Best of `repeats` (a shared machine deschedules us now and then): the monitor's own calls."""
    picks = rng.integers(0, len(pool.texts), size=rows)
    window = pool.window(picks)
    pred_ref = BinnedReference.from_profile(predictions)
    psi_s, text_s = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        feature_scores(profile, window.features)
        score("prediction", pred_ref, window.positive_probability)
        psi_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        window_bucket_counts(window.sketches)
        text_s.append(time.perf_counter() - started)
    return {"rows": rows, "psi_s": min(psi_s), "text_s": min(text_s)}


def time_parsing(pool: Pool, rows: int) -> float:
    """Seconds to read `rows` capture lines (as the inference API writes them) into a window's columns."""
    served = ModelRef(name="review-sentiment", version="1", kind="logreg")
    lines = [
        CaptureRecord.of(
            model=served,
            request_id="",
            model_text=pool.texts[i],
            label="positive" if pool.positive[i] >= 0.5 else "negative",
            probabilities={"negative": 1 - float(pool.positive[i]), "positive": float(pool.positive[i])},
            now=datetime(2026, 11, 29, 8, 30, tzinfo=UTC),
        ).to_line()
        for i in range(min(rows, len(pool.texts)))
    ]
    lines = (lines * (rows // len(lines) + 1))[:rows]
    started = time.perf_counter()
    read_lines(lines, WINDOW)
    return time.perf_counter() - started


def false_alarms(
    profile, predictions, shares, pool: Pool, size: int, windows: int, config, rng, test_f1: float
) -> dict:
    decisions, worst, quality = [], [], []
    for _ in range(windows):
        window = pool.window(rng.integers(0, len(pool.texts), size=size))
        report = evaluate(window, profile, predictions, shares, config, reference_macro_f1=test_f1)
        decisions.append(report["decision"])
        quality.append(report["model_quality"]["severity"])
        scores = {f"feature:{k}": v["psi"] for k, v in report["features"].items()}
        scores["prediction"] = report["prediction"]["psi"]
        scores["text(JS)"] = report["text"]["score"]
        worst.append(scores)
    flagged = sum(d in ("warn", "act") for d in decisions)
    keys = worst[0].keys()
    p95 = {k: float(np.percentile([w[k] for w in worst if w[k] is not None] or [np.nan], 95)) for k in keys}
    return {
        "flagged": flagged,
        "act": decisions.count("act"),
        "windows": windows,
        "p95": p95,
        "quality_flagged": sum(q in ("warn", "act") for q in quality),
    }


def detection_delay(
    profile,
    predictions,
    shares,
    held: Pool,
    drift_pool: Pool,
    size: int,
    share: float,
    config,
    rng,
    test_f1: float,
    before: int = 3,
    after: int = 10,
) -> int | None:
    """Windows from the first holding drifted traffic (onset mid-window) to the first that acts."""
    for w in range(before + after):
        drifted_rows = 0 if w < before else (size // 2 if w == before else size)
        n_drift = round(drifted_rows * share)
        held_picks = rng.integers(0, len(held.texts), size=size - n_drift)
        drift_picks = rng.integers(0, len(drift_pool.texts), size=n_drift)
        window = CapturedWindow.of(
            WINDOW,
            np.vstack([held.features[held_picks], drift_pool.features[drift_picks]]),
            np.concatenate([held.positive[held_picks], drift_pool.positive[drift_picks]]),
            [held.sketches[i] for i in held_picks] + [drift_pool.sketches[i] for i in drift_picks],
            held.predicted[held_picks].tolist() + drift_pool.predicted[drift_picks].tolist(),
            np.concatenate([held.ratings[held_picks], drift_pool.ratings[drift_picks]]),
        )
        report = evaluate(window, profile, predictions, shares, config, reference_macro_f1=test_f1)
        decision = report["decision"]
        if decision == "act":
            return None if w < before else w - before  # None: a false alarm before the onset
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=int, default=200, help="replayed windows per size and split")
    parser.add_argument("--window-rows", type=int, default=500, help="the production window size")
    add_common_arguments(parser)
    args = parser.parse_args()
    sizes = (1_000, 10_000) if args.quick else (10_000, 100_000, 1_000_000)
    windows = 3 if args.quick else args.windows
    streams = 2 if args.quick else 20
    rng = np.random.default_rng(0)
    config = DriftConfig()
    t0 = time.perf_counter()
    profile, predictions, model, pools, test_f1 = references()
    shares = reference_shares(profile)
    print(
        f"references built in {time.perf_counter() - t0:.1f} s: training split {profile['rows']} rows; "
        f"champion outputs on {predictions['rows']} test rows; held-out pools "
        + ", ".join(f"{k} {len(v.texts)}" for k, v in pools.items())
    )

    print("\n1. scoring time (one thread, best of 3; columns already parsed)")
    print(f"  {'rows':>9}  {'PSI 8 features + prediction':>28}  {'text bucket sums':>16}  {'JSON parse':>10}")
    timings = [time_psi(profile, predictions, pools["test"], n, rng) for n in sizes]
    parse = {n: time_parsing(pools["test"], n) for n in sizes[:2]}
    for t in timings:
        parsed = f"{parse[t['rows']]:.2f} s" if t["rows"] in parse else "-"
        print(f"  {t['rows']:>9,}  {t['psi_s'] * 1000:>25.1f} ms  {t['text_s']:>14.2f} s  {parsed:>10}")
    for a, b in itertools.pairwise(timings):
        print(
            f"  growth {a['rows']:,} -> {b['rows']:,} rows (10x): PSI x{b['psi_s'] / a['psi_s']:.1f}, "
            f"text x{b['text_s'] / a['text_s']:.1f}"
        )
    largest = timings[-1]["psi_s"]
    verdict = f"target < 1 s for 1M {'met' if largest < 1 else 'NOT met'}" if sizes[-1] == 1_000_000 else ""
    print(f"  {sizes[-1]:,} rows PSI {largest:.3f} s {verdict}")

    print(
        f"\n2. false alarms: {windows} windows of held-out reviews per size (default thresholds, "
        f"min window {config.min_window_rows} rows)"
    )
    for split, pool in pools.items():
        for size in sorted({100, 300, args.window_rows, 1000}):
            cfg = config.model_copy(update={"min_window_rows": min(size, config.min_window_rows)})
            fa = false_alarms(profile, predictions, shares, pool, size, windows, cfg, rng, test_f1)
            worst = max(fa["p95"], key=lambda k: fa["p95"][k] if fa["p95"][k] == fa["p95"][k] else -1)
            print(
                f"  {split:<10} {size:>5} rows: flagged {fa['flagged']:>3}/{fa['windows']} "
                f"({fa['flagged'] / fa['windows']:.1%}), act {fa['act']}; highest p95 {worst} "
                f"{fa['p95'][worst]:.3f}, text p95 {fa['p95']['text(JS)']:.3f}, "
                f"prediction p95 {fa['p95']['prediction']:.3f}, live quality flagged {fa['quality_flagged']}"
            )

    print(
        f"\n3. detection delay in windows of {args.window_rows} rows (onset mid-window; 0 = the onset window)"
    )
    drifted_reviews = drifted(300 if args.quick else 2000)
    drift_pool = Pool(drifted_reviews.texts, model, drifted_reviews.labels)
    for share in (0.5, 1.0) if args.quick else (0.1, 0.25, 0.5, 1.0):
        delays = [
            detection_delay(
                profile,
                predictions,
                shares,
                pools["validation"],
                drift_pool,
                args.window_rows,
                share,
                config,
                rng,
                test_f1,
            )
            for _ in range(streams)
        ]
        found = [d for d in delays if d is not None and d >= 0]
        print(
            f"  drifted share {share:>4.0%}: delay median {np.median(found) if found else float('nan'):.0f}, "
            f"max {max(found) if found else '-'}; missed in 10 windows {delays.count(-1)}/{streams}, "
            f"false alarm before onset {delays.count(None)}/{streams}"
        )


if __name__ == "__main__":
    main()
