"""Downloading the files a page needs, several at a time, small ones several to a request.

A page commits only once every file it needs is downloaded, verified and fsynced
(architecture properties 4 and 6); :meth:`Batch.wait` returns only then. One file after the
other, the client and the server took turns and both waited for every fsync: with a few
requests in flight the network, the server and the client's hashing and writing overlap.
A download thread receives and verifies a file into its part file; flush threads fsync it
and give it its name (:meth:`FileStore.install`) while the download thread goes on. Small
files of known size come in packs (``POST /blobs/pack``, protocol/pack.py): one request
cost more than the bytes of a typical template. The engine queues the next page's files
before it waits for the current page's, so the downloads don't pause while a page is
planned and stored. Each file has its own partial file in the :class:`FileStore`, so
downloads in parallel never touch the same file, and a process killed in the middle leaves
each of them to be resumed by ``Range``.

A file may also be looked at once stored (``looks``: a template's tags, see the engine), on
the thread that stored it while it is in the page cache, not on the calling thread after
the pull; what is found comes back with the batch (:meth:`Batch.found`).

Worker threads only move bytes (and look at what they stored). Progress is reported, and
errors are raised, in the calling thread. With ``parallel=1`` the files are fetched in the
calling thread in sorted order: the seeded sync simulation replays a run only if its
requests come in the same order.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from docshelf.client.errors import RemoteError
from docshelf.client.files import Fetch, FileStore, Received, as_context
from docshelf.protocol import pack
from docshelf.protocol.pack import Frame

__all__ = ["PARALLEL_DOWNLOADS", "Batch", "Downloader", "Look", "Retry"]

T = TypeVar("T")
log = logging.getLogger("docshelf.client.sync")


FetchPack = Callable[[list[str]], AbstractContextManager[Iterator[Frame]]]
"""``fetch_pack(hashes)``: the frames of one pack answer (``Remote.fetch_pack``)."""

Look = Callable[[Path], object]
"""``look(path)``: what to learn from a file just stored under ``path`` (its tags, say)."""


class Retry(Protocol):
    """Runs a call again while the server says it is busy (the engine's ``_busy_retry``)."""

    def __call__(self, call: Callable[[], T], /) -> T: ...


# Flushing a file to disk waits for the disk, not for the network: done on threads of its
# own while the downloads go on.
_FLUSHERS = 2

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
    """Downloads files on a few worker threads that live until :meth:`close`.

    :meth:`start` queues a batch (a page's files) and returns at once; :meth:`Batch.wait`
    blocks until that batch is stored. Batches run in the order they were started, so the
    engine can plan and queue the next page's files while the current page's are still
    coming, and commit the pages in order.
    """

    def __init__(
        self,
        files: FileStore,
        fetch: Fetch,
        retry: Retry,
        parallel: int = 1,
        fetch_pack: FetchPack | None = None,
    ) -> None:
        self.files = files
        self.fetch = fetch
        self.retry = retry
        self.parallel = max(1, parallel)
        # Several small files in one request (protocol/pack.py); None: one file a request.
        self.fetch_pack = fetch_pack
        self._pool: ThreadPoolExecutor | None = None
        self._flushing: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

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
        # Threads of its own, ended before this returns.
        workers = min(self.parallel, len(wanted))
        with ThreadPoolExecutor(workers, thread_name_prefix="docshelf-download") as pool:
            return self._queue(pool, threading.Event(), wanted, sizes, skip).wait(on_bytes)

    def start(
        self,
        hashes: Iterable[str],
        sizes: Mapping[str, int],
        *,
        skip: Callable[[Exception], bool] | None = None,
        looks: Mapping[str, Look] | None = None,
    ) -> Batch:
        """Queue these files behind the batches started before, on worker threads that
        stay until :meth:`close`; see :meth:`download`. ``looks``: by hash, what to learn
        from a file once this batch stores it (:meth:`Batch.found`)."""
        if self._stop.is_set():
            # The batches before failed and were stopped; this one starts afresh.
            self._stop = threading.Event()
        if self._pool is None or self._flushing is None:
            self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="docshelf-download")
            self._flushing = ThreadPoolExecutor(_FLUSHERS, thread_name_prefix="docshelf-flush")
        wanted = sorted(set(hashes))
        return self._queue(self._pool, self._stop, wanted, sizes, skip, self._flushing, looks)

    def _queue(
        self,
        pool: ThreadPoolExecutor,
        stop: threading.Event,
        wanted: list[str],
        sizes: Mapping[str, int],
        skip: Callable[[Exception], bool] | None,
        flushing: ThreadPoolExecutor | None = None,
        looks: Mapping[str, Look] | None = None,
    ) -> Batch:
        """Submit the files, small ones several to a request; with ``flushing``, each file is
        installed on one of its threads while the download thread goes on."""
        requests = _Requests(self, stop, sizes, skip, flushing, looks or {})
        groups = _groups(wanted, sizes, self.files.partial_size, packs=self.fetch_pack is not None)
        # Each in a copy of the caller's context: its language for requests and errors.
        futures = [
            pool.submit(contextvars.copy_context().run, requests.run, group) for group in groups
        ]
        return Batch(futures, requests.moved, stop, skip, requests.found)

    def close(self) -> None:
        """Give up what is still queued or running (its partial files stay) and end the
        worker threads; the next :meth:`start` begins afresh."""
        pool, self._pool = self._pool, None
        flushing, self._flushing = self._flushing, None
        if pool is not None:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        if flushing is not None:
            # Files verified but not flushed yet stay in their part files for the next sync.
            flushing.shutdown(wait=True, cancel_futures=True)
        self._stop = threading.Event()

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


class _Requests:
    """The requests of one batch, run on the download threads. Each returns, per file,
    nothing more to wait for or the future of its flush to disk."""

    def __init__(
        self,
        downloader: Downloader,
        stop: threading.Event,
        sizes: Mapping[str, int],
        skip: Callable[[Exception], bool] | None,
        flushing: ThreadPoolExecutor | None,
        looks: Mapping[str, Look],
    ) -> None:
        self.files = downloader.files
        self.retry = downloader.retry
        self.fetch_pack = downloader.fetch_pack
        self.fetch = _stoppable(downloader.fetch, stop)
        self.stop = stop
        self.sizes = sizes
        self.skip = skip
        self.flushing = flushing
        self.moved = _Bytes()
        self.looks = looks
        # Written by the threads that store files; read once the batch is done.
        self.found: dict[str, object] = {}
        self._found_lock = threading.Lock()

    def run(self, group: list[str]) -> list[Future[None] | None]:
        if len(group) == 1:
            return [self._alone(group[0])]
        try:
            stored, alone = self.retry(lambda: self._packed(group))
        except RemoteError as exc:
            if exc.http_status not in (404, 405):
                raise
            stored, alone = [], group  # a server from before packs: one request per file
        # Only once the pack's answer is over: its heavy-request slot is free again.
        for sha in alone:
            stored.extend(_unless_skipped(self.skip, self._alone, sha))
        return stored

    def _alone(self, sha: str) -> Future[None] | None:
        size = self.sizes.get(sha)
        return self._store(
            self.retry(lambda: self.files.receive(sha, self.fetch, size, self.moved.add))
        )

    def _packed(self, shas: list[str]) -> tuple[list[Future[None] | None], list[str]]:
        """The files received from one pack, and those to fetch alone: not served in it
        (the server says why when asked for the file alone) or left out."""
        assert self.fetch_pack is not None
        wanted = [sha for sha in shas if not self.files.has(sha)]
        stored: list[Future[None] | None] = [None] * (len(shas) - len(wanted))
        if not wanted:
            return stored, []
        left = set(wanted)
        alone: list[str] = []
        with self.fetch_pack(wanted) as frames:
            for frame in frames:
                if self.stop.is_set():
                    raise _Stopped
                sha = frame.sha256
                if sha not in left:
                    raise pack.malformed(f"file {sha[:12]}… not asked for, or twice")
                left.remove(sha)
                if frame.size is None:
                    alone.append(sha)
                    continue
                # A frame is the server's whole file: shorter than the record says, it is
                # wrong, not cut short; longer, the download stops at the record's size.
                size = min(frame.size, self.sizes.get(sha, frame.size))
                fetch = _from_offset(_until(frame.chunks, self.stop))
                stored.append(self._store(self.files.receive(sha, fetch, size, self.moved.add)))
        return stored, alone + sorted(left)

    def _store(self, received: Received | None) -> Future[None] | None:
        if received is None:
            return None
        if self.flushing is None:
            self._install(received)
            return None
        return self.flushing.submit(contextvars.copy_context().run, self._install, received)

    def _install(self, received: Received) -> None:
        self.files.install(received)
        look = self.looks.get(received.sha)
        if look is None:
            return
        try:
            found = look(self.files.path(received.sha))
        except Exception:
            # Only a shortcut: whoever needs it later finds it out then.
            log.warning("looking at a stored file failed", exc_info=True)
            return
        with self._found_lock:
            self.found[received.sha] = found


class Batch:
    """Files queued by :meth:`Downloader.start`.

    A request (one file, or a pack of several) yields for each file, once received, either
    nothing more to wait for or the future of its flush to disk; the batch is done when
    every file is stored under its name.
    """

    def __init__(
        self,
        futures: list[Future[list[Future[None] | None]]],
        moved: _Bytes,
        stop: threading.Event,
        skip: Callable[[Exception], bool] | None,
        found: dict[str, object] | None = None,
    ) -> None:
        self._running: set[Future[Any]] = set(futures)
        self._found = found if found is not None else {}
        self._moved = moved
        self._stop = stop
        self._skip = skip
        self._stored = 0
        # Raised by wait once, and by every wait after: a failed batch never passes for
        # stored, however often it is asked.
        self._failure: BaseException | None = None

    def wait(self, on_bytes: Callable[[int], None] | None = None) -> int:
        """Block until every file of the batch is stored; returns how many are.

        The first error that ``skip`` doesn't excuse stops every download of every batch
        (they keep their partial files) and is raised once none is running any more.
        Progress is reported from the calling thread.
        """
        stored = self._settle(on_bytes, block=True)
        assert stored is not None  # blocking, it returns only once all is stored
        return stored

    def found(self) -> dict[str, object]:
        """What the ``looks`` found in the files this batch stored, by hash; whole once
        :meth:`wait` returned (a file stored earlier, or whose look failed, has none)."""
        return dict(self._found)

    def ready(self) -> bool:
        """Whether :meth:`wait` would return (or raise) at once, without blocking: the
        engine stores the pages whose files are in while others still download."""
        return self._settle(None, block=False) is not None

    def _settle(self, on_bytes: Callable[[int], None] | None, *, block: bool) -> int | None:
        """Account for what finished; blocking, until every file is stored. Not blocking:
        None while some file is still on its way (a failure is kept for wait to raise)."""
        if self._failure is not None:
            if block:
                raise self._failure
            return self._stored
        failure: BaseException | None = None
        try:
            while self._running:
                done, running = wait(
                    self._running,
                    timeout=_PROGRESS_EVERY_S if block else 0,
                    return_when=FIRST_COMPLETED,
                )
                if not block and not done:
                    return None
                self._running = running
                _report(self._moved, on_bytes)
                failure = failure or self._account(done)
                if failure is not None:
                    _stop(self._stop, self._running)
                    if not block:
                        # wait() raises it: the failed requests are looked at again there.
                        self._running |= {f for f in done if f.cancelled() or f.exception()}
                        return self._stored
        except BaseException:
            # Interrupted here (Ctrl+C): don't wait for the downloads to end on their own.
            _stop(self._stop, self._running)
            raise
        _report(self._moved, on_bytes)
        if failure is not None:
            self._failure = failure
            raise failure
        return self._stored

    def _account(self, done: set[Future[Any]]) -> BaseException | None:
        """Count the files these finished futures stored, follow their flushes; the first
        failure ``skip`` doesn't excuse."""
        for future in done:
            if future.cancelled() or future.exception() is not None:
                continue
            result = future.result()
            if result is None:  # a flush to disk: that file is stored now
                self._stored += 1
                continue
            for flushed in result:  # a request's files
                if isinstance(flushed, Future):
                    self._running.add(flushed)
                else:
                    self._stored += 1
        return _first_failure(done, self._skip)


def _report(moved: _Bytes, on_bytes: Callable[[int], None] | None) -> None:
    if on_bytes is not None and (n := moved.take()):
        on_bytes(n)


def _first_failure(
    done: Iterable[Future[Any]], skip: Callable[[Exception], bool] | None
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


def _stop(stop: threading.Event, running: set[Future[Any]]) -> None:
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


# A file goes alone if it is larger than this (a pack would wait for it), if its size is
# unknown, or if part of it is here already (resumed with Range).
PACK_FILE_LIMIT = 4 * 1024 * 1024
# What one pack request asks for at most.
PACK_BYTES = 8 * 1024 * 1024
PACK_FILES = 64


def _groups(
    wanted: list[str], sizes: Mapping[str, int], partial: Callable[[str], int], *, packs: bool
) -> list[list[str]]:
    """The requests for these files: largest first (a large file started last would end the
    batch on its own), small files several to a pack."""
    ordered = sorted(wanted, key=lambda sha: sizes.get(sha, 0), reverse=True)
    groups: list[list[str]] = []
    pack: list[str] = []
    pack_bytes = 0
    for sha in ordered:
        size = sizes.get(sha)
        if not packs or size is None or size > PACK_FILE_LIMIT or partial(sha):
            groups.append([sha])
            continue
        if pack and (pack_bytes + size > PACK_BYTES or len(pack) >= PACK_FILES):
            groups.append(pack)
            pack, pack_bytes = [], 0
        pack.append(sha)
        pack_bytes += size
    if pack:
        groups.append(pack)
    return groups


def _unless_skipped(
    skip: Callable[[Exception], bool] | None,
    fetch: Callable[[str], Future[None] | None],
    sha: str,
) -> list[Future[None] | None]:
    """One file's download; none if ``skip`` excuses its error (the file is left out)."""
    try:
        return [fetch(sha)]
    except Exception as exc:
        if skip is None or not skip(exc):
            raise
        return []


def _from_offset(chunks: Iterable[bytes]) -> Fetch:
    """A pack's frame as a fetch for the file store: the store asks from where its part
    file ends, so the bytes it holds already are skipped."""

    def fetch(_sha: str, offset: int) -> Iterator[bytes]:
        for chunk in chunks:
            if offset >= len(chunk):
                offset -= len(chunk)
                continue
            yield chunk[offset:] if offset else chunk
            offset = 0

    return fetch
