"""The hint stream on the wire: Server-Sent Events, written by a small ASGI responder.

It sends the events its hub queues, a keepalive comment every heartbeat, and ``bye`` at the
end of its lifetime; it listens for ``http.disconnect`` meanwhile so a stream whose client
went away is dropped at once.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from docshelf.server.hints.hub import CLOSE, Bye, Hint, Hub, Stream

RETRY_MS = 5000
RECONNECT_MS = {"lifetime": 1000, "scope": 1000, "shutdown": 5000, "off": 0}
HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def bye(reason: str, reconnect_ms: int | None = None) -> bytes:
    wait = RECONNECT_MS.get(reason, 1000) if reconnect_ms is None else reconnect_ms
    return event("bye", {"reason": reason, "reconnect_ms": wait})


KEEPALIVE = b": keepalive\n\n"


class HintStream(Response):
    """Returned by the route once the caller is authenticated; registers with the hub when
    the response starts and unregisters when it ends, however it ends."""

    def __init__(
        self,
        hub: Hub,
        stream: Stream,
        *,
        first_hint: Hint | None,
        heartbeat_s: float,
        lifetime_s: float,
    ) -> None:
        super().__init__(status_code=200)
        self.raw_headers = list(HEADERS)
        self.hub = hub
        self.stream = stream
        self.first_hint = first_hint
        self.heartbeat_s = heartbeat_s
        # Spread, so streams opened together don't all end together.
        self.lifetime_s = lifetime_s * random.uniform(0.9, 1.1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.create_task(_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            ready = {"seq": self.stream.seq, "heartbeat_s": round(self.heartbeat_s)}
            self.hub.register(self.stream)
            opening = f"retry: {RETRY_MS}\n\n".encode() + event("ready", ready)
            if self.first_hint is not None:
                opening += _hint(self.first_hint)
            await _body(send, opening)
            await self._serve(send, gone)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away while we wrote
        finally:
            self.hub.unregister(self.stream)
            gone.cancel()

    async def _serve(self, send: Send, gone: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lifetime_s
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                await _body(send, bye("lifetime"))
                return
            getting = asyncio.create_task(self.stream.queue.get())
            done, _ = await asyncio.wait(
                {getting, gone},
                timeout=min(self.heartbeat_s, remaining),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if getting not in done:
                getting.cancel()
            if gone in done:
                raise OSError("client disconnected")
            if getting not in done:
                if deadline - loop.time() > 0:
                    await _body(send, KEEPALIVE)
                continue
            item = getting.result()
            if isinstance(item, Hint):
                await _body(send, _hint(item))
            elif isinstance(item, Bye):
                await _body(send, bye(item.reason, item.reconnect_ms))
                return
            elif item is CLOSE:
                return


def _hint(hint: Hint) -> bytes:
    return event("hint", {"seq": hint.seq, "max_delay_ms": hint.max_delay_ms})


async def _body(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
