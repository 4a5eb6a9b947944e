"""Noticing that the machine woke up or the network came back, so a sync follows soon.

Both only *ask* for a sync: the app hands the request to the sync thread like a click on
"Synchronisieren", which leaves the schedule alone. The arithmetic is a pure function;
the watcher around it is a Qt timer plus Qt's network information, where the platform
has a backend for it (without one, only the wake detection works).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation

log = logging.getLogger("docshelf.desktop")

TICK_S = 10.0
# How much later than planned a tick may come before it counts as a wake. Generous:
# a busy machine delays timers by a second or two, never by a minute.
WAKE_SLACK_S = 60.0


def woke_up(previous_wall: float, now_wall: float, interval_s: float, slack_s: float) -> bool:
    """Did the wall clock move much further between two timer ticks than the timer waits?

    A timer counts on a clock that stops while the machine sleeps; the wall clock does
    not. A tick that finds the wall clock far ahead therefore follows a sleep. A wall
    clock set back is no wake.
    """
    return now_wall - previous_wall > interval_s + slack_s


class WakeWatch(QObject):
    """Emits :attr:`sync_wanted` after a wake or when the network becomes reachable."""

    sync_wanted = Signal(str)  # why: "wake" or "network"

    def __init__(
        self,
        *,
        interval_s: float = TICK_S,
        slack_s: float = WAKE_SLACK_S,
        wall: Callable[[], float] = time.time,
        network: bool = True,
    ) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.slack_s = slack_s
        self._wall = wall
        self._last = wall()
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.tick)
        self.network: QNetworkInformation | None = None
        self._reachable: QNetworkInformation.Reachability | None = None
        if network:
            self._watch_network()

    def start(self) -> None:
        self._last = self._wall()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        now = self._wall()
        previous, self._last = self._last, now
        if woke_up(previous, now, self.interval_s, self.slack_s):
            log.info("machine woke up", extra={"event": "wake", "gap_s": round(now - previous)})
            self.sync_wanted.emit("wake")

    def _watch_network(self) -> None:
        try:
            loaded = QNetworkInformation.loadBackendByFeatures(
                QNetworkInformation.Feature.Reachability
            )
        except (AttributeError, RuntimeError):
            loaded = False
        info = QNetworkInformation.instance() if loaded else None
        if info is None:
            # No backend on this platform or session (no NetworkManager, say): the wake
            # timer and the schedule's retries are all there is.
            log.info("no network information backend", extra={"event": "network_watch"})
            return
        self.network = info
        self._reachable = info.reachability()
        info.reachabilityChanged.connect(self.reachability_changed)

    def reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        previous, self._reachable = self._reachable, reachability
        kinds = QNetworkInformation.Reachability
        # From "unknown" is a backend finding its feet at start, not a network returning.
        if reachability == kinds.Online and previous not in (kinds.Online, kinds.Unknown, None):
            log.info("network back", extra={"event": "network_back"})
            self.sync_wanted.emit("network")
