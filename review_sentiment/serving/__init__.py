"""Serving: the exported ONNX model in onnxruntime (onnx_model), the champion pointer in SSM
(champion) and the warm-environment model cache (model_cache). numpy + onnxruntime only: no
scikit-learn, pandas, mlflow (checked by the import contracts in pyproject.toml).
"""
