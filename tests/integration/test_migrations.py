"""The schema comes from the migrations, identically on SQLite and PostgreSQL. A database
at this code's newest migration is opened without loading alembic (every server start
and admin command would); one behind it is migrated as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from docshelf.server.db.connect import open_database
from docshelf.server.db.engine import Database, current_seq
from docshelf.server.db.migrate import (
    HEAD,
    Schema,
    alembic_config,
    is_current,
    schema_state,
    upgrade,
)
from docshelf.server.db.models import Base, Meta

# Opens the database named first, then prints the alembic modules it loaded.
OPEN = """
import sys
from docshelf.server.db.connect import open_database
from docshelf.server.db.migrate import Schema, schema_state
db = open_database(sys.argv[1])
assert schema_state(db) is Schema.CURRENT
db.dispose()
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] == "alembic")))
"""


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


def _url(database_url: str | None, tmp_path: Path) -> str:
    return database_url or f"sqlite:///{tmp_path / 'm.db'}"


def _stored(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_a_current_database_opens_without_alembic(database_url: str | None, tmp_path: Path) -> None:
    url = _url(database_url, tmp_path)
    open_database(url).dispose()  # the first opening migrates
    opened = subprocess.run(
        [sys.executable, "-c", OPEN, url], capture_output=True, text=True, timeout=120
    )
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == ""


def test_an_older_database_is_migrated_to_the_head(
    database_url: str | None, tmp_path: Path
) -> None:
    url = _url(database_url, tmp_path)
    older = Database(url)
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(HEAD).down_revision
    assert isinstance(previous, str)
    config = alembic_config()
    with older.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, previous)
        conn.commit()
    assert _stored(older) == [previous]
    assert schema_state(older) is Schema.OLDER
    older.dispose()

    db = open_database(url)
    try:
        assert _stored(db) == [HEAD]
        assert schema_state(db) is Schema.CURRENT
    finally:
        db.dispose()
