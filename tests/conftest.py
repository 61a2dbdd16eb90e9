"""Shared fixtures for the whole suite."""

# `local_cloud`, `local_aws`, `local_cloud_env`: one embedded LocalStack for the test session.
pytest_plugins = ["local_cloud.pytest_plugin"]
