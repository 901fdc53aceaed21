"""`OpsServer`: the local HTTP endpoint, `/healthz` and `/metrics`, behind its own error boundary.

It runs in the bot's event loop (one aiohttp site, no thread), and nothing it does can stop
the bot: a port that cannot be bound is logged once and the bot runs without the endpoint; a
check that raises answers 500 with the error's type (logged), never a traceback to the client,
and the next request checks again. Only GET is served; everything else is 404/405.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import orjson
from aiohttp import web

from bot.ops.health import Health
from bot.ops.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)


class OpsServer:
    """Serves `health` at /healthz and `metrics` at /metrics on host:port (0: any free port)."""

    def __init__(self, health: Health, metrics: Metrics, host: str, port: int) -> None:
        self.health = health
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.error: str | None = None  # why it is not serving, when it could not start

    def app(self) -> web.Application:
        """The aiohttp application (two GET routes)."""
        app = web.Application()
        app.add_routes([web.get("/healthz", self.healthz), web.get("/metrics", self.metrics_page)])
        return app

    @property
    def url(self) -> str:
        """The endpoint's base URL (after `start`, with the port actually bound)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def serving(self) -> bool:
        """Whether the endpoint is up."""
        return self._runner is not None

    async def start(self) -> bool:
        """Bind and serve; False (logged once, the bot goes on) if that is not possible."""
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, self.port))
                sock.setblocking(False)
            except BaseException:
                sock.close()
                raise
            self.port = sock.getsockname()[1]
            runner = web.AppRunner(
                self.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
            )
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.error(
                "ops endpoint: cannot listen on %s:%s (%s); the bot runs without it",
                self.host,
                self.port,
                self.error,
            )
            return False
        self._runner = runner
        log.info("ops endpoint: /healthz and /metrics on %s", self.url)
        return True

    async def stop(self) -> None:
        """Stop serving (never raises)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            await runner.cleanup()
        except Exception:
            log.exception("ops endpoint: stopping failed")

    async def healthz(self, _request: web.Request) -> web.Response:
        """`/healthz`: 200 or 503 with the parts' JSON (see `bot.ops.health`)."""
        try:
            status, body = await self.health.report()
        except Exception as exc:
            log.exception("ops endpoint: /healthz failed")
            return _json(500, {"status": "error", "error": type(exc).__name__})
        return _json(status, body)

    async def metrics_page(self, _request: web.Request) -> web.Response:
        """`/metrics`: the registry in Prometheus' text format."""
        try:
            body = self.metrics.render()
        except Exception as exc:
            log.exception("ops endpoint: /metrics failed")
            return _json(500, {"status": "error", "error": type(exc).__name__})
        response = web.Response(status=200, body=body)
        response.headers["Content-Type"] = CONTENT_TYPE
        return response


def _json(status: int, body: dict[str, Any]) -> web.Response:
    response = web.Response(status=status, body=orjson.dumps(body))
    response.headers["Content-Type"] = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response
