"""Point the champion back at the previous version: MLflow alias and SSM pointer together."""

from __future__ import annotations

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.modeling import promotion, registry
from review_sentiment.serving.champion import Champion, ChampionPointer


def rollback(parameter_name: str, settings: Settings) -> tuple[Champion, Champion]:
    """(champion before, champion after). Raises NoChampion / NothingToRollBack with a clear message."""
    registry.configure(settings)
    return promotion.rollback(ChampionPointer(aws.client("ssm"), parameter_name))
