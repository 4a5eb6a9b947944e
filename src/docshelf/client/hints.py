"""The change-hint stream, held open by one thread of a running daemon or desktop app.

The server tells a held stream that something this client may see changed (not what);
the :class:`~docshelf.client.scheduler.Scheduler` then plans a sync within the hint's
window. Hints are best effort: the interval sync stays the safety net, so every failure
here only means "reconnect later", and the listener never syncs by itself.

One attempt at a time: connect with the local copy's cursor, read events until the
stream ends, then wait — a full-jitter backoff after failures, random(0, reconnect_ms)
after the server's ``bye``, an hour for a server without hints, and until the next sync
when hints are off or the device was signed out (:meth:`HintListener.sync_done`).
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from docshelf.client.app import Client
from docshelf.client.errors import (
    HintsOff,
    HintsUnsupported,
    NotSignedIn,
    ServerBusy,
    SignedOut,
)
from docshelf.client.remote import HintStream
from docshelf.client.scheduler import RandomSource, bye_delay, hint_backoff_delay
from docshelf.client.sse import Event
from docshelf.client.status import HintState
from docshelf.domain.errors import DocshelfError
from docshelf.domain.settings import CLIENT_HINT_MAX_DELAY, CLIENT_HINTS_ENABLED

__all__ = ["DEFAULT_HEARTBEAT_S", "UNSUPPORTED_RETRY_S", "HintListener", "HintState"]

log = logging.getLogger("docshelf.client.hints")

# Until the server's ``ready`` says otherwise (the server's default).
DEFAULT_HEARTBEAT_S = 20.0
# A stream is dead after this many heartbeats without a byte.
HEARTBEATS_BEFORE_DEAD = 3
# An older server without the endpoint: asking again sooner would only cost it a 404.
UNSUPPORTED_RETRY_S = 3600.0

# What the listener tells its owner: a hint with its window in ms.
OnHint = Callable[[float], None]
# "Wait until poked": until a sync, a wake or stop says something changed.
FOREVER = math.inf


class HintListener:
    """Holds the hint stream on its own thread; :meth:`stop` ends it from any thread."""

    def __init__(
        self,
        client: Client,
        on_hint: OnHint,
        *,
        rnd: RandomSource | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._on_hint = on_hint
        self._rnd: RandomSource = rnd if rnd is not None else random.Random()
        self._clock = clock
        self._stop = threading.Event()
        # Set to end a wait early (settings changed, wake, network back, stop).
        self._poke = threading.Event()
        self._lock = threading.Lock()
        self._stream: HintStream | None = None
        self._closed_on_purpose = False
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._heartbeat_s = DEFAULT_HEARTBEAT_S
        # Signed out or hints off: no attempt until a sync has succeeded again.
        self._wait_for_sync = False
        self._unsupported_until = -1.0
        self.state = HintState.OFF
        self.attempts = 0  # connections tried, for tests and logs

    # --- the owner's side -----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            self._poke.set()  # started again (a new sign-in): try at once
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="docshelf-hints", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread: a blocked read ends at once (the stream is closed under it)."""
        self._stop.set()
        self._poke.set()
        self._close_stream()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        self._set_state(HintState.OFF)

    @property
    def waiting_for_sync(self) -> bool:
        """Signed out or hints off: the next successful sync lets it try again."""
        return self._wait_for_sync

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def sync_done(self, ok: bool) -> None:
        """A sync finished: its settings may have turned hints on or off, and a success
        shows that the device is signed in again."""
        if ok:
            self._wait_for_sync = False
        if not self.client.settings()[CLIENT_HINTS_ENABLED]:
            self._close_stream()
        self._poke.set()

    def reconnect_now(self) -> None:
        """The machine woke or the network returned: a held stream is probably dead
        without knowing it yet, and a waiting one should not wait out its backoff."""
        self._failures = 0
        self._close_stream()
        self._poke.set()

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poke.clear()
            try:
                wait = self._attempt()
            except Exception:
                # The thread must survive anything: hints are an optimisation.
                log.exception("hint listener failed", extra={"event": "hints_crashed"})
                self._failures += 1
                wait = hint_backoff_delay(self._failures, self._rnd)
            if self._stop.is_set():
                break
            self._poke.wait(None if wait == FOREVER else wait)

    def _not_now(self) -> float | None:
        """Why no connection is tried now, as the wait before the next look; None: try."""
        if not self.client.settings()[CLIENT_HINTS_ENABLED] or self._wait_for_sync:
            self._set_state(HintState.OFF)
            return FOREVER
        if self.client.cursor() is None:
            # Before the first sync every change is news: a stream would only hint at once
            # and bring a second, needless full sync. The first sync's end pokes this.
            self._set_state(HintState.CONNECTING)
            return FOREVER
        left = self._unsupported_until - self._clock()
        if left > 0:
            self._set_state(HintState.UNSUPPORTED)
            return left
        return None

    def _attempt(self) -> float:
        """One connection; how long to wait before the next (FOREVER: until poked)."""
        wait = self._not_now()
        if wait is not None:
            return wait
        try:
            remote = self.client.open_remote()
        except NotSignedIn:
            self._set_state(HintState.OFF)
            return FOREVER
        if self.state is not HintState.CONNECTED:
            self._set_state(HintState.CONNECTING)
        self.attempts += 1
        try:
            return self._listen(remote.hints(self.client.cursor(), self._read_timeout()))
        except SignedOut:
            return self._until_sync("signed out")
        except HintsOff:
            return self._until_sync("turned off by the server")
        except HintsUnsupported:
            log.info("server sends no change hints", extra={"event": "hints_unsupported"})
            self._unsupported_until = self._clock() + UNSUPPORTED_RETRY_S
            self._set_state(HintState.UNSUPPORTED)
            return UNSUPPORTED_RETRY_S
        except ServerBusy as exc:
            # As told, plus jitter: a fleet told the same Retry-After must not return at once.
            return exc.retry_after + self._failed(exc)
        except DocshelfError as exc:
            return self._failed(exc)
        finally:
            remote.close()

    def _listen(self, opening: AbstractContextManager[HintStream]) -> float:
        with opening as stream:
            with self._lock:
                self._stream, self._closed_on_purpose = stream, False
            if self._stop.is_set():
                stream.close()
            try:
                for event in stream.events():
                    wait = self._handle(event)
                    if wait is not None:
                        return wait
            finally:
                with self._lock:
                    self._stream = None
        if self._stop.is_set() or self._closed_on_purpose:
            return 0.0  # closed on purpose: stop, or reconnect at once / re-read settings
        # Ended without a bye: a proxy cut it, or the server died.
        self._failures += 1
        self._set_state(HintState.CONNECTING)
        return hint_backoff_delay(self._failures, self._rnd)

    def _handle(self, event: Event) -> float | None:
        data = event.data
        if event.event == "ready":
            self._failures = 0
            heartbeat = _number(data.get("heartbeat_s"), DEFAULT_HEARTBEAT_S)
            self._heartbeat_s = min(max(heartbeat, 1.0), 3600.0)
            self._set_state(HintState.CONNECTED)
        elif event.event == "hint":
            default = self.client.settings()[CLIENT_HINT_MAX_DELAY]
            max_delay_ms = max(0.0, _number(data.get("max_delay_ms"), default))
            self.client.board.update(last_hint_at=datetime.now().astimezone())
            log.info("change hint", extra={"event": "hint", "seq": data.get("seq")})
            self._on_hint(max_delay_ms)
        elif event.event == "bye":
            reason = str(data.get("reason", ""))
            log.info("hint stream ended", extra={"event": "hints_bye", "reason": reason})
            if reason == "off":
                # Sync once soon to learn the settings; reconnect only if they say so.
                self._on_hint(float(self.client.settings()[CLIENT_HINT_MAX_DELAY]))
                return self._until_sync("turned off by the server")
            # Still "connected": a planned reconnect, not worth a status change each time.
            return bye_delay(max(0.0, _number(data.get("reconnect_ms"), 1000.0)), self._rnd)
        # Unknown events are for newer clients.
        return None

    def _until_sync(self, why: str) -> float:
        log.info("change hints off: %s", why, extra={"event": "hints_off"})
        self._wait_for_sync = True
        self._set_state(HintState.OFF)
        return FOREVER

    def _failed(self, exc: DocshelfError) -> float:
        self._failures += 1
        log.info("hint stream failed", extra={"event": "hints_failed", "error": exc.message})
        self._set_state(HintState.CONNECTING)
        return hint_backoff_delay(self._failures, self._rnd)

    def _read_timeout(self) -> float:
        return HEARTBEATS_BEFORE_DEAD * self._heartbeat_s

    def _close_stream(self) -> None:
        with self._lock:
            stream = self._stream
            self._closed_on_purpose = stream is not None
        if stream is not None:
            stream.close()

    def _set_state(self, state: HintState) -> None:
        if state is self.state:
            return
        self.state = state
        log.info("change hints %s", state.value, extra={"event": "hints_state"})
        # Only state changes reach the file at once; hints themselves ride along.
        self.client.board.update(hints=state.value, hints_pid=os.getpid(), force_write=True)


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return float(default)
    return float(value)
