"""GetMetricData statistics in one grouped SQL query per metric, percentiles (`p99`) included.

LocalStack's CloudWatch stores each datum in SQLite and computes SampleCount, Sum, Average, Minimum and
Maximum with one UNION query per period (a 10-minute window at 60 s is 10 scans of both tables per
metric), and has no percentiles. This answers the same statistics with one query per metric that groups
the window's rows by period, and `pNN` with the nearest-rank percentile of the period's single values
(the smallest value with at least NN% of the values at or below it), what CloudWatch returns for raw
values; data sent as statistic sets carry no distribution and are left out of percentiles, as on AWS.
Same results as LocalStack's own for its five statistics (periods without data are left out).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sqlite3

LOG = logging.getLogger(__name__)
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_STATISTICS = {"SampleCount", "Sum", "Average", "Minimum", "Maximum"}


def nearest_rank(values: list[float], percent: float) -> float:
    """Nearest-rank percentile of a non-empty list (percent in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _filters(db, account_id, region, metric_stat, start: int, end: int) -> tuple[str, tuple]:
    metric = metric_stat["Metric"]
    where = (
        "account_id = ? AND region = ? AND namespace = ? AND metric_name = ?"
        " AND timestamp >= ? AND timestamp < ?"
    )
    params: tuple = (account_id, region, metric.get("Namespace"), metric.get("MetricName"), start, end)
    if dimensions := metric.get("Dimensions"):
        where += " AND dimensions LIKE ?"
        params += (db._get_ordered_dimensions_with_separator(dimensions, for_search=True),)
    else:
        where += " AND dimensions IS NULL"
    if unit := metric_stat.get("Unit"):
        if unit == "NULL_VALUE":
            where += " AND unit IS NULL"
        else:
            where += " AND unit = ?"
            params += (unit,)
    return where, params


def _statistic(db, account_id, region, query, start_time, end_time, scan_by, stat: str) -> dict:
    metric_stat = query["MetricStat"]
    period = int(metric_stat["Period"])
    start, end = db._convert_timestamp_to_unix(start_time), db._convert_timestamp_to_unix(end_time)
    where, params = _filters(db, account_id, region, metric_stat, start, end)
    bucket = "CAST((timestamp - ?) / ? AS INTEGER)"
    if (match := _PERCENTILE.match(stat)) is not None:
        sql = f"SELECT {bucket}, value FROM {db.TABLE_SINGLE_METRICS} WHERE {where}"
        with db.DATABASE_LOCK, sqlite3.connect(db.METRICS_DB_READ_ONLY, uri=True) as conn:
            rows = conn.execute(sql, (start, period, *params)).fetchall()
        groups: dict[int, list[float]] = {}
        for index, value in rows:
            groups.setdefault(int(index), []).append(float(value))
        values = {i: nearest_rank(v, float(match[1])) for i, v in groups.items()}
    else:
        sql = (
            f"SELECT b, SUM(n), SUM(s), MIN(lo), MAX(hi) FROM ("
            f" SELECT {bucket} AS b, 1 AS n, value AS s, value AS lo, value AS hi"
            f" FROM {db.TABLE_SINGLE_METRICS} WHERE {where}"
            f" UNION ALL SELECT {bucket}, sample_count, sum, min, max"
            f" FROM {db.TABLE_AGGREGATED_METRICS} WHERE {where}"
            f") GROUP BY b"
        )
        with db.DATABASE_LOCK, sqlite3.connect(db.METRICS_DB_READ_ONLY, uri=True) as conn:
            rows = conn.execute(sql, (start, period, *params, start, period, *params)).fetchall()
        pick = {
            "SampleCount": lambda n, s, lo, hi: n,
            "Sum": lambda n, s, lo, hi: s,
            "Average": lambda n, s, lo, hi: s / n,
            "Minimum": lambda n, s, lo, hi: lo,
            "Maximum": lambda n, s, lo, hi: hi,
        }[stat]
        values = {int(b): float(pick(n, s, lo, hi)) for b, n, s, lo, hi in rows if n}
    indexes = sorted(values, reverse=scan_by is None or scan_by == "TimestampDescending")
    return {"timestamps": [start + i * period for i in indexes], "values": [values[i] for i in indexes]}


def apply() -> bool:
    """Wrap CloudwatchDatabase.get_metric_data_stat once (MetricStat queries; others go to LocalStack)."""
    try:
        from localstack.services.cloudwatch.cloudwatch_database_helper import CloudwatchDatabase
    except ImportError as exc:
        LOG.info("CloudWatch statistics left to LocalStack: %s", exc)
        return False
    original = CloudwatchDatabase.get_metric_data_stat
    if getattr(original, "_local_cloud_metrics", False):
        return True

    @functools.wraps(original)
    def get_metric_data_stat(self, account_id, region, query, start_time, end_time, scan_by):
        stat = str((query.get("MetricStat") or {}).get("Stat", ""))
        if stat not in _STATISTICS and not _PERCENTILE.match(stat):
            return original(self, account_id, region, query, start_time, end_time, scan_by)
        return _statistic(self, account_id, region, query, start_time, end_time, scan_by, stat)

    get_metric_data_stat._local_cloud_metrics = True
    CloudwatchDatabase.get_metric_data_stat = get_metric_data_stat
    return True
