"""One sync at a time per home (architecture property 9), across processes.

``flock`` on the home's lock file: the kernel drops the lock when its holder exits,
however it exits (crash, SIGKILL, power-off of the process), so a dead sync never
blocks the next one and there is no stale-lock heuristic. The holder writes its pid
and what it is ("docshelf daemon") into the file so others can say who they wait for.

The lock file is never deleted: a process that had opened it before the deletion
would lock an orphaned inode while a newcomer locks a fresh one, and both would run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from docshelf.client.errors import LocalStoreError, SyncBusy
from docshelf.i18n import tr

__all__ = ["SyncLock"]


class SyncLock:
    def __init__(self, path: Path, what: str = "docshelf sync") -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True if this object holds it now."""
        if self._fd is not None:
            return True
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._taken(fd)
        return True

    def acquire(self, wait: bool = False, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock; if busy, block until free (``wait``) or raise :class:`SyncBusy`."""
        if self.try_acquire():
            return
        holder = self.holder() or tr("holder unknown")
        if not wait:
            raise SyncBusy(
                tr(
                    "Another sync is running ({holder}). Wait for it to finish, or stop that"
                    " process, and try again.",
                    holder=holder,
                )
            )
        if on_wait is not None:
            on_wait(
                tr("Another sync is running ({holder}); waiting for it to finish…", holder=holder)
            )
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            # Ctrl-C while waiting must not leak the descriptor.
            os.close(fd)
            raise
        self._taken(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the last descriptor drops the flock

    def holder(self) -> str | None:
        """Who holds the lock ("pid 123, docshelf daemon"), or None when it is free."""
        if self._fd is not None:
            return _describe(os.getpid(), self.what)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return _probe(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> SyncLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _open(self) -> int:
        try:
            # Not O_TRUNC: the file holds the current holder's name until we own the lock.
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LocalStoreError(
                tr(
                    "Could not open the lock {path}: {reason}. Check that the docshelf folder"
                    " exists and belongs to you.",
                    path=self.path,
                    reason=exc.strerror or exc,
                )
            ) from exc

    def _taken(self, fd: int) -> None:
        self._fd = fd
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {self.what}\n".encode(), 0)


def _probe(fd: int) -> str | None:
    # A shared lock succeeds only if nobody holds the exclusive one; the file's text
    # alone could be left over from a holder that was killed.
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _parse(os.pread(fd, 4096, 0).decode(errors="replace"))
    fcntl.flock(fd, fcntl.LOCK_UN)
    return None


def _parse(text: str) -> str:
    pid, _, what = text.strip().partition(" ")
    if not pid.isdigit():
        return tr("holder unknown")  # it has the lock but not yet written its name
    return _describe(int(pid), what or tr("unknown program"))


def _describe(pid: int, what: str) -> str:
    return tr("pid {pid}, {program}", pid=pid, program=what)
