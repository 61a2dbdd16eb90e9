"""Point the champion back at the previous version: MLflow alias and SSM pointer together."""

from __future__ import annotations

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.modeling import tracking
from review_sentiment.serving.champion import Champion, read_champion, rolled_back, write_champion


def rollback(parameter_name: str, settings: Settings) -> tuple[Champion, Champion]:
    """(champion before, champion after). Raises NoChampion / NothingToRollBack with a clear message."""
    ssm = aws.client("ssm")
    current = read_champion(ssm, parameter_name)
    back = rolled_back(current)
    tracking.configure(settings)
    tracking.set_alias(back.model_name, tracking.CHAMPION, back.version)
    write_champion(ssm, parameter_name, back)
    return current, back
