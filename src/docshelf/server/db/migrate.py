"""Bring a database to the newest schema (run at every server start and by the admin CLI)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from docshelf.server.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it only has to be the same in every docshelf process.
_MIGRATION_LOCK = 0x646F637368656C66


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database) -> None:
    """Apply pending migrations; concurrent server starts on PostgreSQL wait for each other."""
    config = alembic_config()
    with db.engine.execution_options(docshelf_write=True).connect() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


def is_current(db: Database) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
