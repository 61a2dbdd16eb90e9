"""Stage 3, modeling: the model kinds and their families (families; scikit-learn: kinds, sklearn_family;
transformer), Optuna HPO (tuning), training one kind (train), ONNX export and parity gate (onnx_export),
the VADER baseline, behavioural tests, selection and the promotion gate (selection), promotion (promotion),
MLflow runs (tracking) and the model registry (registry).
"""
