"""Serving an aiohttp application on loopback, as every server of the local stack does."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def listen(
    app: web.Application, host: str, port: int, *, backlog: int = 128, **handler_options: Any
) -> tuple[web.AppRunner, int]:
    """Start ``app`` on ``host:port``; returns its runner (to clean up) and the port bound, which
    the OS picks when ``port`` is 0. ``handler_options`` go to aiohttp's request handler (its
    parser limits)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, **handler_options)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=backlog).start()
    bound = [address for address in runner.addresses if isinstance(address, tuple)]
    return runner, int(bound[-1][1]) if bound else port
