"""A local API Gateway WebSocket API and its ``@connections`` management API.

Served as AWS does it: ``$connect`` runs the REQUEST authorizer (policy and context honoured),
then the connect route; a non-2xx result rejects the upgrade with that HTTP status. Messages are
routed by the route selection expression with ``$default`` fallback; ``$disconnect`` runs on
close with the close code and reason. Binary frames close the socket with 1003, frames over
32 KB and messages over 128 KB with 1009; idle (10 min) and maximum connection (2 h) limits,
the integration timeout and the stage's throttling apply. The events' shapes are ws_events.py's.

Opt-in, for benchmarks only (``Limits.bench``, ``babelcast-dev up --bench-mode``): every ``@connections``
call pays a modelled round trip and an account throttle, and connections without sockets can be
registered in bulk (bench_mode.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from babelcast_devstack.bench_mode import BenchMode, PostModel
from babelcast_devstack.config import Api, Route
from babelcast_devstack.http_api import TokenBucket
from babelcast_devstack.invocation import (
    IntegrationTimeout,
    InvocationFailed,
    Invoker,
    aws_id,
    invoke_within,
    now_ms,
)
from babelcast_devstack.ws_events import (
    AuthorizerRefused,
    Handshake,
    authorizer_context,
    gateway_error,
    query_parameters,
    request_context,
    selection_value,
)
from babelcast_devstack.ws_frames import MAX_FRAME_BYTES, FrameLimitedResponse

MAX_MESSAGE_BYTES = 128 * 1024
IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_CONNECTION_SECONDS = 2 * 60 * 60
GOING_AWAY = 1001


@dataclass
class Connection:
    id: str
    socket: FrameLimitedResponse
    connected_at: int
    handshake: Handshake
    authorizer: dict[str, Any] | None = None  # the authorizer's principalId and context
    last_active: float = field(default_factory=time.monotonic)
    close_code: int | None = None
    close_reason: str = ""
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        """A client data frame arrived: the idle timer starts again."""
        self.last_active = time.monotonic()


@dataclass
class Limits:
    idle_timeout_seconds: float = IDLE_TIMEOUT_SECONDS
    max_connection_seconds: float = MAX_CONNECTION_SECONDS
    max_message_bytes: int = MAX_MESSAGE_BYTES
    max_frame_bytes: int = MAX_FRAME_BYTES
    # benchmarks only (off by default): the @connections model and the /_bench routes
    bench: PostModel | None = None


class WebSocketApiServer:
    def __init__(
        self,
        api: Api,
        invoker: Invoker,
        *,
        region: str,
        account_id: str,
        limits: Limits | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.api = api
        self.invoker = invoker
        self.region = region
        self.account_id = account_id
        self.limits = limits or Limits()
        self.log = log
        self.connections: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running: set[asyncio.Task[Any]] = set()  # invocations past their integration timeout
        self.bucket = TokenBucket(api.throttle) if api.throttle else None
        self.bench = BenchMode(self.limits.bench) if self.limits.bench is not None else None

    # --- wiring -------------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_message_bytes + 1024)
        stage = self.api.stage
        app.router.add_route("*", f"/{stage}/@connections/{{connection_id}}", self.manage)
        if self.bench is not None:
            self.bench.routes(app)
        app.router.add_get(f"/{stage}", self.connect)
        app.router.add_get(f"/{stage}/", self.connect)
        # any other path (another stage, @connections without the stage): API Gateway's 403
        app.router.add_route("*", r"/{tail:[\s\S]*}", _forbidden)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _shutdown(self, _: web.Application) -> None:
        for connection in list(self.connections.values()):
            await self._close(connection, GOING_AWAY, "Going away")
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def method_arn(self, route_key: str) -> str:
        return f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api.id}/{self.api.stage}/{route_key}"

    def _context(
        self, connection: Connection, route_key: str, event_type: str, *, latency_ms: int | None = None
    ) -> dict[str, Any]:
        context = request_context(
            api_id=self.api.id,
            stage=self.api.stage,
            connection_id=connection.id,
            connected_at=connection.connected_at,
            handshake=connection.handshake,
            route_key=route_key,
            event_type=event_type,
            epoch=now_ms(),
        )
        if connection.authorizer is not None:
            # integrationLatency (the authorizer's) is part of the $connect event only
            latency = {} if latency_ms is None else {"integrationLatency": latency_ms}
            context["authorizer"] = {**connection.authorizer, **latency}
        return context

    def _event(self, context: dict[str, Any], **fields: Any) -> dict[str, Any]:
        event = {**fields, "requestContext": context, "isBase64Encoded": False}
        if self.api.stage_variables:
            event["stageVariables"] = dict(self.api.stage_variables)
        return event

    # --- $connect -----------------------------------------------------------------------------

    async def connect(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return await _forbidden(request)
        connection = Connection(
            id=aws_id(),
            # no permessage-deflate: frames are measured as sent, so a client that fits here fits on AWS
            socket=FrameLimitedResponse(
                max_frame_bytes=self.limits.max_frame_bytes,
                max_msg_size=self.limits.max_message_bytes + 1,
                autoping=True,
                compress=False,
            ),
            connected_at=now_ms(),
            handshake=Handshake(request.headers, request.remote or "127.0.0.1", request.scheme, request.url.port),
        )
        connection.socket.on_activity = connection.touch
        query, multi_query = query_parameters(request.query)
        route = self.api.routes.get("$connect")
        started = time.perf_counter()
        status = 429 if self.bucket and not self.bucket.take() else 200
        latency_ms = None
        if status == 200:
            status, latency_ms = await self._authorize(route, connection, query, multi_query)
        if status == 200 and route is not None and route.function_arn:
            headers, multi_headers = connection.handshake.connect_headers()
            event = self._event(
                self._context(connection, "$connect", "CONNECT", latency_ms=latency_ms),
                headers=headers,
                multiValueHeaders=multi_headers,
                **({"queryStringParameters": query, "multiValueQueryStringParameters": multi_query} if query else {}),
            )
            status = await self._invoke_for_status(route, event)
        elapsed = (time.perf_counter() - started) * 1000
        if not 200 <= status < 300:
            self.log(f"$connect {connection.id} rejected with {status} ({elapsed:.1f} ms)")
            return web.json_response({"message": _reason(status)}, status=status)
        await connection.socket.prepare(request)
        connection.last_active = time.monotonic()  # idle from the moment the socket is open
        self.connections[connection.id] = connection
        self.log(f"$connect {connection.id} accepted ({elapsed:.1f} ms)")
        try:
            await self._serve(connection)
        finally:
            self.connections.pop(connection.id, None)
            await self._disconnected(connection)
        return connection.socket

    async def _authorize(
        self, route: Route | None, connection: Connection, query: dict[str, str], multi_query: dict[str, list[str]]
    ) -> tuple[int, int | None]:
        """The upgrade's status after the REQUEST authorizer, and the authorizer's latency (ms)."""
        if route is None or route.authorization_type != "CUSTOM" or not route.authorizer_id:
            return 200, None
        authorizer = self.api.authorizers.get(route.authorizer_id)
        if authorizer is None or authorizer.function_arn is None:
            return 500, None
        headers, multi_headers = connection.handshake.connect_headers(authorizer=True)
        lowered = {name.lower(): value for name, value in headers.items()}
        for source in authorizer.identity_sources:  # a missing identity source is 401 without a call
            if source.startswith("route.request.querystring.") and not query.get(source.rsplit(".", 1)[1]):
                return 401, None
            if source.startswith("route.request.header.") and not lowered.get(source.rsplit(".", 1)[1].lower()):
                return 401, None
        method_arn = self.method_arn("$connect")
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "stageVariables": dict(self.api.stage_variables),
            "requestContext": self._context(connection, "$connect", "CONNECT"),
        }
        started = time.perf_counter()
        try:
            result = await self.invoker.invoke(authorizer.function_arn, event)
        except InvocationFailed as failure:
            # A REQUEST authorizer signals 401 by failing with the message "Unauthorized".
            return (401 if failure.error_message == "Unauthorized" else 500), None
        try:
            connection.authorizer = authorizer_context(result, method_arn)
        except AuthorizerRefused as refused:
            return refused.status, None
        return 200, round((time.perf_counter() - started) * 1000)

    async def _invoke_for_status(self, route: Route, event: Mapping[str, Any]) -> int:
        assert route.function_arn is not None
        try:
            result = await invoke_within(self.invoker, route.function_arn, event, route.timeout_ms, self.running)
        except IntegrationTimeout:
            return 504
        except InvocationFailed:
            return 500
        if isinstance(result, dict) and "statusCode" in result:
            return int(result["statusCode"])
        return 200

    # --- messages -----------------------------------------------------------------------------

    async def _serve(self, connection: Connection) -> None:
        socket = connection.socket
        watchdog = asyncio.ensure_future(self._watchdog(connection))
        try:
            while not socket.closed:
                message = await socket.receive()
                connection.last_active = time.monotonic()
                if message.type == WSMsgType.TEXT:
                    await self._route_message(connection, message.data)
                elif message.type == WSMsgType.BINARY:
                    await self._close(connection, WSCloseCode.UNSUPPORTED_DATA, "Binary frames are not supported")
                    break
                elif message.type == WSMsgType.CLOSE:
                    # the client's close frame: its code and reason reach $disconnect
                    connection.close_code = connection.close_code or int(message.data or 1005)
                    connection.close_reason = connection.close_reason or str(message.extra or "")
                    break
                elif message.type == WSMsgType.ERROR:
                    # aiohttp has already closed with the frame error's code (1009 for an oversized
                    # message); socket.close_code may since hold the client's echo or 1006.
                    code = getattr(message.data, "code", None) or socket.close_code or 1011
                    too_big = code == WSCloseCode.MESSAGE_TOO_BIG
                    connection.close_code = connection.close_code or int(code)
                    connection.close_reason = connection.close_reason or ("Message too big" if too_big else "")
                    break
                else:  # CLOSING / CLOSED after a server-side close
                    break
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        if connection.close_code is None:
            connection.close_code = socket.close_code or 1005
            connection.close_reason = connection.close_reason or (
                "Client-side close frame status not set" if connection.close_code == 1005 else ""
            )

    async def _route_message(self, connection: Connection, body: str) -> None:
        key = selection_value(self.api.route_selection_expression, body)
        route = self.api.routes.get(key or "") or self.api.routes.get("$default")
        if route is None or not route.function_arn:
            await connection.socket.send_str(gateway_error("Forbidden", connection.id, aws_id()))
            return
        context = self._context(connection, route.key, "MESSAGE")
        context["messageId"] = aws_id()
        if self.bucket and not self.bucket.take():
            await connection.socket.send_str(gateway_error("Too Many Requests", connection.id, context["requestId"]))
            return
        event = self._event(context, body=body)
        try:
            result = await invoke_within(self.invoker, route.function_arn, event, route.timeout_ms, self.running)
        except IntegrationTimeout:
            failure = "Endpoint request timed out"
        except InvocationFailed:
            failure = "Internal server error"
        else:
            if route.returns_response and isinstance(result, dict) and result.get("body") is not None:
                await connection.socket.send_str(str(result["body"]))
            return
        with contextlib.suppress(ConnectionError):
            await connection.socket.send_str(gateway_error(failure, connection.id, context["requestId"]))

    async def _watchdog(self, connection: Connection) -> None:
        opened = time.monotonic()
        while True:
            now = time.monotonic()
            idle_deadline = connection.last_active + self.limits.idle_timeout_seconds
            hard_deadline = opened + self.limits.max_connection_seconds
            if now >= hard_deadline or now >= idle_deadline:
                await self._close(connection, GOING_AWAY, "Going away")
                return
            await asyncio.sleep(min(idle_deadline, hard_deadline) - now)

    async def _close(self, connection: Connection, code: int, reason: str) -> None:
        if connection.close_code is None:
            connection.close_code, connection.close_reason = code, reason
        if not connection.socket.closed:
            await connection.socket.close(code=code, message=reason.encode())

    async def _disconnected(self, connection: Connection) -> None:
        route = self.api.routes.get("$disconnect")
        self.log(f"$disconnect {connection.id} ({connection.close_code} {connection.close_reason})")
        if route is None or not route.function_arn:
            return
        context = self._context(connection, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = connection.close_code
        context["disconnectReason"] = connection.close_reason
        headers, multi_headers = connection.handshake.disconnect_headers()
        event = self._event(context, headers=headers, multiValueHeaders=multi_headers)
        with contextlib.suppress(InvocationFailed, IntegrationTimeout):  # best-effort, as on AWS
            await invoke_within(self.invoker, route.function_arn, event, route.timeout_ms, self.running)

    # --- @connections -------------------------------------------------------------------------

    async def manage(self, request: web.Request) -> web.StreamResponse:
        """POST (send), GET (describe), DELETE (close) ``@connections/{id}``. Signatures are
        accepted without verification: the emulator's credentials are dummies."""
        if self.bench is not None:
            refused = await self.bench.admit()
            if refused is not None:
                return refused
            if request.match_info["connection_id"] in self.bench.connections:
                return await self._manage_modelled(request, self.bench)
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return web.json_response({"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException:"})
        if request.method == "POST":
            data = await self._message(request)
            if data is None:
                return _too_long()
            try:
                await connection.socket.send_str(data.decode())
            except UnicodeDecodeError:
                await connection.socket.send_bytes(data)
            except ConnectionError:
                return web.json_response({"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException:"})
            return web.Response(status=200)
        if request.method == "GET":
            return web.json_response(
                {
                    "connectedAt": _iso(connection.connected_at / 1000),
                    "identity": {
                        "sourceIp": connection.handshake.source_ip,
                        "userAgent": connection.handshake.user_agent or "",
                    },
                    "lastActiveAt": _iso(time.time() - (time.monotonic() - connection.last_active)),
                }
            )
        if request.method == "DELETE":
            await self._close(connection, 1000, "Connection deleted")
            return web.Response(status=204)
        return web.json_response({"message": "Method Not Allowed"}, status=405)

    async def _message(self, request: web.Request) -> bytes | None:
        """A POST's body, or None over the 128 KB message quota: at any size, since aiohttp's own
        413 past ``client_max_size`` is plain text that botocore cannot read as PayloadTooLargeException."""
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return None
        return data if len(data) <= self.limits.max_message_bytes else None

    async def _manage_modelled(self, request: web.Request, bench: BenchMode) -> web.StreamResponse:
        """``manage`` for a socketless connection registered in bulk (benchmarks only)."""
        connection_id = request.match_info["connection_id"]
        if request.method == "POST":
            data = await self._message(request)
            if data is None:
                return _too_long()
            bench.record(data)
            return web.Response(status=200)
        if request.method == "GET":
            now = _iso(time.time())
            return web.json_response(
                {"connectedAt": now, "identity": {"sourceIp": "127.0.0.1", "userAgent": ""}, "lastActiveAt": now}
            )
        if request.method == "DELETE":
            bench.connections.discard(connection_id)
            return web.Response(status=204)
        return web.json_response({"message": "Method Not Allowed"}, status=405)


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def _forbidden(_: web.BaseRequest) -> web.Response:
    """A path the API does not serve, or the stage without an upgrade: 403, which botocore reads
    as ForbiddenException (as AWS answers @connections calls that leave out the stage)."""
    return web.json_response({"message": "Forbidden"}, status=403, headers={"x-amzn-ErrorType": "ForbiddenException"})


def _too_long() -> web.Response:
    return web.json_response(
        {"message": "Message too long"}, status=413, headers={"x-amzn-ErrorType": "PayloadTooLargeException:"}
    )


def _reason(status: int) -> str:
    return {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}.get(
        status, "Internal Server Error"
    )
