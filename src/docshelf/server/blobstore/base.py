"""What every file store offers, whatever holds the bytes.

Files are named by the SHA-256 of their content. Every backend keeps the same promises:

- a file becomes visible under its name only once all of its bytes arrived and hashed to
  that name (a wrong hash never becomes visible);
- bytes are streamed both ways, so a large file costs constant memory;
- an upload in pieces (``Content-Range``) is kept per uploader, on the store itself, so
  that any server process sharing the store can continue it;
- a store that cannot be reached raises :class:`BlobStoreUnavailable` (503), never a
  bare exception (500).
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from docshelf.domain.errors import (
    Conflict,
    HashMismatch,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from docshelf.i18n import N_, tr

CHUNK = 256 * 1024
# How long a client waits before asking again when the store is away (seconds).
RETRY_AFTER_S = 30
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_OWNER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BlobStoreUnavailable(ServiceUnavailable):
    """The file store cannot be reached or refuses to work: a 503, not a 500."""

    code = "blob_store_unavailable"
    default_title = N_("File storage unavailable")

    def __init__(self, reason: str) -> None:
        super().__init__(
            tr(
                "The server cannot reach its file storage right now ({reason})."
                " Try again in a few minutes; if this persists, tell your administrator.",
                reason=reason,
            ),
            retry_after=RETRY_AFTER_S,
        )


class OffsetMismatch(Conflict):
    """A piece of an upload that does not continue where the kept part ends."""

    code = "wrong_offset"
    default_title = N_("Upload out of step")

    def __init__(self, offset: int) -> None:
        super().__init__(
            tr(
                "The server holds {offset} bytes of this upload; send the rest from byte"
                " {offset} on (or from 0 to start over).",
                offset=offset,
            ),
            details={"offset": offset},
        )
        self.offset = offset


class UploadBusy(Conflict):
    code = "upload_busy"
    default_title = N_("Upload in progress")


@dataclass(frozen=True)
class BlobStat:
    sha256: str
    size: int
    modified: float  # seconds since the epoch


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise InvalidInput(
            tr("{value} is not a SHA-256 (64 lower-case hex digits).", value=repr(value))
        )
    return value


def check_owner(owner: str) -> str:
    if not _OWNER_RE.match(owner):
        raise InvalidInput(tr("{owner} cannot name an upload.", owner=repr(owner)))
    return owner


def not_stored(sha256: str) -> NotFound:
    return NotFound(tr("The file {sha256} is not stored on this server.", sha256=sha256))


def hash_mismatch(actual: str, expected: str, *, pieces: bool = False) -> HashMismatch:
    if pieces:
        return HashMismatch(
            tr(
                "The uploaded file has SHA-256 {actual}, not {expected} as announced; it was"
                " damaged or changed on the way. Upload it again from the start.",
                actual=actual,
                expected=expected,
            )
        )
    return HashMismatch(
        tr(
            "The uploaded file has SHA-256 {actual}, not {expected} as announced; it was"
            " damaged or changed on the way. Upload it again.",
            actual=actual,
            expected=expected,
        )
    )


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(tr("The file is larger than the limit of {limit} bytes.", limit=limit))


def too_many_bytes() -> InvalidInput:
    return InvalidInput(tr("The request carries more bytes than its Content-Range announces."))


class Checked:
    """What every writer does with an upload's bytes, whatever it writes them to: counts
    them against the size limit and hashes them; :meth:`sha256` is the hash once it
    matched the one announced (a wrong hash never becomes visible)."""

    def __init__(self, expected_sha256: str | None, max_size: int | None) -> None:
        self.expected = expected_sha256
        self.max_size = max_size
        self.size = 0
        self._digest = hashlib.sha256()

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            raise too_large(self.max_size)
        self._digest.update(chunk)

    def sha256(self) -> str:
        sha = self._digest.hexdigest()
        if self.expected is not None and sha != self.expected:
            raise hash_mismatch(sha, self.expected)
        return sha


class BlobWriter(Protocol):
    """An upload in progress; visible under its hash only after :meth:`finish`."""

    @property
    def size(self) -> int:
        """Bytes written so far."""
        ...

    def write(self, chunk: bytes) -> None: ...

    def finish(self) -> tuple[str, int]:
        """Verify and publish; returns (sha256, size). Raises HashMismatch."""
        ...

    def abort(self) -> None:
        """Drop whatever was not published (safe after finish)."""
        ...


class PartialUpload(Protocol):
    """One request's piece of an upload in pieces."""

    size: int

    @property
    def complete(self) -> bool: ...

    def write(self, chunk: bytes) -> None: ...

    def finish(self) -> tuple[str, int]:
        """Verify the whole file and publish it (the piece must be complete)."""
        ...

    def close(self) -> None:
        """Keep what arrived, for the next request."""
        ...


class BlobStore(ABC):
    """Content-addressed file storage: the local directory or S3-compatible storage."""

    @abstractmethod
    def describe(self) -> str:
        """Where the files are, for logs and the start-up banner (no secrets)."""

    @abstractmethod
    def check_ready(self) -> None:
        """Raise :class:`BlobStoreUnavailable` unless files can be read and written now."""

    @abstractmethod
    def stat(self, sha256: str) -> BlobStat:
        """Size and time of a stored file; NotFound if absent."""

    def has(self, sha256: str) -> bool:
        try:
            self.stat(sha256)
        except NotFound:
            return False
        return True

    def size(self, sha256: str) -> int:
        return self.stat(sha256).size

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The file for reading (seekable, read in pieces); NotFound if absent."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove a stored file (no error when it is gone already)."""

    @abstractmethod
    def list_blobs(self) -> Iterator[BlobStat]:
        """Every stored file, in no particular order."""

    @abstractmethod
    def writer(self, expected_sha256: str | None = None, max_size: int | None = None) -> BlobWriter:
        """Start an upload, verified against ``expected_sha256`` when given."""

    @abstractmethod
    def partial_size(self, owner: str, sha256: str) -> int:
        """How many bytes of ``owner``'s unfinished upload of ``sha256`` are kept (0: none)."""

    @abstractmethod
    def partial(self, owner: str, sha256: str, start: int, end: int) -> PartialUpload:
        """Continue ``owner``'s upload of ``sha256`` with bytes ``start`` to ``end``.

        ``start`` must be the number of bytes kept so far, or 0 to start over; otherwise
        :class:`OffsetMismatch` tells how many are kept."""

    @abstractmethod
    def purge_partials(self, older_than_s: float) -> int:
        """Drop unfinished uploads untouched for ``older_than_s`` seconds; returns how many."""

    def download_url(self, sha256: str, expires_s: float) -> str | None:
        """A short-lived URL that serves the file without the server, or None when this
        store has none (the local directory)."""
        return None

    # --- built on the above --------------------------------------------------------------

    def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> tuple[str, int]:
        return self.put_chunks([data], expected_sha256)

    def put_chunks(
        self,
        chunks: Iterable[bytes],
        expected_sha256: str | None = None,
        max_size: int | None = None,
    ) -> tuple[str, int]:
        """Store a file; returns its SHA-256 and size. Refuses content that doesn't match."""
        writer = self.writer(expected_sha256, max_size)
        try:
            for chunk in chunks:
                writer.write(chunk)
            return writer.finish()
        finally:
            writer.abort()

    def iter_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in chunks."""
        with self.open(sha256) as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
