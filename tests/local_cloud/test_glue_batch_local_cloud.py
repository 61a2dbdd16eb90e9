"""Glue and Batch in the embedded local cloud: a stack deployed with SAM (tests/local_cloud/stacks/glue_batch)
whose state machine runs a Glue job, then a Map of Batch jobs, as local processes; failures, timeouts,
stops and the concurrency limit, seen through the AWS APIs."""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.local_cloud.helpers import wait_for_log

pytestmark = [pytest.mark.localcloud, pytest.mark.slow]

STACK = Path(__file__).parent / "stacks" / "glue_batch"
PROJECT_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"
# the controller passes the variable through to LocalStack; the runner's default is 1
CONCURRENCY_LIMIT = int(os.environ.get("LOCAL_JOBS_MAX_CONCURRENT") or 1)


@pytest.fixture(scope="module")
def stack(sam_deploy, local_aws) -> dict[str, str]:
    outputs = sam_deploy(STACK / "template.yaml", "glue-batch")
    s3 = local_aws("s3")
    bucket = outputs["DataBucketName"]
    s3.upload_file(str(STACK / "jobs" / "prepare.py"), bucket, "scripts/prepare.py")
    s3.upload_file(str(STACK / "jobs" / "spark_word_count.py"), bucket, "scripts/spark_word_count.py")
    libs = io.BytesIO()
    with zipfile.ZipFile(libs, "w") as archive:
        archive.write(STACK / "libs" / "probe_helpers.py", "probe_helpers.py")
    s3.put_object(Bucket=bucket, Key="libs/probe_helpers.zip", Body=libs.getvalue())
    return outputs


def run_pipeline(local_aws, stack, glue_arguments: dict, kinds: list[str], timeout_s: float = 120) -> dict:
    """Start the state machine and wait for its end; returns the execution plus `history`, `run_id`."""
    sfn = local_aws("stepfunctions")
    run_id = uuid.uuid4().hex[:8]
    payload = {"run_id": run_id, "kinds": kinds, "glue_arguments": {"--run_id": run_id, **glue_arguments}}
    arn = sfn.start_execution(stateMachineArn=stack["PipelineStateMachineArn"], input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + timeout_s
    while (execution := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"execution still running after {timeout_s} s"
        time.sleep(0.5)
    execution["history"] = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    execution["run_id"] = run_id
    return execution


def read_json(local_aws, bucket: str, key: str) -> dict:
    return json.loads(local_aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def keys(local_aws, bucket: str, prefix: str) -> set[str]:
    listed = local_aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for item in listed.get("Contents", [])}


def wait_for(predicate, timeout_s: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"no {what} after {timeout_s} s"
        time.sleep(0.3)
    return value


def test_stack_resources_answer_as_on_aws(stack, local_aws):
    # Ref of a job queue and a job definition is the ARN; of a Glue job, its name
    assert ":job-queue/" in stack["TrainingJobQueueArn"]
    assert ":job-definition/" in stack["TrainingJobDefinitionArn"]
    assert stack["TrainingJobDefinitionArn"].endswith(":1")
    job = local_aws("glue").get_job(JobName=stack["PrepareJobName"])["Job"]
    assert job["Command"]["ScriptLocation"].endswith("/scripts/prepare.py")
    assert job["DefaultArguments"]["--greeting"] == "from-default-arguments"
    batch = local_aws("batch")
    environment = batch.describe_compute_environments(
        computeEnvironments=[stack["TrainingComputeEnvironmentArn"]]
    )["computeEnvironments"][0]
    assert environment["type"] == "MANAGED" and environment["computeResources"]["type"] == "FARGATE"
    definition = batch.describe_job_definitions(jobDefinitions=[stack["TrainingJobDefinitionArn"]])
    container = definition["jobDefinitions"][0]["containerProperties"]
    assert container["command"][-1] == "Ref::run_id"
    assert {"name": "GREETING", "value": "from-job-definition"} in container["environment"]


def test_pipeline_runs_glue_then_every_kind_and_keeps_the_others_when_one_fails(stack, local_aws):
    # GIVEN four kinds, one of which exits 2
    kinds = ["logreg", "broken", "forest", "mlp"]
    # WHEN the state machine runs
    execution = run_pipeline(local_aws, stack, {}, kinds)
    # THEN it succeeds; the Glue run and each good kind left their object, the broken one was caught
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    run_id, bucket = execution["run_id"], stack["DataBucketName"]
    prepared = read_json(local_aws, bucket, f"runs/{run_id}/prepared.json")
    assert prepared["job_run_id"] == output["prepared"]["JobRunId"]
    assert prepared["greeting"] == "from-default-arguments"
    assert prepared["helper"] == "imported-from-extra-py-files"
    by_kind = {item["kind"]: item for item in output["trained"]}
    assert {k: by_kind[k]["status"] for k in kinds} == {
        "logreg": "SUCCEEDED", "broken": "FAILED", "forest": "SUCCEEDED", "mlp": "SUCCEEDED"
    }  # fmt: skip
    assert '"ExitCode": 2' in by_kind["broken"]["cause"]
    assert "Essential container in task exited" in by_kind["broken"]["cause"]
    models = keys(local_aws, bucket, f"runs/{run_id}/models/")
    assert models == {f"runs/{run_id}/models/{k}.json" for k in ("logreg", "forest", "mlp")}
    records = [read_json(local_aws, bucket, key) for key in sorted(models)]
    # the container command's `python` ran the project interpreter, overrides beat the definition
    # (the same environment folder: a checkout may reach .venv through a link)
    ran = {(Path(r["interpreter"]).parent.parent.resolve(), Path(r["interpreter"]).name) for r in records}
    assert ran == {(PROJECT_PYTHON.parent.parent.resolve(), PROJECT_PYTHON.name)}
    assert {r["greeting"] for r in records} == {"from-the-state-machine"}
    # AND the Map's parallel items never ran more processes at once than the limit
    assert max_overlap(records) <= CONCURRENCY_LIMIT
    # AND the driver logs and the container logs are in CloudWatch Logs
    logs = local_aws("logs")
    wait_for_log(logs, "/aws-glue/jobs/output", f"prepare {run_id}: done")
    wait_for_log(logs, "/aws/batch/job", "train forest: done")


def max_overlap(records: list[dict]) -> int:
    edges = sorted([(r["started"], 1) for r in records] + [(r["finished"], -1) for r in records])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_glue_error_fails_the_execution_with_the_jobs_message(stack, local_aws):
    execution = run_pipeline(local_aws, stack, {"--fail_with": "column reviewText is missing"}, ["logreg"])
    assert execution["status"] == "FAILED"
    failed = [e for e in execution["history"] if e["type"] == "TaskFailed"]
    assert len(failed) == 1
    cause = json.loads(failed[0]["taskFailedEventDetails"]["cause"])
    assert cause["JobRunState"] == "FAILED"
    assert cause["ErrorMessage"] == "ValueError: column reviewText is missing"
    # the Map never started: no training job ran for this run
    assert not keys(local_aws, stack["DataBucketName"], f"runs/{execution['run_id']}/")
    wait_for_log(local_aws("logs"), "/aws-glue/jobs/error", "ValueError: column reviewText is missing")


def test_glue_run_past_its_timeout_is_stopped_and_reported_as_timeout(stack, local_aws):
    # `--local-timeout-seconds` stands in for Timeout (minutes) so the test takes seconds
    # (a run that outlived it would have ended SUCCEEDED after its 60 s)
    arguments = {"--sleep_seconds": "60", "--local-timeout-seconds": "2"}
    execution = run_pipeline(local_aws, stack, arguments, ["logreg"], timeout_s=180)
    assert execution["status"] == "FAILED"
    cause = json.loads(next(e for e in execution["history"] if e["type"] == "TaskFailed")[
        "taskFailedEventDetails"]["cause"])  # fmt: skip
    assert cause["JobRunState"] == "TIMEOUT"
    assert cause["CompletedOn"] and cause["ExecutionTime"] >= 2
    assert not keys(local_aws, stack["DataBucketName"], f"runs/{execution['run_id']}/")


def test_glue_stop_request_stops_the_run(stack, local_aws):
    glue = local_aws("glue")
    name = stack["PrepareJobName"]
    arguments = {"--run_id": "stopped", "--sleep_seconds": "60"}
    run_id = glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]
    wait_for(lambda: glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING",
             what="RUNNING run")  # fmt: skip
    stopped = glue.batch_stop_job_run(JobName=name, JobRunIds=[run_id, "jr_unknown"])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": name, "JobRunId": run_id}]
    assert [e["JobRunId"] for e in stopped["Errors"]] == ["jr_unknown"]

    def stopped_run():
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        return run if run["JobRunState"] == "STOPPED" else None

    run = wait_for(stopped_run, what="STOPPED run")
    assert run["CompletedOn"] >= run["StartedOn"]
    assert run_id in {r["Id"] for r in glue.get_job_runs(JobName=name)["JobRuns"]}


def test_batch_job_past_its_timeout_fails_with_the_timeout_reason(stack, local_aws):
    batch = local_aws("batch")
    job_id = batch.submit_job(
        jobName="sleepy-timeout",
        jobQueue=stack["TrainingJobQueueArn"],
        jobDefinition=stack["TrainingJobDefinitionArn"],
        parameters={"kind": "sleepy", "run_id": "timeout"},
        timeout={"attemptDurationSeconds": 2},
    )["jobId"]
    job = wait_for(lambda: (j := batch.describe_jobs(jobs=[job_id])["jobs"][0])["status"] == "FAILED" and j,
                   timeout_s=60, what="FAILED job")  # fmt: skip
    assert job["statusReason"] == "Job attempt duration exceeded timeout"
    assert job["container"]["exitCode"] == 143  # SIGTERM, as a container runtime reports it
    assert job["stoppedAt"] - job["startedAt"] >= 2_000  # not before its attempt duration


def test_batch_queue_keeps_jobs_runnable_until_a_slot_frees_and_stops_them(stack, local_aws):
    # GIVEN as many sleeping jobs as the limit allows at once, plus one
    batch = local_aws("batch")
    submit = {"jobQueue": stack["TrainingJobQueueArn"], "jobDefinition": stack["TrainingJobDefinitionArn"]}
    ids = [
        batch.submit_job(jobName=f"sleepy-{i}", parameters={"kind": "sleepy", "run_id": "queue"}, **submit)[
            "jobId"
        ]
        for i in range(CONCURRENCY_LIMIT + 1)
    ]

    def statuses() -> list[str]:
        by_id = {j["jobId"]: j["status"] for j in batch.describe_jobs(jobs=ids)["jobs"]}
        return [by_id[i] for i in ids]

    # THEN the limit's worth run and the last one waits in RUNNABLE
    wait_for(lambda: statuses() == ["RUNNING"] * CONCURRENCY_LIMIT + ["RUNNABLE"], what="full slots")
    # WHEN the waiting job is cancelled THEN it fails without ever starting
    batch.cancel_job(jobId=ids[-1], reason="not needed any more")
    cancelled = wait_for(
        lambda: (j := batch.describe_jobs(jobs=[ids[-1]])["jobs"][0])["status"] == "FAILED" and j,
        what="cancelled job",
    )
    assert cancelled["statusReason"] == "not needed any more" and "startedAt" not in cancelled
    # WHEN the running ones are terminated THEN they fail with the given reason
    for job_id in ids[:-1]:
        batch.terminate_job(jobId=job_id, reason="terminated by the test")
    wait_for(lambda: statuses() == ["FAILED"] * (CONCURRENCY_LIMIT + 1), what="terminated jobs")
    reasons = {j["statusReason"] for j in batch.describe_jobs(jobs=ids[:-1])["jobs"]}
    assert reasons == {"terminated by the test"}


def test_glue_runs_a_real_pyspark_script(stack, local_aws):
    # one JVM start (~8 s): PySpark with a Python UDF, so PYSPARK_PYTHON must be the project interpreter
    glue = local_aws("glue")
    name = f"spark-{uuid.uuid4().hex[:6]}"
    bucket = stack["DataBucketName"]
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::000000000000:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/spark_word_count.py"},
        DefaultArguments={"--bucket": bucket},
    )
    run_id = glue.start_job_run(JobName=name, Arguments={"--output_key": f"spark/{name}.json"})["JobRunId"]
    run = wait_for(
        lambda: (
            (r := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"]
            not in ("STARTING", "RUNNING")
            and r
        ),
        timeout_s=300,  # ~15 s on an idle machine; minutes when other JVMs share the two cores
        what="finished Spark run",
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    counts = read_json(local_aws, bucket, f"spark/{name}.json")
    assert counts == {"good": 2, "book": 2, "boring": 1}
    glue.delete_job(JobName=name)
