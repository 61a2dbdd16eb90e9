"""Reads every example configuration of a prometheus/cloudwatch_exporter checkout as the exporter here
reads it: `python scripts/check_exporter_examples.py <checkout>` (example.yml and examples/*.yml; the
examples/dashboards/ folder holds Grafana dashboards, not configurations). Prints one line per file:
loaded (with the number of rules and warnings), or refused with the reason; exits 1 when a file that
uses only supported keys is refused. Not a test: the upstream files are not part of this repository.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import yaml
from cloudwatch_to_prometheus.config import ConfigError, parse_config


def main(checkout: str) -> int:
    root = Path(checkout)
    files = [root / "example.yml", *sorted((root / "examples").glob("*.yml"))]
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    failed = 0
    for path in files:
        warnings.clear()
        raw = yaml.safe_load(path.read_text())
        unsupported = any("aws_tag_select" in rule for rule in raw.get("metrics", []))
        try:
            config = parse_config(raw, environ={"AWS_REGION": "us-east-1"})
        except ConfigError as error:
            print(f"{path.name}: refused: {error}")
            failed += not unsupported
            continue
        print(f"{path.name}: loaded {len(config.rules)} rules, {len(warnings)} warnings")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/check_exporter_examples.py <prometheus/cloudwatch_exporter checkout>")
    sys.exit(main(sys.argv[1]))
