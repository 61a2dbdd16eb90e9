"""One Lambda execution environment as a local process group (the RuntimeExecutor LocalStack drives).

LocalStack's assignment service keeps warm environments and gives concurrent invocations separate
ones; this class is one of them. `start()` spawns the runtime (init runs once here), `invoke()` hands
one event to it through the Runtime API and waits at most the function's timeout. A timeout or a crash
kills the process group and the next invocation re-initialises it, as AWS resets a sandbox.
Output goes to one file per environment; each invocation returns its slice (init output included in
the first one), framed with START/END/REPORT lines, and LocalStack stores it in CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

from local_cloud_plugins.lambda_executor import runtimes
from local_cloud_plugins.lambda_executor.runtime_api import Invocation, RuntimeApiServer, deadline_ms

LOG = logging.getLogger(__name__)

ENV_STATE_DIR = "LOCAL_CLOUD_STATE_DIR"  # set by the controller; the environments live under <it>/lambda
INIT_TIMEOUT_S = 10.0  # AWS gives an on-demand init 10 s
POLL_S = 0.25  # how often a waiting invoke checks that the process is still alive

# set by LocalStack for its Go init in a container; meaningless for a local process
_DROPPED_ENV = ("LOCALSTACK_CHMOD_PATHS", "LOCALSTACK_USER", "AWS_LAMBDA_MAX_CONCURRENCY")
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def _environments_root() -> Path:
    return Path(os.environ.get(ENV_STATE_DIR) or config.dirs.tmp) / "lambda"


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _layer_dirs(function_version: FunctionVersion) -> list[Path]:
    # later layers win on AWS (they are extracted over earlier ones into /opt): put them first
    return [layer.code.get_unzipped_code_location() for layer in reversed(function_version.config.layers)]


class LocalProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.dir = _environments_root() / id
        self.log_path = self.dir / "output.log"
        self.process: subprocess.Popen | None = None
        self.api: RuntimeApiServer | None = None
        self.env: dict[str, str] = {}
        self.stopped = threading.Event()
        self._log_offset = 0
        self._init_ms: float | None = None  # reported once, with the invocation after an init

    # --- RuntimeExecutor: addresses -----------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        host = config.GATEWAY_LISTEN[0].host
        return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{self.get_endpoint_from_executor()}:{port}/_localstack_lambda/{self.id}"

    # --- RuntimeExecutor: version preparation -------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        cfg = function_version.config
        try:
            runtimes.resolve(cfg.runtime, cfg.package_type)
        except runtimes.RuntimeUnavailable as exc:
            raise LambdaRuntimeException(str(exc)) from None
        if cfg.code:
            cfg.code.prepare_for_execution()
        for layer in cfg.layers:
            if layer.code:
                layer.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # --- lifecycle ----------------------------------------------------------------------------------
    def _process_env(self, env_vars: dict[str, str], runtime: runtimes.LocalRuntime) -> dict[str, str]:
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        layers = _layer_dirs(self.function_version)
        env = {k: str(v) for k, v in env_vars.items() if k not in _DROPPED_ENV}
        user_pythonpath = (self.function_version.config.environment or {}).get("PYTHONPATH")
        python_paths = [code_dir]
        for layer in layers:  # the layout AWS puts on sys.path for /opt
            python_paths += [str(layer / "python" / "lib" / f"python{runtime.runtime[6:]}" / "site-packages")]
            python_paths += [str(layer / "python")]
        if user_pythonpath:
            python_paths.append(user_pythonpath)
        bin_dirs = [str(Path(runtime.interpreter).parent)] if runtime.interpreter else []
        env.update(
            {
                "LAMBDA_TASK_ROOT": code_dir,
                "LAMBDA_RUNTIME_DIR": bin_dirs[0] if bin_dirs else code_dir,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime.runtime}",
                "PYTHONPATH": os.pathsep.join(python_paths),
                "PYTHONUNBUFFERED": "1",  # output reaches the log before the response is posted
                # sys.path is the code, its layers, then the runtime's own site-packages (awslambdaric,
                # boto3), as on AWS: nothing from the user's site or from another environment
                "PYTHONNOUSERSITE": "1",
                "PATH": os.pathsep.join([*bin_dirs, *(str(x / "bin") for x in layers), _SYSTEM_PATH]),
                "LD_LIBRARY_PATH": os.pathsep.join(str(x / "lib") for x in layers),
                "LANG": "C.UTF-8",
                "TMPDIR": str(self.dir / "tmp"),  # this environment's own /tmp
                "HOME": str(self.dir / "tmp"),
            }
        )
        return env

    def start(self, env_vars: dict[str, str]) -> None:
        cfg = self.function_version.config
        self.runtime = runtimes.resolve(cfg.runtime, cfg.package_type)
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        self.env = self._process_env(env_vars, self.runtime)
        self._spawn()

    def _spawn(self) -> None:
        """Start a runtime process and wait until its init is done; raise with the init error if not."""
        code_dir = self.function_version.config.code.get_unzipped_code_location()
        command = self.runtime.command(
            self.function_version.config.handler or "", [code_dir, *_layer_dirs(self.function_version)]
        )
        self.api = RuntimeApiServer().start()
        env = {**self.env, "AWS_LAMBDA_RUNTIME_API": self.api.address}
        began = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=code_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a timeout kills the handler's children too
            )
        (self.dir / "pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + INIT_TIMEOUT_S
        while not self.api.polled.wait(0.005 if time.perf_counter() - began < 1 else POLL_S):
            failure = None
            if self.api.init_failed.is_set():
                failure = self.api.init_error
            elif self.process.poll() is not None:
                failure = _error(
                    "Runtime.ExitError", f"Error: Runtime exited with error: {self._exit_status()}"
                )
            elif self.stopped.is_set():
                failure = _error("Runtime.Unknown", "Error: the environment was stopped during init")
            elif time.monotonic() > deadline:
                message = f"Error: init timed out after {INIT_TIMEOUT_S:.2f} seconds"
                failure = _error("Sandbox.Timedout", message)
            if failure is not None:
                self._kill()
                LOG.info("Lambda %s init failed: %s", self.function_version.id.function_name, failure[:500])
                raise StatusErrorException("Environment startup failed", payload=failure)
        self._init_ms = (time.perf_counter() - began) * 1000

    def _exit_status(self) -> str:
        code = self.process.returncode if self.process else None
        if code is not None and code < 0:
            return f"signal: {signal.Signals(-code).name.lower().removeprefix('sig')}"
        return f"exit status {code}"

    def _kill(self) -> None:
        process, api = self.process, self.api
        self.process = self.api = None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                LOG.warning("Lambda process %s did not exit after SIGKILL", process.pid)
            (self.dir / "pid").unlink(missing_ok=True)
        if api is not None:
            api.close()

    def stop(self) -> None:
        self.stopped.set()
        self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- invoke ---------------------------------------------------------------------------------------
    def _append_log(self, text: str) -> None:
        with self.log_path.open("a") as log:
            log.write(text)

    def _take_logs(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            data = log.read()
        self._log_offset += len(data)
        return data.decode(errors="replace")

    def _max_memory_mb(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        except (OSError, AttributeError, ValueError):
            pass
        return 0

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        cfg = self.function_version.config
        if self.process is None or self.process.poll() is not None:
            self._kill()
            self._spawn()  # after a timeout or crash: a fresh init, as AWS does
        invocation = Invocation(
            request_id=request_id,
            payload=payload["payload"].encode(),
            function_arn=payload["invoked-function-arn"],
            trace_id=payload.get("trace-id") or "",
            deadline_ms=deadline_ms(cfg.timeout),
        )
        self._append_log(f"START RequestId: {request_id} Version: {self.function_version.id.qualifier}\n")
        began = time.perf_counter()
        self.api.submit(invocation)
        result, is_error, duration_ms, memory_mb = self._wait(invocation, began, began + cfg.timeout)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {cfg.memory_size} MB\t"
            f"Max Memory Used: {memory_mb} MB"
        )
        if self._init_ms is not None:
            report += f"\tInit Duration: {self._init_ms:.2f} ms"
            self._init_ms = None
        self._append_log(f"END RequestId: {request_id}\n{report}\n")
        return InvocationResult(request_id, result, is_error=is_error, logs=self._take_logs())

    def _wait(self, invocation: Invocation, began: float, deadline: float) -> tuple[bytes, bool, float, int]:
        """(result, is_error, duration ms, max memory MB) of one invocation, enforcing its deadline."""
        request_id = invocation.request_id
        while not invocation.done.wait(max(0.0, min(POLL_S, deadline - time.perf_counter()))):
            duration_ms = (time.perf_counter() - began) * 1000
            if self.process.poll() is not None:
                status = self._exit_status()
                self._kill()
                message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
                return _error("Runtime.ExitError", message), True, duration_ms, 0
            if self.stopped.is_set():
                return _error("Runtime.Unknown", "Error: the environment was stopped"), True, duration_ms, 0
            if time.perf_counter() >= deadline:
                memory_mb = self._max_memory_mb()
                self._kill()
                timeout = self.function_version.config.timeout
                stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                self._append_log(f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds\n")
                message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
                return _error("Sandbox.Timedout", message), True, duration_ms, memory_mb
        duration_ms = (time.perf_counter() - began) * 1000
        return invocation.result or b"", invocation.is_error, duration_ms, self._max_memory_mb()

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
