"""The training pipeline around the stages: the plan of a run (plan: execution input, configuration, S3
layout), the messages between the state machine's steps (messages), the selection step (selection_step),
outcome and failure records (outcome), and the whole pipeline run without a cloud (local).
"""
