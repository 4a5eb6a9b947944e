"""The body pace: what a stalled or trickling request body gets, and what is never cut."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from docshelf.server.api.body_pace import BodyPace

SCOPE: Scope = {"type": "http", "method": "PUT", "path": "/api/v1/blobs/x", "headers": []}


def _run(
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
    receive: Receive,
    *,
    idle_seconds: float,
    min_rate: float,
) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def main() -> None:
        paced = BodyPace(app, idle_seconds=idle_seconds, min_rate=min_rate)
        await asyncio.wait_for(paced(SCOPE, receive, send), timeout=60)

    asyncio.run(main())
    return sent


async def _reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body; answers 200 with what it got, or nothing if the client went away
    (its answer is dropped anyway)."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"gone"})
            return
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_a_stalled_body_gets_408_and_the_app_sees_the_client_go() -> None:
    parts = [{"type": "http.request", "body": b"abc", "more_body": True}]

    async def receive() -> Message:
        if parts:
            return parts.pop(0)
        await asyncio.Event().wait()  # the client holds still
        raise AssertionError("unreachable")

    sent = _run(_reading_app, receive, idle_seconds=0.05, min_rate=0)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [408]
    headers = dict(sent[0]["headers"])
    assert headers[b"connection"] == b"close"
    assert json.loads(sent[1]["body"])["code"] == "request_timeout"
    assert len(sent) == 2  # the app's own answer to the "disconnect" is dropped


def test_a_trickle_below_the_minimum_rate_is_cut_off_too() -> None:
    # A byte now and then, each well within the idle limit: only the rate catches it.
    async def receive() -> Message:
        await asyncio.sleep(0.01)
        return {"type": "http.request", "body": b"x", "more_body": True}

    sent = _run(_reading_app, receive, idle_seconds=0.5, min_rate=1000)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [408]


def test_a_body_at_pace_and_the_wait_after_it_are_not_limited() -> None:
    parts: list[Message] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    ]
    got: list[Message] = []

    async def receive() -> Message:
        if parts:
            return parts.pop(0)
        await asyncio.sleep(0.2)  # longer than the idle limit: waiting for a disconnect
        return {"type": "http.disconnect"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _reading_app(scope, receive, send)
        got.append(await receive())  # a download listening for the client going away

    sent = _run(app, receive, idle_seconds=0.05, min_rate=0)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"abcd"
    assert got == [{"type": "http.disconnect"}]
