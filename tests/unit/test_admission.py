"""Which requests count against the cap on concurrent heavy requests."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from docshelf.server.api.admission import HeavyRequestLimit, is_heavy

SHA = "a" * 64


@pytest.mark.parametrize(
    ("method", "path", "query", "heavy"),
    [
        ("GET", f"/api/v1/blobs/{SHA}", b"", True),
        ("PUT", f"/api/v1/blobs/{SHA}", b"", True),
        ("GET", f"/api/v1/blobs/{SHA}/upload", b"", False),
        ("POST", "/api/v1/blobs/missing", b"", False),
        ("GET", "/api/v1/sync/changes", b"", True),
        ("GET", "/api/v1/sync/changes", b"cursor=abc", False),
        ("GET", "/api/v1/sync/manifest", b"cursor=abc", True),
        ("POST", "/api/v1/sync/records", b"", True),
        ("POST", "/api/v1/sync/mutations", b"", False),
        ("GET", "/api/v1/me", b"", False),
        ("POST", "/api/v1/admin/packages/import", b"", True),
        ("POST", "/api/v1/admin/packages/export", b"", True),
    ],
)
def test_heavy_requests(method: str, path: str, query: bytes, heavy: bool) -> None:
    scope = {"type": "http", "method": method, "path": path, "query_string": query}
    assert is_heavy(scope) is heavy


def test_a_slot_is_free_once_the_answer_is_sent_not_when_the_request_unwinds() -> None:
    """A client that read an answer to its end may send its next request at once; the
    request before it must not still hold the slot while it unwinds (that gave a 429 and a
    wait of seconds in the middle of a first sync)."""
    unwinding = asyncio.Event()
    statuses: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"bytes", "more_body": False})
        if scope["path"].endswith("first"):
            await unwinding.wait()  # the middleware around the route still returning

    limit = HeavyRequestLimit(app, limit=1, identify=lambda token: "device", in_thread=False)

    def request(name: str) -> Scope:
        return {
            "type": "http",
            "method": "GET",
            "path": f"/api/v1/blobs/{SHA}/{name}",
            "headers": [(b"authorization", b"Bearer token")],
            "query_string": b"",
        }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def scenario() -> None:
        first = asyncio.ensure_future(limit(request("first"), receive, send))
        while not statuses:
            await asyncio.sleep(0)
        await limit(request("second"), receive, send)
        unwinding.set()
        await first

    asyncio.run(scenario())
    assert statuses == [200, 200]
    assert limit.in_flight == 0 and not limit.by_client
