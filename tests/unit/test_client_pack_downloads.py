"""Small files several to a request (``POST /blobs/pack``): grouped, verified, stored, and
fetched alone when a pack can't serve them; a broken pack keeps what arrived whole."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from docshelf.client import downloads
from docshelf.client.downloads import (
    PACK_BYTES,
    PACK_FILE_LIMIT,
    PACK_FILES,
    Downloader,
    _from_offset,
    _groups,
)
from docshelf.client.errors import RemoteError, ServerUnreachable
from docshelf.client.files import FileStore
from docshelf.domain.errors import HashMismatch
from docshelf.protocol import pack

MiB = 1024 * 1024
# The fake network's chunks: frames begin and end in the middle of them.
NET_CHUNK = 1500


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content(i: int, size: int) -> bytes:
    return i.to_bytes(4, "big") * (size // 4) + b"x" * (size % 4)


def corpus(n: int, smallest: int = 1000) -> dict[str, bytes]:
    """``n`` files of different sizes, each a few KB."""
    return {sha_of(data): data for data in (content(i, smallest + 37 * i) for i in range(n))}


def sizes_of(files: dict[str, bytes]) -> dict[str, int]:
    return {sha: len(data) for sha, data in files.items()}


def no_retry(call: Callable[[], object]) -> object:
    return call()


def worker_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(("docshelf-download", "docshelf-flush"))
    ]


def not_found(sha: str) -> RemoteError:
    return RemoteError(f"no file {sha}", title="Not found", status=404, code="not_found")


class Server:
    """Stands for ``Remote``: ``fetch`` (one file from an offset) and ``fetch_pack`` (frames
    built with ``pack.header``, cut into network chunks); records the calls."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.single: list[tuple[str, int]] = []
        self.packs: list[list[str]] = []
        self.not_served: set[str] = set()  # "-" in a pack
        self.frame_bytes: dict[str, bytes] = {}  # sent in a pack instead of the file
        self.pack_error: Exception | None = None  # raised when a pack is asked for
        self.single_error: dict[str, Exception] = {}
        self.short_answer = False  # the pack's last frame is left out
        # The frame of this file announces a terabyte and never ends.
        self.endless: str | None = None
        # Break the pack's connection after this many bytes of this file's frame.
        self.break_in: tuple[str, int] | None = None
        self._lock = threading.Lock()

    def fetch(self, sha: str, offset: int) -> Iterator[bytes]:
        with self._lock:
            self.single.append((sha, offset))
        if sha in self.single_error:
            raise self.single_error[sha]
        if sha not in self.files:
            raise not_found(sha)
        data = self.files[sha]
        return iter([data[i : i + NET_CHUNK] for i in range(offset, len(data), NET_CHUNK)])

    @contextmanager
    def fetch_pack(self, hashes: list[str]) -> Iterator[Iterator[pack.Frame]]:
        with self._lock:
            self.packs.append(list(hashes))
        if self.pack_error is not None:
            raise self.pack_error
        yield pack.read_frames(self._answer(hashes))

    def _answer(self, hashes: list[str]) -> Iterator[bytes]:
        body = b""
        cut: int | None = None
        for sha in hashes[:-1] if self.short_answer else hashes:
            if sha in self.not_served or sha not in self.files:
                body += pack.header(sha, None)
                continue
            if sha == self.endless:
                yield body + pack.header(sha, 10**12) + self.files[sha]
                yield from self._endless(len(self.files[sha]))
            data = self.frame_bytes.get(sha, self.files[sha])
            body += pack.header(sha, len(data))
            if self.break_in is not None and self.break_in[0] == sha:
                cut = len(body) + self.break_in[1]
            body += data
        end = len(body) if cut is None else cut
        for start in range(0, end, NET_CHUNK):
            yield body[start : min(start + NET_CHUNK, end)]
        if cut is not None:
            raise ServerUnreachable("The connection broke during a download.")

    @staticmethod
    def _endless(size: int) -> Iterator[bytes]:
        sent = 0
        while sent < 100 * size:
            yield b"\0" * NET_CHUNK
            sent += NET_CHUNK
        raise OverReadError(f"the client read {sent} bytes beyond a file of {size} bytes")


class OverReadError(Exception):
    """The fake server's way of saying the client read far more than the record's size."""


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


_made: list[Downloader] = []


@pytest.fixture(autouse=True)
def _closed_at_the_end() -> Iterator[None]:
    """A test that fails half-way leaves no worker threads to the next one."""
    yield
    while _made:
        _made.pop().close()


def packing(store: FileStore, server: Server, parallel: int = 3) -> Downloader:
    downloader = Downloader(
        store, server.fetch, no_retry, parallel=parallel, fetch_pack=server.fetch_pack
    )
    _made.append(downloader)
    return downloader


def missing(store: FileStore, files: dict[str, bytes]) -> dict[str, bytes]:
    """What the engine asks for: the files not stored yet (``have`` in the planner)."""
    return {sha: data for sha, data in files.items() if not store.has(sha)}


def assert_stored(store: FileStore, files: dict[str, bytes]) -> None:
    for sha, data in files.items():
        assert store.has(sha), sha
        assert store.path(sha).read_bytes() == data
        assert store.partial_size(sha) == 0


# --- grouping -------------------------------------------------------------------------------


def _shas(n: int, tag: str = "") -> list[str]:
    return [sha_of(f"{tag}{i}".encode()) for i in range(n)]


def no_partial(_sha: str) -> int:
    return 0


def test_groups_take_the_largest_first_and_each_file_once() -> None:
    shas = _shas(40)
    sizes = {sha: 1000 * (i % 13 + 1) for i, sha in enumerate(shas)}
    groups = _groups(sorted(shas), sizes, no_partial, packs=True)
    flat = [sha for group in groups for sha in group]
    assert sorted(flat) == sorted(shas)
    assert [sizes[sha] for sha in flat] == sorted(sizes.values(), reverse=True)
    assert len(groups) == 1  # 40 small files: one pack


def test_large_unknown_and_partial_files_go_alone() -> None:
    big, limit, over, unknown, partial, *small = _shas(10)
    sizes = {sha: 2000 for sha in small}
    sizes |= {big: 50 * MiB, limit: PACK_FILE_LIMIT, over: PACK_FILE_LIMIT + 1, partial: 500}

    def partial_size(sha: str) -> int:
        return 100 if sha == partial else 0

    groups = _groups([big, limit, over, unknown, partial, *small], sizes, partial_size, packs=True)
    alone = [group[0] for group in groups if len(group) == 1]
    packed = [group for group in groups if len(group) > 1]
    assert sorted(alone) == sorted([big, over, unknown, partial])
    assert len(packed) == 1
    # A file of exactly the limit still travels in a pack.
    assert sorted(packed[0]) == sorted([limit, *small])
    # The largest starts first; a file of unknown size after those of known size.
    assert groups[:2] == [[big], [over]]
    assert groups.index([unknown]) > groups.index([partial])


def test_packs_respect_the_byte_limit() -> None:
    shas = _shas(11)
    sizes = {sha: 3 * MiB for sha in shas}  # under the file limit, two fit in a pack
    groups = _groups(shas, sizes, no_partial, packs=True)
    assert sorted(sha for group in groups for sha in group) == sorted(shas)
    for group in groups:
        assert sum(sizes[sha] for sha in group) <= PACK_BYTES
    assert [len(group) for group in groups] == [2, 2, 2, 2, 2, 1]


def test_packs_fill_up_to_the_byte_limit_exactly() -> None:
    shas = _shas(4)
    sizes = {sha: PACK_BYTES // 2 for sha in shas}  # PACK_FILE_LIMIT each
    assert PACK_BYTES // 2 <= PACK_FILE_LIMIT
    groups = _groups(shas, sizes, no_partial, packs=True)
    assert [len(group) for group in groups] == [2, 2]


def test_packs_respect_the_file_limit() -> None:
    shas = _shas(3 * PACK_FILES + 5)
    sizes = {sha: 10 for sha in shas}
    groups = _groups(shas, sizes, no_partial, packs=True)
    assert [len(group) for group in groups] == [PACK_FILES, PACK_FILES, PACK_FILES, 5]
    assert sorted(sha for group in groups for sha in group) == sorted(shas)


def test_empty_files_travel_in_packs() -> None:
    shas = _shas(3)
    groups = _groups(shas, dict.fromkeys(shas, 0), no_partial, packs=True)
    assert len(groups) == 1 and sorted(groups[0]) == sorted(shas)


def test_without_packs_each_file_is_its_own_request() -> None:
    shas = _shas(20)
    sizes = {sha: 100 * (i + 1) for i, sha in enumerate(shas)}
    groups = _groups(sorted(shas), sizes, no_partial, packs=False)
    assert all(len(group) == 1 for group in groups)
    assert [group[0] for group in groups] == sorted(shas, key=sizes.__getitem__, reverse=True)


def test_no_files_no_groups() -> None:
    assert _groups([], {}, no_partial, packs=True) == []


# --- a frame as a fetch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, [b"abc", b"defg", b"h"]),
        (1, [b"bc", b"defg", b"h"]),
        (3, [b"defg", b"h"]),
        (5, [b"fg", b"h"]),
        (7, [b"h"]),
        (8, []),
    ],
)
def test_a_frame_is_fetched_from_the_part_file_s_end(offset: int, expected: list[bytes]) -> None:
    fetch = _from_offset(iter([b"abc", b"defg", b"h"]))
    assert list(fetch("sha", offset)) == expected


# --- downloading in packs -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["download", "start"])
def test_small_files_come_in_few_requests_all_verified(store: FileStore, how: str) -> None:
    files = corpus(150)
    server = Server(files)
    downloader = packing(store, server)
    reported: list[int] = []
    if how == "download":
        assert downloader.download(files, sizes_of(files), on_bytes=reported.append) == 150
    else:
        assert downloader.start(files, sizes_of(files)).wait(reported.append) == 150
        downloader.close()
    assert_stored(store, files)
    assert server.single == []
    assert len(server.packs) == 3  # 64 + 64 + 22
    assert sorted(sha for asked in server.packs for sha in asked) == sorted(files)
    assert sum(reported) == sum(len(data) for data in files.values())
    assert not worker_threads()


@pytest.mark.parametrize("how", ["download", "start"])
def test_files_stored_already_are_skipped_in_the_pack(store: FileStore, how: str) -> None:
    files = corpus(5)
    held = sorted(files)[2]
    store.put_bytes(files[held])
    server = Server(files)
    downloader = packing(store, server)
    if how == "download":
        assert downloader.download(files, sizes_of(files)) == 5
    else:
        assert downloader.start(files, sizes_of(files)).wait() == 5
    assert_stored(store, files)
    assert server.single == []


@pytest.mark.parametrize("packs", [True, False], ids=["packs", "single"])
def test_a_started_batch_counts_the_files_it_stored(store: FileStore, packs: bool) -> None:
    files = corpus(10)
    server = Server(files)
    downloader = packing(store, server)
    if not packs:
        downloader.fetch_pack = None
    stored = downloader.start(files, sizes_of(files)).wait()
    downloader.close()
    assert_stored(store, files)
    assert stored == 10


def test_files_stored_already_are_not_asked_for_in_a_pack(store: FileStore) -> None:
    files = corpus(5)
    held = sorted(files)[2]
    store.put_bytes(files[held])
    server = Server(files)
    assert packing(store, server).download(files, sizes_of(files)) == 5
    assert held not in {sha for asked in server.packs for sha in asked}


def test_without_fetch_pack_each_file_is_fetched_alone(store: FileStore) -> None:
    files = corpus(6)
    server = Server(files)
    downloader = Downloader(store, server.fetch, no_retry, parallel=3)
    assert downloader.download(files, sizes_of(files)) == 6
    assert_stored(store, files)
    assert server.packs == []
    assert sorted(server.single) == sorted((sha, 0) for sha in files)


def test_a_file_not_served_in_the_pack_is_fetched_alone(store: FileStore) -> None:
    files = corpus(10)
    hidden = set(sorted(files)[3:5])
    server = Server(files)
    server.not_served = hidden
    downloader = packing(store, server)
    assert downloader.download(files, sizes_of(files)) == 10
    assert_stored(store, files)
    assert len(server.packs) == 1
    assert sorted(server.single) == sorted((sha, 0) for sha in hidden)


def test_a_file_not_served_and_gone_is_skipped_if_skip_says_so(store: FileStore) -> None:
    files = corpus(8)
    gone = sorted(files)[4]
    server = Server(files)
    server.not_served = {gone}
    server.single_error[gone] = not_found(gone)
    skipped: list[Exception] = []

    def skip(error: Exception) -> bool:
        skipped.append(error)
        return isinstance(error, RemoteError) and error.http_status == 404

    assert packing(store, server).download(files, sizes_of(files), skip=skip) == 7
    assert_stored(store, {sha: d for sha, d in files.items() if sha != gone})
    assert not store.has(gone)
    assert len(skipped) == 1
    assert server.single == [(gone, 0)]


def test_a_not_served_file_refused_alone_is_asked_for_once(store: FileStore) -> None:
    files = corpus(8)
    gone = sorted(files, key=lambda sha: len(files[sha]))[0]  # the smallest: last in the pack
    server = Server(files)
    server.not_served = {gone}
    server.single_error[gone] = not_found(gone)
    with pytest.raises(RemoteError) as raised:
        packing(store, server).download(files, sizes_of(files))
    assert raised.value.http_status == 404
    assert server.single == [(gone, 0)]


@pytest.mark.parametrize("status", [404, 405])
def test_a_server_without_packs_gets_one_request_per_file(store: FileStore, status: int) -> None:
    files = corpus(70)  # two packs
    server = Server(files)
    server.pack_error = RemoteError("no route", title="Not found", status=status, code="")
    assert packing(store, server).download(files, sizes_of(files)) == 70
    assert_stored(store, files)
    assert len(server.packs) == 2
    assert sorted(server.single) == sorted((sha, 0) for sha in files)


def test_other_refusals_of_a_pack_are_raised(store: FileStore) -> None:
    files = corpus(5)
    server = Server(files)
    server.pack_error = RemoteError("oops", title="Server refused", status=500, code="")
    with pytest.raises(RemoteError) as raised:
        packing(store, server).download(files, sizes_of(files))
    assert raised.value.http_status == 500
    assert server.single == []
    assert not any(store.has(sha) for sha in files)


# --- a pack broken off --------------------------------------------------------------------


def _by_size(files: dict[str, bytes]) -> list[str]:
    """The order of a pack: largest first."""
    return sorted(files, key=lambda sha: len(files[sha]), reverse=True)


def test_a_broken_pack_keeps_whole_files_and_resumes_the_broken_one(store: FileStore) -> None:
    files = corpus(6, smallest=5000)
    order = _by_size(files)
    broken = order[2]
    server = Server(files)
    server.break_in = (broken, 1234)
    downloader = packing(store, server)

    with pytest.raises(ServerUnreachable):
        downloader.download(files, sizes_of(files))

    assert not worker_threads()
    # Arrived whole before the break: stored under their name.
    assert_stored(store, {sha: files[sha] for sha in order[:2]})
    # The broken one: its part file, not its name.
    assert not store.has(broken)
    assert store.partial_size(broken) == 1234
    assert not any(store.has(sha) or store.partial_size(sha) for sha in order[3:])

    server.break_in = None
    server.single.clear()
    server.packs.clear()
    assert downloader.download(missing(store, files), sizes_of(files)) == 4
    assert_stored(store, files)
    # The broken one is resumed alone from where it stopped; the others come in a pack.
    assert server.single == [(broken, 1234)]
    assert [sorted(asked) for asked in server.packs] == [sorted(order[3:])]


def test_a_broken_pack_started_in_the_background(store: FileStore) -> None:
    files = corpus(6, smallest=5000)
    order = _by_size(files)
    broken = order[3]
    server = Server(files)
    server.break_in = (broken, 100)
    downloader = packing(store, server)

    batch = downloader.start(files, sizes_of(files))
    with pytest.raises(ServerUnreachable):
        batch.wait()
    downloader.close()
    assert not worker_threads()
    assert not store.has(broken)
    assert store.partial_size(broken) == 100
    for sha in order[:3]:
        # Verified: stored, or (flush given up by close) complete in its part file.
        assert store.has(sha) or store.partial_size(sha) == len(files[sha])

    server.break_in = None
    server.single.clear()
    server.packs.clear()
    downloader.start(missing(store, files), sizes_of(files)).wait()
    downloader.close()
    assert_stored(store, files)
    # Nothing that had arrived is asked for again; the broken one is resumed alone.
    asked = server.single + [(sha, 0) for group in server.packs for sha in group]
    assert {sha for sha, _ in asked} == {broken, *order[4:]}
    assert (broken, 100) in server.single


def test_a_frame_with_wrong_bytes_is_a_hash_mismatch(store: FileStore) -> None:
    files = corpus(5)
    order = _by_size(files)
    bad = order[2]
    server = Server(files)
    server.frame_bytes[bad] = bytes(len(files[bad]))  # right size, wrong bytes
    with pytest.raises(HashMismatch):
        packing(store, server).download(files, sizes_of(files))
    assert not store.has(bad)
    assert store.partial_size(bad) == 0  # discarded: the next try starts afresh
    assert_stored(store, {sha: files[sha] for sha in order[:2]})


def test_a_frame_longer_than_announced_is_a_hash_mismatch(store: FileStore) -> None:
    files = corpus(4)
    bad = _by_size(files)[1]
    server = Server(files)
    server.frame_bytes[bad] = files[bad] + b"more"
    with pytest.raises(HashMismatch):
        packing(store, server).download(files, sizes_of(files))
    assert not store.has(bad)
    assert store.partial_size(bad) == 0


def test_a_frame_shorter_than_the_record_is_a_hash_mismatch(store: FileStore) -> None:
    # The frame is whole (its header says 300 bytes): those bytes are the file or nothing.
    files = corpus(4)
    bad = _by_size(files)[1]
    server = Server(files)
    server.frame_bytes[bad] = files[bad][:300]
    with pytest.raises(HashMismatch):
        packing(store, server).download(files, sizes_of(files))
    assert not store.has(bad)
    assert store.partial_size(bad) == 0


def test_a_frame_far_longer_than_the_record_stops_at_the_record_size(store: FileStore) -> None:
    files = corpus(4)
    bad = _by_size(files)[1]
    server = Server(files)
    server.endless = bad
    with pytest.raises(HashMismatch):
        packing(store, server).download(files, sizes_of(files))
    assert not store.has(bad)
    assert store.partial_size(bad) == 0


def test_a_single_download_longer_than_the_record_stops_at_the_record_size(
    store: FileStore,
) -> None:
    # What the test above asks of a pack, as a single download does it.
    files = corpus(2)
    bad = _by_size(files)[0]

    def endless(sha: str, offset: int) -> Iterator[bytes]:
        yield files[sha]
        yield from Server._endless(len(files[sha]))

    downloader = Downloader(store, endless, no_retry, parallel=3)
    with pytest.raises(HashMismatch):
        downloader.download([bad], sizes_of(files))
    assert not store.has(bad)


def test_an_answer_missing_a_file_does_not_pass_silently(store: FileStore) -> None:
    files = corpus(5)
    server = Server(files)
    server.short_answer = True
    try:
        stored = packing(store, server).download(files, sizes_of(files))
    except Exception:
        stored = None  # an error is fine too: the page isn't committed without the file
    if stored is not None:
        assert stored == 5
        assert_stored(store, files)


# --- the worker threads -------------------------------------------------------------------


def test_batches_started_one_after_the_other_then_closed_leave_no_threads(
    store: FileStore,
) -> None:
    files = corpus(140)
    first = dict(list(files.items())[:70])
    second = dict(list(files.items())[70:])
    server = Server(files)
    downloader = packing(store, server)
    one = downloader.start(first, sizes_of(first))
    two = downloader.start(second, sizes_of(second))
    assert one.wait() == 70
    assert two.wait() == 70
    names = {t.name for t in worker_threads()}
    assert any(name.startswith("docshelf-download") for name in names)
    downloader.close()
    assert not worker_threads()
    assert_stored(store, files)
    assert server.single == []
    assert len(server.packs) == 4  # 64 + 6 for each batch

    # The next start begins afresh.
    more = corpus(3, smallest=90_000)
    server.files.update(more)
    assert downloader.start(more, sizes_of(more)).wait() == 3
    downloader.close()
    assert not worker_threads()
    assert_stored(store, more)


def test_close_after_a_failure_leaves_no_threads(store: FileStore) -> None:
    files = corpus(100)
    server = Server(files)
    server.break_in = (_by_size(files)[10], 10)
    downloader = packing(store, server)
    one = downloader.start(dict(list(files.items())[:50]), sizes_of(files))
    two = downloader.start(dict(list(files.items())[50:]), sizes_of(files))
    errors = []
    for batch in (one, two):
        try:
            batch.wait()
        except ServerUnreachable as exc:
            errors.append(exc)
    assert errors
    downloader.close()
    assert not worker_threads()


def test_pack_limits_are_what_the_protocol_allows() -> None:
    assert downloads.PACK_FILES <= pack.MAX_FILES
    assert downloads.PACK_FILE_LIMIT <= downloads.PACK_BYTES
