"""The quick answer to an up-to-date poll before routing, and everything it leaves alone."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from docshelf.domain.errors import NotAuthenticated
from docshelf.protocol.sync import ChangesPage, SyncSettings
from docshelf.server.api.quick_poll import PATH, QuickPoll

PAGE = ChangesPage(
    protocol=1,
    cursor="abc",
    changes=[],
    has_more=False,
    settings=SyncSettings(
        client_sync_interval_ms=900_000,
        client_sync_max_delay_after_start_ms=300_000,
        languages=["de"],
    ),
    server_time=datetime(2026, 11, 29, tzinfo=UTC),
)


def _run(
    answer: Any,
    *,
    path: str = PATH,
    query: bytes = b"cursor=abc",
    headers: Any = None,
    in_thread: bool = False,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, int]], bool]:
    asked: list[tuple[str, str, int]] = []
    passed: list[bool] = []
    sent: list[dict[str, Any]] = []

    def recording(token: str, cursor: str, limit: int) -> ChangesPage | None:
        asked.append((token, cursor, limit))
        return answer(token, cursor, limit)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        passed.append(True)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": headers if headers is not None else [(b"authorization", b"Bearer tok")],
    }
    asyncio.run(QuickPoll(app, recording, in_thread=in_thread)(scope, receive, send))
    return sent, asked, bool(passed)


def test_an_up_to_date_poll_is_answered_with_the_routes_bytes() -> None:
    sent, asked, passed = _run(lambda *_: PAGE, query=b"cursor=abc&limit=200")
    assert asked == [("tok", "abc", 200)] and not passed
    assert sent[0]["status"] == 200
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert sent[1]["body"] == PAGE.model_dump_json().encode()


def _refuse(*_: Any) -> ChangesPage:
    raise NotAuthenticated("signed out")


@pytest.mark.parametrize(
    ("answer", "kwargs"),
    [
        (lambda *_: None, {}),  # something to send, or a write due
        (_refuse, {}),  # the route says why
        (lambda *_: PAGE, {"query": b""}),  # a first sync
        (lambda *_: PAGE, {"query": b"cursor=a%20b"}),  # not a cursor
        (lambda *_: PAGE, {"query": b"cursor=abc&limit=0"}),
        (lambda *_: PAGE, {"query": b"cursor=abc&limit=9999"}),
        (lambda *_: PAGE, {"query": b"cursor=abc&cursor=def"}),
        (lambda *_: PAGE, {"query": b"cursor=abc&extra=1"}),
        (lambda *_: PAGE, {"headers": []}),  # no token
        (lambda *_: PAGE, {"headers": [(b"authorization", b"Basic eDp5")]}),
        (
            lambda *_: PAGE,
            {
                "headers": [
                    (b"authorization", b"Bearer tok"),
                    (b"x-docshelf-client-error", b"2026-11-29T08:00:00+00:00 eA=="),
                ]
            },
        ),
        (lambda *_: PAGE, {"path": "/api/v1/sync/manifest"}),
    ],
)
def test_everything_else_goes_to_the_application(answer: Any, kwargs: dict[str, Any]) -> None:
    sent, _asked, passed = _run(answer, **kwargs)
    assert passed and sent == []


@pytest.mark.parametrize("in_thread", [False, True], ids=["on-the-loop", "on-a-worker-thread"])
def test_a_database_across_the_network_is_asked_off_the_event_loop(in_thread: bool) -> None:
    threads: list[threading.Thread] = []

    def answer(*_: Any) -> ChangesPage:
        threads.append(threading.current_thread())
        return PAGE

    sent, _asked, passed = _run(answer, in_thread=in_thread)
    assert sent[1]["body"] == PAGE.model_dump_json().encode() and not passed
    assert (threads[0] is threading.main_thread()) is not in_thread
    # A refusal on the worker thread goes to the route as on the loop.
    _sent, _asked, passed = _run(_refuse, in_thread=in_thread)
    assert passed
