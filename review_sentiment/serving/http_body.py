"""Reading a JSON request body as HTTP says to, and RFC 9457 problem details for every client mistake.

`json_body` takes what API Gateway hands over (Content-Type, body, the base64 flag) and returns the parsed
JSON or raises `ClientProblem` with the right status: 415 for a media type other than application/json
or a charset other than UTF-8 (RFC 8259: JSON is UTF-8), 413 for a body over the size cap, 400 for an
empty body, a broken base64 encoding, bytes that are not UTF-8, or text that is not JSON. Validation of
the JSON's fields (422) is Pydantic's (api_models). No AWS event or context here: plain values in.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus

PROBLEM_CONTENT_TYPE = "application/problem+json"
JSON_MEDIA_TYPE = "application/json"


class ClientProblem(Exception):
    """A request the client must change: its status, detail and field errors make its RFC 9457 body
    (`problem`), `headers` go with the answer."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    errors: list[dict] | None = None,
) -> dict:
    """An RFC 9457 problem details object: type about:blank, title = the status phrase, plus extensions."""
    body: dict = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id is not None:
        body["requestId"] = request_id
    if errors:
        body["errors"] = errors
    return body


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """("type/subtype" lower-cased, {parameter: value}) of a Content-Type value (RFC 9110 section 8.3.1)."""
    kind, _, rest = value.partition(";")
    params = {}
    for part in rest.split(";"):
        name, sep, val = part.partition("=")
        if sep:
            params[name.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), params


def check_media_type(content_type: str | None) -> None:
    """Raises 415 unless the body is application/json in UTF-8; no Content-Type is read as JSON."""
    if content_type is None or not content_type.strip():
        return
    kind, params = parse_media_type(content_type)
    accept = {"Accept-Post": JSON_MEDIA_TYPE}
    if kind != JSON_MEDIA_TYPE:
        raise ClientProblem(
            415,
            f"unsupported media type {kind or content_type!r}: send the review as JSON with "
            f"Content-Type: {JSON_MEDIA_TYPE}",
            headers=accept,
        )
    charset = params.get("charset")
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ClientProblem(
            415, f"unsupported charset {charset!r}: JSON must be sent as UTF-8 (RFC 8259)", headers=accept
        )


def body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    """The raw bytes of a body as API Gateway hands it over (base64 when the flag is set)."""
    if body is None:
        return b""
    if not is_base64_encoded:
        return body.encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ClientProblem(
            400, "the request body is marked base64-encoded but is not valid base64"
        ) from None


def json_body(content_type: str | None, body: str | None, is_base64_encoded: bool, max_bytes: int) -> object:
    """The parsed JSON of a request body; raises ClientProblem (400, 413, 415) saying what to change."""
    check_media_type(content_type)
    raw = body_bytes(body, is_base64_encoded)
    if len(raw) > max_bytes:
        raise ClientProblem(
            413,
            f"the request body is {len(raw):,} bytes; the limit is {max_bytes:,}: send fewer reviews",
        )
    try:
        text = raw.decode("utf-8-sig")  # a leading byte order mark is allowed (RFC 8259 section 8.1)
    except UnicodeDecodeError as error:
        raise ClientProblem(
            400,
            f"the request body is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}): "
            "encode the JSON as UTF-8",
        ) from None
    if not text.strip():
        raise ClientProblem(400, "the request body is empty: send a JSON object")
    try:
        parsed = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ClientProblem(
            400,
            f"the request body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None
    except (RecursionError, ValueError) as error:
        raise ClientProblem(400, f"the request body is not valid JSON: {error}") from None
    try:  # "\ud800" escapes parse into strings that are not Unicode text and cannot be encoded
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ClientProblem(
            400,
            "the request body is not valid JSON text: it escapes an unpaired UTF-16 surrogate (\\ud800)",
        ) from None
    return parsed


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def field_errors(errors: Iterable[Mapping], prefix: tuple = ()) -> list[dict]:
    """Pydantic errors as [{"field": "reviews.3.reviewText", "message": ...}], with clearer messages."""
    out = []
    for error in errors:
        loc = [*prefix, *(p for p in error.get("loc", ()) if p != "body")]
        name = ".".join(str(p) for p in loc) or "body"
        out.append({"field": name, "message": _message(error)})
    return out


def _message(error: Mapping) -> str:
    kind = error.get("type", "")
    if kind == "string_pattern_mismatch":
        return "must contain at least one character that is not whitespace"
    if kind == "extra_forbidden":
        return "unknown field: remove it (see the Review schema in the OpenAPI document)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object"
    return str(error.get("msg", "invalid value"))
