"""LocalStack plugins for the embedded local cloud (installed into LocalStack's own venv)."""
