"""A tiny route table for one Lambda serving several HTTP API routes.

Routes are registered by their API Gateway route key ("POST /sessions"); the contract tests
compare this table with the routes Terraform declares, so the two cannot drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babelcast.adapter import Declarations, answer_for
from babelcast.errors import RouteNotFound
from babelcast.http.request import HttpRequest, correlation_id_from, lower_headers
from babelcast.http.responses import HttpResponse, error_response
from babelcast.integration import budget
from babelcast.logging import bind_request_context, get_logger
from babelcast.metrics import Metrics

RouteHandler = Callable[[HttpRequest], HttpResponse]
_log = get_logger(__name__)
ANSWER_RESERVE_SECONDS = 0.5  # building the response after the last AWS call


@dataclass(frozen=True)
class Route:
    key: str
    operation: str
    authenticated: bool
    handler: RouteHandler


class HttpApp(Declarations[Route]):
    def __init__(self, function_name: str) -> None:
        super().__init__()
        self.function_name = function_name

    @property
    def routes(self) -> dict[str, Route]:
        return self.declared

    def route(self, key: str, *, operation: str, authenticated: bool) -> Callable[[RouteHandler], RouteHandler]:
        return self._declaring(key, lambda handler: Route(key, operation, authenticated, handler))

    def handle(self, event: Mapping[str, Any], context: Any, metrics: Metrics) -> HttpResponse:
        """Answer one request (the function's handler flushes ``metrics`` after it)."""
        started = time.perf_counter()
        budget.begin(context, ANSWER_RESERVE_SECONDS)
        correlation_id = correlation_id_from(lower_headers(event))  # the request's only id
        route_key = str(event.get("routeKey", ""))
        route = self.routes.get(route_key)
        bind_request_context(
            correlation_id=correlation_id,
            request_id=str((event.get("requestContext") or {}).get("requestId", "")),
            aws_request_id=getattr(context, "aws_request_id", ""),
            route=route_key if route else "unknown",
        )
        try:
            if route is None:
                raise RouteNotFound()
            request = HttpRequest.from_event(event, correlation_id)
            if route.authenticated:
                _ = request.user_id  # refuse before any work if the authorizer did not run
            response = route.handler(request)
        except Exception as caught:  # the last line of defence: never leak a trace to clients
            error = answer_for(caught, rejected="request_rejected", failed="request_failed")
            response = error_response(error, correlation_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.setdefault("headers", {})["X-Correlation-Id"] = correlation_id
        if route is not None:
            metrics.add(f"{route.operation}Duration", elapsed_ms, unit="Milliseconds")
        if response["statusCode"] >= 500:
            metrics.add("ServerErrorCount", 1)
        _log.info("request_completed", status=response["statusCode"], duration_ms=round(elapsed_ms, 2))
        return response
