"""Fixtures for the local cloud's own tests: the probe stack, deployed once per session with SAM."""

from __future__ import annotations

from pathlib import Path

import pytest

STACKS = Path(__file__).parent / "stacks"
PROBE_TEMPLATE = STACKS / "probe" / "template.yaml"


@pytest.fixture(scope="session")
def probe_stack(sam_deploy) -> dict[str, str]:
    """Outputs of tests/local_cloud/stacks/probe (function + layer + Api, scheduled and sleepy functions,
    state machine)."""
    return sam_deploy(PROBE_TEMPLATE, "probe")
