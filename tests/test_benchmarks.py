"""Smoke runs of the benchmarks: each `benchmarks/bench_*.py --quick` must complete, so that a change that
breaks one shows the day it lands. Their figures are printed (`pytest -s` shows them), never asserted:
speed is measured by the benchmarks themselves, in full runs. The runs and their arguments are in
tests/benchmark_smoke.py; in a whole session they ran in the background during the drift tests, and these
tests collect them (bench_pipeline's run is with the stack tests: it reads the session's main job).
"""

from __future__ import annotations

import pytest

from tests.benchmark_smoke import BENCHMARKS, ON_THE_SESSION_CLOUD, ON_THEIR_OWN, PIPELINE, check


@pytest.mark.slow
@pytest.mark.parametrize(("script", "last_line"), ON_THEIR_OWN, ids=[s for s, _ in ON_THEIR_OWN])
def test_benchmark_completes_in_quick_mode(quick_benchmarks, script, last_line):
    check(quick_benchmarks.result(script), script, last_line)


@pytest.mark.slow
@pytest.mark.localcloud
@pytest.mark.parametrize(
    ("script", "last_line"), ON_THE_SESSION_CLOUD, ids=[s for s, _ in ON_THE_SESSION_CLOUD]
)
def test_benchmark_completes_in_quick_mode_on_the_session_cloud(
    quick_benchmarks, local_cloud, script, last_line
):
    check(quick_benchmarks.result(script, "--endpoint-url", local_cloud.endpoint_url), script, last_line)


def test_every_benchmark_has_a_smoke_run():
    smoked = {s for s, _ in ON_THEIR_OWN + ON_THE_SESSION_CLOUD} | {PIPELINE[0]}
    assert {p.name for p in BENCHMARKS.glob("bench_*.py")} == smoked
