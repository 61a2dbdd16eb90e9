"""What `python -m stack run` prints at the end: the comparison, the decision, the URL and a curl."""

from __future__ import annotations

import json
import shlex

from review_sentiment.pipeline.outcome import comparison_table
from stack.deployment import DeployedStack
from stack.execution import ExecutionResult

SAMPLE_REVIEW = "I could not put this book down, the characters are wonderful."


def curl_command(url: str, api_key: str, text: str = SAMPLE_REVIEW) -> str:
    """A `curl` that posts one review to `url` with the stack's API key."""
    body = shlex.quote(json.dumps({"reviewText": text}))
    key = shlex.quote(f"x-api-key: {api_key}")
    return f"curl -s -X POST {url} -H 'Content-Type: application/json' -H {key} -d {body}"


def summary(result: ExecutionResult, stack: DeployedStack) -> str:
    lines = [f"execution {result.status} in {result.seconds:.1f} s: {result.arn}"]
    if result.status != "SUCCEEDED":
        lines.append(f"  error: {result.error}")
        lines.append(f"  cause: {result.cause}")
        return "\n".join(lines)
    outcome = result.output or {}
    lines += [
        "",
        comparison_table(
            outcome.get("candidates", []),
            outcome.get("failed_kinds", []),
            (outcome.get("challenger") or {}).get("model_kind"),
            outcome.get("baseline"),
        ),
        "",
    ]
    lines.append(f"decision: {outcome.get('summary')}")
    rates = (outcome.get("gate") or {}).get("behaviour_pass_rates")
    if rates:
        lines.append("behavioural tests: " + ", ".join(f"{k} {v:.0%}" for k, v in rates.items()))
    serving = outcome.get("serving")
    if outcome.get("decision") == "promoted":
        lines.append(f"promoted version: {serving['version']} ({serving['model_kind']})")
    elif serving:
        lines.append(f"serving version: {serving['version']} ({serving['model_kind']}, kept)")
    url = f"{stack.api_base_url}/predict"
    lines += [
        f"API Gateway URL: {stack.api_base_url}/ (API key, for the x-api-key header: {stack.api_key})",
        "try it:",
        f"  {curl_command(url, stack.api_key)}",
    ]
    return "\n".join(lines)
