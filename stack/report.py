"""What `python -m stack run` prints at the end: the comparison, the decision, the URL and a curl."""

from __future__ import annotations

import json
import shlex

from stack.deployment import DeployedStack
from stack.execution import ExecutionResult

SAMPLE_REVIEW = "I could not put this book down, the characters are wonderful."


def comparison_table(
    candidates: list[dict], failed: list[dict], chosen: str | None, baseline: dict | None = None
) -> str:
    """One row per trained kind, the failed kinds, then VADER on the same test rows (when reported)."""
    header = (
        f"{'model kind':<24}{'val F1':>8}{'test F1':>9}{'test acc':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'ONNX KB':>9}{'parity':>9}"
    )
    lines = [header, "-" * len(header)]
    for c in candidates:
        mark = " *" if c["model_kind"] == chosen else ""
        parity = f"{c['parity_label_agreement']:.3f}" + ("" if c["parity_passed"] else "!")
        lines.append(
            f"{c['model_kind'] + mark:<24}{c['val_macro_f1']:>8.3f}{c['test_macro_f1']:>9.3f}"
            f"{c['test_accuracy']:>9.3f}{c['onnx_p50_ms']:>8.2f}{c['onnx_p99_ms']:>8.2f}"
            f"{c['onnx_size_bytes'] / 1024:>9.0f}{parity:>9}"
        )
    for f in failed:
        lines.append(f"{f['model_kind']:<24}  FAILED: {(f.get('cause') or f.get('error') or '')[:80]}")
    if baseline:
        lines.append(
            f"{baseline['model_kind']:<24}{'-':>8}{baseline['test_macro_f1']:>9.3f}"
            f"{baseline['test_accuracy']:>9.3f}{'-':>8}{'-':>8}{'-':>9}{'-':>9}"
        )
    return "\n".join(lines)


def curl_command(url: str, text: str = SAMPLE_REVIEW) -> str:
    body = shlex.quote(json.dumps({"reviewText": text}))
    return f"curl -s -X POST {url} -H 'Content-Type: application/json' -d {body}"


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
        f"API Gateway URL: {stack.api_base_url}/",
        "try it:",
        f"  {curl_command(url)}",
    ]
    return "\n".join(lines)
