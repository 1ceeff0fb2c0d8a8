"""The in-process half of a local Lambda worker: what Lambda's Python runtime does inside the sandbox.

Standalone on purpose (stdlib only, no imports from this repository): it runs in the function's own
interpreter, usually the Lambda runtime's Python, where none of our packages are installed.

    <python> -I worker_bootstrap.py <code_dir> <handler>        (handler: "package.module.attr")

Protocol, one JSON object per line. On a private duplicate of stdout: {"type": "ready"} or
{"type": "ready", "initError": {...}} once, then {"id", "result"} or {"id", "error": {"errorType",
"errorMessage", "stackTrace"}} per request read from a private duplicate of stdin ({"id", "event",
"context": {...}}). File descriptors 1 and 2 both go to stderr, so whatever the function prints or logs
is log output and can never corrupt the protocol. Before each protocol message a SYNC_MARKER line is
written to stderr: the parent waits for it so the function's log lines are ordered before END/REPORT.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

SYNC_MARKER = "\x1e\x1ebabelcast-worker-sync\x1e\x1e"
# Lambda's limit on a synchronous response, in bytes (6 MiB + 100).
MAX_RESPONSE_BYTES = 6_291_556
# Targets of CPython's C-locale coercion (PEP 538), which writes LC_CTYPE into os.environ.
_COERCED_LOCALES = {"C.UTF-8", "C.utf8", "UTF-8"}

Handler = Callable[[Any, "LambdaContext"], Any]


class LambdaContext:
    """The `context` argument, with the attributes and method of Lambda's Python runtime."""

    def __init__(self, fields: dict[str, Any], log_group_name: str, log_stream_name: str) -> None:
        self.aws_request_id: str = fields["aws_request_id"]
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields["function_version"]
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(fields["memory_limit_in_mb"])
        self.log_group_name: str = fields.get("log_group_name") or log_group_name
        self.log_stream_name: str = fields.get("log_stream_name") or log_stream_name
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline_ms = int(fields["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - round(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(message)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn}])"
        )


class _RequestIdFilter(logging.Filter):
    """Adds the current request id to log records, as Lambda's root handler does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _error(error_type: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": stack or []}


def _user_stack(tb: TracebackType | None) -> list[str]:
    # The first frame is ours (the call into the handler or the import); Lambda shows user frames only.
    return traceback.format_list(traceback.extract_tb(tb.tb_next if tb else None))


def _log_error(error: dict[str, Any]) -> None:
    """The "[ERROR] Type: message" + traceback log line Lambda's runtime writes for an unhandled error."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(frame.rstrip("\n") for frame in error["stackTrace"])
    sys.stderr.write("\n".join(lines) + "\n")


def _load_handler(handler: str) -> Handler:
    """Imports the handler the way Lambda does, raising _InitError with Lambda's error types."""
    module_name, _, attr = handler.rpartition(".")
    if not module_name or not attr:
        raise _InitError(
            _error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack")
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise _InitError(
            _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
        ) from exc
    except SyntaxError as exc:
        stack = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise _InitError(
            _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", stack)
        ) from exc
    except Exception as exc:
        raise _InitError(_error(type(exc).__name__, str(exc), _user_stack(exc.__traceback__))) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise _InitError(_error("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'"))
    return function  # type: ignore[no-any-return]


class _InitError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


def _json_default(value: object) -> object:
    # Lambda's serializer turns Decimal (what DynamoDB returns for numbers) into a JSON number.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _serialize_result(result: Any) -> str | dict[str, Any]:
    """The result as JSON text, or the error Lambda reports for it."""
    try:
        payload = json.dumps(result, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
    size = len(payload.encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        return _error(
            "Function.ResponseSizeTooLarge",
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        )
    return payload


class _Channel:
    """The protocol's private pipes; every message is preceded by a sync marker on stderr."""

    def __init__(self) -> None:
        self._in: IO[bytes] = os.fdopen(os.dup(0), "rb")
        self._out: IO[bytes] = os.fdopen(os.dup(1), "wb")
        # Nothing the function does with fds 0/1 (or a subprocess it starts) can reach the protocol.
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115, PTH123 - lives as long as the process
        sys.stdout = sys.stderr

    def receive(self) -> dict[str, Any] | None:
        line = self._in.readline()
        return json.loads(line) if line else None

    def send(self, text: str) -> None:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        os.write(2, (SYNC_MARKER + "\n").encode())
        self._out.write(text.encode("utf-8") + b"\n")
        self._out.flush()


def _undo_locale_coercion() -> None:
    """Drops the LC_CTYPE that CPython adds when LANG names a locale this machine lacks (Lambda has it),
    so the function's environment is exactly what it was started with."""
    value = os.environ.get("LC_CTYPE")
    if value not in _COERCED_LOCALES:
        return
    try:
        with open("/proc/self/environ", "rb") as initial:  # noqa: PTH123 - the environment as exec'd
            started_with = initial.read().split(b"\0")
    except OSError:
        return
    if not any(entry.startswith(b"LC_CTYPE=") for entry in started_with):
        del os.environ["LC_CTYPE"]


def _install_log_handler(request_ids: _RequestIdFilter) -> None:
    # Lambda's runtime configures the root logger like this; logging.basicConfig() in user code is then a no-op.
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: worker_bootstrap.py <code_dir> <handler>\n")
        return 2
    code_dir, handler_name = argv[1], argv[2]
    channel = _Channel()
    _undo_locale_coercion()
    request_ids = _RequestIdFilter()
    _install_log_handler(request_ids)
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    log_group = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")

    handler: Handler | None = None
    init_error: dict[str, Any] | None = None
    try:
        handler = _load_handler(handler_name)
    except _InitError as exc:
        init_error = exc.error
        _log_error(init_error)
    channel.send(json.dumps({"type": "ready", "initError": init_error} if init_error else {"type": "ready"}))

    while (request := channel.receive()) is not None:
        request_id = json.dumps(request["id"])
        if handler is None:
            assert init_error is not None
            channel.send(f'{{"id":{request_id},"error":{json.dumps(init_error)}}}')
            continue
        context = LambdaContext(request["context"], log_group, log_stream)
        request_ids.request_id = context.aws_request_id
        try:
            outcome: str | dict[str, Any] = _serialize_result(handler(request["event"], context))
        except Exception as exc:  # what Lambda reports as an unhandled error; BaseException ends the worker
            outcome = _error(type(exc).__name__, str(exc), _user_stack(exc.__traceback__))
        finally:
            request_ids.request_id = ""
        if isinstance(outcome, str):
            channel.send(f'{{"id":{request_id},"result":{outcome}}}')
        else:
            _log_error(outcome)
            channel.send(f'{{"id":{request_id},"error":{json.dumps(outcome)}}}')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
