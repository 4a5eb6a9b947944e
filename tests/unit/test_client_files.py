"""The content-addressed file store: verified, resumable, never downloaded twice."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from docshelf.client.errors import DownloadIncomplete, MissingFile
from docshelf.client.files import FileStore
from docshelf.domain.errors import HashMismatch, InvalidInput

CONTENT = bytes(range(256)) * 1200  # 307 200 bytes: several chunks
SHA = hashlib.sha256(CONTENT).hexdigest()
CHUNK = 64 * 1024


class Interrupted(Exception):
    """Stands for a dropped connection."""


class FakeFetch:
    """The HTTP adapter's seam: serves ``content[offset:]`` in chunks, records each call."""

    def __init__(self, content: bytes = CONTENT, fail_after: int | None = None) -> None:
        self.content = content
        self.fail_after = fail_after
        self.calls: list[tuple[str, int]] = []

    def __call__(self, sha: str, offset: int) -> Iterator[bytes]:
        self.calls.append((sha, offset))
        return self._chunks(offset)

    def _chunks(self, offset: int) -> Iterator[bytes]:
        sent = 0
        for start in range(offset, len(self.content), CHUNK):
            chunk = self.content[start : start + CHUNK]
            if self.fail_after is not None and sent + len(chunk) > self.fail_after:
                yield chunk[: self.fail_after - sent]
                raise Interrupted
            sent += len(chunk)
            yield chunk


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_stores_the_verified_file_under_its_hash(store: FileStore) -> None:
    fetch = FakeFetch()
    assert store.download(SHA, fetch, expected_size=len(CONTENT)) == len(CONTENT)
    assert fetch.calls == [(SHA, 0)]
    assert store.path(SHA) == store.root / SHA[:2] / SHA[2:4] / SHA
    assert store.has(SHA)
    assert store.size(SHA) == len(CONTENT)
    with store.open(SHA) as stored:
        assert stored.read() == CONTENT
    assert store.partial_size(SHA) == 0


def test_an_interrupted_download_resumes_where_it_stopped(store: FileStore) -> None:
    broken = 100_000  # mid-chunk on purpose
    with pytest.raises(Interrupted):
        store.download(SHA, FakeFetch(fail_after=broken))
    assert not store.has(SHA)
    assert store.partial_size(SHA) == broken

    resumed = FakeFetch()
    assert store.download(SHA, resumed) == len(CONTENT) - broken
    # The whole file verifies only if the bytes already on disk were hashed too.
    assert resumed.calls == [(SHA, broken)]
    assert store.open(SHA).read() == CONTENT
    assert store.partial_size(SHA) == 0


def test_progress_reports_add_up_to_the_bytes_transferred(store: FileStore) -> None:
    reported: list[int] = []
    with pytest.raises(Interrupted):
        store.download(SHA, FakeFetch(fail_after=70_000), on_bytes=reported.append)
    assert sum(reported) == 70_000
    transferred = store.download(SHA, FakeFetch(), on_bytes=reported.append)
    assert sum(reported) == len(CONTENT)
    assert transferred == len(CONTENT) - 70_000


def test_wrong_content_is_refused_and_leaves_nothing_behind(store: FileStore) -> None:
    with pytest.raises(HashMismatch, match="Sync again"):
        store.download(SHA, FakeFetch(content=CONTENT[:-1] + b"X"))
    assert not store.has(SHA)
    assert store.partial_size(SHA) == 0
    assert not store.path(SHA).exists()


def test_a_damaged_part_file_fails_once_then_a_retry_starts_from_zero(store: FileStore) -> None:
    with pytest.raises(Interrupted):
        store.download(SHA, FakeFetch(fail_after=50_000))
    part = store.partial_dir / f"{SHA}.part"
    part.write_bytes(b"\xff" + part.read_bytes()[1:])  # CONTENT starts with 0x00
    with pytest.raises(HashMismatch):
        store.download(SHA, FakeFetch())
    retry = FakeFetch()
    store.download(SHA, retry)
    assert retry.calls == [(SHA, 0)]
    assert store.open(SHA).read() == CONTENT


def test_a_stored_file_is_never_downloaded_twice(store: FileStore) -> None:
    store.download(SHA, FakeFetch())
    again = FakeFetch()
    assert store.download(SHA, again) == 0
    assert again.calls == []


def test_a_complete_part_file_is_installed_without_fetching(store: FileStore) -> None:
    # Killed between the last byte and the rename.
    store.partial_dir.mkdir(parents=True)
    (store.partial_dir / f"{SHA}.part").write_bytes(CONTENT)
    fetch = FakeFetch()
    assert store.download(SHA, fetch) == 0
    assert fetch.calls == []
    assert store.has(SHA)


def test_a_stream_longer_than_announced_is_cut_off(store: FileStore) -> None:
    def endless(sha: str, offset: int) -> Iterator[bytes]:
        while True:
            yield b"x" * CHUNK

    with pytest.raises(HashMismatch):
        store.download(SHA, endless, expected_size=len(CONTENT))
    assert store.partial_size(SHA) == 0


def test_a_stream_ending_early_is_kept_for_resuming(store: FileStore) -> None:
    short = FakeFetch(content=CONTENT[:120_000])
    with pytest.raises(DownloadIncomplete, match="resume"):
        store.download(SHA, short, expected_size=len(CONTENT))
    assert store.partial_size(SHA) == 120_000
    rest = FakeFetch()
    store.download(SHA, rest, expected_size=len(CONTENT))
    assert rest.calls == [(SHA, 120_000)]


def test_a_part_file_longer_than_expected_is_discarded(store: FileStore) -> None:
    store.partial_dir.mkdir(parents=True)
    (store.partial_dir / f"{SHA}.part").write_bytes(b"y" * (len(CONTENT) + 1))
    fetch = FakeFetch()
    store.download(SHA, fetch, expected_size=len(CONTENT))
    assert fetch.calls == [(SHA, 0)]
    assert store.has(SHA)


def test_fetch_may_return_a_context_manager_that_is_always_closed(store: FileStore) -> None:
    closed: list[int] = []

    def streaming(sha: str, offset: int):  # type: ignore[no-untyped-def]
        @contextmanager
        def response() -> Iterator[Iterator[bytes]]:
            try:
                fail_after = 10_000 if not closed else None
                yield FakeFetch(fail_after=fail_after)._chunks(offset)
            finally:
                closed.append(offset)

        return response()

    with pytest.raises(Interrupted):
        store.download(SHA, streaming)
    store.download(SHA, streaming)
    assert closed == [0, 10_000]
    assert store.has(SHA)


@pytest.mark.parametrize("bad", ["../../etc/passwd", SHA.upper(), SHA[:-1], ""])
def test_only_hex_sha256_names_become_paths(store: FileStore, bad: str) -> None:
    with pytest.raises(InvalidInput):
        store.path(bad)
    with pytest.raises(InvalidInput):
        store.download(bad, FakeFetch())


def test_put_bytes_stores_local_content_once(store: FileStore) -> None:
    data = b"an edited template"
    sha = store.put_bytes(data)
    assert sha == sha_of(data)
    assert store.open(sha).read() == data
    assert store.put_bytes(data) == sha
    assert list(store.partial_dir.iterdir()) == []


def test_asking_for_a_missing_file_says_to_sync(store: FileStore) -> None:
    with pytest.raises(MissingFile, match="Sync"):
        store.size(SHA)
    with pytest.raises(MissingFile):
        store.open(SHA)


def test_remove_unreferenced_keeps_only_what_is_referenced(store: FileStore) -> None:
    kept = store.put_bytes(b"kept")
    dropped = [store.put_bytes(b"old one"), store.put_bytes(b"old two")]
    stale = store.partial_dir / f"{sha_of(b'abandoned')}.part"
    fresh = store.partial_dir / f"{sha_of(b'in progress')}.part"
    stale.write_bytes(b"aban")
    fresh.write_bytes(b"in p")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))

    assert store.remove_unreferenced({kept}) == 3
    assert store.has(kept)
    assert not any(store.has(sha) for sha in dropped)
    assert not stale.exists()
    assert fresh.exists()
    assert not any(store.path(sha).parent.exists() for sha in dropped)  # no empty folders


def test_partials_are_listed_and_removed_by_hash_however_fresh(store: FileStore) -> None:
    lost, wanted = sha_of(b"lost template"), sha_of(b"still wanted")
    store.partial_dir.mkdir(parents=True)
    for sha in (lost, wanted):
        (store.partial_dir / f"{sha}.part").write_bytes(b"half")
    edit = store.partial_dir / "edit.tmp"  # a local edit on its way in: not a download
    edit.write_bytes(b"mine")

    assert store.partial_hashes() == {lost, wanted}
    assert store.remove_partials([lost, sha_of(b"never begun")]) == 1
    assert store.partial_hashes() == {wanted}
    assert store.partial_size(wanted) == 4
    assert edit.exists()


def test_no_partial_folder_no_partials(store: FileStore) -> None:
    assert store.partial_hashes() == set()
