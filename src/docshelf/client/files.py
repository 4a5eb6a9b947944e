"""The local content-addressed file store (architecture properties 4 and 6).

A file lives at ``<root>/ab/cd/<sha256>`` and is never rewritten: the same bytes
in ten templates are one file, downloaded once. Downloads go to
``<root>/.partial/<sha>.part``, resume from its size after an interruption,
are verified against the SHA-256, fsynced and only then renamed into place, so a
name in the store always means verified content.

A download is two steps, :meth:`FileStore.receive` (bytes in, verified) and
:meth:`FileStore.install` (flushed, named), which may run on different threads.

The store does no networking. :meth:`FileStore.download` is handed a ``fetch``
callable by the HTTP adapter (the seam tests replace with a fake). The store
assumes one writer per home at a time, which the sync lock guarantees.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import IO, NamedTuple, Protocol

from docshelf.client.errors import DownloadIncomplete, LocalStoreError, MissingFile
from docshelf.domain.errors import HashMismatch, InvalidInput
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_number

__all__ = ["Chunks", "Fetch", "FileStore", "Received", "as_context"]

Chunks = AbstractContextManager[Iterable[bytes]] | Iterable[bytes]
"""What a fetch returns: byte chunks, optionally wrapped in a context manager."""

Fetch = Callable[[str, int], Chunks]
"""``fetch(sha, offset)``: the file's bytes from ``offset`` on (an HTTP ``Range`` request).

If the server ignores the range and sends the whole file, the adapter must skip
the first ``offset`` bytes itself.
"""


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


_SHA256 = re.compile(r"[0-9a-f]{64}")
_PARTIAL_DIR = ".partial"
_STALE_PART_S = 24 * 3600
_BLOCK = 1024 * 1024


def check_sha(sha: str) -> str:
    # The hash arrives from the server and becomes a path: refuse anything but hex.
    if not _SHA256.fullmatch(sha):
        raise InvalidInput(
            tr(
                "'{sha}' is not a SHA-256 in lower-case hex; the server sent a bad file reference.",
                sha=sha,
            ),
            title=tr("Bad file reference"),
        )
    return sha


# What failed, by action: one whole sentence each (word order differs by language).
_COULD_NOT = {
    "read": N_(
        "Could not read {path}: {reason}. Check free disk space and the permissions of the"
        " docshelf folder."
    ),
    "create": N_(
        "Could not create {path}: {reason}. Check free disk space and the permissions of the"
        " docshelf folder."
    ),
    "write to": N_(
        "Could not write to {path}: {reason}. Check free disk space and the permissions of"
        " the docshelf folder."
    ),
    "store": N_(
        "Could not store {path}: {reason}. Check free disk space and the permissions of the"
        " docshelf folder."
    ),
    "delete": N_(
        "Could not delete {path}: {reason}. Check free disk space and the permissions of the"
        " docshelf folder."
    ),
}


@contextmanager
def _local_io(action: str, path: Path) -> Iterator[None]:
    """Turn OS errors of the local disk into an error that says what to do."""
    try:
        yield
    except OSError as exc:
        raise LocalStoreError(
            tr(_COULD_NOT[action], path=path, reason=exc.strerror or exc)
        ) from exc


def as_context(chunks: Chunks) -> AbstractContextManager[Iterable[bytes]]:
    """What a fetch returned, as a context manager that closes the stream at its end."""
    if isinstance(chunks, AbstractContextManager):
        return chunks
    return _closing(chunks)


@contextmanager
def _closing(chunks: Iterable[bytes]) -> Iterator[Iterable[bytes]]:
    try:
        yield chunks
    finally:
        # A generator abandoned mid-way must be closed now, not when collected.
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is; not possible on Windows.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _hash_of(path: Path) -> tuple[_Hasher, int]:
    """SHA-256 state and size of what an interrupted download left on disk."""
    import hashlib  # here, as below: reading the local copy hashes nothing

    hasher = hashlib.sha256()
    size = 0
    if not path.exists():
        return hasher, 0
    with _local_io("read", path), path.open("rb") as part:
        while block := part.read(_BLOCK):
            hasher.update(block)
            size += len(block)
    return hasher, size


class Received(NamedTuple):
    """A downloaded, verified file in its part file, waiting for :meth:`FileStore.install`."""

    sha: str
    part: Path
    transferred: int


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.partial_dir = root / _PARTIAL_DIR

    def path(self, sha: str) -> Path:
        check_sha(sha)
        return self.root / sha[:2] / sha[2:4] / sha

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def size(self, sha: str) -> int:
        path = self.path(sha)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise self._missing(sha) from None

    def open(self, sha: str) -> IO[bytes]:
        path = self.path(sha)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise self._missing(sha) from None

    def partial_size(self, sha: str) -> int:
        try:
            return self._part_path(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def download(
        self,
        sha: str,
        fetch: Fetch,
        expected_size: int | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> int:
        """Fetch, verify and store one file; returns the bytes transferred (0 if stored already).

        An exception from ``fetch`` leaves the part file for the next call to resume.
        Wrong content raises :class:`HashMismatch` and discards the part file, so a
        retry starts from 0.
        """
        received = self.receive(sha, fetch, expected_size, on_bytes)
        if received is None:
            return 0
        self.install(received)
        return received.transferred

    def receive(
        self,
        sha: str,
        fetch: Fetch,
        expected_size: int | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Received | None:
        """The first half of :meth:`download`: the verified bytes in the part file, not yet
        on disk for sure nor under their name; None if the file is stored already.

        :meth:`install` finishes it. Split so that a download need not wait for the disk:
        the next one can come in while this one is flushed.
        """
        if self.has(sha):
            return None
        part = self._part_path(sha)
        with _local_io("create", self.partial_dir):
            self.partial_dir.mkdir(parents=True, exist_ok=True)
        hasher, offset = _hash_of(part)
        if expected_size is not None and offset > expected_size:
            self._discard(part)
            import hashlib

            hasher, offset = hashlib.sha256(), 0
        transferred = 0
        # A part file may already be complete: killed between the last byte and the rename.
        if hasher.hexdigest() != sha:
            chunks = fetch(sha, offset)
            transferred = self._append(part, offset, chunks, hasher, expected_size, on_bytes)
        self._verify(sha, part, hasher.hexdigest())
        return Received(sha, part, transferred)

    def install(self, received: Received) -> None:
        """Flush a received file to disk and only then give it its name (and flush that)."""
        with _local_io("write to", received.part), received.part.open("rb") as part:
            os.fsync(part.fileno())
        self._install(received.part, self.path(received.sha))

    def put_bytes(self, data: bytes) -> str:
        """Store bytes made locally (an edit); returns their SHA-256."""
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        if self.has(sha):
            return sha
        with _local_io("write to", self.partial_dir):
            self.partial_dir.mkdir(parents=True, exist_ok=True)
            import tempfile  # here: it loads shutil, bz2, lzma; reading needs none

            fd, name = tempfile.mkstemp(dir=self.partial_dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        self._install(Path(name), self.path(sha))
        return sha

    def remove_unreferenced(self, keep: set[str]) -> int:
        """Delete stored files whose hash is not in ``keep`` and day-old partial files."""
        removed = 0
        for path in self.root.glob("??/??/*"):
            if path.is_file() and path.name not in keep:
                removed += self._unlink(path)
        removed += self._remove_stale_parts()
        for folder in self.root.glob("??/??"):
            self._rmdir_if_empty(folder)
        for folder in self.root.glob("??"):
            self._rmdir_if_empty(folder)
        return removed

    def remove(self, hashes: Iterable[str]) -> int:
        """Delete these stored files (if there) and day-old partial files, without looking at
        the rest of the store: the cost follows the number of hashes, not the store's size."""
        removed = 0
        for sha in hashes:
            path = self.path(sha)
            if path.is_file():
                removed += self._unlink(path)
                self._rmdir_if_empty(path.parent)
                self._rmdir_if_empty(path.parent.parent)
        return removed + self._remove_stale_parts()

    def partial_hashes(self) -> set[str]:
        """The files with a part file: downloads begun and not finished."""
        if not self.partial_dir.is_dir():
            return set()
        return {
            path.stem
            for path in self.partial_dir.glob("*.part")
            if path.is_file() and _SHA256.fullmatch(path.stem)
        }

    def remove_partials(self, hashes: Iterable[str]) -> int:
        """Delete the part files of these files, if there: their content is no longer for
        this user's eyes, however long ago the download stopped."""
        removed = 0
        for sha in hashes:
            part = self._part_path(sha)
            if part.is_file():
                removed += self._unlink(part)
        return removed

    def _remove_stale_parts(self) -> int:
        removed = 0
        cutoff = time.time() - _STALE_PART_S
        for path in self.partial_dir.glob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                removed += self._unlink(path)
        return removed

    def _part_path(self, sha: str) -> Path:
        return self.partial_dir / f"{check_sha(sha)}.part"

    def _append(
        self,
        part: Path,
        offset: int,
        chunks: Chunks,
        hasher: _Hasher,
        expected_size: int | None,
        on_bytes: Callable[[int], None] | None,
    ) -> int:
        written = offset
        transferred = 0
        with _local_io("write to", part):
            out = part.open("ab")
        with out, as_context(chunks) as stream:
            for chunk in stream:
                if expected_size is not None and written + len(chunk) > expected_size:
                    # A stream longer than announced cannot verify; stop before filling the disk.
                    self._discard(part)
                    got = tr("more than {size} bytes", size=format_number(expected_size))
                    raise self._mismatch(part.stem, got)
                with _local_io("write to", part):
                    out.write(chunk)
                hasher.update(chunk)
                written += len(chunk)
                transferred += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        if expected_size is not None and written < expected_size:
            # Kept on disk: the next download resumes from here.
            raise DownloadIncomplete(
                tr(
                    "The download of file {file}… stopped after {written} of {size} bytes."
                    " Sync again to resume it.",
                    file=part.stem[:12],
                    written=format_number(written),
                    size=format_number(expected_size),
                )
            )
        return transferred

    def _verify(self, sha: str, part: Path, actual: str) -> None:
        if actual != sha:
            self._discard(part)
            raise self._mismatch(sha, f"SHA-256 {actual[:12]}…")

    def _install(self, source: Path, target: Path) -> None:
        with _local_io("store", target):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        _fsync_dir(target.parent)

    def _discard(self, part: Path) -> None:
        with _local_io("delete", part):
            part.unlink(missing_ok=True)

    def _unlink(self, path: Path) -> int:
        self._discard(path)
        return 1

    @staticmethod
    def _rmdir_if_empty(folder: Path) -> None:
        with suppress(OSError):  # not empty, or gone already
            folder.rmdir()

    @staticmethod
    def _mismatch(sha: str, got: str) -> HashMismatch:
        return HashMismatch(
            tr(
                "The downloaded file {file}… did not match its checksum (got {got}) and was"
                " discarded. Sync again to download it afresh; if this repeats, tell your"
                " administrator.",
                file=sha[:12],
                got=got,
            )
        )

    @staticmethod
    def _missing(sha: str) -> MissingFile:
        return MissingFile(
            f"File {sha[:12]}… is not in the local file store yet. Sync to download it.",
        )
