"""``docshelf daemon``: sync on the schedule users know until told to stop.

The loop is small on purpose: the :class:`Scheduler` decides *when*, the
:class:`Client` does the sync. The loop wakes at least every few seconds to notice
that the machine slept (the wall clock jumped) and, while offline, whether the
server answers again — both make a sync happen soon instead of at the next interval.
A :class:`HintListener` thread holds the server's change-hint stream; a hint plans a
sync through the scheduler and wakes the loop at once (:attr:`Daemon.wake`).
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from docshelf.client.app import Client
from docshelf.client.hints import HintListener
from docshelf.client.lock import SyncLock
from docshelf.client.scheduler import Scheduler, SleepDetector
from docshelf.client.status import SyncState
from docshelf.domain.settings import CLIENT_SYNC_INTERVAL, CLIENT_SYNC_MAX_DELAY_AFTER_START

log = logging.getLogger("docshelf.client.daemon")
TICK_S = 5.0
PROBE_EVERY_S = 15.0
# For tests: ClientSyncInterval is at least a minute, and a test of the interval should not
# wait one. A factor in (0, 1] the interval is multiplied with; anything else counts as 1.
INTERVAL_SCALE_ENV = "DOCSHELF_SYNC_INTERVAL_SCALE"


def interval_scale() -> float:
    """The factor from $DOCSHELF_SYNC_INTERVAL_SCALE (1 when unset or not in (0, 1])."""
    try:
        scale = float(os.environ.get(INTERVAL_SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return scale if math.isfinite(scale) and 0 < scale <= 1 else 1.0


def server_answers(url: str) -> bool:
    """Is the server reachable again? A cheap, unauthenticated health check."""
    try:
        return httpx.get(f"{url}/healthz", timeout=3.0).status_code == 200
    except httpx.HTTPError:
        return False


class Daemon:
    def __init__(
        self,
        client: Client,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        rnd: random.Random | None = None,
        probe: Callable[[str], bool] = server_answers,
        wake: threading.Event | None = None,
        hints: bool = True,
    ) -> None:
        self.client = client
        self.scheduler = Scheduler(clock=clock, rnd=rnd or random.Random())
        # The scheduler is not thread-safe; the hint listener's thread plans syncs too.
        self._plan = threading.RLock()
        # Set when a hint planned a sync: whoever runs the loop waits on it.
        self.wake = wake or threading.Event()
        self.listener: HintListener | None = HintListener(client, self.hint) if hints else None
        self._clock = clock
        self._wall = wall
        self._probe = probe
        self._sleep = SleepDetector()
        self._last_probe = 0.0
        self._interval_scale = interval_scale()
        self.syncs = 0
        # Held while this daemon plans syncs: others tell from it that the next sync in
        # the status will happen (the kernel drops it however the process ends).
        self.planning = SyncLock(client.home.daemon_lock_file, what="docshelf daemon")

    def start(self) -> None:
        # Another daemon of this home may hold it: both plan, the sync lock keeps their
        # syncs apart, and the status names a next sync either way.
        self.planning.try_acquire()
        settings = self.client.settings()
        with self._plan:
            self.scheduler.start(
                cache_empty=not self.client.has_cache(),
                interval_ms=self.interval_ms(settings),
                max_delay_ms=settings[CLIENT_SYNC_MAX_DELAY_AFTER_START],
            )
        self._publish_next()
        if self.listener is not None:
            self.listener.start()

    def stop(self) -> None:
        """End the hint listener (its held stream too); the loop's owner ends the loop."""
        if self.listener is not None:
            self.listener.stop()
        if self.planning.held:
            self.planning.release()
            self.client.board.update(next_sync=None, force_write=True)
        self.wake.set()

    def hint(self, max_delay_ms: float) -> None:
        """The server hinted at a change (called on the listener's thread)."""
        with self._plan:
            moved = self.scheduler.on_hint(max_delay_ms)
        if moved:
            self._publish_next()
            self.wake.set()

    def step(self) -> float:
        """Run a sync if one is due; returns how long to wait before the next step."""
        if self._sleep.feed(self._clock(), self._wall()):
            log.info("machine woke up", extra={"event": "wake"})
            with self._plan:
                self.scheduler.on_wake()
            if self.listener is not None:
                self.listener.reconnect_now()
        self._probe_if_offline()
        with self._plan:
            due = self.scheduler.due_in()
        if due is not None and due <= 0:
            self._sync()
            with self._plan:
                due = self.scheduler.due_in()
        return TICK_S if due is None else max(0.05, min(due, TICK_S))

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; set :attr:`wake` with it to end the wait at once."""
        self.start()
        try:
            while not stop.is_set():
                wait = self.step()
                if not stop.is_set():
                    self.wake.wait(wait)
                self.wake.clear()
        finally:
            self.stop()

    def _sync(self) -> None:
        with self._plan:
            self.scheduler.on_sync_started()
        result = self.client.sync(wait=True)
        self.syncs += 1
        settings = self.client.settings()
        with self._plan:
            if result.status == "ok":
                self.scheduler.on_success()
            else:
                self.scheduler.on_failure(result.retry_after)
            self.scheduler.update_settings(
                self.interval_ms(settings), settings[CLIENT_SYNC_MAX_DELAY_AFTER_START]
            )
        self._publish_next()
        self.settings_changed(result.status == "ok")

    def interval_ms(self, settings: dict[str, int]) -> float:
        """ClientSyncInterval as this daemon plans with it (see INTERVAL_SCALE_ENV)."""
        return settings[CLIENT_SYNC_INTERVAL] * self._interval_scale

    def settings_changed(self, sync_ok: bool) -> None:
        """A sync (scheduled or manual) finished: the listener re-reads the settings."""
        if self.listener is not None and self.listener.running:
            self.listener.sync_done(sync_ok)

    def _probe_if_offline(self) -> None:
        config = self.client.config
        if config is None or self.client.status().state is not SyncState.OFFLINE:
            return
        now = self._clock()
        if now - self._last_probe < PROBE_EVERY_S:
            return
        self._last_probe = now
        if self._probe(config.server_url):
            log.info("server reachable again", extra={"event": "network_back"})
            with self._plan:
                self.scheduler.on_network_back()
            self._publish_next()
            if self.listener is not None:
                self.listener.reconnect_now()

    def _publish_next(self) -> None:
        with self._plan:
            due = self.scheduler.due_in()
        next_sync = None
        if due is not None:
            next_sync = datetime.now().astimezone() + timedelta(seconds=due)
        self.client.board.update(next_sync=next_sync, force_write=True)
