"""The hub: every hint stream this process holds, and the one task that wakes them.

It lives on the event loop. A new change number (a NOTIFY, an after-change callback or the
counter check, see source.py) wakes the dispatch task, which reads the audiences of the new
commits in ONE query on a worker thread and matches them per distinct actor in memory: no
thread, no database connection and no query per held stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from docshelf.domain.accounts import Actor, scope_of
from docshelf.server.hints.match import concerns

log = logging.getLogger("docshelf.server.hints")

MAX_WINDOW_MS = 10 * 60 * 1000
# Commits kept in memory so a stream that registers just after a dispatch still hears of them.
RECENT = 1000


@dataclass(frozen=True)
class CommitAudience:
    seq: int
    audience: list[Any] | None
    scope_changed: bool = False


@dataclass(frozen=True)
class Batch:
    """What one dispatch reads: the commits after a change number, and the settings."""

    commits: list[CommitAudience]
    hint_max_delay_ms: int
    hints_enabled: bool


@dataclass(frozen=True)
class Hint:
    seq: int
    max_delay_ms: int


@dataclass(frozen=True)
class Bye:
    reason: str  # lifetime | scope | off | shutdown
    # The window the client draws its reconnection delay from (None: the reason's default).
    reconnect_ms: int | None = None


# Ends a stream without a word: a newer stream of the same device replaced it.
CLOSE = object()
Event = Hint | Bye | object


@dataclass(eq=False)
class Stream:
    device_id: str
    actor: Actor
    # The change number the client has been told about (or its cursor was at).
    seq: int
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def put(self, event: Event) -> None:
        if not self.closed:
            self.queue.put_nowait(event)
            self.closed = isinstance(event, Bye) or event is CLOSE


# (after seq) -> the commits after it and the settings; runs on a worker thread
ReadBatch = Callable[[int], Batch]
# Told a number when it changes (for the metrics); on the event loop.
Watch = Callable[[int], None]


def _ignore(_value: int) -> None:
    pass


def herd_window_ms(hint_max_delay_ms: int, woken: int, syncs_per_second: float) -> int:
    """The window clients draw their delay from: wide enough that ``woken`` clients
    syncing at random in it come at about ``syncs_per_second``."""
    spread = 1000 * woken / syncs_per_second if syncs_per_second > 0 else 0
    return int(min(MAX_WINDOW_MS, max(hint_max_delay_ms, spread)))


def _actor_key(actor: Actor) -> tuple[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return actor.user_id, scope_of(actor)


class Hub:
    def __init__(self, read_batch: ReadBatch, *, syncs_per_second: float = 100) -> None:
        self._read_batch = read_batch
        self.syncs_per_second = syncs_per_second
        self._streams: dict[str, Stream] = {}
        self._recent: deque[CommitAudience] = deque(maxlen=RECENT)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_dispatched = 0
        self.wanted = 0  # the highest change number heard of
        self.hint_max_delay_ms = 5000
        self.hints_enabled = True
        # For the dashboard and the log: the last hinted change and how many streams it woke.
        self.last_hinted: tuple[int, int] | None = None
        # For the metrics: the streams held, the newest change number heard of.
        self.on_streams: Watch = _ignore
        self.on_newest: Watch = _ignore

    # --- life ----------------------------------------------------------------------------

    async def start(self, current_seq: int) -> None:
        self._loop = asyncio.get_running_loop()
        self.last_dispatched = self.wanted = current_seq
        self.on_newest(current_seq)
        self._task = asyncio.create_task(self._dispatch_forever())

    async def stop(self, reason: str = "shutdown") -> None:
        self.close_all(reason)
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._loop = None

    def close_all(self, reason: str, reconnect_ms: int | None = None) -> None:
        for stream in list(self._streams.values()):
            stream.put(Bye(reason, reconnect_ms))
        self._streams.clear()
        self.on_streams(0)

    def close_all_threadsafe(self, reason: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.close_all, reason)

    # --- streams -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._streams)

    def register(self, stream: Stream) -> None:
        """Hold ``stream``; a stream the same device held before is closed."""
        older = self._streams.pop(stream.device_id, None)
        if older is not None:
            older.put(CLOSE)
        self._streams[stream.device_id] = stream
        self.on_streams(len(self._streams))
        # Commits dispatched between the stream's own look and now would pass it by.
        if stream.seq < self.last_dispatched:
            missed = [c for c in self._recent if c.seq > stream.seq]
            oldest = self._recent[0].seq if self._recent else self.last_dispatched + 1
            if oldest > stream.seq + 1 or any(concerns(stream.actor, c.audience) for c in missed):
                self._hint(stream, self.last_dispatched, self.hint_max_delay_ms)
            else:
                stream.seq = self.last_dispatched

    def unregister(self, stream: Stream) -> None:
        if self._streams.get(stream.device_id) is stream:
            del self._streams[stream.device_id]
            self.on_streams(len(self._streams))

    # --- news ----------------------------------------------------------------------------

    def heard(self, seq: int) -> None:
        """A change number from anywhere (on the event loop)."""
        if seq > self.wanted:
            self.wanted = seq
            self.on_newest(seq)
        if self.wanted > self.last_dispatched:
            self._wake.set()

    def heard_threadsafe(self, seq: int) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # The loop may close meanwhile: then nobody is left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.heard, seq)

    async def _dispatch_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                batch = await asyncio.to_thread(self._read_batch, self.last_dispatched)
            except Exception:
                log.exception("reading changes for hints failed", extra={"event": "hint_error"})
                await asyncio.sleep(1)
                self._wake.set()
                continue
            self.dispatch(batch)

    def dispatch(self, batch: Batch) -> None:
        """Hint every stream that a commit of the batch concerns (on the event loop)."""
        self.hint_max_delay_ms = batch.hint_max_delay_ms
        self.hints_enabled = batch.hints_enabled
        if not batch.hints_enabled:
            self.close_all("off")
        if not batch.commits:
            return
        commits = sorted(batch.commits, key=lambda c: c.seq)
        self._recent.extend(commits)
        self.last_dispatched = max(self.last_dispatched, commits[-1].seq)
        if self.last_dispatched > self.wanted:
            self.wanted = self.last_dispatched
            self.on_newest(self.wanted)
        due = self._due(commits, list(self._streams.values()))
        if due:
            window = herd_window_ms(batch.hint_max_delay_ms, len(due), self.syncs_per_second)
            for stream, seq in due:
                self._hint(stream, seq, window)
            self.last_hinted = (max(seq for _s, seq in due), len(due))
        # One line per dispatch, also when it woke nobody: how far the hints have got.
        log.info(
            "hints dispatched",
            extra={
                "event": "hints_dispatched",
                "through": self.last_dispatched,
                "streams": len(due),
                "held": len(self._streams),
            },
        )
        if any(c.scope_changed for c in commits):
            # The streams' idea of roles and groups may be stale: they reconnect anew, spread
            # like the syncs a hint brings, so that every stream does not come back at once.
            window = herd_window_ms(batch.hint_max_delay_ms, self.count, self.syncs_per_second)
            self.close_all("scope", max(1000, window))

    @staticmethod
    def _due(commits: list[CommitAudience], streams: Iterable[Stream]) -> list[tuple[Stream, int]]:
        """(stream, the newest change that concerns it), matched once per distinct actor."""
        decided: dict[Any, list[int]] = {}
        due = []
        for stream in streams:
            key = _actor_key(stream.actor)
            seqs = decided.get(key)
            if seqs is None:
                seqs = [c.seq for c in commits if concerns(stream.actor, c.audience)]
                decided[key] = seqs
            mine = [s for s in seqs if s > stream.seq]
            if mine:
                due.append((stream, max(mine)))
            else:
                stream.seq = max(stream.seq, commits[-1].seq)
        return due

    @staticmethod
    def _hint(stream: Stream, seq: int, window_ms: int) -> None:
        stream.seq = max(stream.seq, seq)
        stream.put(Hint(seq=seq, max_delay_ms=window_ms))
