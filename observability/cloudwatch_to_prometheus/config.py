"""The exporter's YAML configuration, in the format of prometheus/cloudwatch_exporter.

Top level: `region` (else AWS_REGION / AWS_DEFAULT_REGION), `metrics` (a list of rules), and defaults
for the rules: `period_seconds` (60), `range_seconds` (600), `delay_seconds` (600), `set_timestamp`
(true: each sample carries its CloudWatch timestamp), `list_metrics_cache_ttl` (seconds, 0),
`warn_on_empty_list_dimensions` (false: log a warning when ListMetrics finds no series).
A rule: `aws_namespace`, `aws_metric_name` (required), `aws_dimensions` (names; the metric's series
are those with exactly these dimensions, found with ListMetrics), `aws_dimension_select` (name ->
allowed values), `aws_dimension_select_regex` (name -> regexes, full match), `aws_statistics`
(Sum, SampleCount, Minimum, Maximum, Average), `aws_extended_statistics` (percentiles such as p99),
the defaults above, and `help`. Without `aws_statistics` and `aws_extended_statistics` a rule gets
all five statistics, as cloudwatch_exporter does; a statistic CloudWatch would not answer (`Max`) is
ignored with a warning (the Java exporter reads it and gets no data). `use_get_metric_data` is
accepted and has no effect (this exporter always uses GetMetricData).

The Java exporter ignores keys it does not know, so this exporter reads every file that one reads:
an unknown key is logged as one warning (naming the key and the rule's index, with the known key it
is probably a typo of) and ignored. Keys the Java exporter honours but this one cannot (a top-level
`role_arn`, a rule's `aws_tag_select`) are refused by name: ignoring them would read another account or
other series. A known key with a value of the wrong type is refused too. Raises ConfigError with a
one-line reason.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LOG = logging.getLogger(__name__)

STATISTICS = ("Sum", "SampleCount", "Minimum", "Maximum", "Average")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")
_DEFAULT_KEYS = {
    "period_seconds": 60,
    "range_seconds": 600,
    "delay_seconds": 600,
    "set_timestamp": True,
    "warn_on_empty_list_dimensions": False,
}
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
    "list_metrics_cache_ttl",
    *_DEFAULT_KEYS,
}
# keys the Java exporter honours and this one cannot: ignoring them would read other data
_TOP_NOT_SUPPORTED = {"role_arn"}
_RULE_NOT_SUPPORTED = {"aws_tag_select"}


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
    warn_on_empty_list_dimensions: bool = False
    list_metrics_cache_ttl: int | None = None  # None: the top-level value
    help: str | None = None

    @property
    def all_statistics(self) -> tuple[str, ...]:
        """The plain statistics, then the percentiles."""
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
    """The whole configuration: region, rules, and the warnings its unknown keys gave."""

    region: str
    rules: tuple[MetricRule, ...]
    list_metrics_cache_ttl: int = 0
    warnings: tuple[str, ...] = ()

    def cache_ttl(self, rule: MetricRule) -> int:
        """The ListMetrics cache lifetime of a rule: its own, else the top-level one."""
        own = rule.list_metrics_cache_ttl
        return self.list_metrics_cache_ttl if own is None else own


def _positive_int(value, where: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise ConfigError(f"{where} must be an integer {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


def _boolean(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _strings(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping of dimension name to values, got {value!r}")
    return value


def _unknown(keys, known: set[str], where: str) -> list[str]:
    """The warning (none or one) about the unknown keys of one mapping: the Java exporter ignores them."""
    unknown = sorted(str(k) for k in keys if k not in known)
    if not unknown:
        return []
    described = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
        described.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    noun = "key" if len(unknown) == 1 else "keys"
    return [f"{where}: unknown {noun} {', '.join(described)} ignored"]


def _rule(raw, index: int, defaults: dict, warnings: list[str]) -> MetricRule:
    where = f"metrics[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {raw!r}")
    if refused := _RULE_NOT_SUPPORTED & raw.keys():
        raise ConfigError(f"{where}: {sorted(refused)[0]} is not supported by this exporter")
    for key in ("aws_namespace", "aws_metric_name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(f"{where}: {key} is required (a non-empty string)")
    where = f"{where} ({raw['aws_namespace']} {raw['aws_metric_name']})"
    warnings += _unknown(raw.keys(), _RULE_KEYS, where)
    # a null list (`aws_dimensions:` with nothing after it) is no dimensions, as in the Java exporter
    dimensions = _strings(raw.get("aws_dimensions") or [], f"{where} aws_dimensions")
    select = {}
    for name, values in _mapping(raw.get("aws_dimension_select"), f"{where} aws_dimension_select").items():
        select[name] = _strings(values, f"{where} aws_dimension_select.{name}")
    select_regex = {}
    regex_where = f"{where} aws_dimension_select_regex"
    for name, values in _mapping(raw.get("aws_dimension_select_regex"), regex_where).items():
        try:
            select_regex[name] = tuple(re.compile(v) for v in _strings(values, f"{regex_where}.{name}"))
        except re.error as exc:
            raise ConfigError(f"{regex_where}.{name}: bad regex: {exc}") from None
    statistics = _strings(raw.get("aws_statistics", []), f"{where} aws_statistics")
    extended = _strings(raw.get("aws_extended_statistics", []), f"{where} aws_extended_statistics")
    if "aws_statistics" not in raw and "aws_extended_statistics" not in raw:
        statistics = STATISTICS
    # the Java exporter reads a statistic CloudWatch does not know and gets no data for it: the same here,
    # with a warning instead of failed requests
    if bad := [s for s in statistics if s not in STATISTICS]:
        warnings.append(
            f"{where}: statistic {', '.join(map(repr, bad))} ignored (not one of {', '.join(STATISTICS)})"
        )
        statistics = tuple(s for s in statistics if s in STATISTICS)
    if bad := [s for s in extended if not _PERCENTILE.match(s)]:
        warnings.append(
            f"{where}: extended statistic {', '.join(map(repr, bad))} ignored (not a percentile like p99)"
        )
        extended = tuple(s for s in extended if _PERCENTILE.match(s))
    if not statistics and not extended:
        warnings.append(f"{where}: no statistic to read: the rule gives no series")
    values = {k: raw.get(k, defaults[k]) for k in _DEFAULT_KEYS}
    for key in ("period_seconds", "range_seconds"):
        _positive_int(values[key], f"{where} {key}")
    _positive_int(values["delay_seconds"], f"{where} delay_seconds", allow_zero=True)
    for key in ("set_timestamp", "warn_on_empty_list_dimensions"):
        _boolean(values[key], f"{where} {key}")
    if values["range_seconds"] < values["period_seconds"]:
        raise ConfigError(f"{where}: range_seconds must be at least period_seconds")
    if "use_get_metric_data" in raw:
        _boolean(raw["use_get_metric_data"], f"{where} use_get_metric_data")
    ttl = raw.get("list_metrics_cache_ttl")
    if ttl is not None:
        _positive_int(ttl, f"{where} list_metrics_cache_ttl", allow_zero=True)
    help_text = raw.get("help")
    if help_text is not None and not isinstance(help_text, str):
        raise ConfigError(f"{where} help must be a string, got {help_text!r}")
    return MetricRule(
        namespace=raw["aws_namespace"],
        metric_name=raw["aws_metric_name"],
        dimensions=dimensions,
        dimension_select=select,
        dimension_select_regex=select_regex,
        statistics=statistics,
        extended_statistics=extended,
        list_metrics_cache_ttl=ttl,
        help=help_text,
        **values,
    )


def parse_config(raw, environ: dict[str, str] | None = None) -> ExporterConfig:
    """An ExporterConfig from the parsed YAML document; raises ConfigError, logs unknown keys."""
    environ = os.environ if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a mapping with a `metrics:` list")
    if refused := _TOP_NOT_SUPPORTED & raw.keys():
        raise ConfigError(f"{sorted(refused)[0]} is not supported by this exporter")
    warnings = _unknown(raw.keys(), _TOP_KEYS, "top level")
    region = raw.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigError("no region: set `region:` in the configuration or AWS_REGION")
    if not isinstance(region, str):
        raise ConfigError(f"region must be a string, got {region!r}")
    metrics = raw.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        raise ConfigError("`metrics:` must be a non-empty list of rules")
    defaults = {k: raw.get(k, v) for k, v in _DEFAULT_KEYS.items()}
    for key in ("set_timestamp", "warn_on_empty_list_dimensions", "use_get_metric_data"):
        if key in raw:
            _boolean(raw[key], key)
    ttl = _positive_int(raw.get("list_metrics_cache_ttl", 0), "list_metrics_cache_ttl", allow_zero=True)
    rules = tuple(_rule(r, i, defaults, warnings) for i, r in enumerate(metrics))
    for warning in warnings:
        LOG.warning("configuration: %s", warning)
    return ExporterConfig(region, rules, ttl, tuple(warnings))


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
