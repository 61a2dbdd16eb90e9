"""The training pipeline through the embedded local cloud vs the same steps run directly, in one run.

Deploys template.yaml to a fresh local cloud (own port, temporary state), runs one execution on the
shipped reviews and takes each state's wall time from the execution history. Then runs the same
steps without the local cloud: the two Glue scripts and the training entrypoint as local processes on
local folders, and the Lambda steps' domain calls in-process. Prints both, the ratios, and the
overhead of the local cloud over the direct run (target: under 15%).

    .venv/bin/python benchmarks/bench_pipeline.py [--kinds logreg] [--trials 2] [--quick]
        [--endpoint-url URL --execution-arn ARN]

--quick: one trial on the reviews of 90 products (a smoke run). --execution-arn (with the --endpoint-url
of the local cloud that ran it) takes the local cloud's side from an execution that already ran instead
of deploying and running one: `make test`'s smoke run uses the test session's main job.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO as REPO_ROOT
from _common import add_common_arguments

from local_cloud.controller import LocalCloud, free_port
from review_sentiment import aws
from review_sentiment.config import Settings, Thresholds
from review_sentiment.data.datasets import load_shipped, write_jsonl
from review_sentiment.modeling import promotion, registry
from review_sentiment.modeling.selection import TrainingResult
from review_sentiment.pipeline.plan import PipelineConfig, RunBuckets, RunRequest, plan_run
from review_sentiment.pipeline.selection_step import select
from review_sentiment.progress import Progress
from stack import deployment, execution
from stack.settings import SHIPPED_REVIEWS, StackSettings

# Execution states and their direct counterparts, in pipeline order.
STEPS = (
    "PrepareRun",
    "ValidateReviews",
    "PreprocessReviews",
    "TrainModels",
    "SelectBest",
    "Promote",
    "RecordPromotion",
)


def state_seconds(result: execution.ExecutionResult) -> dict[str, float]:
    times: dict[str, float] = {}
    for state in result.states:
        if state.name in STEPS and state.seconds is not None:
            times[state.name] = times.get(state.name, 0.0) + state.seconds
    return times


def from_execution(endpoint_url: str, arn: str, progress: Progress) -> dict:
    """The local cloud's side from an execution that already ran (its job runs' own times not read)."""
    os.environ.update(LocalCloud(port=int(endpoint_url.rsplit(":", 1)[1])).client_env())
    aws.client.cache_clear()
    try:
        result = execution.follow(arn, progress, poll_s=0.5)
    finally:
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.pop(name, None)
        aws.client.cache_clear()
    if result.status != "SUCCEEDED":
        raise SystemExit(f"the execution {result.status}: {result.error}: {result.cause}")
    return {"states": state_seconds(result), "total": result.seconds, "in_job": {}}


def through_local_cloud(work: Path, data: Path, kinds: list[str], trials: int, progress: Progress) -> dict:
    cloud = LocalCloud(port=free_port(), state_dir=work / "localstack")
    cloud.start()
    try:
        deployment.use_local_cloud(cloud)
        settings = StackSettings(
            stack_name="review-sentiment-bench", state_dir=work / "stack", resource_prefix="rs-bench"
        )
        stack = deployment.deploy_stack(
            cloud, settings, progress, build_dir=work / "build", extra_parameters={"LatencyBudgetMs": "1000"}
        )
        request = {
            "raw_prefix": execution.upload_reviews(stack["RawBucketName"], data),
            "model_kinds": kinds,
            "trials_per_kind": trials,
        }
        result = execution.follow(
            execution.start_execution(stack["TrainingPipelineStateMachineArn"], request), progress, poll_s=0.5
        )
        if result.status != "SUCCEEDED":
            raise SystemExit(f"the execution {result.status}: {result.error}: {result.cause}")
        return {"states": state_seconds(result), "total": result.seconds, "in_job": job_run_seconds(settings)}
    finally:
        cloud.stop()
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.pop(name, None)
        aws.client.cache_clear()


def job_run_seconds(settings: StackSettings) -> dict[str, float]:
    """How long the Glue and Batch jobs themselves ran (their own start/stop), per state."""
    prefix = f"{settings.resource_prefix}-{settings.stage}"
    glue, batch = aws.client("glue"), aws.client("batch")
    seconds = {}
    for state, job in (("ValidateReviews", "validate-reviews"), ("PreprocessReviews", "preprocess-reviews")):
        run = glue.get_job_runs(JobName=f"{prefix}-{job}")["JobRuns"][0]
        seconds[state] = (run["CompletedOn"] - run["StartedOn"]).total_seconds()
    summaries = batch.list_jobs(jobQueue=f"{prefix}-training", jobStatus="SUCCEEDED")["jobSummaryList"]
    jobs = batch.describe_jobs(jobs=[j["jobId"] for j in summaries])["jobs"] if summaries else []
    seconds["TrainModels"] = sum((j["stoppedAt"] - j["startedAt"]) / 1000 for j in jobs)
    return seconds


def _process(args: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - began


def directly(work: Path, reviews: Path, kinds: list[str], trials: int, progress: Progress) -> dict:
    """The same steps with no cloud: local folders, local processes, in-process domain calls."""
    data = work / "direct"
    raw = data / "raw"
    raw.mkdir(parents=True)
    shutil.copy(reviews, raw / reviews.name)
    state = work / "direct-state"
    env = {
        "SENTIMENT_MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
        "SENTIMENT_MLFLOW_ARTIFACT_ROOT": (state / "mlflow-artifacts").as_uri(),
        "SENTIMENT_STATE_DIR": str(state),
        "SENTIMENT_TRIALS_PER_KIND": str(trials),
        "SENTIMENT_LATENCY_BUDGET_MS": "1000",
    }
    times: dict[str, float] = {}
    began = time.perf_counter()

    t0 = time.perf_counter()
    request = RunRequest.parse({"raw_prefix": "s3://raw/incoming/", "model_kinds": kinds})
    plan_run(request, PipelineConfig(), RunBuckets(processed="p", models="m"), "direct")
    times["PrepareRun"] = time.perf_counter() - t0

    progress("direct: validate_reviews")
    times["ValidateReviews"] = _process(
        [
            "glue_jobs/validate_reviews.py",
            "--input_path",
            str(raw),
            "--valid_output_path",
            str(data / "valid"),
            "--quarantine_output_path",
            str(data / "quarantine"),
            "--report_path",
            str(data / "validation.json"),
            "--max_bad_fraction",
            "0.05",
        ],
        env,
    )
    progress("direct: preprocess_reviews")
    times["PreprocessReviews"] = _process(
        [
            "glue_jobs/preprocess_reviews.py",
            "--input_path",
            str(data / "valid"),
            "--output_path",
            str(data / "processed"),
            "--profile_path",
            str(data / "profile.json"),
        ],
        env,
    )
    times["TrainModels"] = 0.0
    for kind in kinds:
        progress(f"direct: training {kind}")
        times["TrainModels"] += _process(
            [
                "-m",
                "training.entrypoint",
                "--model-kind",
                kind,
                "--data-uri",
                str(data / "processed"),
                "--output-uri",
                str(data / "models" / kind),
            ],
            env,
        )

    t0 = time.perf_counter()
    candidates = [
        TrainingResult.model_validate_json((data / "models" / k / "result.json").read_text()) for k in kinds
    ]
    thresholds = Thresholds(latency_budget_ms=1000.0, min_macro_f1=0.0, min_mft_pass_rate=0.0)
    selection = select(candidates, [], thresholds, lambda path: Path(path).read_bytes(), None, lambda: None)
    times["SelectBest"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    settings = Settings.from_env(environ=env)
    registry.configure(settings)
    promotion.register_and_promote(selection.best, selection.gate, settings.registered_model_name, "direct")
    times["Promote"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    (data / "outcome.json").write_text(selection.model_dump_json())
    times["RecordPromotion"] = time.perf_counter() - t0
    return {"states": times, "total": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="logreg", help="comma-separated model kinds")
    parser.add_argument("--trials", type=int, default=2, help="Optuna trials per kind")
    parser.add_argument("--execution-arn", help="an execution that already ran: its states' times")
    add_common_arguments(parser, cloud=True)
    args = parser.parse_args()
    if bool(args.execution_arn) != bool(args.endpoint_url):
        parser.error("--execution-arn and --endpoint-url go together")
    trials = 1 if args.quick else args.trials
    kinds = [k for k in args.kinds.split(",") if k]
    progress = Progress()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        work = Path(tmp)
        reviews = SHIPPED_REVIEWS
        if args.quick:  # the reviews of 90 products (about 1,100 sentences)
            shipped = load_shipped()
            keep = sorted(shipped["asin"].unique())[:90]
            reviews = write_jsonl(shipped[shipped["asin"].isin(keep)], work / "reviews.jsonl.gz")
        if args.execution_arn:
            cloud = from_execution(args.endpoint_url, args.execution_arn, progress)
        else:
            cloud = through_local_cloud(work, reviews, kinds, trials, progress)
        direct = directly(work, reviews, kinds, trials, progress)
    where = f"execution {args.execution_arn.rsplit(':', 1)[-1]} / " if args.execution_arn else ""
    print(
        f"\ntraining pipeline on {where}{reviews.name}, kinds {kinds}, {trials} trial(s) each, "
        f"{os.cpu_count()} cores"
    )
    # "in job": the Glue/Batch job's own run time inside the local cloud; the state's time beyond it is
    # the orchestration (submit, poll, S3 staging of the job's code); the rest is the job itself.
    print(f"{'state':<20}{'local cloud s':>15}{'in job s':>10}{'direct s':>11}{'ratio':>8}")
    for step in STEPS:
        c, d = cloud["states"].get(step, float("nan")), direct["states"].get(step, float("nan"))
        j = cloud["in_job"].get(step)
        in_job = f"{j:>10.1f}" if j is not None else f"{'-':>10}"
        ratio = f"{c / d:8.2f}" if d >= 0.05 else f"{'-':>8}"
        print(f"{step:<20}{c:>15.1f}{in_job}{d:>11.2f}{ratio}")
    overhead = cloud["total"] / direct["total"] - 1
    ratio = cloud["total"] / direct["total"]
    print(f"{'whole execution':<20}{cloud['total']:>15.1f}{direct['total']:>11.1f}{ratio:8.2f}")
    print(f"local cloud overhead over the direct run: {overhead:+.1%} (target: under +15%)")


if __name__ == "__main__":
    main()
