"""The exporter's YAML configuration, in the format of prometheus/cloudwatch_exporter.

Top level: `region` (else AWS_REGION / AWS_DEFAULT_REGION), `metrics` (a list of rules), and defaults
for the rules: `period_seconds` (60), `range_seconds` (600), `delay_seconds` (600), `set_timestamp`
(true: each sample carries its CloudWatch timestamp), `list_metrics_cache_ttl` (seconds, 0).
A rule: `aws_namespace`, `aws_metric_name` (required), `aws_dimensions` (names; the metric's series
are those with exactly these dimensions, found with ListMetrics), `aws_dimension_select` (name ->
allowed values), `aws_dimension_select_regex` (name -> regexes, full match), `aws_statistics`
(Sum, SampleCount, Minimum, Maximum, Average), `aws_extended_statistics` (percentiles such as p99),
the four defaults above, and `help`. Without any statistic a rule gets all five, as cloudwatch_exporter
does. Keys this exporter does not implement (`aws_tag_select`, `role_arn`) are refused by name.
Raises ConfigError with a one-line reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

STATISTICS = ("Sum", "SampleCount", "Minimum", "Maximum", "Average")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")
_DEFAULT_KEYS = {"period_seconds": 60, "range_seconds": 600, "delay_seconds": 600, "set_timestamp": True}
_TOP_KEYS = {"region", "metrics", "list_metrics_cache_ttl", "use_get_metric_data", *_DEFAULT_KEYS}
_RULE_KEYS = {
    "aws_namespace",
    "aws_metric_name",
    "aws_dimensions",
    "aws_dimension_select",
    "aws_dimension_select_regex",
    "aws_statistics",
    "aws_extended_statistics",
    "help",
    "use_get_metric_data",
    *_DEFAULT_KEYS,
}
_NOT_IMPLEMENTED = {"aws_tag_select", "role_arn", "warn_on_empty_list_dimensions"}


class ConfigError(ValueError):
    """The configuration is unusable; the message says which key and why."""


@dataclass(frozen=True)
class MetricRule:
    """One `metrics:` entry, defaults applied."""

    namespace: str
    metric_name: str
    dimensions: tuple[str, ...] = ()
    dimension_select: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dimension_select_regex: dict[str, tuple[re.Pattern, ...]] = field(default_factory=dict)
    statistics: tuple[str, ...] = STATISTICS
    extended_statistics: tuple[str, ...] = ()
    period_seconds: int = 60
    range_seconds: int = 600
    delay_seconds: int = 600
    set_timestamp: bool = True
    help: str | None = None

    @property
    def all_statistics(self) -> tuple[str, ...]:
        return self.statistics + self.extended_statistics

    def selects(self, dimensions: dict[str, str]) -> bool:
        """Whether a metric with these dimension values passes the select and select_regex filters."""
        for name, value in dimensions.items():
            if name in self.dimension_select and value not in self.dimension_select[name]:
                return False
            patterns = self.dimension_select_regex.get(name)
            if patterns and not any(p.fullmatch(value) for p in patterns):
                return False
        return True

    @property
    def dimensions_known(self) -> bool:
        """Every dimension has listed values: the series are their combinations, no ListMetrics needed."""
        return bool(self.dimensions) and set(self.dimensions) == set(self.dimension_select)


@dataclass(frozen=True)
class ExporterConfig:
    region: str
    rules: tuple[MetricRule, ...]
    list_metrics_cache_ttl: int = 0


def _positive_int(value, where: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise ConfigError(f"{where} must be an integer {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


def _strings(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _rule(raw, index: int, defaults: dict) -> MetricRule:
    where = f"metrics[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {raw!r}")
    if refused := _NOT_IMPLEMENTED & raw.keys():
        raise ConfigError(f"{where}: {sorted(refused)[0]} is not supported by this exporter")
    if unknown := raw.keys() - _RULE_KEYS:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    for key in ("aws_namespace", "aws_metric_name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(f"{where}: {key} is required (a non-empty string)")
    where = f"{where} ({raw['aws_namespace']} {raw['aws_metric_name']})"
    dimensions = _strings(raw.get("aws_dimensions", []), f"{where} aws_dimensions")
    select = {}
    for name, values in (raw.get("aws_dimension_select") or {}).items():
        select[name] = _strings(values, f"{where} aws_dimension_select.{name}")
    select_regex = {}
    for name, values in (raw.get("aws_dimension_select_regex") or {}).items():
        try:
            select_regex[name] = tuple(re.compile(v) for v in _strings(values, f"{where} select_regex"))
        except re.error as exc:
            raise ConfigError(f"{where} aws_dimension_select_regex.{name}: bad regex: {exc}") from None
    statistics = _strings(raw.get("aws_statistics", []), f"{where} aws_statistics")
    if bad := [s for s in statistics if s not in STATISTICS]:
        raise ConfigError(f"{where}: statistic {bad[0]!r} is not one of {', '.join(STATISTICS)}")
    extended = _strings(raw.get("aws_extended_statistics", []), f"{where} aws_extended_statistics")
    if bad := [s for s in extended if not _PERCENTILE.match(s)]:
        raise ConfigError(f"{where}: extended statistic {bad[0]!r} is not a percentile like p99")
    if not statistics and not extended:
        statistics = STATISTICS
    values = {k: raw.get(k, defaults[k]) for k in _DEFAULT_KEYS}
    for key in ("period_seconds", "range_seconds"):
        _positive_int(values[key], f"{where} {key}")
    _positive_int(values["delay_seconds"], f"{where} delay_seconds", allow_zero=True)
    if not isinstance(values["set_timestamp"], bool):
        raise ConfigError(f"{where} set_timestamp must be true or false")
    if values["range_seconds"] < values["period_seconds"]:
        raise ConfigError(f"{where}: range_seconds must be at least period_seconds")
    return MetricRule(
        namespace=raw["aws_namespace"],
        metric_name=raw["aws_metric_name"],
        dimensions=dimensions,
        dimension_select=select,
        dimension_select_regex=select_regex,
        statistics=statistics,
        extended_statistics=extended,
        help=raw.get("help"),
        **values,
    )


def parse_config(raw, environ: dict[str, str] | None = None) -> ExporterConfig:
    """An ExporterConfig from the parsed YAML document; raises ConfigError."""
    environ = os.environ if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a mapping with a `metrics:` list")
    if unknown := raw.keys() - _TOP_KEYS:
        raise ConfigError(f"unknown top-level key {sorted(unknown)[0]!r}")
    region = raw.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigError("no region: set `region:` in the configuration or AWS_REGION")
    metrics = raw.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        raise ConfigError("`metrics:` must be a non-empty list of rules")
    defaults = {k: raw.get(k, v) for k, v in _DEFAULT_KEYS.items()}
    ttl = _positive_int(raw.get("list_metrics_cache_ttl", 0), "list_metrics_cache_ttl", allow_zero=True)
    return ExporterConfig(region, tuple(_rule(r, i, defaults) for i, r in enumerate(metrics)), ttl)


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> ExporterConfig:
    """Read and check a YAML configuration file; raises ConfigError (missing file, bad YAML, bad keys)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(raw, environ)
