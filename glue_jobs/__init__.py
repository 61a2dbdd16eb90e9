"""Glue job scripts: thin Spark callers of the domain package `review_sentiment`.

Each script (`validate_reviews.py`, `preprocess_reviews.py`) is what AWS Glue runs from
`Command.ScriptLocation`; `_runtime` is their shared entry point (arguments, session, S3 I/O) and
travels with `review_sentiment` in the `--extra-py-files` zip (built by `stack.deployment`).
"""
