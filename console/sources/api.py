"""The inference API as a client sees it: POST /predict, POST /batch_predict, GET /model, GET /health.

Plain HTTP (urllib) against the API's base URL (API Gateway's, `stack.deployment.DeployedStack.
api_base_url` locally): the console loads no model. Each call returns an `ApiAnswer` whatever the status,
so a page shows a 422 problem (RFC 9457) as the API wrote it; only a network failure raises
(`ApiUnreachable`). `parse_upload` turns a CSV or JSON-lines file in the Kindle schema into request
bodies; `curl_for` writes the same request as a `curl` command.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from review_sentiment.serving.api_models import MAX_BATCH, Review

JSON_HEADERS = {"Content-Type": "application/json"}
REVIEW_FIELDS = tuple(name for name, field in Review.model_fields.items() if not field.deprecated)
NUMBER_FIELDS = {"overall": float, "unixReviewTime": int}
RATING_ALIASES = ("rating",)  # the Kaggle Kindle CSV's name for `overall`


class ApiUnreachable(ConnectionError):
    """No HTTP answer at all (connection refused, DNS, timeout); the message names the URL."""


class UploadError(ValueError):
    """An uploaded file that is not CSV or JSON lines in the Kindle schema; the message says what to fix."""


@dataclass(frozen=True)
class ApiAnswer:
    """One HTTP answer: status, parsed JSON body (or the text), round-trip time in milliseconds."""

    status: int
    body: dict | list | str
    elapsed_ms: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def call(
    base_url: str,
    method: str,
    path: str,
    body: dict | None = None,
    timeout_s: float = 60.0,
    api_key: str | None = None,
) -> ApiAnswer:
    """One request to `base_url + path` (with `api_key` as x-api-key); raises ApiUnreachable when
    nothing answers."""
    data = None if body is None else json.dumps(body).encode()
    headers = (JSON_HEADERS if data else {}) | ({"x-api-key": api_key} if api_key else {})
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}{path}", data=data, method=method, headers=headers
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ApiUnreachable(f"{base_url}{path}: {reason}") from None
    elapsed_ms = (time.perf_counter() - started) * 1000
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw.decode(errors="replace")
    return ApiAnswer(status, parsed, elapsed_ms)


def predict(base_url: str, review: dict, api_key: str | None = None) -> ApiAnswer:
    """POST /predict with one review (`reviewText` required; `overall` etc. optional)."""
    return call(base_url, "POST", "/predict", review, api_key=api_key)


def batch_predict(
    base_url: str, reviews: list[dict], chunk: int = MAX_BATCH, api_key: str | None = None
) -> list[ApiAnswer]:
    """POST /batch_predict, `chunk` reviews a request (the API takes at most MAX_BATCH); one answer per
    request, in order."""
    return [
        call(base_url, "POST", "/batch_predict", {"reviews": reviews[i : i + chunk]}, api_key=api_key)
        for i in range(0, len(reviews), chunk)
    ]


def batch_rows(reviews: list[dict], answers: list[ApiAnswer]) -> list[dict]:
    """One row per review: its text, label, P(positive), model version, or the item's error."""
    rows: list[dict] = []
    for number, answer in enumerate(answers):
        chunk = reviews[number * MAX_BATCH : (number + 1) * MAX_BATCH]
        results = answer.body.get("results", []) if isinstance(answer.body, dict) else []
        for offset, review in enumerate(chunk):
            result = results[offset] if offset < len(results) else {}
            error = result.get("error") or (None if answer.ok else answer.body)
            rows.append(
                {
                    "reviewText": review.get("reviewText", ""),
                    "overall": review.get("overall"),
                    "label": result.get("label"),
                    "p_positive": (result.get("probabilities") or {}).get("positive"),
                    "model_version": (result.get("model") or {}).get("version"),
                    "error": _problem_line(error) if error else "",
                }
            )
    return rows


def _problem_line(problem) -> str:
    if not isinstance(problem, dict):
        return str(problem)[:200]
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or [])
    return f"{problem.get('status', '')} {problem.get('detail') or problem.get('title', '')} {fields}".strip()


def model_info(base_url: str, api_key: str | None = None) -> ApiAnswer:
    """GET /model: the champion the API serves (name, version, kind, promotedAt, metrics)."""
    return call(base_url, "GET", "/model", api_key=api_key)


def curl_for(base_url: str, path: str, body: dict, api_key: str | None = None) -> str:
    """The same request as a `curl` command a user can paste."""
    payload = shlex.quote(json.dumps(body, ensure_ascii=False))
    key = f" -H {shlex.quote('x-api-key: ' + api_key)}" if api_key else ""
    return (
        f"curl -s -X POST {base_url.rstrip('/')}{path} -H 'Content-Type: application/json'{key} -d {payload}"
    )


def review_body(text: str, overall: float | None = None, summary: str | None = None) -> dict:
    """The request body of one review typed into a form (empty optional fields left out)."""
    body: dict = {"reviewText": text}
    if overall is not None:
        body["overall"] = float(overall)
    if summary:
        body["summary"] = summary
    return body


def parse_upload(data: bytes, filename: str) -> tuple[list[dict], list[str]]:
    """(request bodies, notes) from a CSV (header row) or JSON-lines file in the Kindle schema.

    Only the API's fields are kept (`rating` is read as `overall`); other columns are dropped and named in
    the notes; empty cells are left out. Raises UploadError for a file that is not UTF-8, a CSV without a
    `reviewText` column, or a JSON line that is not an object.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(f"{filename}: not UTF-8 text; save it as UTF-8 CSV or JSON lines") from None
    if filename.lower().endswith((".jsonl", ".json", ".ndjson")):
        raw_rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise UploadError(f"{filename} line {number}: not JSON; one review object per line") from None
            if not isinstance(row, dict):
                raise UploadError(f"{filename} line {number}: a JSON object per line is expected")
            raw_rows.append(row)
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "reviewText" not in reader.fieldnames:
            raise UploadError(f"{filename}: no reviewText column in the header row ({reader.fieldnames})")
        raw_rows = list(reader)
    reviews, dropped = [], set()
    for row in raw_rows:
        review = {}
        for key, value in row.items():
            name = "overall" if key in RATING_ALIASES and "overall" not in row else key
            if name not in REVIEW_FIELDS:
                dropped.add(str(key))
                continue
            if value is None or (isinstance(value, str) and value.strip() == ""):
                continue
            review[name] = _typed(name, value)
        reviews.append(review)
    notes = [f"{len(reviews)} reviews read from {filename}"]
    if dropped:
        notes.append(f"columns the API does not take, left out: {', '.join(sorted(dropped))}")
    return reviews, notes


def _typed(name: str, value):
    if name in NUMBER_FIELDS and isinstance(value, str):
        try:
            return NUMBER_FIELDS[name](float(value))
        except ValueError:
            return value  # the API answers this item with its own 422
    if name == "helpful" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
