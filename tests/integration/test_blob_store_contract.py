"""The file store's promises, on both backends: a directory and real S3 (SeaweedFS).

Every test runs against each store through the one interface the server uses, so the
object-storage backend keeps what the local one promised: content addressing, verified
writes (a wrong hash never visible), ranges, uploads in pieces resumed by another
process's store object, purging, listing, deleting, concurrent writers.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docshelf.domain.errors import HashMismatch, NotFound, PayloadTooLarge
from docshelf.server.blobstore import (
    BlobStore,
    BlobStoreUnavailable,
    LocalBlobStore,
    OffsetMismatch,
    open_blob_store,
)
from support.seaweed import SeaweedS3

DATA = os.urandom(300_000) + b"end"
SHA = hashlib.sha256(DATA).hexdigest()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield open_blob_store(tmp_path / "blobs")
        return
    yield s3_store(request.getfixturevalue("s3_env"), request.getfixturevalue("s3_bucket"))


def s3_store(seaweed: SeaweedS3, bucket: str, prefix: str = "files") -> BlobStore:
    return open_blob_store(f"s3://{bucket}/{prefix}", endpoint=seaweed.endpoint)


@pytest.fixture
def s3_env(seaweed: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> SeaweedS3:
    """The S3 server, its credentials in the environment as a server process has them."""
    for key, value in seaweed.env().items():
        monkeypatch.setenv(key, value)
    return seaweed


def read_all(store: BlobStore, digest: str) -> bytes:
    with store.open(digest) as f:
        return f.read()


def test_put_then_get_has_size_stat_and_list(store: BlobStore) -> None:
    assert not store.has(SHA)
    with pytest.raises(NotFound):
        store.stat(SHA)
    assert store.put_bytes(DATA, SHA) == (SHA, len(DATA))
    assert store.has(SHA)
    assert store.size(SHA) == len(DATA)
    assert store.stat(SHA).modified > time.time() - 3600
    assert read_all(store, SHA) == DATA
    assert [(b.sha256, b.size) for b in store.list_blobs()] == [(SHA, len(DATA))]


def test_range_reads_and_seek(store: BlobStore) -> None:
    store.put_bytes(DATA)
    assert b"".join(store.iter_range(SHA, 10, 20)) == DATA[10:21]
    assert b"".join(store.iter_range(SHA, 0, len(DATA) - 1)) == DATA
    with store.open(SHA) as f:
        f.seek(len(DATA) - 3)
        assert f.read() == b"end"


def test_empty_file(store: BlobStore) -> None:
    digest, size = store.put_bytes(b"")
    assert (digest, size) == (sha(b""), 0)
    assert read_all(store, digest) == b""


def test_wrong_hash_never_becomes_visible(store: BlobStore) -> None:
    claimed = sha(b"something else")
    with pytest.raises(HashMismatch):
        store.put_chunks([DATA[:1000], DATA[1000:]], claimed)
    assert not store.has(claimed) and not store.has(SHA)
    assert list(store.list_blobs()) == []


def test_a_writer_aborted_midway_leaves_nothing(store: BlobStore) -> None:
    writer = store.writer(SHA)
    writer.write(DATA[:5000])
    writer.abort()
    assert not store.has(SHA)
    assert list(store.list_blobs()) == []


def test_size_limit(store: BlobStore) -> None:
    with pytest.raises(PayloadTooLarge):
        store.put_chunks([DATA], SHA, max_size=1000)
    assert not store.has(SHA)


def test_delete(store: BlobStore) -> None:
    store.put_bytes(DATA)
    store.delete(SHA)
    store.delete(SHA)  # gone already: no error
    assert not store.has(SHA)
    with pytest.raises(NotFound):
        store.open(SHA)


def test_concurrent_writers_of_the_same_blob(store: BlobStore) -> None:
    errors: list[BaseException] = []

    def put() -> None:
        try:
            writer = store.writer(SHA)
            try:
                for i in range(0, len(DATA), 7000):
                    writer.write(DATA[i : i + 7000])
                writer.finish()
            finally:
                writer.abort()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert read_all(store, SHA) == DATA
    assert [b.sha256 for b in store.list_blobs()] == [SHA]


def test_upload_in_pieces_resumes_after_a_broken_piece(store: BlobStore) -> None:
    end = len(DATA) - 1
    piece = store.partial("u1", SHA, 0, end)
    piece.write(DATA[:100_000])
    piece.close()  # the connection broke after 100 000 bytes
    assert store.partial_size("u1", SHA) == 100_000
    assert store.partial_size("u2", SHA) == 0  # kept per uploader
    with pytest.raises(OffsetMismatch) as refused:
        store.partial("u1", SHA, 50, end)
    assert refused.value.offset == 100_000
    piece = store.partial("u1", SHA, 100_000, end)
    piece.write(DATA[100_000:])
    assert piece.complete
    assert piece.finish() == (SHA, len(DATA))
    piece.close()
    assert read_all(store, SHA) == DATA
    assert store.partial_size("u1", SHA) == 0


def test_pieces_with_a_wrong_hash_are_dropped(store: BlobStore) -> None:
    claimed = sha(b"not this")
    piece = store.partial("u1", claimed, 0, len(DATA) - 1)
    piece.write(DATA)
    with pytest.raises(HashMismatch):
        piece.finish()
    piece.close()
    assert not store.has(claimed) and not store.has(SHA)
    assert store.partial_size("u1", claimed) == 0


def test_start_over_from_zero(store: BlobStore) -> None:
    piece = store.partial("u1", SHA, 0, len(DATA) - 1)
    piece.write(b"garbage that is not the start of the file")
    piece.close()
    piece = store.partial("u1", SHA, 0, len(DATA) - 1)
    piece.write(DATA)
    assert piece.finish() == (SHA, len(DATA))
    piece.close()
    assert read_all(store, SHA) == DATA


def test_purge_keeps_fresh_partials_and_drops_old_ones(store: BlobStore) -> None:
    piece = store.partial("u1", SHA, 0, len(DATA) - 1)
    piece.write(DATA[:1000])
    piece.close()
    assert store.purge_partials(older_than_s=3600) == 0
    assert store.partial_size("u1", SHA) == 1000
    time.sleep(1.1)  # object stores keep times in whole seconds
    assert store.purge_partials(older_than_s=0) == 1
    assert store.partial_size("u1", SHA) == 0


def test_check_ready_passes_on_a_working_store(store: BlobStore) -> None:
    store.check_ready()


def test_partials_survive_for_another_process(s3_env: SeaweedS3, s3_bucket: str) -> None:
    """Two server processes on one bucket: one keeps the first piece, the other (its own
    store object, as in another process) continues and completes the upload."""
    first, second = s3_store(s3_env, s3_bucket), s3_store(s3_env, s3_bucket)
    piece = first.partial("u1", SHA, 0, len(DATA) - 1)
    piece.write(DATA[:123_456])
    piece.close()
    assert second.partial_size("u1", SHA) == 123_456
    piece = second.partial("u1", SHA, 123_456, len(DATA) - 1)
    piece.write(DATA[123_456:])
    assert piece.finish() == (SHA, len(DATA))
    piece.close()
    assert read_all(first, SHA) == DATA


def test_presigned_url_serves_the_file(s3_env: SeaweedS3, s3_bucket: str) -> None:
    import httpx

    store = s3_store(s3_env, s3_bucket)
    store.put_bytes(DATA)
    url = store.download_url(SHA, 60)
    assert url is not None and url.startswith(s3_env.endpoint)
    answer = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert answer.status_code == 206 and answer.content == DATA[:10]
    assert LocalBlobStore(s3_env.base_dir / "unused").download_url(SHA, 60) is None


def test_unreachable_store_is_unavailable_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.postgres import free_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    store = open_blob_store("s3://nobucket/p", endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BlobStoreUnavailable) as raised:
        store.check_ready()
    assert raised.value.status == 503
    with pytest.raises(BlobStoreUnavailable):
        store.has(SHA)
    with pytest.raises(BlobStoreUnavailable):
        store.put_bytes(DATA)
