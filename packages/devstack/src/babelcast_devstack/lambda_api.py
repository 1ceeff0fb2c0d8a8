"""The Lambda ``Invoke`` API of the local stack, served by the gateway process where the functions
run (the emulator's Lambda needs Docker): ``POST /2015-03-31/functions/{name}/invocations``.

Functions reach it through ``AWS_ENDPOINT_URL_LAMBDA`` (botocore prefers a service's own endpoint
variable to ``AWS_ENDPOINT_URL``), so ``lambda_client().invoke`` works unchanged. As on AWS:
``X-Amz-Invocation-Type: Event`` answers 202 at once and runs the function in the background
(payload at most 256 KB), ``RequestResponse`` (the default) answers the function's result (or its
error, with ``X-Amz-Function-Error: Unhandled``), ``DryRun`` answers 204; the function is named
by name or ARN, with or without a qualifier. Not emulated, and refused loudly: a qualifier that
is not ``$LATEST`` or an alias of the deployment, ``LogType: Tail``, client context. An
asynchronous invocation that fails is logged, not retried (AWS retries it twice, minutes apart).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from babelcast_devstack.lambda_runtime import InvocationError, LambdaFunction

MAX_EVENT_BYTES = 256 * 1024  # Lambda's limit on an asynchronous invocation's payload
_NAME = re.compile(
    r"^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?(?P<name>[A-Za-z0-9_-]{1,140})(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?$"
)


def _error(status: int, error_type: str, message: str) -> web.Response:
    return web.json_response(
        {"Type": "User", "message": message}, status=status, headers={"x-amzn-ErrorType": error_type}
    )


class LambdaApi:
    def __init__(self, functions: Callable[[], Mapping[str, LambdaFunction]], log: Callable[[str], None]) -> None:
        self.functions = functions  # by ARN, read per request: the gateway registers them after binding
        self.log = log
        self._background: set[asyncio.Task[None]] = set()

    def application(self) -> web.Application:
        app = web.Application(client_max_size=7 * 1024 * 1024)
        app.router.add_post("/2015-03-31/functions/{function}/invocations", self.invoke)
        return app

    def _resolve(self, requested: str) -> LambdaFunction | None:
        match = _NAME.match(requested)
        if match is None:
            return None
        if match["qualifier"] not in (None, "$LATEST", "live"):
            return None
        return next((f for f in self.functions().values() if f.spec.name == match["name"]), None)

    async def invoke(self, request: web.Request) -> web.Response:
        requested = request.match_info["function"]
        function = self._resolve(requested)
        if function is None:
            return _error(404, "ResourceNotFoundException", f"Function not found: {requested}")
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if request.headers.get("X-Amz-Log-Type", "None") != "None" or "X-Amz-Client-Context" in request.headers:
            return _error(400, "InvalidParameterValueException", "LogType Tail and client context are not emulated")
        body = await request.read()
        if kind == "Event" and len(body) > MAX_EVENT_BYTES:
            return _error(
                413, "RequestEntityTooLargeException", f"{len(body)} byte payload is too large for the Event type"
            )
        try:
            event: Any = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "InvalidRequestContentException", "Could not parse request body into json")
        if kind == "DryRun":
            return web.Response(status=204)
        if kind == "Event":
            task = asyncio.create_task(self._run(function, event))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            self.log(f"Invoke {function.spec.name} Event 202")
            return web.Response(status=202)
        if kind != "RequestResponse":
            return _error(400, "InvalidParameterValueException", f"invalid invocation type {kind}")
        try:
            result = await function.invoke(event)
        except InvocationError as error:
            if error.kind == "request_too_large":
                return _error(413, error.error_type, error.error_message)
            return web.json_response(error.payload(), headers={"X-Amz-Function-Error": "Unhandled"})
        return web.json_response(result)

    async def _run(self, function: LambdaFunction, event: Any) -> None:
        try:
            await function.invoke(event)
        except InvocationError as error:
            self.log(f"Invoke {function.spec.name} Event failed: {error.kind} {error.error_type}")
        except RuntimeError as error:  # the runtime closed while it waited
            self.log(f"Invoke {function.spec.name} Event dropped: {type(error).__name__}")

    async def stop(self) -> None:
        """Wait for the asynchronous invocations in flight (they end at their function's timeout)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
