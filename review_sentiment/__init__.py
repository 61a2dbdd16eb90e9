"""Domain package, one folder per stage of the data's journey:

    data -> features -> serving / monitoring -> modeling -> pipeline

Shared plumbing sits at the top: config (settings), aws (clients), s3_io (staging), progress.
One copy of each piece of logic, imported by the Lambda layer, the Glue jobs and the training
container. The import rules (serving and monitoring load no scikit-learn/pandas/mlflow..., stages
depend downwards only) are contracts checked by import-linter (pyproject.toml, `make test`).
"""
