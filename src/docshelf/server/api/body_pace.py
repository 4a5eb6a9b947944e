"""Request bodies must keep coming: a client that stalls or trickles is answered 408.

A request is in the application (and may hold a heavy-request slot, a staging file, a
database connection) while its body arrives. Without a limit, a few sockets sending a few
bytes of a large declared body and then nothing hold those for as long as they stay open.
Two bounds, both measured on the server's clock:

- no progress: the next part of the body must arrive within ``idle_seconds``;
- too slow overall: by any moment, the body must have come at ``min_rate`` bytes per
  second on average, after a grace of ``idle_seconds`` (so a trickle of a byte now and
  then doesn't pass either).

Past either, the client gets a 408 (``Connection: close``), and the application sees the
client go away, so it ends and its resources (a slot among them) are freed. Waiting for
the client after the body was complete (a download listening for a disconnect) is never
limited.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.i18n import tr
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.server.api.middleware import request_id


class BodyPace:
    def __init__(self, app: ASGIApp, idle_seconds: float, min_rate: float) -> None:
        self.app = app
        self.idle_seconds = idle_seconds
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        paced = _PacedRequest(receive, send, self.idle_seconds, self.min_rate)
        paced.request_id = request_id(scope)
        try:
            await self.app(scope, paced.receive, paced.send)
        except ClientDisconnect:
            # A route that doesn't expect the client to go away: answered already.
            if not paced.cut_off:
                raise


class _PacedRequest:
    def __init__(self, receive: Receive, send: Send, idle_seconds: float, min_rate: float) -> None:
        self._receive = receive
        self._send = send
        self._idle_seconds = idle_seconds
        self._min_rate = min_rate
        self._loop = asyncio.get_running_loop()
        self._started_at = self._loop.time()
        self._received = 0
        self._complete = False
        self._responding = False
        self.cut_off = False
        self.request_id: str | None = None

    async def receive(self) -> Message:
        if self._complete:
            return await self._receive()
        if self.cut_off:
            return {"type": "http.disconnect"}
        try:
            message = await asyncio.wait_for(self._receive(), timeout=self._wait())
        except TimeoutError:
            self.cut_off = True
            if not self._responding:
                await _too_slow(self._send, self.request_id)
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            self._complete = not message.get("more_body", False)
        return message

    def _wait(self) -> float:
        wait = self._idle_seconds
        if self._min_rate > 0:
            deadline = self._started_at + self._idle_seconds + self._received / self._min_rate
            wait = min(wait, deadline - self._loop.time())
        return max(wait, 0.0)

    async def send(self, message: Message) -> None:
        if self.cut_off:
            return  # the application's answer to a client it thinks went away
        self._responding = self._responding or message["type"] == "http.response.start"
        await self._send(message)


async def _too_slow(send: Send, request_id: str | None) -> None:
    body = (
        Problem(
            title=tr("Request too slow"),
            status=408,
            detail=tr("The request body arrived too slowly or stopped arriving; send it again."),
            code="request_timeout",
            request_id=request_id,
        )
        .model_dump_json(exclude_none=True)
        .encode()
    )
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body may still come: the connection can't carry another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": body})
