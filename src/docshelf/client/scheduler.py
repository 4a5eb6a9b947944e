"""When the client syncs next: pure scheduling logic (architecture property 9).

No I/O, no threads, no sleeping. The caller owns the loop: it asks
:meth:`Scheduler.due_in`, waits that long (or until an event), runs the sync and
reports the outcome. Time comes from an injected monotonic clock, chance from an
injected random source, so tests replay any schedule exactly.

The arithmetic lives in small functions (:func:`interval_wait`, :func:`start_delay`,
:func:`backoff_delay`, :func:`soon_delay`); the :class:`Scheduler` only keeps the plan.
Each of those functions draws exactly one number from ``rnd``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from enum import Enum

__all__ = [
    "BACKOFF_BASE_S",
    "HINT_BACKOFF_BASE_S",
    "HINT_BACKOFF_CEILING_S",
    "INTERVAL_JITTER",
    "RETRY_AFTER_CEILING_S",
    "SOON_MAX_S",
    "SOON_MIN_S",
    "RandomSource",
    "Scheduler",
    "SleepDetector",
    "backoff_delay",
    "bye_delay",
    "hint_backoff_delay",
    "interval_wait",
    "soon_delay",
    "start_delay",
]

# A seeded random.Random in tests, or any callable returning a float in [0, 1).
RandomSource = random.Random | Callable[[], float]

# Each wait is shortened by up to this fraction so that clients started together drift
# apart instead of polling the server in step (the documented "minus 0-10 %").
INTERVAL_JITTER = 0.10
# First retry window after a failure; doubles with each further failure.
BACKOFF_BASE_S = 30.0
# A Retry-After beyond the longest allowed ClientSyncInterval (24 h) is more likely a
# garbled header than an instruction; honouring it would silence the client for good.
RETRY_AFTER_CEILING_S = 24 * 3600.0
# After wake or network return: not instantly, because network-up events tend to fire
# before DNS or a VPN is ready, and spread so an office whose Wi-Fi returns doesn't
# arrive in the same second.
SOON_MIN_S = 1.0
SOON_MAX_S = 5.0
# Reconnecting the change-hint stream after a failure: 1 s, 2 s, 4 s, … up to 5 minutes.
HINT_BACKOFF_BASE_S = 1.0
HINT_BACKOFF_CEILING_S = 300.0
# 2**32 windows of 30 s are far beyond any interval cap; stops the power from overflowing.
_MAX_DOUBLINGS = 32


def _draw(rnd: RandomSource) -> float:
    u = rnd.random() if isinstance(rnd, random.Random) else rnd()
    if not 0.0 <= u < 1.0:
        raise ValueError(f"random source must return a float in [0, 1), got {u!r}")
    return u


def _check_interval(interval_ms: float) -> None:
    # A zero interval would make the caller sync in a tight loop.
    if not (math.isfinite(interval_ms) and interval_ms > 0):
        raise ValueError(f"sync interval must be a positive number of ms, got {interval_ms!r}")


def _check_max_delay(max_delay_ms: float) -> None:
    if not (math.isfinite(max_delay_ms) and max_delay_ms >= 0):
        raise ValueError(f"start delay must be a non-negative number of ms, got {max_delay_ms!r}")


# The _at variants take the drawn number instead of a source, so that the Scheduler can
# recompute a wait with the same chance when settings change (see update_settings).


def _interval_wait_at(interval_ms: float, u: float) -> float:
    return interval_ms / 1000.0 * (1.0 - INTERVAL_JITTER * u)


def _start_delay_at(max_delay_ms: float, cache_empty: bool, u: float) -> float:
    # An empty cache means the user cannot work until the first sync: no delay then.
    return 0.0 if cache_empty else max_delay_ms / 1000.0 * u


def _backoff_delay_at(
    failures: int, interval_ms: float, u: float, retry_after_s: float | None
) -> float:
    window = min(BACKOFF_BASE_S * 2.0 ** min(failures - 1, _MAX_DOUBLINGS), interval_ms / 1000.0)
    # Equal jitter: wait between half the window and the whole window. Full jitter
    # (0..window) spreads a fleet a little better but may retry a failing server almost
    # at once; equal jitter keeps a guaranteed pause that still doubles with each failure
    # while spreading clients over the upper half of the window.
    delay = window / 2.0 + window / 2.0 * u
    return max(delay, _clean_retry_after(retry_after_s))


def _clean_retry_after(retry_after_s: float | None) -> float:
    # Negative or non-numeric values say nothing usable; ignore them.
    if retry_after_s is None or not math.isfinite(retry_after_s) or retry_after_s <= 0:
        return 0.0
    return min(retry_after_s, RETRY_AFTER_CEILING_S)


def interval_wait(interval_ms: float, rnd: RandomSource) -> float:
    """Seconds until the next regular sync: ``interval`` minus a random 0-10 %."""
    _check_interval(interval_ms)
    return _interval_wait_at(interval_ms, _draw(rnd))


def start_delay(max_delay_ms: float, cache_empty: bool, rnd: RandomSource) -> float:
    """Seconds before the first sync after start: 0 if the cache is empty, else 0..max."""
    _check_max_delay(max_delay_ms)
    return _start_delay_at(max_delay_ms, cache_empty, _draw(rnd))


def backoff_delay(
    failures: int, interval_ms: float, rnd: RandomSource, retry_after_s: float | None = None
) -> float:
    """Seconds before retrying after ``failures`` failed syncs in a row (1 = first failure).

    The window is 30 s, 60 s, 120 s, … capped at the interval; the wait is drawn from the
    upper half of it (equal jitter) and is never shorter than ``retry_after_s``.
    """
    if failures < 1:
        raise ValueError(f"backoff needs at least one failure, got {failures}")
    _check_interval(interval_ms)
    return _backoff_delay_at(failures, interval_ms, _draw(rnd), retry_after_s)


def soon_delay(rnd: RandomSource) -> float:
    """Seconds before the catch-up sync after wake or network return: 1-5 s."""
    return SOON_MIN_S + (SOON_MAX_S - SOON_MIN_S) * _draw(rnd)


def hint_backoff_delay(failures: int, rnd: RandomSource) -> float:
    """Seconds before reconnecting the hint stream after ``failures`` failed attempts in a
    row (0 = none yet): full jitter, 0..min(300 s, 1 s × 2^failures).

    Full jitter here, unlike the sync's equal jitter: a reconnect costs the server next to
    nothing, and after a server restart thousands of streams must not return in step.
    """
    if failures < 0:
        raise ValueError(f"failures cannot be negative, got {failures}")
    window = min(HINT_BACKOFF_CEILING_S, HINT_BACKOFF_BASE_S * 2.0 ** min(failures, _MAX_DOUBLINGS))
    return window * _draw(rnd)


def bye_delay(reconnect_ms: float, rnd: RandomSource) -> float:
    """Seconds before reconnecting after the server's ``bye``: 0..reconnect_ms."""
    _check_max_delay(reconnect_ms)
    return reconnect_ms / 1000.0 * _draw(rnd)


class _Kind(Enum):
    """Which rule produced the current plan, so a settings change can recompute it."""

    START = "start"
    INTERVAL = "interval"
    BACKOFF = "backoff"
    SOON = "soon"
    HINT = "hint"


class Scheduler:
    """The plan for the next *scheduled* sync, in seconds of the injected monotonic clock.

    The caller syncs when :meth:`due_in` returns 0 and then reports :meth:`on_success`
    or :meth:`on_failure`; until it does, the sync stays due (running one sync at a time
    is the engine's job, not the scheduler's). The next interval is measured from the
    report, so a slow sync never causes a second one straight after it.

    **Manual syncs ("Synchronisieren") have no method here on purpose.** A manual sync
    runs at once and leaves the schedule, the failure count and any pause exactly as they
    were, so the caller must *not* call ``on_success``/``on_failure`` for it. The only
    thing a manual sync passes on is the settings the server sent with it, through
    :meth:`update_settings`, which is a no-op when the values are unchanged.

    Settings are not range-checked against the server registry here (the protocol layer
    does that); only values that would break the arithmetic raise ``ValueError``.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        rnd: RandomSource | None = None,
    ) -> None:
        self._clock = clock
        self._rnd: RandomSource = rnd if rnd is not None else random.Random()
        self._interval_ms: float = 0.0
        self._max_delay_ms: float = 0.0
        self._cache_empty = False
        self._paused = False
        self._failures = 0
        self._retry_after_s: float | None = None
        # The plan: when, and how it was made (rule, start of the wait, number drawn).
        self._planned: float | None = None
        self._kind = _Kind.START
        self._anchor = 0.0
        self._u = 0.0
        # Retry-After turned into an absolute time: nothing may pull the sync before it.
        self._not_before = -math.inf
        # A scheduled sync is running (between on_sync_started and its report), and the
        # window of a hint that came meanwhile: it asks for one more sync after that one.
        self._running = False
        self._hint_during_sync: float | None = None

    # --- reading the plan -------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def failures(self) -> int:
        """Scheduled syncs that failed in a row since the last successful one."""
        return self._failures

    def planned_at(self) -> float | None:
        """The planned time even while paused (e.g. for "paused, next sync was …")."""
        return self._planned

    def next_due_at(self) -> float | None:
        """Clock time of the next scheduled sync; None before start and while paused."""
        return None if self._paused else self._planned

    def due_in(self) -> float | None:
        """Seconds until the next scheduled sync, 0 if due now; None before start/paused."""
        due_at = self.next_due_at()
        return None if due_at is None else max(0.0, due_at - self._clock())

    # --- events -----------------------------------------------------------------------

    def start(self, cache_empty: bool, interval_ms: float, max_delay_ms: float) -> None:
        """Plan the first sync after the client starts, from the locally stored settings.

        A pause the user chose survives; the failure count starts afresh.
        """
        _check_interval(interval_ms)
        _check_max_delay(max_delay_ms)
        self._interval_ms, self._max_delay_ms = interval_ms, max_delay_ms
        self._cache_empty = cache_empty
        self._failures, self._retry_after_s, self._not_before = 0, None, -math.inf
        self._running, self._hint_during_sync = False, None
        self._plan(_Kind.START, self._clock(), _draw(self._rnd))

    def on_sync_started(self) -> None:
        """A scheduled sync begins: a hint from now on may concern data it has already read
        past or not, so it plans one more sync after this one (see :meth:`on_hint`)."""
        self._require_started()
        self._running, self._hint_during_sync = True, None

    def on_success(self) -> None:
        """A scheduled sync succeeded: forget failures, wait one (jittered) interval.

        A hint that came during the sync then plans one more sync within its window."""
        self._require_started()
        self._failures, self._retry_after_s, self._not_before = 0, None, -math.inf
        self._cache_empty = False
        self._plan(_Kind.INTERVAL, self._clock(), _draw(self._rnd))
        hint, self._running, self._hint_during_sync = self._hint_during_sync, False, None
        if hint is not None:
            self._plan_hint(hint)

    def on_failure(self, retry_after_s: float | None = None) -> None:
        """A scheduled sync failed: back off; never retry before the server's Retry-After.

        A hint that came during the failed sync is dropped: the backoff's retry brings
        the change anyway, and a failing server should not be asked sooner because of it.
        """
        self._require_started()
        now = self._clock()
        self._failures += 1
        self._retry_after_s = retry_after_s
        self._not_before = now + _clean_retry_after(retry_after_s)
        self._running, self._hint_during_sync = False, None
        self._plan(_Kind.BACKOFF, now, _draw(self._rnd))

    def on_hint(self, max_delay_ms: float) -> bool:
        """The server hinted at a change this client may see: sync within ``max_delay_ms``.

        Plans a sync at now + random(0, max_delay_ms) unless one is planned sooner, so
        hints coalesce into one sync; never before a Retry-After. While a scheduled sync
        runs, the hint is kept for one more sync after it. The interval plan follows that
        sync as after any other. True if the plan moved earlier (the caller's loop should
        wake up). Before :meth:`start` there is nothing to move: the first sync comes.
        """
        _check_max_delay(max_delay_ms)
        if self._planned is None:
            return False
        if self._running:
            earlier = self._hint_during_sync
            self._hint_during_sync = max_delay_ms if earlier is None else min(earlier, max_delay_ms)
            return False
        return self._plan_hint(max_delay_ms)

    def update_settings(self, interval_ms: float, max_delay_ms: float) -> None:
        """Take the settings a sync brought, at once.

        The current wait is recomputed with the new values and the same random draw, so
        unchanged values leave the plan exactly as it was, a shorter interval moves it
        earlier and a longer one later. A sync that is already due stays due: new
        settings never postpone it.
        """
        _check_interval(interval_ms)
        _check_max_delay(max_delay_ms)
        self._interval_ms, self._max_delay_ms = interval_ms, max_delay_ms
        if self._planned is None or self._kind in (_Kind.SOON, _Kind.HINT):
            return  # nothing planned yet, or a catch-up sync that no setting governs
        if self._planned <= self._clock():
            return
        self._plan(self._kind, self._anchor, self._u)

    def pause(self) -> None:
        """Stop scheduled syncs; the plan is kept for resume. Manual syncs still work."""
        self._paused = True

    def resume(self) -> None:
        """Resume scheduled syncs; a sync that fell due during the pause is due at once.

        Nothing to do for that: :meth:`due_in` already reports ``max(0, planned - now)``.
        """
        self._paused = False

    def on_wake(self) -> None:
        """The machine woke from sleep: sync within a few seconds, unless paused.

        The monotonic clock may not count the time asleep, so the plan alone would be
        late by however long the machine slept.
        """
        self._sync_soon()

    def on_network_back(self) -> None:
        """The network returned: sync within a few seconds, unless paused."""
        self._sync_soon()

    # --- internals ----------------------------------------------------------------------

    def _sync_soon(self) -> None:
        if self._paused or self._planned is None:
            return
        now = self._clock()
        soon = max(now + soon_delay(self._rnd), self._not_before)
        if soon < self._planned:  # never later than already planned
            self._planned = soon
            self._kind = _Kind.SOON

    def _plan_hint(self, max_delay_ms: float) -> bool:
        assert self._planned is not None
        at = max(self._clock() + max_delay_ms / 1000.0 * _draw(self._rnd), self._not_before)
        if at >= self._planned:
            return False  # a sync is planned sooner: it brings the change too
        self._planned, self._kind = at, _Kind.HINT
        return True

    def _plan(self, kind: _Kind, anchor: float, u: float) -> None:
        self._kind, self._anchor, self._u = kind, anchor, u
        self._planned = max(anchor + self._wait(kind, u), self._not_before)

    def _wait(self, kind: _Kind, u: float) -> float:
        if kind is _Kind.START:
            return _start_delay_at(self._max_delay_ms, self._cache_empty, u)
        if kind is _Kind.INTERVAL:
            return _interval_wait_at(self._interval_ms, u)
        if kind is _Kind.BACKOFF:
            return _backoff_delay_at(self._failures, self._interval_ms, u, self._retry_after_s)
        raise AssertionError(f"no wait rule for {kind}")  # SOON/HINT plans are set directly

    def _require_started(self) -> None:
        if self._planned is None:
            raise RuntimeError("Scheduler.start() must be called before reporting syncs")


class SleepDetector:
    """Tells from paired clock readings that the machine slept.

    While a machine sleeps the wall clock keeps going but a monotonic clock may not, so
    the wall clock jumps ahead of it. Small differences are normal (NTP slewing, timer
    granularity) and ignored; a wall clock set backwards is not sleep either.
    """

    def __init__(self, threshold_s: float = 60.0) -> None:
        if not threshold_s > 0:
            raise ValueError(f"threshold must be positive, got {threshold_s!r}")
        self._threshold_s = threshold_s
        self._last: tuple[float, float] | None = None

    def feed(self, monotonic: float, wall: float) -> bool:
        """Record a reading; True if the wall clock gained more than the threshold since
        the previous reading (the first reading only sets the baseline)."""
        last, self._last = self._last, (monotonic, wall)
        if last is None:
            return False
        gained = (wall - last[1]) - (monotonic - last[0])
        return gained > self._threshold_s
