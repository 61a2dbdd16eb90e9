"""The curated training set: which uploaded batches enter it, and the manifest that says so.

Reviews arrive as batches: each folder directly under the run's input prefix is one upload (the original
system's "new data lands in the raw folder"; `python -m stack run` uploads to `incoming/<time>/`, the
drift monitor's retraining reads all of `incoming/` and the labelled captures, one folder per window:
monitoring.labelled); files lying directly under the prefix form one batch of their own. A batch is
named by its full prefix. The validation job applies the review contract to every row, then decides
per batch:

- a batch whose share of rows breaking the contract (a repeat of a review inside the batch included) is
  above `max_bad_fraction` is rejected: none of its rows enter, its quarantine and reasons are reported;
- among the accepted batches a review is kept once, by identity (`review_id`), from the earliest batch
  (batches sort by name: upload times), so uploading the same reviews again adds nothing and is not an
  error; such rows are counted as `already_curated`, never as bad (uploads before captures, then by name);
- the run fails only when no batch is accepted.

The manifest (the validation report's `batches`) records every batch with its counts and verdict, so a
training run's data can be traced to the uploads it came from. Pure Python: the Glue job and tests use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

ALREADY_CURATED = "already_curated"  # a valid review an earlier accepted batch already holds


def _path(uri: str) -> str:
    return uri.removeprefix("file://").removeprefix("file:")


def input_prefixes(input_path: str) -> list[str]:
    """The validation job's inputs: `--input_path` holds one or more prefixes joined by "," (the raw
    uploads first, then the labelled captures: pipeline.plan.RunPaths.inputs); each ends in "/"."""
    return [_path(p).rstrip("/") + "/" for p in input_path.split(",") if p.strip()]


def batch_of(source_file: str, inputs: Sequence[str]) -> tuple[int, str]:
    """(input index, batch) of one input file: the batch is the first folder below the input that holds
    the file, named by its full prefix ("s3://raw/incoming/20261201T0000/"), or the input prefix itself for
    a file lying directly under it. A file under no input is batch (0, its own path)."""
    source = _path(source_file)
    for index, prefix in enumerate(inputs):
        if source.startswith(prefix):
            relative = source[len(prefix) :]
            return index, prefix + relative.split("/", 1)[0] + "/" if "/" in relative else prefix
    return 0, source


def reason_totals(by_reason: Mapping[str, int]) -> dict[str, int]:
    """Rows per contract reason, sorted by reason, from rows per joined reasons ("" a valid row, a
    quarantined row's reasons joined with ";": a row with two reasons counts for each)."""
    totals: dict[str, int] = {}
    for joined, n in by_reason.items():
        for reason in filter(None, joined.split(";")):
            totals[reason] = totals.get(reason, 0) + n
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class BatchVerdict:
    """One batch as the validation job judged it (row counts; `bad_fraction` = quarantined / rows)."""

    batch: str
    rows: int
    valid: int
    quarantined: int
    bad_fraction: float
    accepted: bool
    reasons: dict[str, int]  # contract reason -> rows
    already_curated: int = 0  # valid rows whose review an earlier accepted batch holds (not entered)

    @property
    def entered(self) -> int:
        """Rows this batch adds to the curated set."""
        return self.valid - self.already_curated if self.accepted else 0

    def to_dict(self) -> dict:
        return {**asdict(self), "entered": self.entered}


def batch_verdicts(
    counts: Mapping[tuple[str, str], int], max_bad_fraction: float, order: Mapping[str, int] | None = None
) -> list[BatchVerdict]:
    """Per-batch verdicts from row counts keyed by (batch, joined reasons), where "" is a valid row and a
    quarantined row's reasons are joined with ";"; sorted by (input index in `order`, batch name), the
    order in which an earlier batch wins a repeated review."""
    batches: dict[str, dict[str, int]] = {}
    for (batch, reason), n in counts.items():
        batches.setdefault(batch, {})
        batches[batch][reason] = batches[batch].get(reason, 0) + n
    verdicts = []
    order = order or {}
    for batch in sorted(batches, key=lambda b: (order.get(b, 0), b)):
        by_reason = batches[batch]
        rows = sum(by_reason.values())
        valid = by_reason.get("", 0)
        bad_fraction = (rows - valid) / rows if rows else 0.0
        verdicts.append(
            BatchVerdict(
                batch=batch,
                rows=rows,
                valid=valid,
                quarantined=rows - valid,
                bad_fraction=bad_fraction,
                accepted=rows > 0 and bad_fraction <= max_bad_fraction,
                reasons=reason_totals(by_reason),
            )
        )
    return verdicts


def with_already_curated(verdicts: Iterable[BatchVerdict], already: Mapping[str, int]) -> list[BatchVerdict]:
    """The verdicts with each accepted batch's count of rows an earlier batch already held."""
    return [BatchVerdict(**{**asdict(v), "already_curated": int(already.get(v.batch, 0))}) for v in verdicts]


def manifest_summary(verdicts: Iterable[BatchVerdict]) -> dict:
    """Totals over the batches: accepted/rejected names and the rows that enter the curated set."""
    verdicts = list(verdicts)
    return {
        "batches": [v.to_dict() for v in verdicts],
        "accepted_batches": [v.batch for v in verdicts if v.accepted],
        "rejected_batches": [v.batch for v in verdicts if not v.accepted],
        "already_curated": sum(v.already_curated for v in verdicts),
        "curated_rows": sum(v.entered for v in verdicts),
    }
