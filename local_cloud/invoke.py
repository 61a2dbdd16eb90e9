"""A Docker-less `sam local invoke`: invoke a deployed function of a template through the local cloud.

The function runs in the embedded LocalStack's Lambda executor (warm environments, layers, timeout),
so this is the same execution path as an invocation from Step Functions or API Gateway.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from local_cloud import stacks
from local_cloud.controller import LocalCloud, LocalCloudError


def _template_logical_ids(template: Path) -> set[str] | None:
    """Function logical ids of a SAM template, or None if it cannot be read without YAML tags."""
    try:
        import yaml  # present in the ML environment; only used to check the id early
    except ImportError:
        return None

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    try:
        resources = yaml.load(template.read_text(), Loader=_Loader).get("Resources", {})
    except (OSError, yaml.YAMLError, AttributeError):
        return None
    functions = ("AWS::Serverless::Function", "AWS::Lambda::Function")
    return {name for name, res in resources.items() if (res or {}).get("Type") in functions}


def invoke_logical_id(
    cloud: LocalCloud,
    logical_id: str,
    event_file: Path | None = None,
    template: Path | None = None,
    stack_name: str | None = None,
) -> int:
    """Print the function's response and its log tail; return 0, or 1 for a function error."""
    if template is not None and template.exists():
        known = _template_logical_ids(template)
        if known is not None and logical_id not in known:
            listed = ", ".join(sorted(known))
            raise LocalCloudError(f"{template} has no function {logical_id}; it has: {listed}")
    try:
        payload = Path(event_file).read_bytes() if event_file else b"{}"
        json.loads(payload)
    except (OSError, ValueError) as exc:
        raise LocalCloudError(f"event file {event_file}: {exc}") from None
    try:
        stack = stack_name or stacks.default_stack_name()
        function_name = stacks.physical_id(cloud.endpoint_url, stack, logical_id)
    except LookupError as exc:
        raise LocalCloudError(str(exc)) from None

    client = stacks.aws_client("lambda", cloud.endpoint_url)
    response = client.invoke(FunctionName=function_name, Payload=payload, LogType="Tail")
    body = response["Payload"].read().decode(errors="replace")
    logs = base64.b64decode(response.get("LogResult") or b"").decode(errors="replace")
    print(logs.rstrip(), file=sys.stderr)
    print(body)
    return 1 if response.get("FunctionError") else 0
