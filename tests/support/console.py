"""Helpers of the console's unit tests: small local HTTP servers standing in for the inference API and
Prometheus (threaded, on free ports of 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[str, str, bytes], tuple[int, object]]  # (method, path, body) -> (status, JSON body)


class JsonServer:
    """A threaded HTTP server answering every request with `handler(method, path, body)` as JSON."""

    def __init__(self, handler: Handler) -> None:
        outer = self
        self.requests: list[tuple[str, str, bytes]] = []

        class _Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.command, self.path, body))
                status, payload = handler(self.command, self.path, body)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fake_api(version: str = "3") -> Handler:
    """The inference API's answers: a prediction per review, a 422 problem for an empty reviewText."""

    def prediction(review: dict) -> dict:
        positive = 0.9 if "good" in review.get("reviewText", "").lower() else 0.2
        return {
            "label": "positive" if positive > 0.5 else "negative",
            "probabilities": {"negative": round(1 - positive, 2), "positive": positive},
            "model": {"name": "review-sentiment", "version": version, "kind": "logreg"},
        }

    def problem(field: str) -> dict:
        return {
            "type": "about:blank",
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "the review is not valid",
            "errors": [{"field": field, "message": "String should have at least 1 character"}],
        }

    def handle(method: str, path: str, body: bytes) -> tuple[int, object]:
        if method == "GET" and path == "/stage/model":
            return 200, {"name": "review-sentiment", "version": version, "kind": "logreg"}
        request = json.loads(body or b"{}")
        if path == "/stage/predict":
            if not request.get("reviewText"):
                return 422, problem("reviewText")
            return 200, {"requestId": "r-1", **prediction(request)}
        if path == "/stage/batch_predict":
            results = [
                {"error": problem(f"reviews.{i}.reviewText")} if not r.get("reviewText") else prediction(r)
                for i, r in enumerate(request["reviews"])
            ]
            failed = sum("error" in r for r in results)
            return 200, {"results": results, "succeeded": len(results) - failed, "failed": failed}
        return 403, {"message": "Missing Authentication Token"}

    return handle


FIVE_XX_RATE = " / ".join(
    f"sum by (api_name, stage) (aws_apigateway_{name}_sum)" for name in ("5_xxerror", "count")
)
SERIES = {
    "max by (api_name, stage) (aws_apigateway_latency_p50)": [
        ({"api_name": "rs-api", "stage": "local"}, "12")
    ],
    "max by (api_name, stage) (aws_apigateway_latency_p99)": [
        ({"api_name": "rs-api", "stage": "local"}, "48.5")
    ],
    # 0/0 where there was no traffic: Prometheus answers NaN, which is no data
    FIVE_XX_RATE: [({"api_name": "rs-api"}, "NaN")],
}


def fake_prometheus(method: str, path: str, body: bytes) -> tuple[int, object]:
    url = urllib.parse.urlsplit(path)
    query = dict(urllib.parse.parse_qsl(url.query))
    if url.path == "/api/v1/query":
        result = [
            {"metric": labels, "value": [1.0, value]} for labels, value in SERIES.get(query["query"], [])
        ]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
    if url.path == "/api/v1/query_range":
        start = float(query["start"])
        result = [
            {"metric": labels, "values": [[start, value], [start + 60, value]]}
            for labels, value in SERIES.get(query["query"], [])
        ]
        return 200, {"status": "success", "data": {"resultType": "matrix", "result": result}}
    if url.path == "/api/v1/alerts":
        alert = {
            "labels": {"alertname": "ApiLatencyP99High", "severity": "warning"},
            "annotations": {"summary": "p99 over 1 s"},
            "state": "firing",
            "activeAt": "2026-12-04T08:00:00Z",
        }
        return 200, {"status": "success", "data": {"alerts": [alert]}}
    if url.path == "/-/ready":
        return 200, {}
    return 400, {"status": "error", "error": "bad_data: parse error"}
