"""The environment contract of a local job process, and how a container command maps onto this host.

Every job process (Glue script or Batch command) gets:
  AWS_ENDPOINT_URL          this LocalStack (so boto3 and the AWS CLI reach it without code changes)
  AWS_ACCESS_KEY_ID         the account id of the caller (LocalStack maps a 12-digit key to that account)
  AWS_SECRET_ACCESS_KEY     "test"
  AWS_REGION, AWS_DEFAULT_REGION   the region the job was started in
  PYTHONUNBUFFERED=1        so the driver log reaches CloudWatch Logs while the job runs
  PATH                      the project interpreter's bin directory first, then LocalStack's PATH
and, from the host, only the variables in PASSTHROUGH (locale, JAVA_HOME, ...), never LocalStack's own
settings. Glue adds PYSPARK_PYTHON, SPARK_LOCAL_IP, PYTHONPATH (extra py files); Batch adds the job
definition's environment, the overrides, and AWS_BATCH_JOB_ID / AWS_BATCH_JQ_NAME / AWS_BATCH_JOB_ATTEMPT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

PASSTHROUGH = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
    "JAVA_HOME", "SPARK_HOME", "HADOOP_HOME", "HADOOP_CONF_DIR",
)  # fmt: skip

# The first element of a container command that means "the image's Python": bare names as in
# `["python", "-m", "training.entrypoint"]`, or the absolute paths common in Python images.
_PYTHON_NAME = re.compile(r"python(3(\.\d+)?)?")
_IMAGE_BIN_DIRS = {"", "/usr/bin", "/usr/local/bin", "/opt/conda/bin"}


def base_environment(
    host_env: Mapping[str, str], *, python: Path, endpoint_url: str, account_id: str, region: str
) -> dict[str, str]:
    env = {name: host_env[name] for name in PASSTHROUGH if name in host_env}
    env["PATH"] = f"{python.parent}:{env.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID=account_id,
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        PYTHONUNBUFFERED="1",
    )
    return env


def map_interpreter(command: list[str], python: Path) -> list[str]:
    """Replace the image's Python (`python`, `python3`, `python3.11`, `/usr/local/bin/python`, ...) at the
    head of a container command by the project's interpreter; any other command runs as written."""
    if not command:
        return command
    head = command[0]
    directory, _, name = head.rpartition("/")
    if directory in _IMAGE_BIN_DIRS and _PYTHON_NAME.fullmatch(name):
        return [str(python), *command[1:]]
    return list(command)
