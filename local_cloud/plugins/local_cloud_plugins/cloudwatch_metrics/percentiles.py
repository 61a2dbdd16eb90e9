"""Percentile statistics (`p50`, `p99`, `p99.9`) in GetMetricData, which LocalStack's CloudWatch lacks.

LocalStack stores each single value of PutMetricData in SQLite but computes only SampleCount, Sum,
Average, Minimum and Maximum. For a `pNN` stat this reads the period's single values and takes the
nearest-rank percentile (the smallest value with at least NN% of the values at or below it), which is
what CloudWatch returns for raw values. Values sent as statistic sets carry no distribution and are
left out, as on AWS.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sqlite3

LOG = logging.getLogger(__name__)
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


def nearest_rank(values: list[float], percent: float) -> float:
    """Nearest-rank percentile of a non-empty list (percent in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _percentile_stat(db, account_id, region, query, start_time, end_time, scan_by, percent: float) -> dict:
    metric_stat = query["MetricStat"]
    metric, period = metric_stat["Metric"], int(metric_stat["Period"])
    dimensions = metric.get("Dimensions", [])
    sql = (
        f"SELECT timestamp, value FROM {db.TABLE_SINGLE_METRICS} WHERE account_id = ? AND region = ? "
        "AND namespace = ? AND metric_name = ? AND timestamp >= ? AND timestamp < ? "
    )
    start, end = db._convert_timestamp_to_unix(start_time), db._convert_timestamp_to_unix(end_time)
    params: tuple = (account_id, region, metric.get("Namespace"), metric.get("MetricName"), start, end)
    if dimensions:
        sql += "AND dimensions LIKE ? "
        params += (db._get_ordered_dimensions_with_separator(dimensions, for_search=True),)
    else:
        sql += "AND dimensions IS NULL "
    if (unit := metric_stat.get("Unit")) and unit != "NULL_VALUE":
        sql += "AND unit = ? "
        params += (unit,)
    with db.DATABASE_LOCK, sqlite3.connect(db.METRICS_DB_READ_ONLY, uri=True) as conn:
        rows = conn.execute(sql, params).fetchall()
    buckets: dict[int, list[float]] = {}
    for timestamp, value in rows:
        bucket = start + (int(timestamp) - start) // period * period
        buckets.setdefault(bucket, []).append(float(value))
    timestamps = sorted(buckets)
    if scan_by is None or scan_by == "TimestampDescending":
        timestamps.reverse()
    return {"timestamps": timestamps, "values": [nearest_rank(buckets[t], percent) for t in timestamps]}


def apply() -> bool:
    """Wrap CloudwatchDatabase.get_metric_data_stat once to answer `pNN` stats."""
    try:
        from localstack.services.cloudwatch.cloudwatch_database_helper import CloudwatchDatabase
    except ImportError as exc:
        LOG.info("CloudWatch percentiles not added: %s", exc)
        return False
    original = CloudwatchDatabase.get_metric_data_stat
    if getattr(original, "_local_cloud_metrics", False):
        return True

    @functools.wraps(original)
    def get_metric_data_stat(self, account_id, region, query, start_time, end_time, scan_by):
        match = _PERCENTILE.match(str(query.get("MetricStat", {}).get("Stat", "")))
        if match is None:
            return original(self, account_id, region, query, start_time, end_time, scan_by)
        return _percentile_stat(
            self, account_id, region, query, start_time, end_time, scan_by, float(match[1])
        )

    get_metric_data_stat._local_cloud_metrics = True
    CloudwatchDatabase.get_metric_data_stat = get_metric_data_stat
    return True
