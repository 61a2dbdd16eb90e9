"""A real local SparkSession for the Glue job tests: one per test module (the JVM itself starts once)."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from glue_jobs._runtime import local_spark_session

    session = local_spark_session("glue-job-tests")
    yield session
    session.stop()
