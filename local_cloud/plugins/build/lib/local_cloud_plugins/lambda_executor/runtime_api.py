"""The Lambda Runtime API (2018-06-01) served to one runtime process.

The runtime interface client long-polls `GET /invocation/next`, runs the handler and posts the result
to `/invocation/<id>/response` or `/error`; an import failure goes to `/init/error`. One server per
process incarnation, so a killed process's pending poll can never take a later invocation.
See https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    function_arn: str
    trace_id: str
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes | None = None
    is_error: bool = False


class _Closed:
    """Put on the queue to release a poll that waits while the server shuts down."""


class RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)
        self.pending: queue.Queue[Invocation | _Closed] = queue.Queue()
        self.current: dict[str, Invocation] = {}
        self.polled = threading.Event()  # the runtime finished init and asked for work
        self.init_error: bytes | None = None
        self.init_failed = threading.Event()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="lambda-runtime-api", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> RuntimeApiServer:
        self._thread.start()
        return self

    def submit(self, invocation: Invocation) -> None:
        self.current[invocation.request_id] = invocation
        self.pending.put(invocation)

    def close(self) -> None:
        """Release waiting polls and stop serving, in the background: nobody needs to wait for it."""
        self.pending.put(_Closed())

        def _close() -> None:
            self.shutdown()
            self.server_close()

        threading.Thread(target=_close, name="lambda-runtime-api-close", daemon=True).start()

    def finish(self, request_id: str, body: bytes, is_error: bool) -> bool:
        invocation = self.current.pop(request_id, None)
        if invocation is None:
            return False
        invocation.result, invocation.is_error = body, is_error
        invocation.done.set()
        return True


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses one connection
    server: RuntimeApiServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:  # quiet: LocalStack's log is for LocalStack
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404, b'{"errorMessage":"not found"}')
            return
        self.server.polled.set()
        invocation = self.server.pending.get()
        if isinstance(invocation, _Closed):
            self.server.pending.put(invocation)  # release any other waiting poll too
            self.close_connection = True
            return
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        self._reply(200, invocation.payload, headers)

    def do_POST(self) -> None:
        body = self._body()
        parts = self.path[len(PREFIX) :].strip("/").split("/")
        if parts == ["init", "error"]:
            self.server.init_error = body or _error_body(self.headers.get(ERROR_TYPE_HEADER), "init failed")
            self.server.init_failed.set()
            self._reply(202, b'{"status":"OK"}')
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            is_error = parts[2] == "error"
            if is_error and not body:
                body = _error_body(self.headers.get(ERROR_TYPE_HEADER), "function error")
            if self.server.finish(parts[1], body, is_error):
                self._reply(202, b'{"status":"OK"}')
            else:
                self._reply(400, b'{"errorMessage":"unknown or finished request id"}')
        else:
            self._reply(404, b'{"errorMessage":"not found"}')


def _error_body(error_type: str | None, message: str) -> bytes:
    return json.dumps({"errorType": error_type or "Runtime.Unknown", "errorMessage": message}).encode()


def deadline_ms(timeout_s: float) -> int:
    return int((time.time() + timeout_s) * 1000)
