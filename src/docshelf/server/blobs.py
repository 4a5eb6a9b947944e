"""Files stored by the SHA-256 of their content.

Each file is written once to a temporary name, hashed on the way, checked
against the hash the sender announced, flushed to disk and only then renamed
into place, so a reader never sees a partial file and the same content is kept
once however many templates use it.

A large upload may arrive in pieces over several requests (``Content-Range``). Each
user's unfinished upload of a file is kept apart from everyone else's, under
``.uploads/``, and is verified like any other upload once the last byte is in.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from docshelf.domain.errors import Conflict, HashMismatch, InvalidInput, NotFound, PayloadTooLarge
from docshelf.i18n import N_, tr

if sys.platform != "win32":
    import fcntl

CHUNK = 256 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_OWNER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise InvalidInput(
            tr("{value!r} is not a SHA-256 (64 lower-case hex digits).", value=value)
        )
    return value


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._uploads = root / ".uploads"
        self._uploads.mkdir(exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(
                tr("The file {sha256} is not stored on this server.", sha256=sha256)
            ) from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(
                tr("The file {sha256} is not stored on this server.", sha256=sha256)
            ) from None

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

    # --- uploads in pieces -------------------------------------------------------------

    def partial_path(self, owner: str, sha256: str) -> Path:
        check_sha256(sha256)
        if not _OWNER_RE.match(owner):
            raise InvalidInput(tr("{owner!r} cannot name an upload.", owner=owner))
        return self._uploads / f"{owner}-{sha256}.part"

    def partial_size(self, owner: str, sha256: str) -> int:
        """How many bytes of ``owner``'s unfinished upload of ``sha256`` are kept (0: none)."""
        try:
            return self.partial_path(owner, sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def partial(self, owner: str, sha256: str, start: int, end: int) -> PartialUpload:
        """Continue ``owner``'s upload of ``sha256`` with bytes ``start`` to ``end``.

        ``start`` must be the number of bytes kept so far, or 0 to start over; otherwise
        :class:`OffsetMismatch` tells how many are kept."""
        return PartialUpload(self, self.partial_path(owner, sha256), sha256, start, end)

    def purge_partials(self, older_than_s: float) -> int:
        """Drop unfinished uploads untouched for ``older_than_s`` seconds; returns how many."""
        cutoff = time.time() - older_than_s
        dropped = 0
        for path in self._uploads.glob("*.part"):
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                # A request still appending holds the lock: that upload is alive.
                if _try_lock(fd) and _same_file(path, fd):
                    path.unlink()
                    dropped += 1
            finally:
                os.close(fd)
        return dropped

    def writer(self, expected_sha256: str | None = None, max_size: int | None = None) -> BlobWriter:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        return BlobWriter(self, expected_sha256, max_size)

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


class BlobWriter:
    """An upload in progress: written to a temporary file, moved into place when verified."""

    def __init__(self, store: BlobStore, expected_sha256: str | None, max_size: int | None):
        self._store = store
        self._expected = expected_sha256
        self._max_size = max_size
        self._digest = hashlib.sha256()
        self.size = 0
        fd, name = tempfile.mkstemp(dir=store._tmp, prefix="up-")
        self._tmp = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        assert self._file is not None, "write after finish"
        self.size += len(chunk)
        if self._max_size is not None and self.size > self._max_size:
            raise PayloadTooLarge(
                tr(
                    "The file is larger than the limit of {max_size} bytes.",
                    max_size=self._max_size,
                )
            )
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> tuple[str, int]:
        assert self._file is not None, "finish twice"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        sha = self._digest.hexdigest()
        if self._expected is not None and sha != self._expected:
            raise HashMismatch(
                tr(
                    "The uploaded file has SHA-256 {sha}, not {expected} as announced; it "
                    "was damaged or changed on the way. Upload it again.",
                    sha=sha,
                    expected=self._expected,
                )
            )
        final = self._store.path(sha)
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, final)
        return sha, self.size

    def abort(self) -> None:
        """Drop whatever was not moved into place (safe to call after finish)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock of an open file without waiting; False when it is held."""
    if sys.platform == "win32":
        return True  # no advisory locks; one request per upload is then up to the client
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(path: Path, fd: int) -> bool:
    """Is ``fd`` still the file at ``path``? (It may have been completed or purged and
    replaced while we waited for it.)"""
    try:
        return path.stat().st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


class PartialUpload:
    """One request's piece of an upload in pieces, written under the file's lock.

    The lock keeps a client's retry from writing into the same file as the request it
    repeats; bytes that arrived before a connection broke are kept, so the next request
    goes on from there."""

    def __init__(self, store: BlobStore, path: Path, sha256: str, start: int, end: int) -> None:
        self._store = store
        self._path = path
        self._expected = sha256
        self._end = end
        self._file = self._open_locked(path)
        try:
            kept = os.fstat(self._file.fileno()).st_size
            if start == 0 and kept:
                self._file.truncate(0)
                kept = 0
            if start != kept:
                raise OffsetMismatch(kept)
            # The hash covers the whole file, so the part kept from earlier requests is
            # read once here; what arrives now is hashed on the way.
            self._digest = hashlib.sha256()
            while chunk := self._file.read(CHUNK):
                self._digest.update(chunk)
            self.size = kept
        except BaseException:
            self._file.close()
            raise

    @staticmethod
    def _open_locked(path: Path) -> BinaryIO:
        for _ in range(5):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                raise UploadBusy(
                    tr(
                        "Another request is uploading this file for you right now; wait for it "
                        "to end, then ask how much arrived (GET /api/v1/blobs/<sha256>/upload).",
                    )
                )
            if _same_file(path, fd):
                return os.fdopen(fd, "r+b")
            os.close(fd)
        raise UploadBusy(tr("The upload kept changing under this request; try again."))

    @property
    def complete(self) -> bool:
        return self.size == self._end + 1

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self._end + 1:
            raise InvalidInput(
                tr("The request carries more bytes than its Content-Range announces.")
            )
        self._digest.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> tuple[str, int]:
        """Verify the complete file and move it into place (the piece must be complete)."""
        assert self.complete, "finish before the last byte"
        self._sync()
        sha = self._digest.hexdigest()
        if sha != self._expected:
            self._path.unlink(missing_ok=True)
            raise HashMismatch(
                tr(
                    "The uploaded file has SHA-256 {sha}, not {expected} as announced; it "
                    "was damaged or changed on the way. Upload it again from the start.",
                    sha=sha,
                    expected=self._expected,
                )
            )
        final = self._store.path(sha)
        if final.exists():
            self._path.unlink(missing_ok=True)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path, final)
        return sha, self.size

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Keep what arrived (on disk, for the next request) and release the lock."""
        if self._file.closed:
            return
        try:
            self._sync()
        finally:
            self._file.close()
