"""Runs Lambda functions locally the way Lambda does: each function in its own worker processes, each
with only the Lambda environment, warm workers reused, more started when invocations overlap (up to
the function's concurrency), the timeout enforced by killing the worker, and Lambda-style log lines.

The in-worker half is worker_bootstrap.py (see its docstring for the protocol).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import os
import signal
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from babelcast_devstack.invocation import printable
from babelcast_devstack.worker_bootstrap import MAX_RESPONSE_BYTES, SYNC_MARKER

BOOTSTRAP = Path(__file__).with_name("worker_bootstrap.py")
# Responses may be up to 6 MB (Lambda's limit, enforced by the worker); one protocol line holds one.
STREAM_LIMIT = 32 * 1024 * 1024
# Lambda's limit on the init phase (imports and module-level code).
INIT_TIMEOUT_SECONDS = 10.0
STOP_GRACE_SECONDS = 3.0
# How long to wait for a worker's stderr to catch up with its reply before logging END anyway.
LOG_SYNC_TIMEOUT_SECONDS = 2.0
VERSION = "$LATEST"

InvocationErrorKind = Literal["timeout", "handler_error", "init_error", "crashed", "request_too_large"]
# Lambda's limit on a synchronous invocation's payload is the same as on its response (6 MiB + 100).
MAX_REQUEST_BYTES = MAX_RESPONSE_BYTES
LogSink = Callable[[str, str], None]
_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    code_dir: Path
    timeout_seconds: float
    memory_mb: int
    environment: Mapping[str, str]
    arn: str
    max_concurrency: int = 10


class InvocationError(Exception):
    """The invocation failed the way a Lambda invocation fails; `payload()` is Lambda's error body."""

    def __init__(
        self, kind: InvocationErrorKind, error_type: str, error_message: str, stack_trace: Sequence[str] = ()
    ) -> None:
        super().__init__(f"{error_type}: {error_message}")
        self.kind: InvocationErrorKind = kind
        self.error_type = error_type
        self.error_message = error_message
        self.stack_trace = list(stack_trace)

    def payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.error_message, "stackTrace": self.stack_trace}


def _print_line(function_name: str, line: str) -> None:
    print(f"[{function_name}] {printable(line)}", flush=True)  # a \r or escape code cannot forge a line


def _timestamp() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


class _Worker:
    """One worker process: its protocol pipes and a task forwarding its stderr to the log."""

    def __init__(self, process: asyncio.subprocess.Process, log_stream: str, log: Callable[[str], None]) -> None:
        assert process.stdin and process.stdout and process.stderr
        self.process = process
        self.pid = process.pid
        self.log_stream = log_stream
        self.init_duration_ms: float | None = None  # reported on the first invocation only, as Lambda does
        self.stopping: asyncio.Task[None] | None = None
        self._stdin = process.stdin
        self._stdout = process.stdout
        self._messages = 0
        self._synced = 0
        self._stderr_closed = False
        self._progress = asyncio.Condition()
        self._pump = asyncio.create_task(self._forward_stderr(process.stderr, log))

    async def _forward_stderr(self, stderr: asyncio.StreamReader, log: Callable[[str], None]) -> None:
        while True:
            try:
                raw = await stderr.readline()
            except ValueError:  # a line longer than STREAM_LIMIT: asyncio has dropped what it buffered
                log("[log line longer than the stream limit truncated]")
                continue
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.endswith(SYNC_MARKER):
                if line := line[: -len(SYNC_MARKER)]:
                    log(line)
                async with self._progress:
                    self._synced += 1
                    self._progress.notify_all()
            else:
                log(line)
        async with self._progress:
            self._stderr_closed = True
            self._progress.notify_all()

    async def _logs_caught_up(self) -> None:
        """Waits until stderr has been read up to the marker the worker wrote before its last message."""
        async with self._progress:
            await self._progress.wait_for(lambda: self._synced >= self._messages or self._stderr_closed)

    async def receive(self) -> dict[str, Any] | None:
        """The next protocol message; None once the worker has closed stdout (it exited)."""
        try:
            line = await self._stdout.readline()
        except ValueError:  # longer than STREAM_LIMIT: the stream cannot be resynchronised
            return None
        if not line:
            return None
        self._messages += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._logs_caught_up(), LOG_SYNC_TIMEOUT_SECONDS)
        message: dict[str, Any] = json.loads(line)
        return message

    async def call(self, request: str) -> dict[str, Any] | None:
        self._stdin.write(request.encode("utf-8") + b"\n")
        await self._stdin.drain()
        return await self.receive()

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, signum: signal.Signals) -> None:
        # The worker leads its own process group: this reaches whatever the function started, too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    async def stop(self, grace: float) -> None:
        """SIGTERM (when given a grace period), then SIGKILL; returns once reaped and its logs drained."""
        if grace > 0 and self.process.returncode is None:
            self._signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), grace)
        self.kill()  # also any process of its group still running after the leader exited
        await self.process.wait()
        try:
            await asyncio.wait_for(asyncio.shield(self._pump), LOG_SYNC_TIMEOUT_SECONDS)
        except TimeoutError:  # stderr held open by a process that left the group
            self._pump.cancel()

    def exit_status(self) -> str:
        """How the process ended, worded as Lambda's Runtime.ExitError does."""
        code = self.process.returncode
        if code is None:
            return "unknown"
        if code < 0:
            return f"signal: {(signal.strsignal(-code) or str(-code)).lower()}"
        return f"exit status {code}"


class LambdaFunction:
    """One registered function: its pool of workers and the invocation logic."""

    def __init__(self, runtime: LambdaRuntime, spec: FunctionSpec) -> None:
        if spec.max_concurrency < 1:
            raise ValueError(f"{spec.name}: max_concurrency must be at least 1")
        self.spec = spec
        self.cold_starts = 0
        self._runtime = runtime
        self._log: Callable[[str], None] = functools.partial(runtime.emit, spec.name)
        self._slots = asyncio.Semaphore(spec.max_concurrency)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()

    def worker_pids(self) -> list[int]:
        """PIDs of this function's live workers, idle or busy."""
        return sorted(w.pid for w in self._workers if w.process.returncode is None)

    async def invoke(self, event: Mapping[str, Any]) -> Any:
        """Runs the handler on `event`; returns its JSON-decoded result or raises InvocationError."""
        self._runtime.check_open()
        event_json = json.dumps(event)
        size = len(event_json.encode())
        if size > MAX_REQUEST_BYTES:  # refused by Lambda before any code runs
            raise InvocationError(
                "request_too_large",
                "RequestEntityTooLargeException",
                f"{size} byte payload is too large for the RequestResponse invocation type "
                f"(limit {MAX_REQUEST_BYTES} bytes)",
            )
        async with self._slots:
            worker = self._warm_worker() or await self._start_worker()
            reusable = False
            try:
                result = await self._invoke_on(worker, event_json)
                reusable = True
                return result
            except InvocationError as error:
                reusable = error.kind == "handler_error"
                raise
            finally:
                # Anything else (a timeout, a crash, the caller giving up) leaves a worker whose next
                # reply could be paired with the wrong request: it goes.
                if reusable and not self._runtime.closed:
                    self._idle.append(worker)
                else:
                    self._retire(worker)

    def _warm_worker(self) -> _Worker | None:
        # Most recently used first, so the extra workers of a burst are the ones left idle.
        while self._idle:
            worker = self._idle.pop()
            if worker.process.returncode is None:
                return worker
            self._retire(worker)  # exited while idle (something it started ended it)
        return None

    def _environment(self, log_stream: str, python_version: str) -> dict[str, str]:
        spec = self.spec
        return {
            # Lambda lets functions override these three...
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **spec.environment,
            # ...but not these.
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": VERSION,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python_version}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
        }

    async def _start_worker(self) -> _Worker:
        """A cold start: a new process, ready (handler imported) or an InvocationError."""
        spec = self.spec
        loop = asyncio.get_running_loop()
        python_version = await self._runtime.python_version()
        self.cold_starts += 1
        started = loop.time()
        log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[{VERSION}]{uuid.uuid4().hex}"
        try:
            process = await asyncio.create_subprocess_exec(
                self._runtime.python,
                "-I",
                str(BOOTSTRAP),
                str(spec.code_dir),
                spec.handler,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._environment(log_stream, python_version),
                cwd=spec.code_dir,
                start_new_session=True,
                limit=STREAM_LIMIT,
            )
        except OSError as exc:
            raise InvocationError("init_error", "Runtime.InvalidEntrypoint", f"cannot start the worker: {exc}") from exc
        worker = _Worker(process, log_stream, self._log)
        self._workers.add(worker)
        if self._runtime.closed:  # close() ran while we were starting it, and could not see it
            await self._retire(worker)
            self._runtime.check_open()
        try:
            ready = await asyncio.wait_for(worker.receive(), INIT_TIMEOUT_SECONDS)
        except TimeoutError:
            self._init_report(INIT_TIMEOUT_SECONDS * 1000, "timeout")
            await self._retire(worker)
            raise InvocationError(
                "timeout", "Sandbox.Timedout", f"Init phase timed out after {INIT_TIMEOUT_SECONDS:.2f} seconds"
            ) from None
        except BaseException:
            self._retire(worker)
            raise
        init_ms = (loop.time() - started) * 1000
        if ready is None:
            await self._retire(worker)
            self._init_report(init_ms, "error\tError Type: Runtime.ExitError")
            raise InvocationError("crashed", "Runtime.ExitError", f"Runtime exited with error: {worker.exit_status()}")
        if init_error := ready.get("initError"):
            error_type = str(init_error.get("errorType", "Runtime.Unknown"))
            self._init_report(init_ms, f"error\tError Type: {error_type}")
            await self._retire(worker)
            raise InvocationError(
                "init_error", error_type, str(init_error.get("errorMessage", "")), init_error.get("stackTrace") or ()
            )
        worker.init_duration_ms = init_ms
        return worker

    def _init_report(self, init_ms: float, status: str) -> None:
        self._log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: {status}")

    async def _invoke_on(self, worker: _Worker, event_json: str) -> Any:
        spec = self.spec
        loop = asyncio.get_running_loop()
        request_id = str(uuid.uuid4())
        context = {
            "aws_request_id": request_id,
            "deadline_ms": round((time.time() + spec.timeout_seconds) * 1000),
            "function_name": spec.name,
            "function_version": VERSION,
            "invoked_function_arn": spec.arn,
            "memory_limit_in_mb": spec.memory_mb,
            "log_group_name": f"/aws/lambda/{spec.name}",
            "log_stream_name": worker.log_stream,
        }
        request = f'{{"id":{json.dumps(request_id)},"event":{event_json},"context":{json.dumps(context)}}}'
        init_ms, worker.init_duration_ms = worker.init_duration_ms, None
        self._log(f"START RequestId: {request_id} Version: {VERSION}")
        started = loop.time()
        try:
            async with asyncio.timeout(spec.timeout_seconds):
                reply = await worker.call(request)
        except TimeoutError:
            await self._retire(worker)  # reaped, and what it printed logged, before we report
            self._finish(request_id, (loop.time() - started) * 1000, init_ms)
            self._log(f"{_timestamp()} {request_id} Task timed out after {spec.timeout_seconds:.2f} seconds")
            raise InvocationError(
                "timeout",
                "Sandbox.Timedout",
                f"RequestId: {request_id} Error: Task timed out after {spec.timeout_seconds:.2f} seconds",
            ) from None
        except ConnectionError:  # stdin closed: the worker is gone
            reply = None
        duration_ms = (loop.time() - started) * 1000
        if reply is None or reply.get("id") != request_id:
            await self._retire(worker)
            message = f"RequestId: {request_id} Error: Runtime exited with error: {worker.exit_status()}"
            self._log(message)
            self._log("Runtime.ExitError")
            self._finish(request_id, duration_ms, init_ms)
            raise InvocationError("crashed", "Runtime.ExitError", message)
        self._finish(request_id, duration_ms, init_ms)
        if "error" in reply:
            error = reply["error"]
            raise InvocationError(
                "handler_error",
                str(error.get("errorType")),
                str(error.get("errorMessage")),
                error.get("stackTrace") or (),
            )
        return reply.get("result")

    def _finish(self, request_id: str, duration_ms: float, init_ms: float | None) -> None:
        self._log(f"END RequestId: {request_id}")
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {self.spec.memory_mb} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        self._log(report)

    def _retire(self, worker: _Worker) -> asyncio.Task[None]:
        """Kills a worker now (synchronously, so even a cancelled caller leaves none running) and
        returns the task reaping it; close() waits for those it was not awaited by."""
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        if worker.stopping is None:
            worker.kill()
            worker.stopping = self._runtime.track(worker.stop(0))
        return worker.stopping

    def _take_all(self) -> list[_Worker]:
        workers = list(self._workers)
        self._workers.clear()
        self._idle.clear()
        return workers


class LambdaRuntime:
    """The functions registered on one local stack, and every worker process they started."""

    def __init__(self, python: str, log_sink: LogSink | None = None) -> None:
        self.python = python
        self.closed = False
        self._sink: LogSink = log_sink or _print_line
        self._functions: dict[str, LambdaFunction] = {}
        self._reaping: set[asyncio.Task[None]] = set()
        self._python_version: str | None = None
        self._version_lock = asyncio.Lock()

    async def __aenter__(self) -> LambdaRuntime:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def register(self, spec: FunctionSpec) -> LambdaFunction:
        self.check_open()
        if spec.name in self._functions:
            raise ValueError(f"function {spec.name!r} is already registered")
        function = self._functions[spec.name] = LambdaFunction(self, spec)
        return function

    def emit(self, function_name: str, line: str) -> None:
        try:
            self._sink(function_name, line)
        except Exception:  # a broken sink must not stop a worker's logs being drained (it would block)
            _logger.exception("log sink failed on a line from %s", function_name)

    def check_open(self) -> None:
        if self.closed:
            raise RuntimeError("the Lambda runtime is closed")

    def track(self, stopping: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(stopping)
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)
        return task

    async def python_version(self) -> str:
        """The workers' "3.x" (for AWS_EXECUTION_ENV), asked once of the interpreter itself."""
        async with self._version_lock:
            if self._python_version is None:
                try:
                    probe = await asyncio.create_subprocess_exec(
                        self.python,
                        "-I",
                        "-c",
                        "import sys; print('%d.%d' % sys.version_info[:2])",
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                    out, _ = await probe.communicate()
                except OSError as exc:
                    raise InvocationError("init_error", "Runtime.InvalidEntrypoint", f"{self.python}: {exc}") from exc
                if probe.returncode != 0:
                    raise InvocationError("init_error", "Runtime.InvalidEntrypoint", f"{self.python} does not run")
                self._python_version = out.decode().strip()
            return self._python_version

    async def close(self) -> None:
        """Stops every worker (SIGTERM to its process group, SIGKILL after a grace period) and reaps it."""
        self.closed = True
        workers = [w for function in self._functions.values() for w in function._take_all()]
        for worker in workers:
            worker.stopping = worker.stopping or self.track(worker.stop(STOP_GRACE_SECONDS))
        while self._reaping:  # workers retired by invocations, including those that failed as we stopped them
            await asyncio.gather(*self._reaping)
