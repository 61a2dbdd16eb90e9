"""Domain package: data contract, features, models, HPO, ONNX export, tracking, selection, drift.

One copy of each piece of logic, imported by the Lambda layer, the Glue jobs and the training
container. Serving-path modules (features, inference, drift) import neither scikit-learn nor pandas.
"""
