"""CloudWatch metrics as Prometheus metrics, compatible with the Prometheus project's cloudwatch_exporter.

Same YAML configuration (`config.py`), same series names and labels (`naming.py`), same self-metrics;
reads with GetMetricData in batches of up to 500 queries, concurrently (`source.py`), and serves through
prometheus-client (`collector.py`, `cli.py`). A CloudWatch error is reported as an error
(`cloudwatch_exporter_scrape_error` 1, the rule's series absent), never as zeros; a metric without data
in its window has no series.
"""
