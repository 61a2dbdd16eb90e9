"""Benchmark of the inference API: the champion ONNX model vs the same model in scikit-learn, served the
same way (the same handler, validation and capture; only the model object differs), in one run.

Prints: handler-only latency p50/p99 (in-process lambda_handler on an API Gateway event); end-to-end
POST /predict through API Gateway p50/p95/p99 at concurrency 1 and 8; POST /batch_predict rows/s; cold
start (Lambda init, and the first request of a new execution environment end to end); each beside the
scikit-learn figure and the ratio. Then a load run: N requests at concurrency 8 to the ONNX API, with
the error count. Targets: cold start < 1 s, warm end-to-end p99 < 50 ms on loopback, onnxruntime >= 20x
faster than scikit-learn per single request (p99).

Run: .venv/bin/python benchmarks/bench_inference_api.py [--requests 400] [--load 20000] [--kind logreg]
[--quick]. It trains the model on the shipped reviews (seconds), starts its own LocalStack on a free port
(state in a temporary folder), creates both functions and their REST APIs with boto3, and stops it at the
end. The ONNX function is functions/inference/app.py as deployed (champion pointer in SSM, graph in S3).
Both functions run on this interpreter's environment, declared as its runtime (python3.11 for .venv), so
that only the model object differs: scikit-learn, SciPy and pandas do not fit a Lambda package beside
the serving code (see the README's size table), and the python3.12 runtime of the stack holds only what
its packages ship. Each package carries the domain package, as the shared-code layer does.
--quick: 20 requests per measurement, 2 batches, 1 cold start, no load run (a smoke run).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import pickle
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from pathlib import Path

import boto3
from _common import REPO, add_common_arguments
from botocore.config import Config
from botocore.exceptions import WaiterError

from local_cloud.controller import LocalCloud, free_port
from local_cloud.settings import ENV_LAMBDA_RUNTIMES

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"  # this interpreter, for both functions

PARAMETER = "/review-sentiment/bench/champion"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
HANDLER_ENV = {  # the stack's Globals for the function, plus its champion pointer
    "POWERTOOLS_SERVICE_NAME": "review-sentiment",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "CHAMPION_PARAMETER": PARAMETER,
    "CHAMPION_CACHE_SECONDS": "5",
}
MODEL_NAME = "review-sentiment"
REVIEWS = [
    "Great book, highly recommend!",
    "I could not put it down, the characters felt real and the ending was perfect.",
    "Boring, badly edited and far too long. I gave up halfway.",
    "It was ok. Some chapters dragged but the plot twist saved it.",
    "AWFUL formatting on the Kindle, pages missing!!! Do not buy.",
    "A lovely short story for a rainy afternoon.",
]

# The scikit-learn function: the same handler module, its model cache replaced by the pickled pipeline.
SKLEARN_WRAPPER = '''
import pickle
from pathlib import Path

import numpy as np

import inference_app
from review_sentiment.serving.champion import Champion
from review_sentiment.serving.model_cache import ServingModel
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from review_sentiment.serving.service import InferenceService


class SklearnModel:
    """predict_proba(texts) -> (labels, probabilities) like OnnxSentimentModel, from a fitted pipeline."""

    def __init__(self, pipeline):
        from review_sentiment.modeling.kinds import model_frame

        self.pipeline, self.model_frame = pipeline, model_frame

    def predict_proba(self, texts):
        probabilities = self.pipeline.predict_proba(self.model_frame(texts)).astype(np.float32)
        return probabilities.argmax(axis=1).astype(np.int64), probabilities

    predict = OnnxSentimentModel.predict  # label names and probabilities from predict_proba, as served


class FixedModels:
    """Loads scikit-learn, pandas and the pickle on the first request: in the init phase they can take
    longer than Lambda's 10 s init limit on a busy 2-core machine (the ONNX function loads at init)."""

    def __init__(self):
        self.current = None

    def get(self):
        if self.current is None:
            pipeline = pickle.loads((Path(__file__).parent / "model.pkl").read_bytes())
            champion = Champion("review-sentiment", "1", "KIND", "local://model.pkl", 0.0, "bench")
            self.current = ServingModel(champion, SklearnModel(pipeline))
        return self.current


_service = InferenceService(FixedModels())
inference_app.routes.service = lambda: _service
lambda_handler = inference_app.lambda_handler
'''


def percentile(samples_ms: list[float], q: float) -> float:
    ordered = sorted(samples_ms)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(samples_ms),
        "p95": percentile(samples_ms, 0.95),
        "p99": percentile(samples_ms, 0.99),
    }


def train(kind: str) -> tuple[bytes, object, float]:
    """(ONNX graph, fitted scikit-learn pipeline, test macro-F1) on the shipped reviews."""
    from review_sentiment.data.datasets import binary_splits, load_shipped
    from review_sentiment.data.metrics import macro_f1
    from review_sentiment.modeling.kinds import build_pipeline, model_frame
    from review_sentiment.modeling.onnx_export import to_onnx

    splits = binary_splits(load_shipped(), seed=7)
    texts = splits.train["reviewText"].tolist()
    params = {"max_features": 3000, "svd_components": 64, "C": 3.0}
    pipeline = build_pipeline(kind, params, texts, seed=7)
    pipeline.fit(model_frame(texts), splits.train["label"].to_numpy())
    predicted = pipeline.predict(model_frame(splits.test["reviewText"].tolist()))
    return (
        to_onnx(pipeline, {"model_kind": kind}),
        pipeline,
        macro_f1(splits.test["label"].to_numpy(), predicted),
    )


def api_event(path: str, body: dict) -> dict:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "stage": "bench",
            "requestId": "bench",
        },
        "body": json.dumps(body),
    }


class FakeContext:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "bench"


def handler_only(workdir: Path, kind: str, requests: int) -> dict[str, dict[str, float]]:
    """In-process lambda_handler latency (ms) for the ONNX and the scikit-learn function code."""
    os.environ.update(HANDLER_ENV)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    results = {}
    for flavour in ("onnx", "sklearn"):
        code = workdir / flavour
        sys.path.insert(0, str(code))
        try:
            for name in ("inference_app", "app", "routes", "bench_app"):
                sys.modules.pop(name, None)
            module = __import__("bench_app" if flavour == "sklearn" else "inference_app")
            if flavour == "onnx":
                from review_sentiment.serving.onnx_model import OnnxSentimentModel

                module.routes.service = _fixed_onnx(
                    OnnxSentimentModel((code / "model.onnx").read_bytes()), kind
                )
            samples = []
            with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
                for i in range(requests):
                    event = api_event("/predict", {"reviewText": REVIEWS[i % len(REVIEWS)]})
                    began = time.perf_counter()
                    response = module.lambda_handler(event, FakeContext())
                    samples.append((time.perf_counter() - began) * 1000)
                    assert response["statusCode"] == 200, response
            results[flavour] = summary(samples[len(samples) // 10 :])  # the first tenth warms up
        finally:
            sys.path.remove(str(code))
    return results


def _fixed_onnx(model, kind: str):
    """The routes' service() for one fixed champion (no SSM, no S3)."""
    from review_sentiment.serving.champion import Champion
    from review_sentiment.serving.model_cache import ServingModel
    from review_sentiment.serving.service import InferenceService

    serving = ServingModel(Champion(MODEL_NAME, "1", kind, "local://model.onnx", 0.0, "bench"), model)

    class Fixed:
        def get(self):
            return serving

    service = InferenceService(Fixed())
    return lambda: service


class DeployedApi:
    """One function behind its own REST API (POST /predict, POST /batch_predict) in the local cloud."""

    def __init__(self, cloud: LocalCloud, clients: dict, name: str, code: Path, handler: str, env: dict):
        lam, apigw = clients["lambda"], clients["apigateway"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            for path in sorted(code.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(code).as_posix())
        self.name = name
        arn = lam.create_function(
            FunctionName=name, Runtime=RUNTIME, Handler=handler, MemorySize=1024, Timeout=30,
            Role="arn:aws:iam::000000000000:role/bench", Code={"ZipFile": archive.getvalue()},
            Environment={"Variables": env},
        )["FunctionArn"]  # fmt: skip
        try:
            lam.get_waiter("function_active_v2").wait(FunctionName=name)
        except WaiterError:
            reason = lam.get_function_configuration(FunctionName=name).get("StateReason")
            raise SystemExit(f"error: function {name} did not become active: {reason}") from None
        api_id = apigw.create_rest_api(name=name)["id"]
        root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        for part in ("predict", "batch_predict"):
            resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
            method = {"restApiId": api_id, "resourceId": resource, "httpMethod": "POST"}
            apigw.put_method(**method, authorizationType="NONE")
            apigw.put_integration(
                **method, type="AWS_PROXY", integrationHttpMethod="POST",
                uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
            )  # fmt: skip
        apigw.create_deployment(restApiId=api_id, stageName="bench")
        self.base = f"/_aws/execute-api/{api_id}/bench"
        self.port = cloud.port
        self.lam, self.logs = lam, clients["logs"]
        self._local = threading.local()
        self._revision = 0

    def post(self, path: str, body: dict) -> tuple[int, float]:
        """(status, milliseconds) of one request on this thread's keep-alive connection."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=120
            )
        began = time.perf_counter()
        connection.request(
            "POST", self.base + path, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - began) * 1000

    def predict_latency(self, requests: int, concurrency: int) -> tuple[dict[str, float], int, float]:
        """(latency summary ms, errors, requests/s) of `requests` POST /predict at `concurrency`."""

        def one(i: int) -> tuple[int, float]:
            return self.post("/predict", {"reviewText": REVIEWS[i % len(REVIEWS)]})

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(concurrency * 4)))  # every environment warm
            began = time.perf_counter()
            results = list(pool.map(one, range(requests)))
            elapsed = time.perf_counter() - began
        errors = sum(status != 200 for status, _ in results)
        return summary([ms for _, ms in results]), errors, requests / elapsed

    def batch_rows_per_s(self, batches: int, size: int) -> float:
        body = {"reviews": [{"reviewText": REVIEWS[i % len(REVIEWS)]} for i in range(size)]}
        self.post("/batch_predict", body)
        began = time.perf_counter()
        for _ in range(batches):
            status, _ = self.post("/batch_predict", body)
            assert status == 200
        return batches * size / (time.perf_counter() - began)

    def cold_starts(self, repeat: int) -> tuple[list[float], list[float]]:
        """(first request ms, Lambda Init Duration ms) for `repeat` new execution environments."""
        firsts, since_ms = [], int(time.time() * 1000)
        for _ in range(repeat):
            self._revision += 1
            self.lam.update_function_configuration(
                FunctionName=self.name,
                Environment={"Variables": {**self._env(), "REVISION": str(self._revision)}},
            )
            self.lam.get_waiter("function_updated_v2").wait(
                FunctionName=self.name, WaiterConfig={"Delay": 0.2}
            )
            self._local.connection = None
            status, ms = self.post("/predict", {"reviewText": REVIEWS[0]})
            assert status == 200
            firsts.append(ms)
        time.sleep(2)  # logs are stored asynchronously
        inits = []
        kwargs = {
            "logGroupName": f"/aws/lambda/{self.name}",
            "filterPattern": "REPORT",
            "startTime": since_ms,
        }
        while True:
            page = self.logs.filter_log_events(**kwargs)
            inits += [
                float(m)
                for e in page["events"]
                for m in re.findall(r"Init Duration: ([0-9.]+) ms", e["message"])
            ]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        return firsts, inits

    def _env(self) -> dict:
        return self.lam.get_function_configuration(FunctionName=self.name)["Environment"]["Variables"]


def package(workdir: Path, graph: bytes, pipeline, kind: str) -> None:
    """workdir/onnx (the inference function's code + the graph) and workdir/sklearn (wrapper + pickle),
    each with the domain package beside the handler (what the shared-code layer gives the function)."""
    code = REPO / "functions" / "inference"
    onnx_dir, sklearn_dir = workdir / "onnx", workdir / "sklearn"
    for folder in (onnx_dir, sklearn_dir):
        folder.mkdir()
        for module in code.glob("*.py"):  # app.py as inference_app.py, beside its other modules
            name = "inference_app.py" if module.name == "app.py" else module.name
            (folder / name).write_text(module.read_text())
        shutil.copytree(REPO / "review_sentiment", folder / "review_sentiment", ignore=IGNORED)
    (onnx_dir / "model.onnx").write_bytes(graph)  # for the handler-only run; the function reads S3
    (sklearn_dir / "bench_app.py").write_text(SKLEARN_WRAPPER.replace("KIND", kind))
    (sklearn_dir / "model.pkl").write_bytes(pickle.dumps(pipeline))


def import_seconds(module: str, path: Path | None = None) -> float:
    """Seconds a fresh interpreter takes to import `module` (from `path` if given): an init phase's cost."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    if path is not None:
        code = f"import sys; sys.path.insert(0, {str(path)!r}); " + code
    env = {**os.environ, **HANDLER_ENV, "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def load_seconds(graph: bytes, pipeline) -> tuple[float, float]:
    """Seconds to build the ONNX session from the graph, and to unpickle the scikit-learn pipeline."""
    from review_sentiment.serving.onnx_model import OnnxSentimentModel

    began = time.perf_counter()
    OnnxSentimentModel(graph)
    onnx_s = time.perf_counter() - began
    data = pickle.dumps(pipeline)
    began = time.perf_counter()
    pickle.loads(data)
    return onnx_s, time.perf_counter() - began


def line(label: str, onnx: float, sklearn: float, unit: str = "ms", higher_is_better: bool = False) -> str:
    ratio = (onnx / sklearn) if higher_is_better else (sklearn / onnx)
    return f"  {label:<44} onnx {onnx:9.2f} {unit:<6} sklearn {sklearn:9.2f} {unit:<6} onnx is {ratio:6.1f}x"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="logreg", help="model kind (review_sentiment.modeling.kinds)")
    parser.add_argument("--requests", type=int, default=400, help="requests per latency measurement")
    parser.add_argument("--batches", type=int, default=20, help="POST /batch_predict calls of 100 reviews")
    parser.add_argument("--cold", type=int, default=5, help="new execution environments to time")
    parser.add_argument("--load", type=int, default=20_000, help="requests of the load run (0: none)")
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.requests, args.batches, args.cold, args.load = 20, 2, 1, 0

    print(f"== training {args.kind} on the shipped reviews ...", flush=True)
    graph, pipeline, f1 = train(args.kind)
    print(
        f"  test macro-F1 {f1:.3f}; ONNX graph {len(graph) / 1024:.0f} KiB, "
        f"pickle {len(pickle.dumps(pipeline)) / 1024:.0f} KiB"
    )
    print("  imports in a fresh interpreter: "
          f"onnxruntime {import_seconds('onnxruntime') * 1000:.0f} ms, "
          f"sklearn {import_seconds('sklearn.linear_model') * 1000:.0f} ms")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        workdir = Path(tmp)
        package(workdir, graph, pipeline, args.kind)
        print("\n== cold start in process (fresh interpreter: the function's init, then the model load)")
        init = {  # the scikit-learn function imports scikit-learn and pandas (modeling.kinds) on first use
            "onnx": import_seconds("inference_app", workdir / "onnx"),
            "sklearn": import_seconds("bench_app", workdir / "sklearn")
            + import_seconds("review_sentiment.modeling.kinds"),
        }
        loads = dict(zip(("onnx", "sklearn"), load_seconds(graph, pipeline), strict=True))
        print(line("handler module import", init["onnx"] * 1000, init["sklearn"] * 1000))
        print(line("model load (ONNX session / unpickle)", loads["onnx"] * 1000, loads["sklearn"] * 1000))
        total = {k: (init[k] + loads[k]) * 1000 for k in init}
        print(line("init + model load", total["onnx"], total["sklearn"]))
        print(
            f"\n== handler only (in-process lambda_handler, POST /predict, {args.requests} requests)",
            flush=True,
        )
        local = handler_only(workdir, args.kind, args.requests)
        for q in ("p50", "p99"):
            print(line(f"handler {q}", local["onnx"][q], local["sklearn"][q]))

        # this interpreter serves the functions' runtime (its environment holds awslambdaric)
        runtimes = json.loads(os.environ.get(ENV_LAMBDA_RUNTIMES) or "{}")
        os.environ[ENV_LAMBDA_RUNTIMES] = json.dumps({**runtimes, RUNTIME: sys.executable})
        cloud = LocalCloud(port=free_port(), state_dir=workdir / "state")
        cloud.start()
        try:
            session = boto3.session.Session(
                aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
            )
            config = Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=120)
            clients = {
                n: session.client(n, endpoint_url=cloud.endpoint_url, config=config)
                for n in ("lambda", "apigateway", "logs", "s3", "ssm")
            }
            clients["s3"].create_bucket(Bucket="bench-models")
            clients["s3"].put_object(Bucket="bench-models", Key="model.onnx", Body=graph)
            pointer = {"model_name": MODEL_NAME, "version": "1", "model_kind": args.kind, "run_id": "bench",
                       "model_uri": "s3://bench-models/model.onnx", "test_macro_f1": f1}  # fmt: skip
            clients["ssm"].put_parameter(Name=PARAMETER, Value=json.dumps(pointer), Type="String")
            common = dict(HANDLER_ENV)
            (workdir / "onnx" / "model.onnx").unlink()  # the deployed function reads its graph from S3
            apis = {
                "onnx": DeployedApi(
                    cloud, clients, "bench-onnx", workdir / "onnx", "inference_app.lambda_handler", common
                ),
                "sklearn": DeployedApi(  # no champion pointer: it loads the pickle instead
                    cloud, clients, "bench-sklearn", workdir / "sklearn", "bench_app.lambda_handler",
                    {**common, "CHAMPION_PARAMETER": PARAMETER + "-none"},
                ),
            }  # fmt: skip

            for concurrency in (1, 8):
                print(
                    f"\n== end to end: POST /predict through API Gateway, concurrency {concurrency}, "
                    f"{args.requests} requests",
                    flush=True,
                )
                measured = {k: api.predict_latency(args.requests, concurrency) for k, api in apis.items()}
                for q in ("p50", "p95", "p99"):
                    print(line(f"latency {q}", measured["onnx"][0][q], measured["sklearn"][0][q]))
                print(
                    line(
                        "throughput",
                        measured["onnx"][2],
                        measured["sklearn"][2],
                        "req/s",
                        higher_is_better=True,
                    )
                )
                print(f"  errors: onnx {measured['onnx'][1]}, sklearn {measured['sklearn'][1]}")

            print(
                f"\n== POST /batch_predict, {args.batches} batches of 100 reviews, concurrency 1", flush=True
            )
            rows = {k: api.batch_rows_per_s(args.batches, 100) for k, api in apis.items()}
            print(line("rows/s", rows["onnx"], rows["sklearn"], "rows/s", higher_is_better=True))

            print(f"\n== cold start: {args.cold} new execution environments each", flush=True)
            cold = {k: api.cold_starts(args.cold) for k, api in apis.items()}
            print(
                line(
                    "Lambda Init Duration (median)",
                    statistics.median(cold["onnx"][1]),
                    statistics.median(cold["sklearn"][1]),
                )
            )
            print(
                line(
                    "first request end to end (median)",
                    statistics.median(cold["onnx"][0]),
                    statistics.median(cold["sklearn"][0]),
                )
            )
            print(line("first request end to end (max)", max(cold["onnx"][0]), max(cold["sklearn"][0])))

            if args.load:
                print(f"\n== load: {args.load:,} POST /predict at concurrency 8 (ONNX)", flush=True)
                latency, errors, rate = apis["onnx"].predict_latency(args.load, 8)
                print(
                    f"  {args.load:,} requests, {errors} errors, {rate:.0f} req/s; "
                    f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, p99 {latency['p99']:.1f} ms"
                )
        finally:
            cloud.stop()
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the local cloud on `kill` too
    sys.exit(main())
