"""Stage 3, modeling: model kinds (kinds), Optuna HPO (tuning), training one kind (train), ONNX export
and parity gate (onnx_export), the VADER baseline, selection decisions and MLflow tracking/registry.
"""
