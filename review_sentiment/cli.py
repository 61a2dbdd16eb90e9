"""Command line: `python -m review_sentiment.cli run` is the README's main job (`make run`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from review_sentiment.config import Settings, SettingsError
from review_sentiment.modeling.families import MODEL_KINDS
from review_sentiment.usage import OneLineGroup

# Every user mistake is one line on stderr with exit code 2 (usage errors included, see usage.py).
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, cls=OneLineGroup, pretty_exceptions_enable=False
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="reviews file (.jsonl[.gz] McAuley, .csv Kaggle, .parquet); default: the shipped dataset",
    ),
]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _settings(**overrides) -> Settings:
    try:
        return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        _fail(str(exc))


def _user_errors():
    """Errors a user can fix, shown as one line instead of a traceback."""
    from review_sentiment.data.datasets import DatasetError
    from review_sentiment.data.validation import BatchRejected, ContractError
    from review_sentiment.modeling.onnx_export import ParityError
    from review_sentiment.modeling.selection import NoModelWithinBudget

    return (
        DatasetError,
        BatchRejected,
        ContractError,
        ParityError,
        NoModelWithinBudget,
        SettingsError,
        ValueError,
        OSError,  # missing files, folders where files are expected, permissions, a full disk
    )


@app.command()
def run(
    data: DataOption = None,
    trials: Annotated[
        int | None, typer.Option(min=1, help="Optuna trials per model kind (SENTIMENT_TRIALS_PER_KIND)")
    ] = None,
    model_kinds: Annotated[
        str | None, typer.Option(help=f"comma-separated subset of {','.join(MODEL_KINDS)}")
    ] = None,
) -> None:
    """Whole local training pipeline on the data; prints the comparison table and the ONNX path."""
    from review_sentiment.pipeline.local import run_all
    from review_sentiment.pipeline.outcome import comparison_table

    kinds = tuple(k.strip() for k in model_kinds.split(",")) if model_kinds else None
    settings = _settings(trials_per_kind=trials, model_kinds=kinds)
    try:
        summary = run_all(settings, data=data)
    except _user_errors() as exc:
        _fail(str(exc))
    promotion, gate = summary["promotion"], summary["selection"]["gate"]
    typer.echo("")
    selection = summary["selection"]
    chosen = selection["best"]["model_kind"]
    typer.echo(comparison_table(summary["results"], selection["failed_kinds"], chosen, selection["baseline"]))
    typer.echo("")
    typer.echo(
        f"test rows: {summary['results'][0]['test_rows']} (3-star rows excluded: "
        f"{summary['split_counts']['test']['neutral_excluded']}); chosen by validation macro-F1 under "
        f"a p99 budget of {summary['latency_budget_ms']} ms"
    )
    typer.echo(
        f"registry: {promotion['registered_model']} v{promotion['version']} -> @{promotion['alias']} "
        f"({'; '.join(gate['reasons'])})"
    )
    behaviour = summary["selection"]["behaviour"]
    if "error" not in behaviour:
        typer.echo(
            "behavioural tests of the chosen model: "
            + ", ".join(f"{test} {r['passed']}/{r['total']}" for test, r in behaviour.items())
        )
    typer.echo(f"ONNX model: {summary['onnx_path']}")


@app.command()
def train(
    model_kind: Annotated[str, typer.Option(help=f"one of {', '.join(MODEL_KINDS)}")],
    data: DataOption = None,
    train: Annotated[
        Path | None, typer.Option("--train", help="training split (with --validation, --test)")
    ] = None,
    validation: Annotated[Path | None, typer.Option(help="validation split")] = None,
    test: Annotated[Path | None, typer.Option(help="test split")] = None,
    trials: Annotated[int | None, typer.Option(min=1, help="Optuna trials")] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="where <kind>/model.onnx and results.json go")
    ] = None,
    results_fp: Annotated[Path | None, typer.Option(help="also write the results JSON here")] = None,
) -> None:
    """Train ONE model kind end to end (HPO, fit, ONNX export with parity gate, MLflow)."""
    from review_sentiment.modeling.train import load_training_data, train_model_kind

    if model_kind not in MODEL_KINDS:
        _fail(f"unknown model kind {model_kind!r}; choose from {', '.join(MODEL_KINDS)}")
    settings = _settings(trials_per_kind=trials)
    try:
        settings.ensure_state_dir()
        training_data = load_training_data(settings, data, train, validation, test)
        result = train_model_kind(model_kind, training_data, settings, output_dir=output_dir)
    except _user_errors() as exc:
        _fail(str(exc))
    text = result.model_dump_json(indent=2)
    if results_fp:
        results_fp.parent.mkdir(parents=True, exist_ok=True)
        results_fp.write_text(text)
    typer.echo(text)


@app.command("validate")
def validate_command(
    data: DataOption = None,
    out_dir: Annotated[Path | None, typer.Option(help="write valid.jsonl and quarantine.jsonl here")] = None,
    max_bad_fraction: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="reject above this share of bad rows (0..1)")
    ] = None,
) -> None:
    """Check a reviews file (or a folder of them) against the contract; prints counts per reason.

    Every record ends in valid.jsonl or in quarantine.jsonl with its reason, `source_file` and `line`.
    """
    from review_sentiment.data.datasets import SHIPPED_DATASET, load_reviews, write_jsonl
    from review_sentiment.data.validation import BatchRejected, validate

    settings = _settings(max_bad_fraction=max_bad_fraction)
    try:
        frame = load_reviews(data or SHIPPED_DATASET)
        try:
            result = validate(frame, settings.max_bad_fraction, settings.max_text_chars)
        except BatchRejected as exc:
            if out_dir:
                write_jsonl(exc.result.quarantine, out_dir / "quarantine.jsonl")
            raise
        if out_dir:
            write_jsonl(result.valid, out_dir / "valid.jsonl")
            write_jsonl(result.quarantine, out_dir / "quarantine.jsonl")
    except _user_errors() as exc:
        _fail(str(exc))
    typer.echo(json.dumps(result.report, indent=2))


@app.command()
def predict(
    texts: Annotated[list[str], typer.Argument(help="review texts")],
    model: Annotated[
        Path | None, typer.Option(help="ONNX file; default: the last `run`'s chosen model")
    ] = None,
) -> None:
    """Predict sentiment with an exported ONNX model (the serving code path)."""
    from review_sentiment.serving.onnx_model import OnnxSentimentModel

    path = model or _settings().artifacts_dir / "model.onnx"
    if not path.is_file():
        _fail(f"{path} is not a model file; run `make run` first or pass --model <model.onnx>")
    try:
        loaded = OnnxSentimentModel(path)
    except Exception as exc:  # onnxruntime raises its own types for a file that is not a graph
        reason = " ".join(str(exc).split())[:200]
        _fail(
            f"{path} is not a sentiment ONNX model ({type(exc).__name__}: {reason}); pass the model.onnx "
            "that `run` or `train` wrote"
        )
    for text, prediction in zip(texts, loaded.predict(texts), strict=True):
        typer.echo(json.dumps({"text": text, **prediction}))


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
