"""This code's newest migration is written down as ``HEAD`` (server/db/migrate.py), so that
a database already there is opened without loading alembic. Moving it is easy to forget
when a migration is added: this fails then. How a database is opened with it, on SQLite
and PostgreSQL: tests/integration/test_migrations.py."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from docshelf.server.db.migrate import HEAD, alembic_config


def test_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
