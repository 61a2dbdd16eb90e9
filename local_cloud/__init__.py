"""The embedded local cloud: LocalStack's own runtime on the host, with the project's plugins.

Run from the project's ML environment (`python -m local_cloud up|down|status|logs|invoke|deploy`).
This package uses only the standard library and boto3: it starts LocalStack from its own environment
(`.venv-localstack`) as a separate process and never imports localstack or the product code.
"""

from local_cloud.controller import LocalCloud, LocalCloudError

__all__ = ["LocalCloud", "LocalCloudError"]
