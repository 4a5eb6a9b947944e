"""Pages asked for ahead of the engine: in order, bounded, errors where they happened."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from docshelf.client.config import PAGE_SIZE
from docshelf.client.engine import STAGED_PAGES, STAGED_RECORDS, SyncEngine
from docshelf.client.errors import ProtocolMismatch, ServerUnreachable
from docshelf.client.files import FileStore
from docshelf.client.read_ahead import (
    PAGES_AHEAD,
    RECORDS_AHEAD,
    ReadAhead,
    pages_ahead,
    pages_within,
)
from docshelf.client.remote import Remote, UnreadPage
from docshelf.client.status import StatusBoard
from docshelf.client.store import LocalStore
from docshelf.protocol import PROTOCOL_VERSION
from docshelf.protocol.sync import ChangesPage, PageHead, SyncSettings

SETTINGS = SyncSettings(
    client_sync_interval_ms=900_000, client_sync_max_delay_after_start_ms=0, languages=["de"]
)


def unread(cursor: str, *, has_more: bool = True, reset: bool = False) -> UnreadPage:
    page = ChangesPage(
        protocol=PROTOCOL_VERSION,
        cursor=cursor,
        changes=[],
        has_more=has_more,
        reset=reset,
        settings=SETTINGS,
        server_time=datetime(2026, 11, 29, tzinfo=UTC),
    )
    body = page.model_dump_json().encode()
    return UnreadPage(PageHead.model_validate_json(body), body, "http://127.0.0.1:1")


class Feed:
    """A feed of ``count`` pages (cursors c1, c2, ...), recording what was asked for."""

    def __init__(self, count: int, *, reset_at: int | None = None, fail_at: int | None = None):
        self.count = count
        self.reset_at = reset_at
        self.fail_at = fail_at
        self.asked: list[str | None] = []
        self.lock = threading.Lock()

    def __call__(self, cursor: str | None) -> UnreadPage:
        with self.lock:
            self.asked.append(cursor)
            number = len(self.asked)
        if number == self.fail_at:
            raise ServerUnreachable("The server at http://127.0.0.1:1 did not answer in time.")
        return unread(f"c{number}", has_more=number < self.count, reset=number == self.reset_at)

    def asked_count(self) -> int:
        with self.lock:
            return len(self.asked)


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_pages_come_in_order_each_asked_for_with_the_cursor_before_it() -> None:
    feed = Feed(5)
    with ReadAhead(feed, "c0", depth=2) as reader:
        cursors = [reader.next().cursor for _ in range(5)]
    assert cursors == ["c1", "c2", "c3", "c4", "c5"]
    assert feed.asked == ["c0", "c1", "c2", "c3", "c4"]


def test_the_last_page_ends_the_reading() -> None:
    feed = Feed(3)
    with ReadAhead(feed, None, depth=8) as reader:
        assert [reader.next().has_more for _ in range(3)] == [True, True, False]
        time.sleep(0.1)
    assert feed.asked == [None, "c1", "c2"]


def test_a_reset_ends_the_reading_the_engine_reconciles_first() -> None:
    feed = Feed(10, reset_at=2)
    with ReadAhead(feed, None, depth=8) as reader:
        reader.next()
        assert reader.next().reset
        time.sleep(0.1)
    assert feed.asked == [None, "c1"]


def test_no_more_pages_wait_than_the_depth() -> None:
    feed = Feed(100)
    with ReadAhead(feed, None, depth=3) as reader:
        # Three wait in the queue, the fourth is held by the thread until there is room.
        wait_for(lambda: feed.asked_count() == 4)
        time.sleep(0.2)
        assert feed.asked_count() == 4
        reader.next()
        wait_for(lambda: feed.asked_count() == 5)
    assert feed.asked_count() == 5


def test_a_failure_comes_after_the_pages_before_it_and_reading_stops() -> None:
    feed = Feed(10, fail_at=3)
    with ReadAhead(feed, None, depth=8) as reader:
        assert reader.next().cursor == "c1"
        assert reader.next().cursor == "c2"
        with pytest.raises(ServerUnreachable, match="did not answer"):
            reader.next()
        time.sleep(0.1)
    assert feed.asked_count() == 3


def test_closing_stops_a_reader_waiting_for_room() -> None:
    feed = Feed(100)
    reader = ReadAhead(feed, None, depth=1)
    wait_for(lambda: feed.asked_count() == 2)
    closing = threading.Thread(target=reader.close)
    closing.start()
    closing.join(timeout=20)  # a deadline for a hang, not a measurement
    assert not closing.is_alive()
    assert feed.asked_count() == 2


def test_a_page_is_read_only_when_taken_and_a_bad_one_fails_there() -> None:
    good = unread("c1")
    broken = UnreadPage(good.head, good.body.replace(b'"changes":[]', b'"changes":7'), "x")
    pages = iter([broken])
    with (
        ReadAhead(lambda _cursor: next(pages), None, depth=2) as reader,
        pytest.raises(ProtocolMismatch, match="does not understand"),
    ):
        reader.next()


def test_larger_pages_are_read_ahead_fewer_at_a_time() -> None:
    """What waits read ahead is bounded in records: pages of 2 000 (the default) are read
    eight ahead, small ones as many as before, and never fewer than two."""
    assert pages_ahead(PAGE_SIZE) == RECORDS_AHEAD // PAGE_SIZE == 8
    assert pages_ahead(40) == PAGES_AHEAD
    assert pages_ahead(5000) == 3
    assert pages_ahead(100_000) == 2


def test_pages_planned_ahead_are_bounded_in_records_too(tmp_path: Path) -> None:
    """The engine plans at most STAGED_RECORDS records ahead (16 pages of 2 000), and as
    many pages as before of small ones."""
    assert pages_within(STAGED_RECORDS, PAGE_SIZE, STAGED_PAGES) == 16
    assert pages_within(STAGED_RECORDS, 40, STAGED_PAGES) == STAGED_PAGES
    store = LocalStore(tmp_path / "cache.db")
    try:
        remote = Remote("http://server.test", "token")
        for size, staged in ((PAGE_SIZE, 16), (40, STAGED_PAGES)):
            engine = SyncEngine(
                store, FileStore(tmp_path / "files"), remote, StatusBoard(None), page_size=size
            )
            assert engine._staged_pages == staged
        remote.close()
    finally:
        store.close()


def test_polling_answers_none_until_the_page_is_in_then_the_page() -> None:
    release = threading.Event()
    feed = Feed(2)

    def slow(cursor: str | None) -> UnreadPage:
        if cursor == "c1":
            assert release.wait(20), "never released"
        return feed(cursor)

    with ReadAhead(slow, None, depth=4) as reader:
        first = reader.poll(20)
        assert first is not None and first.cursor == "c1"
        assert reader.poll(0.05) is None  # page 2 is held: nothing yet, and no error
        release.set()
        second = reader.poll(20)
        assert second is not None and second.cursor == "c2"
    assert feed.asked == [None, "c1"]


def test_polling_raises_what_reading_the_page_raised() -> None:
    with ReadAhead(Feed(3, fail_at=1), None, depth=2) as reader, pytest.raises(ServerUnreachable):
        reader.poll(20)
