"""The local Lambda runtime: worker processes, warm reuse, environment, context, timeouts, errors,
concurrency, logs and clean shutdown. Most tests run workers on this interpreter (fast); one runs
them on the Lambda runtime's Python with only boto3, as the local stack does."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from babelcast_devstack.lambda_runtime import FunctionSpec, InvocationError, LambdaFunction, LambdaRuntime
from babelcast_devstack.runtime_python import runtime_environment

FUNCTIONS = Path(__file__).parent / "fixtures" / "functions"
BASIC = FUNCTIONS / "basic"
NAME = "babelcast-test-fn"
T = TypeVar("T")

LAMBDA_VARIABLES = {
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
    "TZ",
    "LANG",
    "PATH",
}


class Logs:
    """A log sink that keeps every (function name, line)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def __call__(self, function_name: str, line: str) -> None:
        self.entries.append((function_name, line))

    def lines(self, function_name: str = NAME) -> list[str]:
        return [line for name, line in self.entries if name == function_name]


def spec(handler: str, **overrides: Any) -> FunctionSpec:
    base = FunctionSpec(
        name=NAME,
        handler=handler,
        code_dir=BASIC,
        timeout_seconds=3.0,
        memory_mb=256,
        environment={"STAGE": "test"},
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{NAME}",
    )
    return replace(base, **overrides)


def run_with(
    handler: str, scenario: Callable[[LambdaFunction], Awaitable[T]], *, python: str = sys.executable, **overrides: Any
) -> tuple[T, Logs]:
    """Registers one function, runs the scenario on it, closes the runtime; returns the outcome and logs."""
    logs = Logs()

    async def main() -> T:
        async with LambdaRuntime(python, logs) as runtime:
            return await scenario(runtime.register(spec(handler, **overrides)))

    return asyncio.run(main()), logs


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def child_pids() -> set[int]:
    """This process's children (Linux), zombies included: none may be left once a runtime is closed."""
    return {int(pid) for path in Path("/proc/self/task").glob("*/children") for pid in path.read_text().split()}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_warm_worker_is_reused_and_cold_start_counted_once() -> None:
    async def scenario(function: LambdaFunction) -> tuple[list[Any], list[int], int]:
        results = [await function.invoke({"n": n}) for n in range(3)]
        return results, function.worker_pids(), function.cold_starts

    (results, pids, cold_starts), _ = run_with("handlers.echo", scenario)
    assert [r["event"] for r in results] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len({r["pid"] for r in results}) == 1
    assert pids == [results[0]["pid"]]
    assert cold_starts == 1


def test_environment_is_only_the_spec_and_lambda_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARENT_ONLY_SECRET", "must-not-leak")
    environment = {"STAGE": "test", "AWS_REGION": "eu-west-1", "TABLE_NAME": "sessions"}

    async def scenario(function: LambdaFunction) -> Any:
        return await function.invoke({})

    result, _ = run_with("handlers.environment", scenario, environment=environment)
    environ: dict[str, str] = result["environ"]
    assert set(environ) == set(environment) | LAMBDA_VARIABLES
    assert {"HOME", "PARENT_ONLY_SECRET", "AWS_ACCESS_KEY_ID", "VIRTUAL_ENV", "LC_CTYPE"}.isdisjoint(environ)
    assert {k: environ[k] for k in environment} == environment
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == NAME
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environ["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{NAME}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", environ["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert environ["AWS_EXECUTION_ENV"] == "AWS_Lambda_python{}.{}".format(*sys.version_info[:2])
    assert environ["LAMBDA_TASK_ROOT"] == str(BASIC)
    assert (environ["TZ"], environ["LANG"], environ["PATH"]) == (":UTC", "en_US.UTF-8", "/usr/local/bin:/usr/bin:/bin")
    assert result["cwd"] == result["path0"] == str(BASIC)


def test_context_carries_the_lambda_fields() -> None:
    async def scenario(function: LambdaFunction) -> list[Any]:
        return [await function.invoke({"seconds": 0.2}) for _ in range(2)]

    results, _ = run_with("handlers.context_info", scenario, timeout_seconds=2.5, memory_mb=512)
    first, second = results
    assert first["function_name"] == NAME
    assert first["function_version"] == "$LATEST"
    assert first["invoked_function_arn"] == spec("x").arn
    assert first["memory_limit_in_mb"] == 512
    assert first["log_group_name"] == f"/aws/lambda/{NAME}"
    assert first["log_stream_name"] == second["log_stream_name"]  # same warm worker, same stream
    assert first["identity"] is None and first["client_context"] is None
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", first["aws_request_id"])
    assert first["aws_request_id"] != second["aws_request_id"]
    for result in results:
        assert 0 < result["remaining_after"] < result["remaining_before"] <= 2500
        assert result["remaining_before"] - result["remaining_after"] >= 150  # it slept 0.2 s


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one() -> None:
    async def scenario(function: LambdaFunction) -> tuple[int, InvocationError, float, list[int], Any, int]:
        warm_pid = (await function.invoke({"seconds": 0}))["pid"]
        started = time.monotonic()
        with pytest.raises(InvocationError) as caught:
            await function.invoke({"seconds": 5})
        elapsed = time.monotonic() - started
        pids_after_timeout = function.worker_pids()
        following = await function.invoke({"seconds": 0})
        return warm_pid, caught.value, elapsed, pids_after_timeout, following, function.cold_starts

    (warm_pid, error, elapsed, pids_after, following, cold_starts), logs = run_with(
        "handlers.sleep", scenario, timeout_seconds=1.0
    )
    assert error.kind == "timeout"
    assert error.error_type == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error.error_message
    assert 0.95 <= elapsed < 1.75
    assert pids_after == []
    assert not alive(warm_pid)
    assert following["pid"] != warm_pid
    assert cold_starts == 2
    lines = logs.lines()
    assert "sleeping 5 s" in lines  # printed before the kill, logged before the timeout line
    timed_out = [line for line in lines if line.endswith("Task timed out after 1.00 seconds")]
    assert len(timed_out) == 1
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z [0-9a-f-]{36} Task timed out after 1.00 seconds", timed_out[0]
    )
    assert lines.index("sleeping 5 s") < lines.index(timed_out[0])


def test_handler_exception_is_reported_and_the_worker_stays_warm() -> None:
    async def scenario(function: LambdaFunction) -> tuple[InvocationError, list[int], list[int], int]:
        with pytest.raises(InvocationError) as caught:
            await function.invoke({"value": 42})
        pids_before = function.worker_pids()
        with pytest.raises(InvocationError):
            await function.invoke({"value": 43})
        return caught.value, pids_before, function.worker_pids(), function.cold_starts

    (error, pids_before, pids_after, cold_starts), logs = run_with("handlers.fail", scenario)
    assert error.kind == "handler_error"
    assert (error.error_type, error.error_message) == ("ValueError", "bad input: 42")
    assert any("handlers.py" in frame and "in fail" in frame for frame in error.stack_trace)
    assert error.payload()["errorType"] == "ValueError"
    assert len(pids_before) == 1 and pids_after == pids_before
    assert cold_starts == 1
    # Lambda's runtime logs the error and its traceback inside the invocation's START ... END.
    lines = logs.lines()
    error_line = lines.index("[ERROR] ValueError: bad input: 42")
    start = lines.index(next(line for line in lines if line.startswith("START RequestId: ")))
    end = lines.index(next(line for line in lines if line.startswith("END RequestId: ")))
    assert start < error_line < end
    assert lines[error_line + 1] == "Traceback (most recent call last):"
    assert any(
        line.strip() == "raise ValueError(f\"bad input: {event.get('value')}\")" for line in lines[error_line:end]
    )


def test_init_error_is_reported_and_the_worker_discarded() -> None:
    async def scenario(function: LambdaFunction) -> tuple[list[InvocationError], list[int], int]:
        errors = []
        for _ in range(2):
            with pytest.raises(InvocationError) as caught:
                await function.invoke({})
            errors.append(caught.value)
        return errors, function.worker_pids(), function.cold_starts

    (errors, pids, cold_starts), logs = run_with("broken.handler", scenario, code_dir=FUNCTIONS / "broken_import")
    for error in errors:
        assert error.kind == "init_error"
        assert (error.error_type, error.error_message) == ("RuntimeError", "configuration missing at import")
    assert pids == []
    assert cold_starts == 2  # Lambda retries the init on the next invocation
    assert logs.lines().count("[ERROR] RuntimeError: configuration missing at import") == 2
    assert any(line.startswith("INIT_REPORT Init Duration: ") and "Status: error" in line for line in logs.lines())


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError", "Unable to import module 'missing_module'"),
        ("handlers.no_such_handler", "Runtime.HandlerNotFound", "Handler 'no_such_handler' missing on module"),
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots'"),
    ],
)
def test_handler_that_cannot_be_loaded_is_an_init_error(handler: str, error_type: str, message: str) -> None:
    async def scenario(function: LambdaFunction) -> InvocationError:
        with pytest.raises(InvocationError) as caught:
            await function.invoke({})
        return caught.value

    error, _ = run_with(handler, scenario)
    assert (error.kind, error.error_type) == ("init_error", error_type)
    assert message in error.error_message


def test_unserializable_result_is_a_marshal_error() -> None:
    async def scenario(function: LambdaFunction) -> tuple[InvocationError, int]:
        with pytest.raises(InvocationError) as caught:
            await function.invoke({})
        with pytest.raises(InvocationError):
            await function.invoke({})
        return caught.value, function.cold_starts

    (error, cold_starts), _ = run_with("handlers.unserializable", scenario)
    assert (error.kind, error.error_type) == ("handler_error", "Runtime.MarshalError")
    assert "Unable to marshal response" in error.error_message and "set" in error.error_message
    assert cold_starts == 1


def test_worker_exiting_mid_invocation_is_a_crash() -> None:
    async def scenario(function: LambdaFunction) -> tuple[InvocationError, list[int], int]:
        with pytest.raises(InvocationError) as caught:
            await function.invoke({})
        return caught.value, function.worker_pids(), function.cold_starts

    (error, pids, cold_starts), _ = run_with("handlers.crash", scenario)
    assert (error.kind, error.error_type) == ("crashed", "Runtime.ExitError")
    assert "Runtime exited with error: exit status 3" in error.error_message
    assert pids == [] and cold_starts == 1


async def _warm_two(function: LambdaFunction) -> None:
    # Two overlapping calls leave two warm workers, so the timed calls below measure no cold start.
    await asyncio.gather(*(function.invoke({"seconds": 0.3}) for _ in range(2)))


def test_overlapping_invocations_run_in_parallel_workers() -> None:
    async def scenario(function: LambdaFunction) -> tuple[float, list[Any], int]:
        await _warm_two(function)
        started = time.monotonic()
        results = await asyncio.gather(*(function.invoke({"seconds": 0.5}) for _ in range(2)))
        return time.monotonic() - started, results, function.cold_starts

    (elapsed, results, cold_starts), _ = run_with("handlers.sleep", scenario)
    assert elapsed < 0.9
    assert len({r["pid"] for r in results}) == 2
    assert cold_starts == 2


def test_max_concurrency_one_serialises_invocations() -> None:
    async def scenario(function: LambdaFunction) -> tuple[float, list[Any], int]:
        await function.invoke({"seconds": 0})
        started = time.monotonic()
        results = await asyncio.gather(*(function.invoke({"seconds": 0.5}) for _ in range(2)))
        return time.monotonic() - started, results, function.cold_starts

    (elapsed, results, cold_starts), _ = run_with("handlers.sleep", scenario, max_concurrency=1)
    assert elapsed >= 1.0
    assert len({r["pid"] for r in results}) == 1
    assert cold_starts == 1


def test_log_lines_reach_the_sink_between_start_and_report() -> None:
    async def scenario(function: LambdaFunction) -> list[Any]:
        return [await function.invoke({}) for _ in range(2)]

    results, logs = run_with("handlers.chatty", scenario)
    assert results == ["done", "done"]
    assert {name for name, _ in logs.entries} == {NAME}
    lines = logs.lines()
    starts = [i for i, line in enumerate(lines) if line.startswith("START RequestId: ")]
    assert len(starts) == 2
    for number, start in enumerate(starts):
        request_id = lines[start].split()[2]
        assert lines[start] == f"START RequestId: {request_id} Version: $LATEST"
        block = lines[start : start + 6]
        assert block[1] == "hello from the handler"
        assert re.fullmatch(
            rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{request_id}\ta warning through logging",
            block[2],
        )
        assert block[3] == "straight to fd 1"
        assert block[4] == f"END RequestId: {request_id}"
        report = (
            rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB"
        )
        init = r"\tInit Duration: \d+\.\d\d ms" if number == 0 else ""  # cold start only
        assert re.fullmatch(report + init, block[5]), block[5]


def test_default_sink_prints_lines_prefixed_by_function_name(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> None:
        async with LambdaRuntime(sys.executable) as runtime:
            await runtime.register(spec("handlers.chatty")).invoke({})

    run(main())
    out = capsys.readouterr().out.splitlines()
    assert f"[{NAME}] hello from the handler" in out
    assert any(line.startswith(f"[{NAME}] START RequestId: ") for line in out)
    assert any(line.startswith(f"[{NAME}] REPORT RequestId: ") for line in out)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_close_stops_every_worker_and_what_they_started() -> None:
    logs = Logs()

    async def main() -> tuple[list[int], int, BaseException | None, float]:
        runtime = LambdaRuntime(sys.executable, logs)
        sleeper = runtime.register(spec("handlers.sleep"))
        spawner = runtime.register(spec("handlers.spawn", name="spawner"))
        await _warm_two(sleeper)
        child = (await spawner.invoke({}))["child"]
        in_flight = asyncio.create_task(sleeper.invoke({"seconds": 30}))
        while "sleeping 30 s" not in logs.lines():
            await asyncio.sleep(0.05)
        pids = sleeper.worker_pids() + spawner.worker_pids()
        started = time.monotonic()
        await runtime.close()
        elapsed = time.monotonic() - started
        outcome = (await asyncio.gather(in_flight, return_exceptions=True))[0]
        with pytest.raises(RuntimeError, match="closed"):
            await sleeper.invoke({"seconds": 0})
        return pids, child, outcome if isinstance(outcome, BaseException) else None, elapsed

    pids, child, outcome, elapsed = run(main())
    assert len(pids) == 3
    assert child_pids() == set()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # the signal is sent by close(); on a busy machine the grandchild may take a moment to die
    deadline = time.monotonic() + 10
    while alive(child) and _state(child) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child) or _state(child) == "Z"
    assert isinstance(outcome, InvocationError) and outcome.kind == "crashed"
    assert elapsed < 3  # SIGTERM sufficed: no worker needed the SIGKILL after the grace period


def test_runs_on_the_lambda_runtime_python_with_only_boto3() -> None:
    python = runtime_environment()

    async def scenario(function: LambdaFunction) -> Any:
        return await function.invoke({})

    result, logs = run_with("handlers.runtime_info", scenario, python=str(python))
    version = python.parent.parent.name.removeprefix("lambda-runtime-py")
    assert result["python"] == version
    assert result["execution_env"] == f"AWS_Lambda_python{version}"
    assert result["boto3"]
    assert result["has_pydantic"] is False  # not the development environment
    assert any(line.startswith("REPORT RequestId: ") for line in logs.lines())


def test_payloads_up_to_lambdas_limit_pass_and_larger_ones_are_rejected() -> None:
    async def scenario(function: LambdaFunction) -> tuple[Any, InvocationError, InvocationError, int]:
        fits = await function.invoke({"payload": "x" * 5_000_000, "chars": 2_900_000})  # ~5.8 MB as UTF-8
        with pytest.raises(InvocationError) as caught:
            await function.invoke({"chars": 3_200_000})  # ~6.4 MB
        with pytest.raises(InvocationError) as refused:
            await function.invoke({"payload": "x" * 6_300_000, "chars": 1})  # the event itself is over 6 MB
        return fits, caught.value, refused.value, function.cold_starts

    (fits, error, refused, cold_starts), _ = run_with("handlers.big", scenario)
    assert fits["size"] == 5_000_000 and fits["data"] == "é" * 2_900_000
    assert (error.kind, error.error_type) == ("handler_error", "Function.ResponseSizeTooLarge")
    assert (refused.kind, refused.error_type) == ("request_too_large", "RequestEntityTooLargeException")
    assert cold_starts == 1  # still warm, and no worker was started for the refused event


def test_caller_giving_up_discards_the_worker() -> None:
    async def scenario(function: LambdaFunction) -> tuple[int, list[int], int, int]:
        pid = (await function.invoke({"seconds": 0}))["pid"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(function.invoke({"seconds": 5}), 0.3)
        pids = function.worker_pids()  # a late reply must never be paired with the next request
        following = (await function.invoke({"seconds": 0}))["pid"]
        return pid, pids, following, function.cold_starts

    (pid, pids_after_cancel, following, cold_starts), _ = run_with("handlers.sleep", scenario)
    assert pids_after_cancel == []
    assert following != pid and cold_starts == 2


def test_worker_started_while_closing_is_stopped() -> None:
    async def main() -> tuple[BaseException | None, list[int], int]:
        runtime = LambdaRuntime(sys.executable, Logs())
        function = runtime.register(spec("handlers.echo"))
        starting = asyncio.create_task(function.invoke({}))
        await asyncio.sleep(0)  # the invocation is now starting its worker
        await runtime.close()
        outcome = (await asyncio.gather(starting, return_exceptions=True))[0]
        return outcome if isinstance(outcome, BaseException) else None, function.worker_pids(), function.cold_starts

    outcome, pids, cold_starts = run(main())
    assert isinstance(outcome, RuntimeError) and "closed" in str(outcome)
    assert cold_starts == 1  # it did get as far as starting a worker
    assert pids == []
    assert child_pids() == set()
