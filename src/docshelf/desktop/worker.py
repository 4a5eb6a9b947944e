"""Work off the GUI thread: the sync thread, and a queue for cache reads and edits.

The GUI thread never waits for the network or the disk. Two threads do that:

- :class:`SyncRunner` is the app's one sync thread. It runs the daemon's loop (the same
  scheduling rules, sleep and network-return detection as ``docshelf daemon``) and the
  manual syncs the user asks for, one after the other.
- :class:`Tasks` runs reads of the local copy, edits (outbox writes) and file copies, one
  at a time, and hands each result back to the GUI thread through a Qt signal.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from docshelf.client import Client, Daemon, NotSignedIn, Status, SyncResult
from docshelf.domain.settings import CLIENT_SYNC_MAX_DELAY_AFTER_START

log = logging.getLogger("docshelf.desktop")


class AppDaemon(Daemon):
    """The daemon's loop, plus taking the settings a manual sync brought at once."""

    after_sync: Callable[[SyncResult | None], None] | None = None

    def _sync(self) -> None:
        super()._sync()
        if self.after_sync is not None:
            self.after_sync(None)

    def take_settings(self, sync_ok: bool = True) -> None:
        settings = self.client.settings()
        with self._plan:
            self.scheduler.update_settings(
                self.interval_ms(settings), settings[CLIENT_SYNC_MAX_DELAY_AFTER_START]
            )
        self._publish_next()
        self.settings_changed(sync_ok)


class SyncRunner:
    """The one thread that syncs: on the schedule, and at once when asked.

    A manual sync leaves the schedule as it was (the scheduler is told nothing about it)
    except for the settings it brought. Requests made while a sync runs are folded into
    one further sync after it, so a change made meanwhile still goes up.

    Signed out, the thread only waits: the schedule starts afresh after the next sign-in,
    with the settings and cache of whoever signed in.
    """

    def __init__(
        self,
        client: Client,
        *,
        scheduled: bool = True,
        on_finished: Callable[[SyncResult | None], None] | None = None,
    ) -> None:
        self.client = client
        self.daemon = AppDaemon(client)
        self.daemon.after_sync = on_finished
        self._on_finished = on_finished
        self._scheduled = scheduled
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._manual = threading.Event()
        # A change hint wakes this thread like a request does; the daemon plans the sync.
        self.daemon.wake = self._wake
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.running_manual = False

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="docshelf-sync", daemon=True)
        self._thread.start()

    def request_sync(self) -> None:
        self._manual.set()
        self._wake.set()

    def run_between_syncs(self, job: Callable[[], None]) -> None:
        """Run ``job`` on this thread before the next sync: signing out here can never
        meet a sync of the same account half-way (its token revoked mid-sync)."""
        self._jobs.put(job)
        self._wake.set()
        self.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self.daemon.stop()
        if self._thread is not None:
            # A sync in flight ends at its next request; the thread is a daemon thread,
            # so a server that hangs cannot keep the app from quitting.
            self._thread.join(timeout)

    def _loop(self) -> None:
        planned = False
        while not self._stop.is_set():
            self._run_jobs()
            if self._manual.is_set():
                self._manual.clear()
                self._manual_sync()
                continue
            signed_in = self.client.config is not None
            if not signed_in:
                planned = False
            elif self._scheduled and not planned:
                # After a first sync asked for before start, not before: the plan then
                # sees a filled cache and spreads the next sync like any later start.
                self.daemon.start()
                planned = True
            wait = self._step() if self._scheduled and signed_in else 3600.0
            self._wake.wait(wait)
            self._wake.clear()

    def _run_jobs(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            job()

    def _step(self) -> float:
        try:
            return self.daemon.step()
        except NotSignedIn as exc:
            # The saved token went missing (e.g. a keyring emptied): wait for a sign-in
            # instead of letting the thread die.
            log.warning(
                "scheduled sync refused", extra={"event": "sync_refused", "error": str(exc)}
            )
            return 3600.0

    def _manual_sync(self) -> None:
        self.running_manual = True
        result: SyncResult | None = None
        try:
            result = self.client.sync(wait=True)
        except NotSignedIn as exc:
            log.warning("manual sync refused", extra={"event": "sync_refused", "error": str(exc)})
        except Exception:
            # The thread must survive anything: the status already says what went wrong
            # for errors the engine knows; the rest goes to the log.
            log.exception("manual sync crashed", extra={"event": "sync_crashed"})
        finally:
            self.running_manual = False
        if self._scheduled and self.daemon.scheduler.planned_at() is not None:
            self.daemon.take_settings(result is not None and result.status == "ok")
        if self._on_finished is not None:
            self._on_finished(result)


class StatusBridge(QObject):
    """Carries every status the engine publishes (on whatever thread) to the GUI thread."""

    changed = Signal(object)

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.status: Status = client.status()
        self._unsubscribe = client.board.subscribe(self.changed.emit)
        self.changed.connect(self._keep)

    def _keep(self, status: Status) -> None:
        self.status = status

    def close(self) -> None:
        self._unsubscribe()


class Tasks(QObject):
    """Runs callables on one worker thread; results come back on the GUI thread."""

    _finished = Signal(object)

    def __init__(self, on_error: Callable[[Exception], None] | None = None) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docshelf-tasks")
        self._finished.connect(self._deliver)
        self.pending = 0
        self.on_error = on_error
        self._closed = False

    def run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if self._closed:
            # A sync the schedule or a change hint started can end after the app shut
            # down; what it would have shown has nobody to show it to.
            log.debug("task after shutdown dropped", extra={"event": "task_dropped"})
            return
        self._pool.submit(self.job(work, on_done, on_error))

    def job(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> Callable[[], None]:
        """``work`` wrapped to run on any thread and report back here like :meth:`run`
        (counted in :attr:`pending` from now on)."""
        self.pending += 1

        def job() -> None:
            try:
                outcome: tuple[Any, ...] = (on_done, work(), None)
            except Exception as exc:
                if not hasattr(exc, "title"):
                    log.exception("task failed", extra={"event": "task_failed"})
                outcome = (on_error or self.on_error, None, exc)
            self._finished.emit(outcome)

        return job

    def _deliver(self, outcome: tuple[Any, ...]) -> None:
        self.pending -= 1
        callback, result, error = outcome
        if callback is None:
            return
        callback(error if error is not None else result)

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True)


def close_client(client: Client) -> None:
    """Close the client once its threads are done with it (every write is committed)."""
    client.close()
