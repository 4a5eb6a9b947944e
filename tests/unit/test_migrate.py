"""Opening a database: one this code's migrations reached is opened without alembic (every
server start and admin command would load it), and one they did not is migrated as
before. A real SQLite file each; PostgreSQL takes the same path (tests/integration:
every server start there opens such a database, test_cluster_schema.py the newer one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from docshelf.server.db.connect import open_database
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import HEAD, Schema, alembic_config, schema_state

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


def _stored(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_current_database_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'docshelf.db'}"
    open_database(url).dispose()  # the first opening migrates
    opened = subprocess.run(
        [sys.executable, "-c", OPEN, url], capture_output=True, text=True, timeout=120
    )
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == ""


def test_an_older_database_is_migrated_to_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'docshelf.db'}"
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
