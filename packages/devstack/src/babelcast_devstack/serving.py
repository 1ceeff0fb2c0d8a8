"""Serving an aiohttp application on loopback, as every server of the local stack does."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web, web_protocol, web_response
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.typedefs import Handler

_log = logging.getLogger("babelcast_devstack.serving")
# aiohttp warns with the client's Sec-WebSocket-Protocol values when none is served: client input
# in the console (API Gateway ignores an unknown subprotocol silently)
logging.getLogger("aiohttp.websocket").setLevel(logging.ERROR)
TOO_MANY_HEADERS = "Too many headers received"  # aiohttp's words for max_headers


def _answer_in_api_gateway_words(
    self: web_protocol.RequestHandler,
    request: web.BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """What every server of the stack answers when aiohttp fails a request before any handler:
    API Gateway's JSON, never the request's bytes. aiohttp's own answer is text/plain quoting the
    offending line (a header over the parser limit, a bad header name) and logs a traceback."""
    if request.writer.output_size > 0:
        raise ConnectionError("the response has started: no error answer can follow")
    too_large = isinstance(exc, LineTooLong) or (isinstance(exc, BadHttpMessage) and TOO_MANY_HEADERS in str(exc))
    if too_large:
        status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    elif isinstance(exc, BadHttpMessage):
        status = HTTPStatus.BAD_REQUEST
    _log.warning("request refused before routing: %d %s", status, type(exc).__name__ if exc else _phrase(status))
    response = _api_gateway_answer(status)
    response.force_close()
    return response


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"


def _api_gateway_answer(status: int, headers: dict[str, str] | None = None) -> web.Response:
    """API Gateway's own error answer: ``{"message": "<reason phrase>"}``."""
    return web.json_response({"message": _phrase(status)}, status=status, headers=headers)


web_protocol.RequestHandler.handle_error = _answer_in_api_gateway_words  # type: ignore[method-assign]
_prepare_headers = web_response.StreamResponse._prepare_headers


async def _without_server_header(self: web_response.StreamResponse) -> None:
    """API Gateway sends no ``Server`` header; aiohttp names itself and Python's version in one on
    every answer, the refusals above and WebSocket upgrades included, so it goes here."""
    await _prepare_headers(self)
    self.headers.popall(hdrs.SERVER, None)


web_response.StreamResponse._prepare_headers = _without_server_header  # type: ignore[method-assign]


@web.middleware
async def _json_http_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals (no route for an asterisk- or authority-form target such as
    ``OPTIONS *`` or ``CONNECT host:port``, a method a route does not take) are text/plain in its
    words; every server of the stack answers JSON as API Gateway does."""
    try:
        return await handler(request)
    except web.HTTPException as refusal:
        if refusal.status < 400 or refusal.content_type != "text/plain":
            raise
        headers = {name: value for name, value in refusal.headers.items() if name.lower() == "allow"}
        return _api_gateway_answer(refusal.status, headers)


async def listen(
    app: web.Application, host: str, port: int, *, backlog: int = 128, **handler_options: Any
) -> tuple[web.AppRunner, int]:
    """Start ``app`` on ``host:port``; returns its runner (to clean up) and the port bound, which
    the OS picks when ``port`` is 0. ``handler_options`` go to aiohttp's request handler (its
    parser limits)."""
    app.middlewares.append(_json_http_errors)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, **handler_options)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=backlog).start()
    bound = [address for address in runner.addresses if isinstance(address, tuple)]
    return runner, int(bound[-1][1]) if bound else port
