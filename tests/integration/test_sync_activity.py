"""Completed syncs per hour: counted in memory, added to the table, read back for the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.sync.activity import SyncCounter, hour_of, syncs_per_hour

NOW = datetime(2026, 11, 29, 14, 35, tzinfo=UTC)


@pytest.fixture
def db(database_url: str | None, tmp_path: Path) -> Database:
    made = Database(database_url or f"sqlite:///{tmp_path / 'activity.db'}")
    upgrade(made)
    return made


def test_counts_add_up_across_flushes_and_processes(db: Database) -> None:
    one, other = SyncCounter(), SyncCounter()  # two server processes on one database
    for _ in range(3):
        one.record(NOW)
    one.record(NOW - timedelta(hours=2))
    other.record(NOW)
    assert one.flush(db) == 4
    assert other.flush(db) == 1
    one.record(NOW)
    assert one.flush(db) == 1
    assert one.flush(db) == 0, "nothing pending: nothing written"

    with db.read() as session:
        points = syncs_per_hour(session, SyncCounter(), NOW, 3)
    assert [n for _, n in points] == [1, 0, 5]
    assert [hour for hour, _ in points] == [hour_of(NOW) - timedelta(hours=h) for h in (2, 1, 0)]


def test_pending_counts_show_before_they_are_written(db: Database) -> None:
    counter = SyncCounter()
    counter.record(NOW)
    counter.record(NOW - timedelta(days=8))  # outside the window
    with db.read() as session:
        points = syncs_per_hour(session, counter, NOW, 7 * 24)
    assert len(points) == 7 * 24
    assert sum(n for _, n in points) == 1


def test_a_failed_flush_keeps_the_counts(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")  # never migrated
    counter = SyncCounter()
    counter.record(NOW)
    with pytest.raises(Exception, match="sync_activity"):
        counter.flush(broken)
    assert counter.pending() == {hour_of(NOW): 1}
