"""The training pipeline around the stages: the state machine's execution input and S3 layout (run),
the selection step (selection_step), outcome and failure records (outcome), and the whole pipeline
run locally without a cloud (local).
"""
