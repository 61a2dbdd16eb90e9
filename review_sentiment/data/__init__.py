"""Stage 1, the data: the Kindle review contract (schema), loaders and splits (datasets), per-row
checks and quarantine (validation), text cleaning (cleaning). Imports nothing from later stages.
"""
