"""One sync per home, across processes; a killed holder never blocks the next sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import docshelf
from docshelf.client.errors import SyncBusy
from docshelf.client.lock import SyncLock

# Holds the lock until a line arrives on stdin, then waits `delay` seconds and releases.
HOLDER = """
import sys, time
from pathlib import Path
from docshelf.client.lock import SyncLock

lock = SyncLock(Path(sys.argv[1]), what=sys.argv[2])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
time.sleep(float(sys.argv[3]))
lock.release()
"""
SRC = str(Path(docshelf.__file__).resolve().parents[1])


class Holder:
    def __init__(self, lock_file: Path, what: str, delay: float = 0.0) -> None:
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(lock_file), what, str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    @property
    def pid(self) -> int:
        return self.process.pid

    def let_go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return tmp_path / "sync.lock"


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.stop()


def hold(holders: list[Holder], lock_file: Path, what: str, delay: float = 0.0) -> Holder:
    holder = Holder(lock_file, what, delay)
    holders.append(holder)
    return holder


def test_a_held_lock_cannot_be_taken_and_names_its_holder(
    lock_file: Path, holders: list[Holder]
) -> None:
    other = hold(holders, lock_file, "docshelf daemon")
    lock = SyncLock(lock_file)
    assert not lock.try_acquire()
    assert lock.holder() == f"pid {other.pid}, docshelf daemon"
    with pytest.raises(SyncBusy, match=f"pid {other.pid}, docshelf daemon") as raised:
        lock.acquire(wait=False)
    assert raised.value.title == "Sync already running"

    other.let_go()
    other.process.wait(timeout=10)
    assert lock.try_acquire()
    lock.release()


def test_waiting_blocks_until_the_holder_finishes(lock_file: Path, holders: list[Holder]) -> None:
    other = hold(holders, lock_file, "docshelf daemon", delay=0.5)
    told: list[str] = []
    released_at: list[float] = []

    def on_wait(message: str) -> None:
        told.append(message)
        released_at.append(time.monotonic() + 0.5)
        other.let_go()

    lock = SyncLock(lock_file, what="docshelf sync")
    lock.acquire(wait=True, on_wait=on_wait)
    try:
        assert time.monotonic() >= released_at[0] - 0.05  # it really waited
        assert told == [
            f"Another sync is running (pid {other.pid}, docshelf daemon); waiting for it to finish…"
        ]
        assert lock.holder() == f"pid {os.getpid()}, docshelf sync"
    finally:
        lock.release()


def test_a_killed_holder_frees_the_lock(lock_file: Path, holders: list[Holder]) -> None:
    other = hold(holders, lock_file, "docshelf sync")
    lock = SyncLock(lock_file)
    assert not lock.try_acquire()

    os.kill(other.pid, signal.SIGKILL)
    other.process.wait(timeout=10)
    # Its pid is still written in the file, but nobody holds the lock.
    assert str(other.pid) in lock_file.read_text()
    assert lock.holder() is None
    assert lock.try_acquire()
    lock.release()


def test_two_locks_in_one_process_exclude_each_other(lock_file: Path) -> None:
    first, second = SyncLock(lock_file), SyncLock(lock_file)
    with first:
        assert first.held
        assert not second.try_acquire()
        with pytest.raises(SyncBusy, match=f"pid {os.getpid()}"):
            second.acquire()
    assert not first.held
    assert second.try_acquire()
    second.release()


def test_holder_is_none_when_free_or_never_used(lock_file: Path) -> None:
    lock = SyncLock(lock_file)
    assert lock.holder() is None
    with lock:
        pass
    assert lock.holder() is None
    assert lock_file.read_text() == ""


def test_acquire_when_already_held_is_harmless(lock_file: Path) -> None:
    lock = SyncLock(lock_file)
    lock.acquire()
    lock.acquire()
    assert lock.try_acquire()
    lock.release()
    lock.release()
    assert not lock.held
