"""Pages of the change feed asked for ahead of the engine, on a thread of their own.

A page's cursor comes with the page before it, so the server builds one page of a feed at
a time. While the engine waits for a page's files or stores it, the server would sit idle;
with pages asked for ahead it keeps building them. They wait in a bounded queue as they
came (remote.UnreadPage, some 100 KB for 500 records) and are read only when the engine
takes them. Nothing is stored here: a kill loses at most these pages, and the next sync
asks for them again.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from docshelf.client.remote import UnreadPage
from docshelf.protocol.sync import ChangesPage

# While the engine waits for the files of the first pages (a package of templates arrives
# with its files in one change), the server builds the pages after them: at its pace of a
# few tens of milliseconds a page, 32 pages are a second or two of its work, about 3 MB here.
PAGES_AHEAD = 32
# Larger pages, fewer of them: what waits stays within this many records (a few MB).
RECORDS_AHEAD = 16_000


def pages_within(records: int, page_size: int, most: int) -> int:
    """How many pages of this size hold at most ``records`` records: at least two, at most
    ``most`` (what waits is bounded in records, whatever the page size)."""
    return max(2, min(most, records // max(1, page_size)))


def pages_ahead(page_size: int) -> int:
    """How many pages of this size to read ahead at most."""
    return pages_within(RECORDS_AHEAD, page_size, PAGES_AHEAD)


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class ReadAhead:
    """Reads pages after ``cursor`` until the last one (``has_more`` false) or a reset.

    :meth:`next` hands them over in order and raises what reading one raised, at the place
    that page would have come. :meth:`close` stops the thread; pages not taken are dropped.
    """

    def __init__(
        self,
        fetch: Callable[[str | None], UnreadPage],
        cursor: str | None,
        depth: int = PAGES_AHEAD,
    ) -> None:
        self._fetch = fetch
        self._pages: queue.Queue[UnreadPage | _Failed] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        # In the caller's context: the language its requests ask answers in (and their
        # errors are told in) is the caller's.
        self._thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._run, cursor),
            name="docshelf-read-ahead",
            daemon=True,
        )
        self._thread.start()

    def next(self) -> ChangesPage:
        item = self._pages.get()
        if isinstance(item, _Failed):
            raise item.error
        return item.read()

    def poll(self, timeout: float) -> ChangesPage | None:
        """The next page if it comes within ``timeout`` seconds, else None (ask again)."""
        try:
            item = self._pages.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, _Failed):
            raise item.error
        return item.read()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self, cursor: str | None) -> None:
        while not self._stop.is_set():
            try:
                page = self._fetch(cursor)
            except BaseException as error:  # handed to the engine's thread, raised there
                self._put(_Failed(error))
                return
            self._put(page)
            if page.head.reset or not page.head.has_more:
                return
            cursor = page.head.cursor

    def _put(self, item: UnreadPage | _Failed) -> None:
        # Waits for room, but not for ever: the engine may have stopped taking pages.
        while not self._stop.is_set():
            try:
                self._pages.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
