"""A local API Gateway HTTP API: routes, JWT authorizer, CORS, throttling, payload format 2.0,
and API Gateway's limits answered in its words (docs/local-stack-fidelity.md)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from babelcast_devstack.config import Api, Authorizer, Route, Throttle
from babelcast_devstack.invocation import (
    IntegrationTimeout,
    InvocationFailed,
    Invoker,
    forwarded_for,
    invoke_within,
    now_ms,
    printable,
    request_id,
    request_time,
    trace_id,
)
from babelcast_devstack.jwt_authorizer import JwtAuthorizer, Unauthorized, api_gateway_claims

# HTTP API quotas: "Payload size 10 MB", "Total combined size of request line and header values 10240 bytes"
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_REQUEST_HEAD_BYTES = 10240
MAX_LOGGED_PATH = 256
# aiohttp's own parser limits sit far above API Gateway's, so oversized heads reach the handler
# below and get API Gateway's answer (aiohttp's would quote the header back).
PARSER_LIMITS = {"max_line_size": 64 * 1024, "max_field_size": 64 * 1024, "max_headers": 1024}
# Bodies API Gateway hands over as text (isBase64Encoded false); every other type, a missing
# Content-Type and application/x-www-form-urlencoded included, arrives base64-encoded.
_TEXT_MEDIA_TYPES = {"application/json", "application/xml", "application/javascript"}


def _message(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return _json(status, _compact({"message": message}), headers)


def _json(status: int, text: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response labelled ``application/json`` exactly (aiohttp would add a charset)."""
    return web.Response(
        status=status, body=text.encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    method: str  # "ANY" or an HTTP method; "$default" route has method "*"
    pattern: re.Pattern[str] | None
    params: tuple[str, ...]
    score: tuple[int, ...]


def _compile(route: Route) -> _CompiledRoute:
    if route.key == "$default":
        return _CompiledRoute(route, "*", None, (), (9, 0, 0))
    method, _, template = route.key.partition(" ")
    params: list[str] = []
    regex = ""
    greedy = False
    for segment in template.strip("/").split("/") if template != "/" else []:
        if segment.startswith("{") and segment.endswith("+}"):
            params.append(segment[1:-2])
            regex += r"/(.+)"
            greedy = True
        elif segment.startswith("{") and segment.endswith("}"):
            params.append(segment[1:-1])
            regex += r"/([^/]+)"
        else:
            regex += "/" + re.escape(segment)
    # Most specific wins: exact paths, then fewer variables, greedy last; a method beats ANY.
    score = (1 if greedy else 0, len(params), 1 if method == "ANY" else 0)
    return _CompiledRoute(route, method, re.compile(f"^{regex or '/'}$"), tuple(params), score)


class TokenBucket:
    def __init__(self, throttle: Throttle) -> None:
        self.capacity = max(1, throttle.burst_limit)
        self.rate = throttle.rate_limit
        self.tokens = float(self.capacity)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES


def head_size(request: web.BaseRequest) -> int:
    """The request line plus every header value in bytes on the wire, as the HTTP API quota counts
    them (aiohttp decodes values as UTF-8 with surrogateescape: encoding back gives the sent bytes)."""
    line = len(
        f"{request.method} {request.raw_path} HTTP/{request.version.major}.{request.version.minor}".encode(
            "utf-8", "surrogateescape"
        )
    )
    return line + sum(len(value.encode("utf-8", "surrogateescape")) for value in request.headers.values())


class HttpApiServer:
    def __init__(
        self,
        api: Api,
        invoker: Invoker,
        authorizer_factory: Callable[[Authorizer], JwtAuthorizer],
        log: Callable[[str], None] = print,
        account_id: str = "123456789012",
        *,
        cors_hint: str | None = None,
    ) -> None:
        self.api = api
        self.invoker = invoker
        self.log = log
        # how to admit a refused origin, named in the refusal's log line
        self.cors_hint = cors_hint or "allow it in Terraform's cors_allowed_origins"
        self.account_id = account_id
        self.running: set[asyncio.Task[Any]] = set()  # invocations past their integration timeout
        self.routes = sorted((_compile(r) for r in api.routes.values()), key=lambda c: c.score)
        self.authorizers = {
            auth_id: authorizer_factory(auth) for auth_id, auth in api.authorizers.items() if auth.type == "JWT"
        }
        self.bucket = TokenBucket(api.throttle) if api.throttle else None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        # every path, newlines (%0A) included: API Gateway, not aiohttp, answers those it cannot route
        app.router.add_route("*", r"/{tail:[\s\S]*}", self.handle)
        return app

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for compiled in self.routes:
            if compiled.pattern is None:
                continue
            if compiled.method not in (method, "ANY"):
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled.route, dict(zip(compiled.params, found.groups(), strict=True))
        default = self.api.routes.get("$default")
        return (default, {}) if default else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response = await self._respond(request)
        origin = request.headers.get("Origin")
        if origin and self.api.cors and self._origin_allowed(origin) and request.method != "OPTIONS":
            response.headers["Access-Control-Allow-Origin"] = origin if origin != "*" else "*"
            if self.api.cors.expose_headers:
                response.headers["Access-Control-Expose-Headers"] = ",".join(self.api.cors.expose_headers)
            if self.api.cors.allow_credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
        elapsed = (time.perf_counter() - started) * 1000
        # One line per request: the path as sent (still percent-encoded), never the query string (it
        # may hold tokens); the correlation id the function answered with ("-" when the gateway answered).
        correlation = response.headers.get("X-Correlation-Id", "-")[:128]
        path = request.raw_path.split("?", 1)[0]
        if len(path) > MAX_LOGGED_PATH:  # a 9 000-character path is abuse, not something to read
            path = f"{path[:MAX_LOGGED_PATH]}…({len(path)} characters)"
        self.log(printable(f"{request.method} {path} {response.status} {elapsed:.0f}ms {correlation}"))
        return response

    def _origin_allowed(self, origin: str) -> bool:
        allowed = self.api.cors.allow_origins if self.api.cors else ()
        return "*" in allowed or origin in allowed

    def _preflight(self, request: web.Request) -> web.Response:
        cors = self.api.cors
        assert cors is not None
        origin = request.headers.get("Origin", "")
        wanted_method = request.headers.get("Access-Control-Request-Method", "").upper()
        wanted_headers = [
            h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()
        ]
        methods_ok = "*" in cors.allow_methods or wanted_method in cors.allow_methods
        headers_ok = "*" in cors.allow_headers or all(h in cors.allow_headers for h in wanted_headers)
        if not (self._origin_allowed(origin) and methods_ok and headers_ok):
            self._log_refusal(origin, wanted_method, wanted_headers, methods_ok, headers_ok)
            return web.Response(status=204)  # API Gateway answers, but without CORS headers
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ",".join(cors.allow_methods),
            "Access-Control-Allow-Headers": ",".join(cors.allow_headers),
        }
        if cors.max_age is not None:
            headers["Access-Control-Max-Age"] = str(cors.max_age)
        if cors.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return web.Response(status=204, headers=headers)

    def _log_refusal(self, origin: str, method: str, headers: list[str], methods_ok: bool, headers_ok: bool) -> None:
        """One line saying what the browser will block and how to allow it (the browser only
        reports a CORS error); the origin is a client's header, so it is escaped and cut short."""
        shown = printable(origin[:200]) or "(none)"
        if not self._origin_allowed(origin):
            reason = f"origin {shown} is not allowed: {self.cors_hint}"
        elif not methods_ok:
            reason = f"method {printable(method[:20])} is not allowed for origin {shown}"
        else:
            cors = self.api.cors
            refused = [h for h in headers if cors is not None and h not in cors.allow_headers]
            reason = f"header {printable(','.join(refused)[:200])} is not allowed for origin {shown}"
        self.log(printable(f"CORS preflight refused: {reason}"))

    def _strip_stage(self, path: str) -> str | None:
        if self.api.stage == "$default":
            return path
        prefix = f"/{self.api.stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
        return None

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        if head_size(request) > MAX_REQUEST_HEAD_BYTES:
            return _message(431, "Request Header Fields Too Large")  # never the header itself
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _message(413, "Request Entity Too Large")
        if request.method == "OPTIONS" and self.api.cors and "Access-Control-Request-Method" in request.headers:
            return self._preflight(request)
        # aiohttp has percent-decoded the path once, as API Gateway does (rawPath is decoded too):
        # routing and path parameters use it as is, never decoded a second time.
        path = self._strip_stage(request.path)
        matched = self.match(request.method, path) if path is not None else None
        if matched is None:
            return _message(404, "Not Found")
        route, params = matched
        if self.bucket and not self.bucket.take():
            return _message(429, "Too Many Requests")
        claims: dict[str, Any] | None = None
        scopes: list[str] | None = None
        if route.authorization_type == "JWT":
            authorizer = self.authorizers.get(route.authorizer_id or "")
            if authorizer is None:
                return _message(500, "Internal Server Error")
            source = self.api.authorizers[route.authorizer_id or ""].identity_sources
            token = _identity(request, source[0] if source else "$request.header.Authorization")
            try:
                claims = await asyncio.to_thread(authorizer.verify, token)
            except Unauthorized:
                return _message(401, "Unauthorized", {"www-authenticate": 'Bearer error="invalid_token"'})
            scopes = authorizer.scopes(claims)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # a chunked body that grew past the quota
            return _message(413, "Request Entity Too Large")
        event = self.event(
            request, route=route, path=path or "/", params=params, body=body, claims=claims, scopes=scopes
        )
        if route.function_arn is None:
            return _message(500, "Internal Server Error")
        try:
            result = await invoke_within(self.invoker, route.function_arn, event, route.timeout_ms, self.running)
        except IntegrationTimeout:
            return _message(503, "Service Unavailable")
        except InvocationFailed as failure:  # the function failed, its own timeout included
            if failure.kind == "request_too_large":  # Lambda's 6 MB limit on the event
                return _message(413, "Request Too Long")
            return _message(500, "Internal Server Error")
        response = self.map_response(result)
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        return response

    def event(
        self,
        request: web.Request,
        *,
        route: Route,
        path: str,
        params: Mapping[str, str],
        body: bytes,
        claims: Mapping[str, Any] | None,
        scopes: list[str] | None,
    ) -> dict[str, Any]:
        """A payload format 2.0 event, as API Gateway builds it."""
        epoch = now_ms()
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            if key == "cookie":
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        source_ip = request.remote or "127.0.0.1"
        headers["x-forwarded-for"] = forwarded_for(headers.get("x-forwarded-for"), source_ip)
        headers["x-forwarded-proto"] = request.scheme
        headers["x-forwarded-port"] = str(request.url.port or "")
        headers.setdefault("x-amzn-trace-id", trace_id())
        headers.setdefault("content-length", str(len(body)))  # API Gateway sends it, "0" included
        query: dict[str, str] = {}
        for name, value in request.query.items():
            query[name] = f"{query[name]},{value}" if name in query else value
        cookies = [c.strip() for h in request.headers.getall("Cookie", []) for c in h.split(";") if c.strip()]
        host = request.headers.get("Host", request.host)
        rid = request_id()
        context: dict[str, Any] = {
            "accountId": self.account_id,
            "apiId": self.api.id,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": rid,
            "routeKey": route.key,
            "stage": self.api.stage,
            "time": request_time(epoch),
            "timeEpoch": epoch,
        }
        if claims is not None:
            context["authorizer"] = {"jwt": {"claims": api_gateway_claims(claims), "scopes": scopes}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.key,
            "rawPath": request.path,
            "rawQueryString": request.rel_url.raw_query_string,  # as sent: still percent-encoded
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": False,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = dict(params)
        if self.api.stage_variables:
            event["stageVariables"] = dict(self.api.stage_variables)
        if body:
            text = _utf8(body) if is_text(request.headers.get("Content-Type", "")) else None
            if text is None:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
            else:
                event["body"] = text
        return event

    @staticmethod
    def map_response(result: Any) -> web.Response:
        """Payload 2.0 response mapping: a dict with statusCode is used as is (``multiValueHeaders``
        is not part of format 2.0 and is ignored, as on AWS); anything else is inferred as a 200
        JSON body holding the function's result."""
        if isinstance(result, dict) and "statusCode" in result:
            headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
            raw = result.get("body") or ""
            body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
            response = web.Response(status=int(result["statusCode"]), body=body, headers=headers)
            for cookie in result.get("cookies") or []:
                response.headers.add("Set-Cookie", str(cookie))
            if "Content-Type" not in response.headers and body:
                response.headers["Content-Type"] = "application/json"
            return response
        return _json(200, result if isinstance(result, str) else _compact(result))


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode()
    except UnicodeDecodeError:  # not text after all: delivered base64-encoded rather than mangled
        return None


def _identity(request: web.Request, source: str) -> str | None:
    if source.startswith("$request.header."):
        return request.headers.get(source.removeprefix("$request.header."))
    if source.startswith("$request.querystring."):
        return request.query.get(source.removeprefix("$request.querystring."))
    return None
