"""The file store in S3-compatible object storage (``--blob-store s3://BUCKET/PREFIX``).

Keys under the prefix:

- ``blobs/ab/cd/<sha256>``: the stored files;
- ``tmp/<random>``: uploads in progress. An upload is streamed there (a multipart
  upload beyond the write buffer), hashed on the way, and copied to its final key only
  when the hash matched; the temporary object is deleted either way. A wrong hash
  therefore never appears under a file's name.
- ``partials/<owner>-<sha256>/<offset>``: uploads in pieces. Each request's piece is its
  own object named by the byte it starts at; the kept length is the run of pieces that
  continue one another from byte 0. Every server process sharing the bucket sees them,
  so any of them continues an upload another one began. Two requests writing the same
  piece at once need no lock: pieces at one offset of one file hold the same bytes, and
  the whole file is hashed again when the pieces are joined.

Requests go through obstore (Rust's ``object_store``): streaming reads and writes,
ranged reads and presigned URLs, without any S3 signing of our own. Endpoint and
credentials come from ``DOCSHELF_S3_ENDPOINT`` and the standard ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_REGION``.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast
from urllib.parse import urlsplit

from docshelf.domain.errors import ConfigurationError, NotFound
from docshelf.i18n import tr
from docshelf.server.blobstore.base import (
    CHUNK,
    BlobStat,
    BlobStore,
    BlobStoreUnavailable,
    Checked,
    OffsetMismatch,
    check_owner,
    check_sha256,
    hash_mismatch,
    not_stored,
    too_many_bytes,
)

if TYPE_CHECKING:
    from obstore.store import S3Store

# Bytes an upload buffers before it sends a part; at most two parts are in flight, so an
# upload holds about three times this in memory, whatever the file's size.
WRITE_BUFFER = 8 * 1024 * 1024
WRITE_CONCURRENCY = 2
_BLOBS = "blobs/"
_TMP = "tmp/"
_PARTIALS = "partials/"
_T = TypeVar("_T")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigurationError(
                tr("{url} is not an object storage address like s3://BUCKET/PREFIX.", url=url)
            )
        return cls(parts.netloc, parts.path.strip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def _obstore() -> Any:
    try:
        import obstore
    except ImportError:
        raise ConfigurationError(
            tr(
                "Files in object storage need the Python package obstore; install docshelf"
                " with its s3 extra (pip install 'docshelf[s3]')."
            )
        ) from None
    return obstore


def _reason(exc: BaseException) -> str:
    # obstore's messages span several lines with the whole request; the first one says it.
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


class S3BlobStore(BlobStore):
    def __init__(
        self,
        location: S3Location,
        *,
        endpoint: str | None = None,
        region: str | None = None,
    ) -> None:
        self._ob = _obstore()
        # obstore reports a missing key as FileNotFoundError (its own class in places).
        self._missing: tuple[type[BaseException], ...] = (
            FileNotFoundError,
            self._ob.exceptions.NotFoundError,
        )
        from obstore.store import S3Store

        self.location = location
        self.endpoint = endpoint
        config: dict[str, Any] = {}
        client: dict[str, Any] = {
            "connect_timeout": timedelta(seconds=5),
            # A whole request: a large download streams at the pace of a slow client.
            "timeout": timedelta(hours=2),
        }
        if endpoint:
            config["endpoint"] = endpoint
            # Self-hosted stores (MinIO, SeaweedFS, Ceph) answer on the path, not per bucket.
            config["virtual_hosted_style_request"] = False
            client["allow_http"] = endpoint.startswith("http://")
        if region:
            config["region"] = region
        self._s3: S3Store = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            client_options=client,  # type: ignore[arg-type]
            # A store that is away must turn into a 503 soon, not after minutes of retries.
            retry_config={
                "max_retries": 2,
                "retry_timeout": timedelta(seconds=15),
                "backoff": {
                    "init_backoff": timedelta(milliseconds=100),
                    "max_backoff": timedelta(seconds=2),
                    "base": 2,
                },
            },
            **config,
        )

    # --- helpers -------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The store's failures as a 503 with the reason; a missing key stays NotFound."""
        try:
            yield
        except NotFound:
            raise
        except self._missing:
            raise
        except (self._ob.exceptions.BaseError, OSError, RuntimeError) as exc:
            raise BlobStoreUnavailable(_reason(exc)) from exc

    def _call(self, action: Callable[[], _T]) -> _T:
        with self._errors():
            return action()

    @staticmethod
    def key(sha256: str) -> str:
        check_sha256(sha256)
        return f"{_BLOBS}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _publish(self, tmp_key: str, sha256: str) -> None:
        # Copied even when the file is stored already: that refreshes its time, which the
        # garbage collector's grace period reads.
        self._call(lambda: self._ob.copy(self._s3, tmp_key, self.key(sha256)))
        self._forget(tmp_key)

    def _forget(self, key: str) -> None:
        with suppress(Exception):  # leftovers are purged by age
            self._ob.delete(self._s3, key)

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        with self._errors():
            for batch in self._ob.list(self._s3, prefix=prefix, chunk_size=1000):
                yield from batch

    def _open_writer(self, key: str) -> Any:
        return self._call(
            lambda: self._ob.open_writer(
                self._s3, key, buffer_size=WRITE_BUFFER, max_concurrency=WRITE_CONCURRENCY
            )
        )

    def _read_chunks(self, key: str, digest: Any | None = None) -> Iterator[bytes]:
        with self._errors():
            result = self._ob.get(self._s3, key)
            for chunk in result.stream(min_chunk_size=CHUNK):
                data = bytes(chunk)
                if digest is not None:
                    digest.update(data)
                yield data

    # --- the interface -------------------------------------------------------------------

    def describe(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"{self.location}{where}"

    def check_ready(self) -> None:
        try:
            batches = self._ob.list(self._s3, prefix=_BLOBS, chunk_size=1)
            next(iter(batches), None)
        except Exception as exc:
            raise BlobStoreUnavailable(_reason(exc)) from exc

    def stat(self, sha256: str) -> BlobStat:
        key = self.key(sha256)
        try:
            meta = self._call(lambda: self._ob.head(self._s3, key))
        except self._missing:
            raise not_stored(sha256) from None
        return BlobStat(sha256, int(meta["size"]), meta["last_modified"].timestamp())

    def open(self, sha256: str) -> BinaryIO:
        stat = self.stat(sha256)
        return cast(BinaryIO, io.BufferedReader(_Reader(self, stat), buffer_size=CHUNK))

    def iter_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        key = self.key(sha256)
        if end < start:
            return  # nothing asked (an empty file): S3 has no empty range
        with self._errors():
            try:
                result = self._ob.get(self._s3, key, options={"range": (start, end + 1)})
            except self._missing:
                raise not_stored(sha256) from None
            for chunk in result.stream(min_chunk_size=CHUNK):
                yield bytes(chunk)

    def delete(self, sha256: str) -> None:
        key = self.key(sha256)
        self._call(lambda: self._ob.delete(self._s3, key))

    def list_blobs(self) -> Iterator[BlobStat]:
        for meta in self._list(_BLOBS):
            name = str(meta["path"]).rsplit("/", 1)[-1]
            if len(name) == 64:
                yield BlobStat(name, int(meta["size"]), meta["last_modified"].timestamp())

    def writer(
        self, expected_sha256: str | None = None, max_size: int | None = None
    ) -> S3BlobWriter:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        return S3BlobWriter(self, expected_sha256, max_size)

    def download_url(self, sha256: str, expires_s: float) -> str | None:
        key = self.key(sha256)
        expires = timedelta(seconds=expires_s)
        return str(self._call(lambda: self._ob.sign(self._s3, "GET", key, expires)))

    # --- uploads in pieces ---------------------------------------------------------------

    def partial_prefix(self, owner: str, sha256: str) -> str:
        check_sha256(sha256)
        check_owner(owner)
        return f"{_PARTIALS}{owner}-{sha256}/"

    def pieces(self, owner: str, sha256: str) -> tuple[list[str], int]:
        """The keys of the pieces that continue one another from byte 0, and their length."""
        found: list[tuple[int, int, str]] = []
        for meta in self._list(self.partial_prefix(owner, sha256)):
            name = str(meta["path"]).rsplit("/", 1)[-1]
            if name.isdigit():
                found.append((int(name), int(meta["size"]), str(meta["path"])))
        chain: list[str] = []
        kept = 0
        for start, size, key in sorted(found):
            if start > kept:
                break  # a gap: what follows is left from an earlier attempt
            if start == kept and size > 0:
                chain.append(key)
                kept += size
        return chain, kept

    def partial_size(self, owner: str, sha256: str) -> int:
        return self.pieces(owner, sha256)[1]

    def partial(self, owner: str, sha256: str, start: int, end: int) -> S3PartialUpload:
        return S3PartialUpload(self, owner, sha256, start, end)

    def drop_partial(self, owner: str, sha256: str) -> None:
        for meta in list(self._list(self.partial_prefix(owner, sha256))):
            self._forget(str(meta["path"]))

    def purge_partials(self, older_than_s: float) -> int:
        """Drop uploads in pieces and temporary objects untouched for ``older_than_s``."""
        cutoff = time.time() - older_than_s
        newest: dict[str, float] = {}
        keys: dict[str, list[str]] = {}
        for meta in self._list(_PARTIALS):
            path = str(meta["path"])
            upload = path.rsplit("/", 1)[0]
            newest[upload] = max(newest.get(upload, 0.0), meta["last_modified"].timestamp())
            keys.setdefault(upload, []).append(path)
        dropped = 0
        for upload, touched in newest.items():
            if touched < cutoff:
                for key in keys[upload]:
                    self._forget(key)
                dropped += 1
        for meta in list(self._list(_TMP)):
            if meta["last_modified"].timestamp() < cutoff:
                self._forget(str(meta["path"]))
        return dropped


class _Reader(io.RawIOBase):
    """A stored object as a Python file: one streamed GET from the current position to
    the end, started again only after a seek (a download reads on in order, and one
    request per read would cost the store far more)."""

    def __init__(self, store: S3BlobStore, stat: BlobStat) -> None:
        self._store = store
        self._stat = stat
        self._position = 0
        self._chunks: Iterator[bytes] | None = None
        self._left = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._left:
            if self._position >= self._stat.size:
                return 0
            if self._chunks is None:
                end = self._stat.size - 1
                self._chunks = self._store.iter_range(self._stat.sha256, self._position, end)
            self._left = next(self._chunks, b"")
        n = min(len(view), len(self._left))
        view[:n] = self._left[:n]
        self._left = self._left[n:]
        self._position += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._stat.size}
        target = max(0, base[whence] + offset)
        if target != self._position:
            self._drop_stream()
            self._position = target
        return self._position

    def tell(self) -> int:
        return self._position

    def _drop_stream(self) -> None:
        if self._chunks is not None:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        self._chunks = None
        self._left = b""

    def close(self) -> None:
        if not self.closed:
            self._drop_stream()
        super().close()


class S3BlobWriter:
    """An upload streamed to a temporary object, copied to its name once verified."""

    def __init__(self, store: S3BlobStore, expected_sha256: str | None, max_size: int | None):
        self._store = store
        self._checked = Checked(expected_sha256, max_size)
        self._key = f"{_TMP}{uuid.uuid4().hex}"
        self._file: Any = store._open_writer(self._key)
        self._done = False

    @property
    def size(self) -> int:
        return self._checked.size

    def write(self, chunk: bytes) -> None:
        assert self._file is not None, "write after finish"
        self._checked.take(chunk)
        self._store._call(lambda: self._file.write(chunk))

    def finish(self) -> tuple[str, int]:
        assert self._file is not None, "finish twice"
        file, self._file = self._file, None
        self._store._call(file.close)
        sha = self._checked.sha256()
        self._store._publish(self._key, sha)
        self._done = True
        return sha, self.size

    def abort(self) -> None:
        """Drop the temporary object (safe after finish)."""
        if self._file is not None:
            file, self._file = self._file, None
            with suppress(Exception):  # the object is dropped below either way
                file.close()
        if not self._done:
            self._done = True
            self._store._forget(self._key)


class S3PartialUpload:
    """One request's piece: its own object, named by the byte it starts at."""

    def __init__(self, store: S3BlobStore, owner: str, sha256: str, start: int, end: int):
        self._store = store
        self._owner = owner
        self._expected = sha256
        self._end = end
        chain, kept = store.pieces(owner, sha256)
        if start == 0 and kept:
            store.drop_partial(owner, sha256)
            chain, kept = [], 0
        if start != kept:
            raise OffsetMismatch(kept)
        # The hash covers the whole file, so the pieces kept from earlier requests are read
        # once here; what arrives now is hashed on the way.
        self._digest = hashlib.sha256()
        for key in chain:
            for _ in store._read_chunks(key, self._digest):
                pass
        self._chain = chain
        self._key = f"{store.partial_prefix(owner, sha256)}{start:015d}"
        self._file: Any = store._open_writer(self._key)
        self.size = kept

    @property
    def complete(self) -> bool:
        return self.size == self._end + 1

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self._end + 1:
            raise too_many_bytes()
        self._digest.update(chunk)
        self._store._call(lambda: self._file.write(chunk))
        self.size += len(chunk)

    def finish(self) -> tuple[str, int]:
        """Verify, join the pieces into the file's object, drop the pieces."""
        assert self.complete, "finish before the last byte"
        self.close()
        sha = self._digest.hexdigest()
        store = self._store
        if sha != self._expected:
            store.drop_partial(self._owner, self._expected)
            raise hash_mismatch(sha, self._expected, pieces=True)
        # Joined through a temporary object and hashed again: a piece may have been
        # replaced by a concurrent request since it was read.
        writer = store.writer(self._expected)
        try:
            for key in [*self._chain, self._key]:
                for data in store._read_chunks(key):
                    writer.write(data)
            result = writer.finish()
        except BaseException:
            store.drop_partial(self._owner, self._expected)
            raise
        finally:
            writer.abort()
        store.drop_partial(self._owner, self._expected)
        return result

    def close(self) -> None:
        """Keep what arrived (as this piece's object) for the next request."""
        if self._file is not None:
            file, self._file = self._file, None
            self._store._call(file.close)
