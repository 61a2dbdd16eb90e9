"""Training container entrypoint: ONE model kind, from the preprocessing job's Parquet to a model on S3.

    python -m training.entrypoint --model-kind logreg \
        --data-uri s3://<processed>/runs/<run>/processed/ --output-uri s3://<models>/runs/<run>/logreg/

Reads <data-uri>/split={train,validation,test}/ (Parquet written by glue_jobs/preprocess_reviews.py),
runs review_sentiment.modeling.train.train_model_kind (Optuna HPO, final fit, ONNX export behind the
parity gate, MLflow logging) and writes to <output-uri>:
  result.json         what the pipeline's selection step reads (modeling.selection.TrainingResult)
  model.onnx          the exported graph (raw text + numeric features in, label + probabilities out)
  metrics.json        validation/test metrics, latency and size
  parity_report.json  sklearn vs onnxruntime agreement on the held-out rows and the bounds applied
  prediction_profile.json  the ONNX graph's P(positive) on the test split, binned: the reference of
                      prediction drift once this model is promoted
Either URI may be a local folder. Settings come from SENTIMENT_* variables (trials, MLflow store, ...).
On failure it writes <output-uri>/error.json when it can and exits 1 with a one-line error.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from review_sentiment import s3_io
from review_sentiment.config import Settings, SettingsError
from review_sentiment.data.datasets import SPLITS, DatasetError
from review_sentiment.modeling.families import MODEL_KINDS
from review_sentiment.modeling.selection import TrainingResult
from review_sentiment.progress import Progress
from review_sentiment.usage import OneLineCommand

RESULT_FILE, MODEL_FILE, METRICS_FILE, PARITY_FILE, ERROR_FILE = (
    "result.json", "model.onnx", "metrics.json", "parity_report.json", "error.json"
)
PREDICTION_PROFILE_FILE = "prediction_profile.json"
METRIC_KEYS = (
    "val_macro_f1", "test_macro_f1", "test_accuracy", "test_rows", "onnx_p50_ms", "onnx_p99_ms",
    "onnx_size_bytes", "n_trials",
)
# Errors a user fixes by changing the input or the settings: one line, no traceback.
USER_ERRORS = (DatasetError, SettingsError, FileNotFoundError, ValueError)


class MissingSplit(FileNotFoundError):
    """The data location lacks one of the split folders the preprocessing job writes."""


def _s3():
    from review_sentiment import aws

    return aws.client("s3")


def stage_splits(data_uri: str, workdir: Path) -> dict[str, Path]:
    """Local folders holding each split's Parquet files (downloaded when data_uri is on S3)."""
    folders = {}
    for split in SPLITS:
        uri = s3_io.join(data_uri, f"split={split}")
        if s3_io.is_s3(uri):
            if not any(key.endswith(".parquet") for key, _ in s3_io.data_objects(_s3(), uri + "/")):
                raise MissingSplit(f"no Parquet under {uri}/: run the preprocessing job on this data first")
            folders[split] = s3_io.download(_s3(), uri + "/", workdir / f"split={split}")
        else:
            local = s3_io.local_path(uri)
            if not any(local.glob("*.parquet")):
                raise MissingSplit(f"no Parquet under {local}/: run the preprocessing job on this data first")
            folders[split] = local
    return folders


def parity_report(result: TrainingResult, settings: Settings) -> dict:
    return {
        "model_kind": result.model_kind,
        "rows": result.parity_rows,
        "label_agreement": result.parity_label_agreement,
        "max_prob_diff": result.parity_max_prob_diff,
        "min_label_agreement": settings.parity_min_label_agreement,
        "max_prob_diff_allowed": settings.parity_max_prob_diff,
        "passed": result.parity_passed,
    }


def train_one(
    model_kind: str, data_uri: str, output_uri: str, settings: Settings, progress: Progress
) -> TrainingResult:
    """Stages the splits, trains, and writes the outputs; returns result.json's content."""
    from review_sentiment.modeling.train import load_training_data, train_model_kind  # heavy: sklearn, mlflow

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"train-{model_kind}-") as tmp:
        workdir = Path(tmp)
        folders = stage_splits(data_uri, workdir / "data")
        progress(f"{model_kind}: data from {data_uri}")
        data = load_training_data(settings, **folders, progress=progress)
        for name, counts in data.splits.counts().items():
            progress(f"  {name:<10} {counts['rows']:>6} rows, {counts['neutral_excluded']} neutral excluded")
        trained = train_model_kind(model_kind, data, settings, output_dir=workdir / "out", progress=progress)
        result = trained.model_copy(update={  # where the files are once published
            "onnx_uri": s3_io.join(output_uri, MODEL_FILE),
            "prediction_profile_uri": s3_io.join(output_uri, PREDICTION_PROFILE_FILE),
            "output_uri": output_uri,
            "data_uri": data_uri,
        })
        outputs = workdir / "publish"
        outputs.mkdir()
        for name in (MODEL_FILE, PREDICTION_PROFILE_FILE):
            (outputs / name).write_bytes((Path(trained.output_uri) / name).read_bytes())
        (outputs / METRICS_FILE).write_text(json.dumps(
            {"model_kind": model_kind, **result.model_dump(include=set(METRIC_KEYS))}, indent=2))
        (outputs / PARITY_FILE).write_text(json.dumps(parity_report(result, settings), indent=2))
        (outputs / RESULT_FILE).write_text(result.model_dump_json(indent=2))
        s3_io.upload_folder(_s3() if s3_io.is_s3(output_uri) else None, outputs, output_uri, replace=True)
    written = [RESULT_FILE, MODEL_FILE, METRICS_FILE, PARITY_FILE, PREDICTION_PROFILE_FILE]
    seconds = time.perf_counter() - started
    progress(f"{model_kind}: wrote {', '.join(written)} to {output_uri} after {seconds:.0f} s")
    return result


def _record_failure(output_uri: str, model_kind: str, message: str) -> None:
    try:
        s3_io.write_json(_s3() if s3_io.is_s3(output_uri) else None, s3_io.join(output_uri, ERROR_FILE),
                         {"model_kind": model_kind, "error": message})
    except Exception as exc:  # the one-line error below still says what failed
        print(f"(could not write {ERROR_FILE}: {exc})", file=sys.stderr)


def run(
    model_kind: Annotated[str, typer.Option(help=f"one of: {', '.join(MODEL_KINDS)}")],
    data_uri: Annotated[str, typer.Option(help="processed data: s3://... or a folder with split=*/")],
    output_uri: Annotated[str, typer.Option(help="where the model and reports go: s3://... or a folder")],
    trials: Annotated[
        int | None, typer.Option(min=1, help="Optuna trials (SENTIMENT_TRIALS_PER_KIND)")
    ] = None,
) -> None:
    """Train ONE model kind on processed data and publish the model, metrics and parity report."""
    progress = Progress()
    try:
        if model_kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {model_kind!r}; choose from {', '.join(MODEL_KINDS)}")
        for uri in (data_uri, output_uri):  # a malformed location fails now, not after the training
            if uri.startswith("s3:"):
                s3_io.split_s3_uri(uri)
        settings = Settings.from_env(**({"trials_per_kind": trials} if trials else {}))
        train_one(model_kind, data_uri, output_uri, settings, progress)
    except Exception as exc:
        message = f"training {model_kind} failed: {type(exc).__name__}: {exc}".replace("\n", " ")
        if not isinstance(exc, USER_ERRORS):
            import traceback

            traceback.print_exc()  # a bug, not an input problem: keep the stack for the log
        _record_failure(output_uri, model_kind, message)
        print(message, file=sys.stderr, flush=True)
        raise typer.Exit(1) from None


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command(cls=OneLineCommand)(run)  # usage errors: one line, exit code 2


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit code (0 on success, 1 when training failed, 2 on bad usage)."""
    try:
        app(args=argv, prog_name="training.entrypoint")  # standalone: always ends in SystemExit
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
