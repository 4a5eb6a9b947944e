"""``devices.reached_at``: when a device's completed sync first reached the change number
it is at, kept while later syncs find nothing new (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from docshelf.domain.accounts import system_actor
from docshelf.domain.patches import UserPatch
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Device, utcnow
from docshelf.server.services import accounts
from docshelf.server.services.auth import note_device
from docshelf.server.services.passwords import new_token, token_hash
from docshelf.server.sync import service


def _device(db: Database) -> Device:
    with db.read() as session:
        device = session.get(Device, "laptop")
        assert device is not None
        return device


def test_reached_at_moves_only_when_the_change_number_does(
    database_url: str | None, tmp_path: Path
) -> None:
    db = Database(database_url or f"sqlite:///{tmp_path / 'reach.db'}")
    try:
        upgrade(db)
        with db.change("test") as change:
            user_id = accounts.create_user(change, system_actor(), UserPatch(login="reader")).id
        token = new_token()
        with db.write() as session:
            session.add(
                Device(id="laptop", user_id=user_id, name="l", token_hash=token_hash(token))
            )
        assert _device(db).reached_at is None

        # A real sync to the end records when it got there.
        before = utcnow()
        cursor = None
        while True:
            page = service.poll(db, token, cursor, 100)
            assert page is not None
            cursor = page.cursor
            if not page.has_more:
                break
        first = _device(db)
        assert first.last_sync_seq == 1
        assert first.reached_at is not None and first.reached_at >= before
        reached = first.reached_at

        # Later syncs that find nothing new keep the moment it first got there.
        later = reached + timedelta(minutes=5)
        note_device(db, "laptop", seen_at=later, synced_seq=1)
        again = _device(db)
        assert (again.last_sync_at, again.reached_at) == (later, reached)
        # Being merely seen changes neither.
        note_device(db, "laptop", seen_at=later + timedelta(minutes=1))
        assert _device(db).reached_at == reached

        # A new change number is a new moment.
        newer = later + timedelta(minutes=10)
        note_device(db, "laptop", seen_at=newer, synced_seq=2)
        assert (_device(db).last_sync_seq, _device(db).reached_at) == (2, newer)
    finally:
        db.dispose()
