"""Reading captured inference traffic: tumbling windows over the data-capture lines in S3.

The lines are `review_sentiment.serving.capture.CaptureRecord`s (its module and docs/data_capture.md
have the layout), under `datacapture/YYYY/MM/DD/HH/` (UTC hour of delivery). A window is [start, end)
in UTC, `window_minutes` long, aligned to multiples of its length since the epoch; a tick evaluates the
last window that ended at least `delay_minutes` before it. A record belongs to the window of its
`inferenceTime`. Lines that are not records (not JSON, a field missing, a bad value) and records of
other windows are skipped and counted, never fatal; a feature or probability that is not a number is
kept as NaN. An object delivered before the window started cannot hold its records (delivery follows
inference), so it is not read. Stdlib + numpy (+ Pydantic, through the record type) only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from review_sentiment.data.schema import LABEL_NAMES, NEGATIVE, POSITIVE
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.serving.capture import CAPTURE_PREFIX, CaptureLineError, CaptureRecord

READ_THREADS = 16


@dataclass(frozen=True)
class Window:
    """One tumbling window [start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def before(cls, tick: datetime, minutes: int, delay_minutes: int = 0) -> Window:
        """The last complete window that ended at least `delay_minutes` before `tick`."""
        tick = tick.astimezone(UTC) - timedelta(minutes=delay_minutes)
        length = minutes * 60
        end_s = math.floor(tick.timestamp() / length) * length
        end = datetime.fromtimestamp(end_s, UTC)
        return cls(end - timedelta(minutes=minutes), end)

    @property
    def id(self) -> str:
        """Sortable, S3- and execution-name-safe: 20261129T0800Z-60m."""
        return f"{self.start:%Y%m%dT%H%MZ}-{int((self.end - self.start).total_seconds() // 60)}m"

    def previous(self, n: int = 1) -> Window:
        length = self.end - self.start
        return Window(self.start - n * length, self.end - n * length)

    def hour_prefixes(self, until: datetime, prefix: str = CAPTURE_PREFIX) -> list[str]:
        """Capture key prefixes of every delivery hour from the window's start to `until`."""
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        prefixes = []
        while hour <= max(until, self.start):
            prefixes.append(f"{prefix}{hour:%Y/%m/%d/%H}/")
            hour += timedelta(hours=1)
        return prefixes

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass
class CapturedWindow:
    """The records of one window, as columns; counts of what was skipped and why."""

    window: Window
    features: np.ndarray  # float64 [N, len(NUMERIC_FEATURES)], NaN where a value was missing or not a number
    positive_probability: np.ndarray  # float64 [N], NaN where missing
    sketches: list[dict]  # [N] textSketch objects ({} where missing)
    labels: Counter  # predicted label -> count
    model_versions: Counter  # served model version -> count
    objects_read: int = 0
    lines_read: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> lines
    outside_window: int = 0  # valid lines of other windows (in the same objects)
    predicted: list[str] = field(default_factory=list)  # [N] the served label names
    ratings: np.ndarray = field(default_factory=lambda: np.empty(0))  # float64 [N] `overall`, NaN: none
    review_texts: list[str | None] = field(default_factory=list)  # [N] raw text where capture kept it
    inference_times: list[datetime] = field(default_factory=list)  # [N] UTC

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])

    @classmethod
    def of(
        cls,
        window: Window,
        features: np.ndarray,
        positive_probability: np.ndarray,
        sketches: list[dict],
        predicted: list[str] | None = None,
        ratings: np.ndarray | None = None,
    ) -> CapturedWindow:
        """A window from columns already in memory (benchmarks, replays); without `predicted`, the label
        of each probability at 0.5; without `ratings`, no row is rated."""
        features = np.asarray(features, dtype=np.float64).reshape(-1, len(NUMERIC_FEATURES))
        probabilities = np.asarray(positive_probability, dtype=np.float64)
        if predicted is None:
            predicted = [LABEL_NAMES[POSITIVE if p >= 0.5 else NEGATIVE] for p in probabilities]
        return cls(
            window,
            features,
            probabilities,
            list(sketches),
            Counter(predicted),
            Counter(),
            predicted=list(predicted),
            ratings=np.full(len(probabilities), np.nan) if ratings is None else np.asarray(ratings, float),
        )


def parse_time(value: object) -> datetime:
    """An ISO 8601 time ("...Z" or an offset; none is read as UTC), such as a scheduled tick's `time`."""
    if not isinstance(value, str):
        raise ValueError(f"the time {value!r} is not an ISO 8601 string")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_lines(lines: Iterable[str | bytes], window: Window) -> CapturedWindow:
    """The window's records among `lines` (skipping blank, unparseable and other-window lines)."""
    rows, probs, sketches, predicted, ratings, texts, times = [], [], [], [], [], [], []
    labels, versions, skipped = Counter(), Counter(), Counter()
    outside = read = 0
    for line in lines:
        if not line.strip():
            continue
        read += 1
        try:
            record = CaptureRecord.from_line(line)
        except CaptureLineError as error:
            skipped[error.reason] += 1
            continue
        if not window.contains(record.event_metadata.inference_time):
            outside += 1
            continue
        rows.append(record.feature_row())
        probs.append(record.positive_probability())
        sketches.append(record.capture_data.endpoint_input.data.text_sketch)
        label, rating = (
            record.capture_data.endpoint_output.data.label,
            record.capture_data.endpoint_input.data.overall,
        )
        labels[label] += 1
        predicted.append(label)
        ratings.append(math.nan if rating is None else rating)
        data_in = record.capture_data.endpoint_input.data
        texts.append(None if data_in.review_text_truncated else data_in.review_text)  # cut: not a review
        times.append(record.event_metadata.inference_time)
        versions[record.model.version] += 1
    features = np.asarray(rows, dtype=np.float64).reshape(-1, len(NUMERIC_FEATURES))
    return CapturedWindow(
        window,
        features,
        np.asarray(probs, dtype=np.float64),
        sketches,
        labels,
        versions,
        lines_read=read,
        skipped=skipped,
        outside_window=outside,
        predicted=predicted,
        ratings=np.asarray(ratings, dtype=np.float64),
        review_texts=texts,
        inference_times=times,
    )


def window_keys(s3, bucket: str, window: Window, now: datetime) -> list[str]:
    """Keys of capture objects that can hold the window's records (delivered at or after its start)."""
    keys = []
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in window.hour_prefixes(now):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                # LastModified has second precision: allow one second of rounding
                if obj["LastModified"] >= window.start - timedelta(seconds=1) and obj.get("Size", 1) > 0:
                    keys.append(obj["Key"])
    return sorted(keys)


def _object_lines(s3, bucket: str, key: str) -> list[bytes]:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()


def read_window(
    s3, bucket: str, window: Window, now: datetime | None = None, threads: int = READ_THREADS
) -> CapturedWindow:
    """Every captured record of `window` in `bucket` (`s3`: a boto3 S3 client, thread-safe)."""
    keys = window_keys(s3, bucket, window, now or datetime.now(UTC))

    def lines() -> Iterator[bytes]:
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(keys)))) as pool:
            for object_lines in pool.map(lambda key: _object_lines(s3, bucket, key), keys):
                yield from object_lines

    captured = read_lines(lines(), window)
    captured.objects_read = len(keys)
    return captured
