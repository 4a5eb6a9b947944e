"""The engine honours Retry-After with jittered backoff (network seam: httpx.MockTransport)."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from docshelf.client.engine import SyncEngine, SyncResult
from docshelf.client.errors import RemoteError, ServerBusy, ServerUnreachable
from docshelf.client.files import FileStore
from docshelf.client.remote import Remote
from docshelf.client.status import StatusBoard
from docshelf.client.store import LocalStore

EMPTY_PAGE = {
    "protocol": 1,
    "cursor": "c1",
    "changes": [],
    "has_more": False,
    "settings": {
        "client_sync_interval_ms": 900000,
        "client_sync_max_delay_after_start_ms": 0,
        "languages": ["de"],
    },
    "server_time": "2026-11-28T12:00:00Z",
}


def _engine(
    tmp_path: Path, answers: list[httpx.Response], sleeps: list[float], max_wait: float = 120
) -> SyncEngine:
    def handler(_request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    remote = Remote(
        "http://server.test", "token", http=httpx.Client(transport=httpx.MockTransport(handler))
    )
    return SyncEngine(
        LocalStore(tmp_path / "cache.db"),
        FileStore(tmp_path / "files"),
        remote,
        StatusBoard(None),
        sleep=sleeps.append,
        rnd=random.Random(3),
        max_busy_wait=max_wait,
    )


def busy(seconds: int) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": str(seconds)}, json={"detail": "busy"})


def test_waits_at_least_retry_after_then_succeeds(tmp_path: Path) -> None:
    sleeps: list[float] = []
    engine = _engine(tmp_path, [busy(7), busy(7), httpx.Response(200, json=EMPTY_PAGE)], sleeps)
    engine.pull(SyncResult())
    assert len(sleeps) == 2
    assert all(7 <= s <= 7 * 1.5 for s in sleeps)
    assert engine.store.get("cursor") == "c1"


def test_backoff_grows_when_the_server_asks_for_little(tmp_path: Path) -> None:
    sleeps: list[float] = []
    answers = [busy(0)] * 5 + [httpx.Response(200, json=EMPTY_PAGE)]
    _engine(tmp_path, answers, sleeps).pull(SyncResult())
    # 1, 2, 4, 8, 16 seconds, each stretched by up to half at random.
    assert sleeps[0] <= 1.5 and sleeps[-1] >= 16


def test_gives_up_after_the_longest_wait_and_reports_busy(tmp_path: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(ServerBusy):
        _engine(tmp_path, [busy(10)] * 50, sleeps, max_wait=30).pull(SyncResult())
    assert sum(sleeps) <= 30


def test_jitter_spreads_clients_told_the_same(tmp_path: Path) -> None:
    waits = set()
    for seed in range(5):
        (tmp_path / str(seed)).mkdir()
        sleeps: list[float] = []
        engine = _engine(
            tmp_path / str(seed), [busy(5), httpx.Response(200, json=EMPTY_PAGE)], sleeps
        )
        engine._rnd = random.Random(seed)
        engine.pull(SyncResult())
        waits.add(round(sleeps[0], 3))
    assert len(waits) == 5


def _broken(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def _engine_with(tmp_path: Path, answers: list[object], sleeps: list[float]) -> SyncEngine:
    """Like _engine, but an answer may also be a function that raises as a transport does."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        return answer(request) if callable(answer) else answer  # type: ignore[return-value]

    remote = Remote(
        "http://server.test", "token", http=httpx.Client(transport=httpx.MockTransport(handler))
    )
    return SyncEngine(
        LocalStore(tmp_path / "cache.db"),
        FileStore(tmp_path / "files"),
        remote,
        StatusBoard(None),
        sleep=sleeps.append,
        rnd=random.Random(3),
    )


def test_an_answer_that_broke_off_is_asked_for_again(tmp_path: Path) -> None:
    # A server process behind a load balancer died mid-answer: the next attempt reaches
    # another one, and the sync goes on.
    sleeps: list[float] = []
    answers: list[object] = [_broken, _broken, httpx.Response(200, json=EMPTY_PAGE)]
    engine = _engine_with(tmp_path, answers, sleeps)
    engine.pull(SyncResult())
    assert engine.store.get("cursor") == "c1"
    assert len(sleeps) == 2 and sum(sleeps) < 2


def test_answers_that_keep_breaking_off_end_the_sync(tmp_path: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(ServerUnreachable):
        _engine_with(tmp_path, [_broken] * 5, sleeps).pull(SyncResult())
    assert len(sleeps) == 2


def test_a_refused_connection_ends_the_sync_at_once(tmp_path: Path) -> None:
    # Offline is shown without delay; only a broken answer is worth a second try.
    sleeps: list[float] = []
    with pytest.raises(ServerUnreachable):
        _engine_with(tmp_path, [_refused, httpx.Response(200, json=EMPTY_PAGE)], sleeps).pull(
            SyncResult()
        )
    assert sleeps == []


def test_a_load_balancers_bad_gateway_is_asked_for_again(tmp_path: Path) -> None:
    # The process behind the load balancer died before it answered: HAProxy says 502,
    # and the next attempt reaches a process that is running.
    sleeps: list[float] = []
    gateway = httpx.Response(502, text="<html>502 Bad Gateway</html>")
    engine = _engine(tmp_path, [gateway, httpx.Response(200, json=EMPTY_PAGE)], sleeps)
    engine.pull(SyncResult())
    assert engine.store.get("cursor") == "c1"
    assert len(sleeps) == 1


def test_a_server_error_is_not_asked_for_again(tmp_path: Path) -> None:
    sleeps: list[float] = []
    failing = httpx.Response(500, json={"title": "Internal error", "detail": "a bug"})
    with pytest.raises(RemoteError):
        _engine(tmp_path, [failing, httpx.Response(200, json=EMPTY_PAGE)], sleeps).pull(
            SyncResult()
        )
    assert sleeps == []
