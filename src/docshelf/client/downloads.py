"""Downloading the files a page needs, several at a time.

A page commits only once every file it needs is downloaded, verified and fsynced
(architecture properties 4 and 6); :meth:`Downloader.download` returns only then. One file
after the other, the client and the server took turns and both waited for every fsync:
with a few downloads in flight the network, the server and the client's hashing and
writing overlap. Each download has its own partial file in the :class:`FileStore`, so
downloads in parallel never touch the same file, and a process killed in the middle leaves
each of them to be resumed by ``Range``.

Worker threads only move bytes. Progress is reported, and errors are raised, in the calling
thread. With ``parallel=1`` the files are fetched in the calling thread in sorted order: the
seeded sync simulation replays a run only if its requests come in the same order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from docshelf.client.files import Fetch, FileStore, as_context

__all__ = ["PARALLEL_DOWNLOADS", "Downloader", "Retry"]

log = logging.getLogger("docshelf.client.sync")

Retry = Callable[[Callable[[], int]], int]
"""Runs a call again while the server says it is busy (the engine's ``_busy_retry``)."""

# Enough to keep the network, the server and this computer's hashing and fsyncs busy at
# once, and few of the server's slots for heavy requests (DOCSHELF_MAX_HEAVY_REQUESTS).
PARALLEL_DOWNLOADS = 3
# How often the calling thread reports the bytes the workers moved.
_PROGRESS_EVERY_S = 0.25


class _Stopped(Exception):
    """A download given up because another one failed; its partial file stays for later."""


class _Bytes:
    """Bytes the workers downloaded since the calling thread last looked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self, n: int) -> None:
        with self._lock:
            self._count += n

    def take(self) -> int:
        with self._lock:
            count, self._count = self._count, 0
        return count


class Downloader:
    def __init__(self, files: FileStore, fetch: Fetch, retry: Retry, parallel: int = 1) -> None:
        self.files = files
        self.fetch = fetch
        self.retry = retry
        self.parallel = max(1, parallel)

    def download(
        self,
        hashes: Iterable[str],
        sizes: Mapping[str, int],
        *,
        on_bytes: Callable[[int], None] | None = None,
        skip: Callable[[Exception], bool] | None = None,
    ) -> int:
        """Fetch, verify and store these files; returns how many are stored now.

        ``sizes`` has the sizes the records announce (a download stops at that size).
        ``skip`` decides which errors leave just that file out; any other error is raised
        once no download is running any more, so that nothing writes into the store after
        this returns. Killed meanwhile, the partial files stay and later downloads resume.
        """
        wanted = sorted(set(hashes))
        if self.parallel == 1 or len(wanted) < 2:
            return self._one_by_one(wanted, sizes, on_bytes, skip)
        # Largest first: a large file started last would end the page on its own.
        wanted.sort(key=lambda sha: sizes.get(sha, 0), reverse=True)
        return self._in_parallel(wanted, sizes, on_bytes, skip)

    def _one_by_one(
        self,
        wanted: Sequence[str],
        sizes: Mapping[str, int],
        on_bytes: Callable[[int], None] | None,
        skip: Callable[[Exception], bool] | None,
    ) -> int:
        stored = 0
        for sha in wanted:
            try:
                self.retry(
                    lambda sha=sha: self.files.download(  # type: ignore[misc]
                        sha, self.fetch, sizes.get(sha), on_bytes
                    )
                )
            except Exception as exc:
                if skip is None or not skip(exc):
                    raise
                continue
            stored += 1
        return stored

    def _in_parallel(
        self,
        wanted: Sequence[str],
        sizes: Mapping[str, int],
        on_bytes: Callable[[int], None] | None,
        skip: Callable[[Exception], bool] | None,
    ) -> int:
        moved = _Bytes()
        stop = threading.Event()
        fetch = _stoppable(self.fetch, stop)

        def one(sha: str) -> int:
            return self.retry(lambda: self.files.download(sha, fetch, sizes.get(sha), moved.add))

        stored = 0
        failure: BaseException | None = None
        workers = min(self.parallel, len(wanted))
        with ThreadPoolExecutor(workers, thread_name_prefix="docshelf-download") as pool:
            running: set[Future[int]] = {pool.submit(one, sha) for sha in wanted}
            try:
                while running:
                    done, running = wait(
                        running, timeout=_PROGRESS_EVERY_S, return_when=FIRST_COMPLETED
                    )
                    _report(moved, on_bytes)
                    stored += sum(1 for f in done if not f.cancelled() and not f.exception())
                    failure = failure or _first_failure(done, skip)
                    if failure is not None:
                        _stop(stop, running)
            except BaseException:
                # Interrupted here (Ctrl+C): don't wait for the downloads to end on their own.
                _stop(stop, running)
                raise
        _report(moved, on_bytes)
        if failure is not None:
            raise failure
        return stored


def _report(moved: _Bytes, on_bytes: Callable[[int], None] | None) -> None:
    if on_bytes is not None and (n := moved.take()):
        on_bytes(n)


def _first_failure(
    done: Iterable[Future[int]], skip: Callable[[Exception], bool] | None
) -> BaseException | None:
    for future in done:
        error = None if future.cancelled() else future.exception()
        if error is not None and not _skipped(error, skip):
            return error
    return None


def _skipped(error: BaseException, skip: Callable[[Exception], bool] | None) -> bool:
    if isinstance(error, _Stopped):
        return True
    return isinstance(error, Exception) and skip is not None and skip(error)


def _stop(stop: threading.Event, running: set[Future[int]]) -> None:
    """Give up the other downloads: those not started never start, the others stop at their
    next chunk and keep what they have for the next sync."""
    stop.set()
    for future in running:
        future.cancel()


def _stoppable(fetch: Fetch, stop: threading.Event) -> Fetch:
    @contextmanager
    def fetch_until_stopped(sha: str, offset: int) -> Iterator[Iterable[bytes]]:
        if stop.is_set():
            raise _Stopped
        with as_context(fetch(sha, offset)) as chunks:
            yield _until(chunks, stop)

    return fetch_until_stopped


def _until(chunks: Iterable[bytes], stop: threading.Event) -> Iterator[bytes]:
    for chunk in chunks:
        if stop.is_set():
            raise _Stopped
        yield chunk
