"""The end-to-end tests: template.yaml deployed into the session's embedded local cloud, the training
pipeline run through Step Functions, the API through API Gateway, the drift monitor on its schedule.
Every test here carries the `e2e` marker (with `slow` and `localcloud`). The modules run in name order:
test_stack_local_cloud.py first (it expects no champion yet), the drift tests last."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_sentiment import aws
from tests.support.stack import TRAINING, run_pipeline

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack(local_cloud, tmp_path_factory):
    """template.yaml deployed from nothing into the test session's local cloud (one stack per session).

    test_stack_local_cloud.py runs first and expects no champion yet; the API tests use `champion`.
    The drift monitor's schedule runs all session but decides nothing (a minimum window of a million
    reviews) until test_stack_local_cloud_drift.py lowers it; a drift-triggered run trains one kind
    with one trial.
    """
    from review_sentiment.progress import Progress
    from stack import deployment
    from stack.settings import StackSettings

    state = tmp_path_factory.mktemp("stack")
    settings = StackSettings(stack_name="review-sentiment-e2e", state_dir=state, resource_prefix="rs-e2e")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in local_cloud.client_env().items():
            patch.setenv(name, value)
        aws.client.cache_clear()
        # these tests check behaviour, not speed: no latency budget on a busy machine
        yield deployment.deploy_stack(
            local_cloud,
            settings,
            Progress(),
            build_dir=state / "build",
            extra_parameters={
                "LatencyBudgetMs": "1000",
                "DriftMinWindowRows": "1000000",
                "DefaultModelKinds": "logreg",
                "TrialsPerKind": "1",
                # a drift-triggered run retrains on curated data, not on every batch the tests upload
                "DriftRetrainKeyPrefix": "curated/",
                # a 1-trial logistic regression fails minimum-functionality cases the gate checks
                "MinMftPassRate": "0",
            },
        )
    aws.client.cache_clear()


@pytest.fixture(scope="session")
def champion(stack):
    """The serving champion's pointer; runs the pipeline on the shipped reviews when none was promoted."""
    from review_sentiment.serving.champion import read_champion
    from stack import execution
    from stack.settings import SHIPPED_REVIEWS

    parameter = stack["ChampionParameterName"]
    current = read_champion(aws.client("ssm"), parameter)
    if current is None:
        raw_prefix = execution.upload_reviews(stack["RawBucketName"], SHIPPED_REVIEWS)
        result = run_pipeline(stack, {"raw_prefix": raw_prefix, **TRAINING})
        assert result.status == "SUCCEEDED", result.cause
        current = read_champion(aws.client("ssm"), parameter)
    assert current is not None
    return current
