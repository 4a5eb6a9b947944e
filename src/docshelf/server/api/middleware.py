"""Pure ASGI middleware (BaseHTTPMiddleware would break context variables and streaming)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.i18n import tr
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.server.metrics import Metrics

log = logging.getLogger("docshelf.server.access")


class BodyLimit:
    """Refuse request bodies over the limit before reading them into memory."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the app (which would turn any error raised here into a
                    # 400) sees a client that went away and its response is dropped.
                    rejected = True
                    if not started:
                        await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracking_send)


async def _too_large(send: Send, limit: int) -> None:
    body = Problem(
        title=tr("Too large"),
        status=413,
        detail=tr(
            "The request body is larger than the server accepts ({limit} bytes).", limit=limit
        ),
        code="too_large",
    ).model_dump_json(exclude_none=True)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


def request_id(scope: Scope) -> str | None:
    """The id RequestLog gave the request, for a problem answered before the routes."""
    value = scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


class RequestLog:
    """Give every request an id (echoed in errors), log one structured line per request and
    count it in the metrics: the outermost layer, so it sees every answer, also those given
    before routing, and every exception that leaves the application."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(6)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if self.metrics is not None:
                self.metrics.request_failed(scope, exc)
            raise
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "request",
                extra={
                    "event": "request",
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "ms": round(seconds * 1000, 1),
                },
            )
            if self.metrics is not None:
                self.metrics.request_done(scope, status, seconds, sent)
