"""Start and stop the listener's aiohttp server, and what it does below the application: the
JSON body of the errors aiohttp's HTTP parser answers, the cap on open connections and the
deadline for a request's headers."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from bgs.listener_address import bound_url, listener_address
from listener.app import create_app
from listener.requests import ListenerContext

log = logging.getLogger(__name__)

FULL_RETRY_AFTER = 5  # seconds, in the answer to a connection over the cap


class GuardedHandler(RequestHandler):
    """aiohttp's connection handler, but its own error answers (a bad request line, conflicting
    lengths, bad header bytes, an unknown method, a handler that failed outside the
    application) carry the listener's `{"error": ...}` body, and a connection past the cap is
    answered 503 and closed before any of it is read."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs, refuses if sent
        if status >= 500:
            text = "internal error; nothing was stored"
        else:
            text = f"the request could not be read as HTTP: {message or plain.reason}"
        response = web.json_response({"error": text}, status=status)
        response.force_close()
        return response

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        server = self._manager
        if isinstance(server, GuardedServer) and len(server.connections) > server.max_connections:
            log.warning("refused a connection: %d open already", server.max_connections)
            body = json.dumps({"error": "the listener is busy; try again later"}).encode()
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: {FULL_RETRY_AFTER}\r\n"
                "Connection: close\r\n\r\n"
            )
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(head.encode() + body)
            self.force_close()
            transport.close()


class GuardedServer(web.Server):
    """aiohttp's low-level server making `GuardedHandler`s, and the connection cap they read."""

    def __init__(self, *args: Any, max_connections: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """An AppRunner whose server is a `GuardedServer`: the application's own, re-made as one."""

    def __init__(self, app: web.Application, *, max_connections: int, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._max_connections = max_connections

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            max_connections=self._max_connections,
            **plain._kwargs,
        )


class ListenerServer:
    """The aiohttp site on LISTENER_HOST:LISTENER_PORT (port 0 picks a free port)."""

    def __init__(self, context: ListenerContext) -> None:
        self._context = context
        self._runner: web.AppRunner | None = None
        self.host = context.settings.listener_host
        self.port = context.settings.listener_port

    @property
    def app(self) -> web.Application:
        if self._runner is None:
            raise RuntimeError("the listener is not running")
        return self._runner.app

    @property
    def url(self) -> str:
        return bound_url(self.host, self.port)

    async def start(self) -> None:
        settings = self._context.settings
        app = create_app(self._context)
        # aiohttp closes a connection that is idle, or has not sent a whole request's headers,
        # this long after it opened or after its last answer: the header deadline.
        self._runner = GuardedRunner(
            app,
            access_log=None,
            handle_signals=False,
            keepalive_timeout=settings.listener_header_timeout,
            max_connections=settings.listener_max_connections,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        members = listener_address(settings.listener_public_url, self.host, self.port).url
        log.info("plugin listener on %s; members paste %s into BGS-Tally", self.url, members)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
