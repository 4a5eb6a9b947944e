"""Files stored by the SHA-256 of their content.

Each file is written once to a temporary name, hashed on the way, checked
against the hash the sender announced, flushed to disk and only then renamed
into place, so a reader never sees a partial file and the same content is kept
once however many templates use it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from docshelf.domain.errors import HashMismatch, InvalidInput, NotFound, PayloadTooLarge

CHUNK = 256 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise InvalidInput(f"{value!r} is not a SHA-256 (64 lower-case hex digits).")
    return value


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"The file {sha256} is not stored on this server.") from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound(f"The file {sha256} is not stored on this server.") from None

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
            raise PayloadTooLarge(f"The file is larger than the limit of {self._max_size} bytes.")
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
                f"The uploaded file has SHA-256 {sha}, not {self._expected} as announced;"
                " it was damaged or changed on the way. Upload it again."
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
