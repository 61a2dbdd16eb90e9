"""Drift-triggered retraining, at most once: the decision and the StartExecution behind it.

A window that acts (after `consecutive_windows` acting windows in a row) starts the training state
machine with `{"raw_prefix", "trigger": "drift", "drift_report": <s3 URI>}` (pipeline.plan.RunRequest),
unless, in this order:
  - a run of the state machine is in progress (any trigger): nothing starts, the outcome says which;
  - a drift-triggered run started less than `cooldown_minutes` ago;
  - the execution name, `drift-v<champion version>-<window id>`, was used already: Step Functions keeps
    names unique per state machine (90 days), so a repeated or retried tick for the same window and
    champion cannot start a second run.
The state machine itself is the record of what ran: no extra table. `sfn` is a boto3 Step Functions client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from review_sentiment.monitoring.config import DriftConfig

DRIFT_PREFIX = "drift-"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

STARTED = "started"
NOT_DRIFTED = "not_drifted"
WAITING = "waiting_for_consecutive_windows"
IN_PROGRESS = "run_in_progress"
COOLDOWN = "cooldown"
ALREADY_STARTED = "already_started_for_window"


@dataclass(frozen=True)
class RetrainingOutcome:
    """What the tick did about retraining, and why (`reason` is one of the constants above)."""

    started: bool
    reason: str
    message: str
    execution_name: str = ""
    execution_arn: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def execution_name(champion_version: str, window_id: str) -> str:
    """`drift-v<version>-<window id>`: the same window and champion always give the same name (<= 80)."""
    return _UNSAFE.sub("-", f"{DRIFT_PREFIX}v{champion_version}-{window_id}")[:80]


def _executions(sfn, state_machine_arn: str, status: str | None = None, pages: int = 3) -> list[dict]:
    kwargs = {"stateMachineArn": state_machine_arn, "maxResults": 100}
    if status:
        kwargs["statusFilter"] = status
    found: list[dict] = []
    for _ in range(pages):
        page = sfn.list_executions(**kwargs)
        found.extend(page.get("executions", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return found


def decide_and_start(
    sfn,
    state_machine_arn: str,
    decision: str,
    previous_decisions: Sequence[str],
    config: DriftConfig,
    champion_version: str,
    window_id: str,
    raw_prefix: str,
    report_uri: str,
    now: datetime | None = None,
    labelled_prefix: str | None = None,
) -> RetrainingOutcome:
    """Starts the training state machine when the rule in the module doc says so; the outcome either way.

    `previous_decisions` are the decisions of the windows just before this one, newest first.
    `labelled_prefix`: where the captured labelled batches lie (monitoring.labelled); the run trains on
    them beside the raw uploads under `raw_prefix`.
    """
    now = now or datetime.now(UTC)
    triggering = ("act", "warn") if config.retrain_on_warn else ("act",)
    if decision not in triggering:
        return RetrainingOutcome(False, NOT_DRIFTED, f"decision {decision}: no retraining")
    needed = config.consecutive_windows - 1
    streak = 0
    for earlier in previous_decisions[:needed]:
        if earlier not in triggering:
            break
        streak += 1
    if streak < needed:
        return RetrainingOutcome(
            False,
            WAITING,
            f"{streak + 1} of {config.consecutive_windows} consecutive drifted windows: waiting",
        )
    running = _executions(sfn, state_machine_arn, "RUNNING")
    if running:
        names = ", ".join(sorted(e["name"] for e in running))
        return RetrainingOutcome(
            False, IN_PROGRESS, f"a training run is in progress ({names}): started nothing"
        )
    if config.cooldown_minutes:
        since = now - timedelta(minutes=config.cooldown_minutes)
        recent = [
            e
            for e in _executions(sfn, state_machine_arn)
            if e["name"].startswith(DRIFT_PREFIX) and e["startDate"] >= since
        ]
        if recent:
            last = max(recent, key=lambda e: e["startDate"])
            until = last["startDate"] + timedelta(minutes=config.cooldown_minutes)
            return RetrainingOutcome(
                False,
                COOLDOWN,
                f"drift retraining {last['name']} started at "
                f"{last['startDate'].isoformat(timespec='seconds')}; "
                f"cooldown until {until.isoformat(timespec='seconds')}: started nothing",
                execution_name=last["name"],
                execution_arn=last.get("executionArn", ""),
            )
    name = execution_name(champion_version, window_id)
    request = {"raw_prefix": raw_prefix, "trigger": "drift", "drift_report": report_uri}
    if labelled_prefix:
        request["labelled_prefix"] = labelled_prefix
    try:
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(request)
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return RetrainingOutcome(
            False,
            ALREADY_STARTED,
            f"execution {name} exists already for this window and champion: started nothing",
            execution_name=name,
        )
    return RetrainingOutcome(
        True,
        STARTED,
        f"started training run {name} (trigger drift)",
        execution_name=name,
        execution_arn=response["executionArn"],
    )
