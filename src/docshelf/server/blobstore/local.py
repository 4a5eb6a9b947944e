"""The file store in a local directory (the default): ``<root>/ab/cd/<sha256>``.

Each file is written once to a temporary name, hashed on the way, checked
against the hash the sender announced, flushed to disk and only then renamed
into place, so a reader never sees a partial file and the same content is kept
once however many templates use it.

A large upload may arrive in pieces over several requests (``Content-Range``). Each
user's unfinished upload of a file is kept apart from everyone else's, under
``.uploads/``, and is verified like any other upload once the last byte is in. Several
server processes may share the directory (a network file system): appending to an upload
takes its file's lock.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from docshelf.i18n import tr
from docshelf.server.blobstore.base import (
    CHUNK,
    BlobStat,
    BlobStore,
    BlobStoreUnavailable,
    Checked,
    OffsetMismatch,
    UploadBusy,
    check_owner,
    check_sha256,
    hash_mismatch,
    not_stored,
    too_many_bytes,
)

if sys.platform != "win32":
    import fcntl


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._uploads = root / ".uploads"
        self._uploads.mkdir(exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def describe(self) -> str:
        return str(self.root)

    def check_ready(self) -> None:
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            raise BlobStoreUnavailable(
                tr("the folder {path} is missing or not writable", path=str(self.root))
            )

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def stat(self, sha256: str) -> BlobStat:
        try:
            info = self.path(sha256).stat()
        except FileNotFoundError:
            raise not_stored(sha256) from None
        return BlobStat(sha256, info.st_size, info.st_mtime)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise not_stored(sha256) from None

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def list_blobs(self) -> Iterator[BlobStat]:
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for path in first.glob("[0-9a-f][0-9a-f]/*"):
                if len(path.name) != 64 or path.name[:2] != first.name:
                    continue
                try:
                    info = path.stat()
                except FileNotFoundError:
                    continue  # deleted while we looked
                yield BlobStat(path.name, info.st_size, info.st_mtime)

    # --- uploads in pieces -------------------------------------------------------------

    def partial_path(self, owner: str, sha256: str) -> Path:
        check_sha256(sha256)
        check_owner(owner)
        return self._uploads / f"{owner}-{sha256}.part"

    def partial_size(self, owner: str, sha256: str) -> int:
        """How many bytes of ``owner``'s unfinished upload of ``sha256`` are kept (0: none)."""
        try:
            return self.partial_path(owner, sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def partial(self, owner: str, sha256: str, start: int, end: int) -> LocalPartialUpload:
        return LocalPartialUpload(self, self.partial_path(owner, sha256), sha256, start, end)

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

    def writer(
        self, expected_sha256: str | None = None, max_size: int | None = None
    ) -> LocalBlobWriter:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        return LocalBlobWriter(self, expected_sha256, max_size)


class LocalBlobWriter:
    """An upload in progress: written to a temporary file, moved into place when verified."""

    def __init__(self, store: LocalBlobStore, expected_sha256: str | None, max_size: int | None):
        self._store = store
        self._checked = Checked(expected_sha256, max_size)
        fd, name = tempfile.mkstemp(dir=store._tmp, prefix="up-")
        self._tmp = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    @property
    def size(self) -> int:
        return self._checked.size

    def write(self, chunk: bytes) -> None:
        assert self._file is not None, "write after finish"
        self._checked.take(chunk)
        self._file.write(chunk)

    def finish(self) -> tuple[str, int]:
        assert self._file is not None, "finish twice"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        sha = self._checked.sha256()
        _publish(self._tmp, self._store.path(sha))
        return sha, self.size

    def abort(self) -> None:
        """Drop whatever was not moved into place (safe to call after finish)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)


def _publish(source: Path, final: Path) -> None:
    """Move a verified file into place. When the content is stored already, its time is
    refreshed instead: the garbage collector spares files touched within its grace
    period, so an upload of a file it is about to drop keeps it."""
    try:
        os.utime(final)
    except FileNotFoundError:
        pass  # not stored (or collected meanwhile): put ours in its place
    else:
        source.unlink(missing_ok=True)
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, final)


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


class LocalPartialUpload:
    """One request's piece of an upload in pieces, written under the file's lock.

    The lock keeps a client's retry from writing into the same file as the request it
    repeats; bytes that arrived before a connection broke are kept, so the next request
    goes on from there."""

    def __init__(
        self, store: LocalBlobStore, path: Path, sha256: str, start: int, end: int
    ) -> None:
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
                        "Another request is uploading this file for you right now; wait for"
                        " it to end, then ask how much arrived"
                        " (GET /api/v1/blobs/<sha256>/upload)."
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
            raise too_many_bytes()
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
            raise hash_mismatch(sha, self._expected, pieces=True)
        _publish(self._path, self._store.path(sha))
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
