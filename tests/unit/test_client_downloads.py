"""Downloading several files at once: each verified and stored, errors raised in the calling
thread only once no download runs any more, the others resumable."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docshelf.client.downloads import Downloader
from docshelf.client.errors import RemoteError, ServerBusy
from docshelf.client.files import FileStore

CHUNK = 16 * 1024


def content(i: int, size: int = 100_000) -> bytes:
    return bytes([i % 251]) * size


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server:
    """Stands for the HTTP adapter: serves files from offset, in chunks; records the calls."""

    def __init__(self, files: dict[str, bytes], delay: float = 0.0) -> None:
        self.files = files
        self.delay = delay
        self.calls: list[tuple[str, int]] = []
        self.threads: set[int] = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail: dict[str, Exception] = {}
        self.busy_once: set[str] = set()
        self.start_together: threading.Barrier | None = None
        self._lock = threading.Lock()

    def __call__(self, sha: str, offset: int) -> Iterator[bytes]:
        with self._lock:
            self.calls.append((sha, offset))
            self.threads.add(threading.get_ident())
            if sha in self.busy_once:
                self.busy_once.discard(sha)
                raise ServerBusy("busy", retry_after=0)
        if sha in self.fail:
            raise self.fail[sha]
        if self.start_together is not None:
            self.start_together.wait()
        return self._chunks(self.files[sha], offset)

    def _chunks(self, data: bytes, offset: int) -> Iterator[bytes]:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for start in range(offset, len(data), CHUNK):
                time.sleep(self.delay)
                yield data[start : start + CHUNK]
        finally:
            with self._lock:
                self.in_flight -= 1


def download_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("docshelf-download")]


def no_retry(call: Callable[[], int]) -> int:
    return call()


def retry_busy(call: Callable[[], int]) -> int:
    while True:
        try:
            return call()
        except ServerBusy:
            continue


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


def corpus(n: int) -> dict[str, bytes]:
    return {sha_of(data): data for data in (content(i) for i in range(n))}


def test_files_download_in_parallel_and_are_all_verified(store: FileStore) -> None:
    files = corpus(6)
    server = Server(files)
    server.start_together = threading.Barrier(3, timeout=10)  # breaks unless 3 run at once
    reported: list[tuple[int, int]] = []

    def on_bytes(n: int) -> None:
        reported.append((threading.get_ident(), n))

    downloader = Downloader(store, server, no_retry, parallel=3)
    stored = downloader.download(files, {}, on_bytes=on_bytes)

    assert stored == 6
    for sha, data in files.items():
        assert store.path(sha).read_bytes() == data
        assert store.partial_size(sha) == 0
    assert len(server.threads) == 3
    # Progress arrives in the calling thread, all of it.
    assert {thread for thread, _ in reported} == {threading.get_ident()}
    assert sum(n for _, n in reported) == sum(len(d) for d in files.values())


def test_one_at_a_time_runs_in_the_calling_thread_in_sorted_order(store: FileStore) -> None:
    files = corpus(4)
    server = Server(files)
    stored = Downloader(store, server, no_retry, parallel=1).download(files, {})
    assert stored == 4
    assert [sha for sha, _ in server.calls] == sorted(files)
    assert server.threads == {threading.get_ident()}


def test_largest_files_start_first(store: FileStore) -> None:
    files = {sha_of(data): data for data in (content(i, 10_000 * (i + 1)) for i in range(5))}
    sizes = {sha: len(data) for sha, data in files.items()}
    server = Server(files)
    Downloader(store, server, no_retry, parallel=2).download(files, sizes)
    first_two = {sha for sha, _ in server.calls[:2]}
    assert first_two == set(sorted(files, key=sizes.__getitem__)[-2:])


def test_files_already_stored_are_not_fetched(store: FileStore) -> None:
    files = corpus(3)
    held = next(iter(files))
    store.put_bytes(files[held])
    server = Server(files)
    assert Downloader(store, server, no_retry, parallel=3).download(files, {}) == 3
    assert held not in {sha for sha, _ in server.calls}


def test_a_failure_stops_the_others_which_resume_later(store: FileStore) -> None:
    files = corpus(6)
    broken = sorted(files)[0]
    server = Server(files, delay=0.01)
    server.fail[broken] = RemoteError("gone wrong", title="Server refused", status=500, code="")
    downloader = Downloader(store, server, no_retry, parallel=3)

    with pytest.raises(RemoteError):
        downloader.download(files, {})

    # Raised only once no download runs any more: nothing writes into the store afterwards.
    assert server.in_flight == 0
    assert not download_threads()
    assert not store.has(broken)
    assert len([sha for sha in files if store.has(sha)]) < 5, "the others should have stopped"
    kept = {sha: store.partial_size(sha) for sha in files if store.partial_size(sha)}

    del server.fail[broken]
    server.calls.clear()
    server.delay = 0.0
    assert downloader.download(files, {}) == 6
    for sha, data in files.items():
        assert store.path(sha).read_bytes() == data
    # What the stopped downloads had written is resumed, not fetched again.
    for sha, size in kept.items():
        assert (sha, size) in server.calls


def test_skipped_errors_leave_out_just_that_file(store: FileStore) -> None:
    files = corpus(5)
    gone = sorted(files)[2]
    server = Server(files)
    server.fail[gone] = RemoteError("no such file", title="Not found", status=404, code="not_found")
    skipped: list[Exception] = []

    def skip(error: Exception) -> bool:
        skipped.append(error)
        return isinstance(error, RemoteError) and error.http_status == 404

    for parallel in (1, 3):
        stored = Downloader(store, server, no_retry, parallel=parallel).download(
            files, {}, skip=skip
        )
        assert stored == 4
        assert not store.has(gone)
    assert len(skipped) == 2


def test_each_download_waits_while_the_server_is_busy(store: FileStore) -> None:
    files = corpus(4)
    server = Server(files)
    server.busy_once = set(files)
    assert Downloader(store, server, retry_busy, parallel=2).download(files, {}) == 4
    assert sorted(sha for sha, _ in server.calls) == sorted(list(files) * 2)


def test_interrupted_in_the_calling_thread_the_downloads_stop(store: FileStore) -> None:
    files = corpus(6)
    server = Server(files, delay=0.01)

    def interrupt(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Downloader(store, server, no_retry, parallel=3).download(files, {}, on_bytes=interrupt)
    assert server.in_flight == 0
    assert not download_threads()
    assert len([sha for sha in files if store.has(sha)]) < 6


def test_ready_says_without_waiting_whether_a_batch_is_stored(store: FileStore) -> None:
    files = corpus(3)
    server = Server(files)
    held = sorted(files)[0]
    release = threading.Event()
    plain = server.__call__

    def fetch(sha: str, offset: int) -> Iterator[bytes]:
        if sha == held:
            release.wait(30)
        return plain(sha, offset)

    downloader = Downloader(store, fetch, no_retry, parallel=3)
    try:
        batch = downloader.start(files, {})
        time.sleep(0.2)
        assert not batch.ready(), "a file is held back"
        release.set()
        deadline = time.monotonic() + 30
        while not batch.ready():
            assert time.monotonic() < deadline, "the batch should be stored by now"
            time.sleep(0.01)
        assert batch.wait() == 3  # at once, and counted once
        assert all(store.has(sha) for sha in files)
    finally:
        release.set()
        downloader.close()


def test_ready_leaves_a_failure_for_wait_to_raise(store: FileStore) -> None:
    files = corpus(3)
    broken = sorted(files)[1]
    server = Server(files)
    server.fail[broken] = RemoteError("gone wrong", title="Server refused", status=500, code="")
    downloader = Downloader(store, server, no_retry, parallel=3)
    try:
        batch = downloader.start(files, {})
        deadline = time.monotonic() + 30
        while not batch.ready():
            assert time.monotonic() < deadline, "the failure should end the batch"
            time.sleep(0.01)
        with pytest.raises(RemoteError):
            batch.wait()
        # Asked again, a failed batch fails again: it never passes for stored.
        assert batch.ready()
        with pytest.raises(RemoteError):
            batch.wait()
    finally:
        downloader.close()


def test_a_look_at_a_stored_file_runs_off_the_calling_thread_and_comes_with_the_batch(
    store: FileStore,
) -> None:
    """A template's tags are read as its file is stored (the engine's looks), not by the
    calling thread after the pull; a look that fails only leaves that file without."""
    files = corpus(4)
    looked, broken, skipped = sorted(files)[:3]
    already = sorted(files)[3]
    store.put_bytes(files[already])
    threads: list[str] = []

    def size_of(path: Path) -> object:
        threads.append(threading.current_thread().name)
        return len(path.read_bytes())

    def fails(path: Path) -> object:
        raise ValueError("a bug in a look")

    looks = {looked: size_of, broken: fails, already: size_of}
    downloader = Downloader(store, Server(files), no_retry, parallel=2)
    try:
        batch = downloader.start(files, {}, looks=looks)
        assert batch.wait() == 4
        # Stored before (not by this batch): nothing to look at; no look: nothing found.
        assert batch.found() == {looked: len(files[looked])}
        assert all(store.has(sha) for sha in (looked, broken, skipped))
        assert threads and threading.current_thread().name not in threads
    finally:
        downloader.close()
