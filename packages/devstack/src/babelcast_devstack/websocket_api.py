"""A local API Gateway WebSocket API and its ``@connections`` management API.

Served as AWS does it: ``$connect`` runs the REQUEST authorizer (policy and context honoured),
then the connect route; a non-2xx result rejects the upgrade with that HTTP status. Messages are
routed by the route selection expression with ``$default`` fallback; ``$disconnect`` runs on
close with the close code and reason. Binary frames close the socket with 1003, messages over
128 KB with 1009; idle (10 min) and maximum connection (2 h) limits apply.

Opt-in, for benchmarks only (``Limits.modelled_latency_route``): ``/_modelled-latency/<ms>/<stage>/@connections/<id>``
answers like ``@connections`` after sleeping <ms>, modelling the network round trip each PostToConnection
costs on AWS (here a loopback call takes ~1 ms). The sleep is asyncio's, so the gateway stays concurrent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fnmatch
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from babelcast_devstack.config import Api, Route
from babelcast_devstack.invocation import InvocationFailed, Invoker, now_ms, request_id, request_time

MAX_MESSAGE_BYTES = 128 * 1024
IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_CONNECTION_SECONDS = 2 * 60 * 60
GOING_AWAY = 1001
MAX_MODELLED_LATENCY_MS = 2000


@dataclass
class Connection:
    id: str
    socket: web.WebSocketResponse
    connected_at: int
    source_ip: str
    user_agent: str
    headers: dict[str, str]
    multi_headers: dict[str, list[str]]
    authorizer: dict[str, Any] | None
    last_active: float = field(default_factory=time.monotonic)
    close_code: int | None = None
    close_reason: str = ""
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Limits:
    idle_timeout_seconds: float = IDLE_TIMEOUT_SECONDS
    max_connection_seconds: float = MAX_CONNECTION_SECONDS
    max_message_bytes: int = MAX_MESSAGE_BYTES
    # serve the benchmark-only @connections route with a modelled round-trip delay (off by default)
    modelled_latency_route: bool = False


def connection_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _selection_value(expression: str, body: str) -> str | None:
    """Evaluate ``$request.body.<path>`` against a JSON text message."""
    if not expression.startswith("$request.body."):
        return None
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse: $default, as on AWS
        return None
    for part in expression.removeprefix("$request.body.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


def _policy_allows(policy: Any, method_arn: str) -> bool:
    """An IAM policy from a REQUEST authorizer allows ``execute-api:Invoke`` on the method."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action") or []
        resources = statement.get("Resource") or []
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        if not any(_arn_matches(r, method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _arn_matches(pattern: str, arn: str) -> bool:
    return fnmatch.fnmatchcase(arn, pattern)


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

    # --- wiring -------------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_message_bytes + 1024)
        stage = self.api.stage
        app.router.add_route("*", f"/{stage}/@connections/{{connection_id}}", self.manage)
        if self.limits.modelled_latency_route:
            app.router.add_route(
                "*", f"/_modelled-latency/{{latency_ms:\\d+}}/{stage}/@connections/{{connection_id}}",
                self.manage_after_modelled_latency,
            )  # fmt: skip
        app.router.add_get(f"/{stage}", self.connect)
        app.router.add_get(f"/{stage}/", self.connect)
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

    def _context(self, connection: Connection, route_key: str, event_type: str, epoch: int) -> dict[str, Any]:
        rid = request_id()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": rid,
            "requestTime": request_time(epoch),
            "messageDirection": "IN",
            "stage": self.api.stage,
            "connectedAt": connection.connected_at,
            "requestTimeEpoch": epoch,
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": rid,
            "domainName": connection.headers.get("Host", ""),
            "connectionId": connection.id,
            "apiId": self.api.id,
        }
        if connection.authorizer is not None:
            context["authorizer"] = connection.authorizer
        return context

    # --- $connect -----------------------------------------------------------------------------

    async def connect(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.json_response({"message": "Forbidden"}, status=403)
        headers = dict(request.headers.items())
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            multi_headers.setdefault(name, []).append(value)
        connection = Connection(
            id=connection_id(),
            socket=web.WebSocketResponse(max_msg_size=self.limits.max_message_bytes, autoping=True),
            connected_at=now_ms(),
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            headers=headers,
            multi_headers=multi_headers,
            authorizer=None,
        )
        query = dict(request.query)
        multi_query: dict[str, list[str]] = {}
        for name, value in request.query.items():
            multi_query.setdefault(name, []).append(value)
        route = self.api.routes.get("$connect")
        started = time.perf_counter()
        status = await self._authorize(route, connection, query, multi_query)
        if status == 200 and route is not None and route.function_arn:
            event = self._connect_event(connection, query, multi_query)
            status = await self._invoke_for_status(route, event)
        elapsed = (time.perf_counter() - started) * 1000
        if not 200 <= status < 300:
            self.log(f"$connect {connection.id} rejected with {status} ({elapsed:.1f} ms)")
            return web.json_response({"message": _reason(status)}, status=status)
        await connection.socket.prepare(request)
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
    ) -> int:
        if route is None or route.authorization_type != "CUSTOM" or not route.authorizer_id:
            return 200
        authorizer = self.api.authorizers.get(route.authorizer_id)
        if authorizer is None or authorizer.function_arn is None:
            return 500
        for source in authorizer.identity_sources:
            if source.startswith("route.request.querystring.") and not query.get(source.rsplit(".", 1)[1]):
                return 401
            if source.startswith("route.request.header.") and not connection.headers.get(source.rsplit(".", 1)[1]):
                return 401
        epoch = now_ms()
        method_arn = self.method_arn("$connect")
        event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "headers": connection.headers,
            "multiValueHeaders": connection.multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "stageVariables": {},
            "requestContext": self._context(connection, "$connect", "CONNECT", epoch),
        }
        try:
            result = await self.invoker.invoke(authorizer.function_arn, event)
        except InvocationFailed as failure:
            # A REQUEST authorizer signals 401 by failing with the message "Unauthorized".
            return 401 if failure.error_message == "Unauthorized" else 500
        if not isinstance(result, dict) or not _policy_allows(result.get("policyDocument"), method_arn):
            return 403
        context = {str(k): v for k, v in (result.get("context") or {}).items()}
        connection.authorizer = {"principalId": result.get("principalId"), "integrationLatency": 0, **context}
        return 200

    def _connect_event(
        self, connection: Connection, query: dict[str, str], multi_query: dict[str, list[str]]
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "headers": connection.headers,
            "multiValueHeaders": connection.multi_headers,
            "requestContext": self._context(connection, "$connect", "CONNECT", now_ms()),
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = multi_query
        return event

    async def _invoke_for_status(self, route: Route, event: Mapping[str, Any]) -> int:
        assert route.function_arn is not None
        try:
            result = await self.invoker.invoke(route.function_arn, event)
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
        key = _selection_value(self.api.route_selection_expression, body)
        route = self.api.routes.get(key or "") or self.api.routes.get("$default")
        if route is None or not route.function_arn:
            await connection.socket.send_str(
                json.dumps({"message": "Forbidden", "connectionId": connection.id, "requestId": request_id()})
            )
            return
        epoch = now_ms()
        context = self._context(connection, route.key, "MESSAGE", epoch)
        context["messageId"] = request_id()
        event = {"requestContext": context, "body": body, "isBase64Encoded": False}
        try:
            result = await self.invoker.invoke(route.function_arn, event)
        except InvocationFailed:
            await connection.socket.send_str(
                json.dumps(
                    {
                        "message": "Internal server error",
                        "connectionId": connection.id,
                        "requestId": context["requestId"],
                    }
                )
            )
            return
        if route.returns_response and isinstance(result, dict) and result.get("body") is not None:
            await connection.socket.send_str(str(result["body"]))

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
        context = self._context(connection, "$disconnect", "DISCONNECT", now_ms())
        context["disconnectStatusCode"] = connection.close_code
        context["disconnectReason"] = connection.close_reason
        event = {
            "headers": connection.headers,
            "multiValueHeaders": connection.multi_headers,
            "requestContext": context,
            "isBase64Encoded": False,
        }
        with contextlib.suppress(InvocationFailed):  # $disconnect is best-effort, as on AWS
            await self.invoker.invoke(route.function_arn, event)

    # --- @connections -------------------------------------------------------------------------

    async def manage(self, request: web.Request) -> web.StreamResponse:
        """POST (send), GET (describe), DELETE (close) ``@connections/{id}``. Signatures are
        accepted without verification: the emulator's credentials are dummies."""
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return web.json_response({"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException:"})
        if request.method == "POST":
            data = await request.read()
            if len(data) > self.limits.max_message_bytes:
                return web.json_response({"message": "Message too long"}, status=413,
                                         headers={"x-amzn-ErrorType": "PayloadTooLargeException:"})  # fmt: skip
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
                    "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                    "lastActiveAt": _iso(time.time() - (time.monotonic() - connection.last_active)),
                }
            )
        if request.method == "DELETE":
            await self._close(connection, 1000, "Connection deleted")
            return web.Response(status=204)
        return web.json_response({"message": "Method Not Allowed"}, status=405)

    async def manage_after_modelled_latency(self, request: web.Request) -> web.StreamResponse:
        """``manage`` after the round trip a real network would add (benchmarks only, opt-in)."""
        latency_ms = min(int(request.match_info["latency_ms"]), MAX_MODELLED_LATENCY_MS)
        await asyncio.sleep(latency_ms / 1000)
        return await self.manage(request)


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _reason(status: int) -> str:
    return {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests"}.get(status, "Internal Server Error")  # fmt: skip
