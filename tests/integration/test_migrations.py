"""The schema comes from the migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from docshelf.server.db.engine import Database, current_seq
from docshelf.server.db.migrate import is_current, upgrade
from docshelf.server.db.models import Base, Meta


def _db(database_url: str | None, tmp_path: Path) -> Database:
    return Database(database_url or f"sqlite:///{tmp_path / 'm.db'}")


def test_migrations_build_exactly_the_models(database_url: str | None, tmp_path: Path) -> None:
    db = _db(database_url, tmp_path)
    try:
        assert not is_current(db)
        upgrade(db)
        upgrade(db)  # a second start changes nothing
        assert is_current(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        with db.read() as session:
            epoch = session.scalar(select(Meta.value).where(Meta.key == "epoch"))
            assert epoch and len(epoch) == 16
            assert current_seq(session) == 0
    finally:
        db.dispose()


def test_each_change_gets_the_next_number(database_url: str | None, tmp_path: Path) -> None:
    db = _db(database_url, tmp_path)
    try:
        upgrade(db)
        seqs = []
        for _ in range(3):
            with db.change("test") as change:
                seqs.append(change.seq)
        assert seqs == [1, 2, 3]
        try:
            with db.change("test") as change:
                raise RuntimeError("abandoned")
        except RuntimeError:
            pass
        with db.change("test") as change:
            # A rolled-back change leaves no hole in the numbering.
            assert change.seq == 4
    finally:
        db.dispose()
