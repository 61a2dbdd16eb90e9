"""The state machine's selection step: training results in, one decision record out.

Wraps `review_sentiment.modeling.selection` (best under the latency budget, champion comparison) with what a
pipeline run adds: failed kinds, the ONNX parity check, the configured minimum macro-F1, and the
champion re-scored on this run's test split. numpy + DuckDB's Parquet reader only: the SelectBest
Lambda carries onnxruntime too, and pyarrow (150 MB installed) would take it past Lambda's 250 MB.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from review_sentiment.modeling.behaviour import MFT, behaviour_refusals, pass_rates, run_behavioural_tests
from review_sentiment.modeling.selection import (
    RESULT_METRICS,
    NoModelWithinBudget,
    best_within_budget,
    promotion_decision,
)
from review_sentiment.pipeline.outcome import describe_failure
from review_sentiment.s3_io import split_s3_uri
from review_sentiment.serving.champion import Champion

# Columns of the comparison table, in print order.
TABLE_COLUMNS = ("model_kind", *RESULT_METRICS, "parity_passed")


class NoModelTrained(RuntimeError):
    """Every training job failed, or none wrote a usable result."""


def macro_f1(truth: Sequence[int], predicted: Sequence[int]) -> float:
    """Unweighted mean of the per-class F1 over the classes present in truth or predictions."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    scores = []
    for label in np.union1d(truth, predicted):
        tp = float(np.sum((predicted == label) & (truth == label)))
        fp = float(np.sum((predicted == label) & (truth != label)))
        fn = float(np.sum((predicted != label) & (truth == label)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def candidate_from_result(result: dict, output_uri: str, parity_bounds: dict | None = None) -> dict:
    """One comparable row from a training job's result.json (written by the training entrypoint)."""
    bounds = parity_bounds or {}
    agreement = float(result.get("parity_label_agreement", 0.0))
    prob_diff = float(result.get("parity_max_prob_diff", 1.0))
    passed = result.get("parity_passed")
    if passed is None:  # the export refuses a model that fails the gate; check again with the run's bounds
        passed = agreement >= bounds.get("min_label_agreement", 0.0) and prob_diff <= bounds.get(
            "max_prob_diff", float("inf")
        )
    base = output_uri if output_uri.endswith("/") else output_uri + "/"
    return {
        "model_kind": result["model_kind"],
        "val_macro_f1": float(result["val_macro_f1"]),
        "test_macro_f1": float(result["test_macro_f1"]),
        "test_accuracy": float(result.get("test_accuracy", float("nan"))),
        "test_rows": int(result.get("test_rows", 0)),
        "onnx_p50_ms": float(result.get("onnx_p50_ms", float("nan"))),
        "onnx_p99_ms": float(result["onnx_p99_ms"]),
        "onnx_size_bytes": int(result.get("onnx_size_bytes", 0)),
        "parity_label_agreement": agreement,
        "parity_max_prob_diff": prob_diff,
        "parity_passed": bool(passed),
        "onnx_uri": result.get("onnx_uri") or base + "model.onnx",
        "model_uri": result.get("model_uri", ""),  # MLflow runs:/ URI, registered on promotion
        "mlflow_run_id": result.get("mlflow_run_id", ""),
        "data_hash": result.get("data_hash", ""),
        "prediction_profile_uri": result.get("prediction_profile_uri", ""),  # prediction drift reference
        "output_uri": base,
        # VADER on the same test rows (the training job scores it beside the model)
        "vader_test_macro_f1": result.get("vader_test_macro_f1"),
        "vader_test_accuracy": result.get("vader_test_accuracy"),
    }


def read_json(s3, uri: str) -> dict:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def read_bytes(s3, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def collect_candidates(s3, training: list[dict]) -> tuple[list[dict], list[dict]]:
    """(candidates, failed kinds) from the Map state's items; a job that left no result counts as failed."""
    candidates, failed = [], []
    for item in training:
        kind = item.get("model_kind", "?")
        if item.get("status") != "SUCCEEDED":
            # a Batch job's cause is its whole description as JSON: keep the one-line reason
            error, cause = describe_failure({"Error": item.get("error"), "Cause": item.get("cause")})
            failed.append({"model_kind": kind, "error": error, "cause": cause})
            continue
        uri = item["output_uri"].rstrip("/") + "/result.json"
        try:
            candidates.append(candidate_from_result(read_json(s3, uri), item["output_uri"]))
        except s3.exceptions.NoSuchKey:
            failed.append({"model_kind": kind, "error": "NoResult", "cause": f"the job wrote no {uri}"})
    return candidates, failed


def load_test_split(s3, processed_uri: str) -> tuple[list[str], np.ndarray]:
    """Texts and labels of the run's test split (Parquet written by the preprocessing job).

    Rows without a label (3-star reviews) are left out. Files are read in key order, rows in file
    order. Raises FileNotFoundError when `processed_uri` holds no `split=test` Parquet file.
    """
    import duckdb

    bucket, prefix = split_s3_uri(processed_uri)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith(".parquet") and ("/split=test/" in key or "/test/" in key):
                keys.append(key)
    if not keys:
        raise FileNotFoundError(f"no test split under {processed_uri} (expected split=test/*.parquet)")
    texts: list[str] = []
    labels: list[int] = []
    query = (
        "SELECT reviewText, label FROM read_parquet(?, file_row_number = true) "
        "WHERE label IS NOT NULL ORDER BY file_row_number"
    )
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect() as db:
        for number, key in enumerate(sorted(keys)):
            path = Path(tmp) / f"{number}.parquet"
            path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            for text, label in db.execute(query, [str(path)]).fetchall():
                texts.append(text)
                labels.append(int(label))
    return texts, np.asarray(labels, dtype=np.int64)


def behaviour_of(s3, candidate: dict) -> dict:
    """Behavioural test report (modeling.behaviour) of a candidate's ONNX graph, run with onnxruntime;
    {"error": reason} when the graph cannot be read or run (the gate then refuses the candidate)."""
    from review_sentiment.serving.onnx_model import OnnxSentimentModel

    try:
        model = OnnxSentimentModel(read_bytes(s3, candidate["onnx_uri"]))
        return run_behavioural_tests(model.predict_proba)
    except Exception as exc:  # S3 errors, a broken graph: refused with the reason, never a crash
        return {"error": f"{candidate['onnx_uri']}: {type(exc).__name__}: {exc}"}


def behaviour_of_best(s3, candidates: list[dict], latency_budget_ms: float) -> dict | None:
    """The behavioural report of the candidate `decide` will pick (None when there is none to pick)."""
    try:
        return behaviour_of(s3, best_within_budget(candidates, latency_budget_ms))
    except (NoModelWithinBudget, ValueError):
        return None  # decide() raises with the reason


def baseline_row(candidates: list[dict]) -> dict | None:
    """VADER on the run's test rows, as the training jobs reported it (None when none did)."""
    for c in candidates:
        if c.get("vader_test_macro_f1") is not None:
            return {
                "model_kind": "VADER (lexicon)",
                "test_macro_f1": float(c["vader_test_macro_f1"]),
                "test_accuracy": float(c["vader_test_accuracy"]),
                "test_rows": c.get("test_rows", 0),
            }
    return None


def decide(
    candidates: list[dict],
    failed: list[dict],
    champion: Champion | None,
    champion_test_macro_f1: float | None,
    settings: dict,
    champion_note: str = "",
    behaviour: dict | None = None,
) -> dict:
    """The selection record the promotion gate reads: best candidate, champion on the same split, gate.

    `behaviour` is the best candidate's behavioural test report: a pass rate below
    settings["min_behaviour_pass_rates"] (default: every minimum-functionality case) refuses it whatever
    its macro-F1, and the failed cases are the recorded reason.
    """
    if not candidates:
        causes = "; ".join(f"{f['model_kind']}: {f['error']} {f['cause']}".strip() for f in failed)
        raise NoModelTrained(f"no model kind produced a model ({causes or 'no training jobs ran'})")
    best = best_within_budget(candidates, settings["latency_budget_ms"])  # NoModelWithinBudget if none fits
    decision = promotion_decision(best["test_macro_f1"], champion_test_macro_f1, settings["min_improvement"])
    min_f1 = float(settings["min_macro_f1"])
    reasons = []
    if not best["parity_passed"]:
        reasons.append(f"ONNX parity failed for {best['model_kind']}")
    if best["test_macro_f1"] < min_f1:
        reasons.append(
            f"test macro-F1 {best['test_macro_f1']:.4f} is below the configured minimum {min_f1:.4f}"
        )
    min_rates = settings.get("min_behaviour_pass_rates") or {MFT: 1.0}
    behaviour_reasons = behaviour_refusals(behaviour, min_rates) if behaviour is not None else []
    reasons += behaviour_reasons
    if not decision.promote:
        reasons.append(decision.reason)
    passed = not reasons
    return {
        "best": best,
        "candidates": sorted(candidates, key=lambda c: -c["val_macro_f1"]),
        "failed_kinds": failed,
        "baseline": baseline_row(candidates),
        "behaviour": behaviour,
        "champion": None
        if champion is None
        else {
            "version": champion.version,
            "model_kind": champion.model_kind,
            "test_macro_f1_when_promoted": champion.test_macro_f1,
            "test_macro_f1_same_split": champion_test_macro_f1,
            "note": champion_note,
        },
        "gate": {
            "min_macro_f1": min_f1,
            "min_improvement": float(settings["min_improvement"]),
            "champion_macro_f1": champion_test_macro_f1,
            "beats_champion": decision.promote,
            "behaviour_passed": not behaviour_reasons,
            "behaviour_pass_rates": pass_rates(behaviour) if behaviour is not None else None,
            "min_behaviour_pass_rates": min_rates,
            "passed": passed,
            "reasons": reasons or [decision.reason],
        },
    }
