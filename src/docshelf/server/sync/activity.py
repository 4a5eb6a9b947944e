"""Completed syncs per hour, for the dashboard's chart.

A sync's last page is its completion. Writing a row at every poll would make the
cheapest request of the server a write, so each process counts in memory and adds its
counts to the table every few seconds (and when it stops); a crash loses at most those
seconds of a statistic.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docshelf.server.db.engine import Database
from docshelf.server.db.models import SyncActivity, utcnow


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class SyncCounter:
    """This process's completed syncs per hour, not yet added to the table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[datetime] = Counter()

    def record(self, at: datetime | None = None) -> None:
        with self._lock:
            self._pending[hour_of(at or utcnow())] += 1

    def pending(self) -> dict[datetime, int]:
        with self._lock:
            return dict(self._pending)

    def flush(self, db: Database) -> int:
        """Add the pending counts to the table; on failure they stay pending."""
        with self._lock:
            taken, self._pending = self._pending, Counter()
        if not taken:
            return 0
        try:
            with db.write() as session:
                for hour, syncs in taken.items():
                    _add(session, hour, syncs)
        except Exception:
            with self._lock:
                self._pending.update(taken)
            raise
        return sum(taken.values())


def _add(session: Session, hour: datetime, syncs: int) -> None:
    done = session.execute(
        update(SyncActivity)
        .where(SyncActivity.hour == hour)
        .values(syncs=SyncActivity.syncs + syncs)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.add(SyncActivity(hour=hour, syncs=syncs))


def syncs_per_hour(
    session: Session, counter: SyncCounter, now: datetime, hours: int
) -> list[tuple[datetime, int]]:
    """The last ``hours`` hours up to ``now``, oldest first, each with its count (stored
    plus this process's pending ones), zero where nothing happened."""
    last = hour_of(now)
    first = last - timedelta(hours=hours - 1)
    counts: Counter[datetime] = Counter()
    rows = session.execute(
        select(SyncActivity.hour, SyncActivity.syncs).where(SyncActivity.hour >= first)
    )
    for hour, syncs in rows:
        counts[hour_of(hour)] += syncs
    for hour, syncs in counter.pending().items():
        if hour >= first:
            counts[hour] += syncs
    return [(first + timedelta(hours=i), counts[first + timedelta(hours=i)]) for i in range(hours)]
