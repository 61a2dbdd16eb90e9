"""The selection step: training results in, one `Selection` out, the same for the SelectBest Lambda and the
local pipeline; each hands in its own way to read a graph (S3, or local files and MLflow) and the test rows.

`select` picks the best candidate under the latency budget (`modeling.selection.best_within_budget`),
runs the behavioural tests on its graph with onnxruntime, scores the champion on the run's test rows
(its recorded score when it cannot be re-scored) and applies the promotion gate
(`modeling.selection.decide`). numpy + DuckDB's Parquet reader only: the SelectBest Lambda carries
onnxruntime too, and pyarrow (150 MB installed) would take it past Lambda's 250 MB.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from pydantic import ValidationError

from review_sentiment.config import Thresholds
from review_sentiment.data.metrics import macro_f1
from review_sentiment.modeling.behaviour import run_behavioural_tests
from review_sentiment.modeling.selection import TrainingResult, WorldScores, best_within_budget, decide
from review_sentiment.pipeline.messages import (
    Baseline,
    ChampionComparison,
    FailedKind,
    Selection,
    TrainedKind,
)
from review_sentiment.pipeline.outcome import describe_failure
from review_sentiment.s3_io import read_bytes, split_s3_uri
from review_sentiment.serving.champion import Champion
from review_sentiment.serving.onnx_model import OnnxSentimentModel

GraphReader = Callable[[str], bytes]  # a graph's location (s3:// URI, path, MLflow URI) -> ONNX bytes
RECENT_ID_PREFIX = "capture:"  # review ids of labelled captures (monitoring.labelled): recent traffic


class TestSplit(NamedTuple):
    """The run's labelled test rows: texts [N], labels int [N], and which are recent traffic (bool [N],
    the labelled captures; None: not known, e.g. the local pipeline's shipped data)."""

    texts: list[str]
    labels: np.ndarray
    recent: np.ndarray | None = None


TestRows = Callable[[], tuple]  # the run's TestSplit (or a (texts, labels) pair), read when needed


class NoModelTrained(RuntimeError):
    """Every training job failed, or none wrote a usable result."""


def collect_candidates(s3, training: list[TrainedKind]) -> tuple[list[TrainingResult], list[FailedKind]]:
    """(each job's result.json, the kinds that produced no model): a failed job, or one that left no
    result or one that is not a TrainingResult, is a failed kind with a one-line reason."""
    candidates, failed = [], []
    for item in training:
        if item.status != "SUCCEEDED":
            # a Batch job's cause is its whole description as JSON: keep the one-line reason
            error, cause = describe_failure({"Error": item.error, "Cause": item.cause})
            failed.append(FailedKind(model_kind=item.model_kind, error=error, cause=cause))
            continue
        uri = item.output_uri.rstrip("/") + "/result.json"
        try:
            candidates.append(TrainingResult.model_validate_json(read_bytes(s3, uri)))
        except s3.exceptions.NoSuchKey:
            failed.append(
                FailedKind(model_kind=item.model_kind, error="NoResult", cause=f"the job wrote no {uri}")
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            failed.append(
                FailedKind(model_kind=item.model_kind, error="InvalidResult", cause=f"{uri}: {problems}")
            )
    return candidates, failed


def load_test_split(s3, processed_uri: str) -> TestSplit:
    """Texts, labels and recent-traffic marks of the run's test split (Parquet written by the
    preprocessing job; a row is recent when its review_id is a labelled capture's).

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
    recent: list[bool] = []
    query = (
        "SELECT reviewText, label, {recent} FROM read_parquet(?, file_row_number = true) "
        "WHERE label IS NOT NULL ORDER BY file_row_number"
    )
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect() as db:
        for number, key in enumerate(sorted(keys)):
            path = Path(tmp) / f"{number}.parquet"
            path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            columns = {
                row[0] for row in db.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            }
            recent_expr = "starts_with(coalesce(review_id, ''), ?)" if "review_id" in columns else "? IS NULL"
            rows = db.execute(query.format(recent=recent_expr), [RECENT_ID_PREFIX, str(path)]).fetchall()
            for text, label, is_recent in rows:
                texts.append(text)
                labels.append(int(label))
                recent.append(bool(is_recent))
    return TestSplit(texts, np.asarray(labels, dtype=np.int64), np.asarray(recent, dtype=bool))


def behaviour_of(read_graph: GraphReader, uri: str) -> dict:
    """Behavioural test report (modeling.behaviour) of the graph at `uri`, run with onnxruntime;
    {"error": reason} when the graph cannot be read or run (the gate then refuses the candidate)."""
    try:
        return run_behavioural_tests(OnnxSentimentModel(read_graph(uri)).predict_proba)
    except Exception as exc:  # S3 errors, a broken graph: refused with the reason, never a crash
        return {"error": f"{uri}: {type(exc).__name__}: {exc}"}


Predictions = Callable[[str], np.ndarray]  # a graph's location -> its labels [N] on the run's test rows


def rescored(champion: Champion, test_rows: TestRows, predicted: Predictions) -> ChampionComparison:
    """The champion's macro-F1 on the run's test rows; its recorded score when it cannot be re-scored
    (a graph of another feature set, a missing split), None when it has none either."""
    try:
        labels = TestSplit(*test_rows()).labels
        score = macro_f1(labels, predicted(champion.model_uri))
    except Exception as exc:  # compare on its record rather than lose to any challenger
        recorded = champion.test_macro_f1 if math.isfinite(champion.test_macro_f1) else None
        score, note = recorded, f"recorded score used; re-scoring failed ({type(exc).__name__}: {exc})"
    else:
        note = f"re-scored on this run's {len(labels)} test rows"
    return ChampionComparison(
        version=champion.version,
        model_kind=champion.model_kind,
        test_macro_f1_when_promoted=champion.test_macro_f1,
        test_macro_f1_same_split=score,
        note=note,
    )


def both_worlds(
    best: TrainingResult, champion: Champion | None, test_rows: TestRows, predicted: Predictions
) -> tuple[WorldScores | None, WorldScores | None]:
    """(recent, reference): challenger and champion scored on the same test rows, split into recent
    labelled traffic and the rest; (None, None) without a champion, without recent rows, or when a
    graph cannot be scored (the gate then compares on the whole split)."""
    if champion is None:
        return None, None
    try:
        split = TestSplit(*test_rows())
        if split.recent is None or not split.recent.any():
            return None, None
        challenger, served = predicted(best.onnx_uri), predicted(champion.model_uri)
    except Exception:  # scored on the whole split instead (rescored says why when that fails too)
        return None, None

    def scores(mask: np.ndarray) -> WorldScores:
        return WorldScores(
            rows=int(mask.sum()),
            challenger_macro_f1=macro_f1(split.labels[mask], challenger[mask]),
            champion_macro_f1=macro_f1(split.labels[mask], served[mask]),
        )

    return scores(split.recent), scores(~split.recent)


def select(
    candidates: list[TrainingResult],
    failed: list[FailedKind],
    thresholds: Thresholds,
    read_graph: GraphReader,
    champion: Champion | None,
    test_rows: TestRows,
) -> Selection:
    """The selection record the promotion gate's choice reads. Raises NoModelTrained when there is no
    candidate, NoModelWithinBudget when none meets `thresholds.latency_budget_ms`."""
    test_rows = cache(test_rows)  # read the split once, however many comparisons use it

    @cache
    def predicted(uri: str) -> np.ndarray:  # each graph read and run on the split once
        return np.asarray(OnnxSentimentModel(read_graph(uri)).predict_proba(TestSplit(*test_rows()).texts)[0])

    if not candidates:
        causes = "; ".join(f"{f.model_kind}: {f.error} {f.cause}".strip() for f in failed)
        raise NoModelTrained(f"no model kind produced a model ({causes or 'no training jobs ran'})")
    best = best_within_budget(candidates, thresholds.latency_budget_ms)
    behaviour = behaviour_of(read_graph, best.onnx_uri)
    comparison = None if champion is None else rescored(champion, test_rows, predicted)
    score = None if comparison is None else comparison.test_macro_f1_same_split
    reference = candidates[0]  # every job scores VADER on the same test rows
    return Selection(
        best=best,
        candidates=sorted(candidates, key=lambda c: -c.val_macro_f1),
        failed_kinds=failed,
        baseline=Baseline(
            test_macro_f1=reference.vader_test_macro_f1,
            test_accuracy=reference.vader_test_accuracy,
            test_rows=reference.test_rows,
        ),
        behaviour=behaviour,
        champion=comparison,
        gate=decide(best, score, behaviour, thresholds, *both_worlds(best, champion, test_rows, predicted)),
    )
