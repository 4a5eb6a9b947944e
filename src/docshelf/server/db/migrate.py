"""Bring a database to the newest schema (run at every server start and by the admin CLI).

Several processes starting together on PostgreSQL take turns (an advisory lock), so one
migrates and the others find the schema current. A database a newer docshelf has migrated
further than this code knows is refused: this process would serve it with an older
schema's idea of the tables (see docs/operations.md, "Upgrades").
"""

from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from docshelf.domain.errors import ConfigurationError
from docshelf.i18n import N_, tr
from docshelf.server.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration of this code. A database already there is opened without loading
# alembic, which costs every server start and every admin command a fifth of a second or
# more; tests/unit/test_migrate.py fails when a migration is added and this is not.
HEAD = "0009"
# Any constant will do; it only has to be the same in every docshelf process.
_MIGRATION_LOCK = 0x646F637368656C66


class SchemaTooNew(ConfigurationError):
    """The database has migrations this code does not know: a newer docshelf ran them."""

    code = "schema_too_new"
    default_title = N_("Database newer than this server")


class Schema(Enum):
    CURRENT = "current"
    OLDER = "older"  # migrations pending: being upgraded, or never started
    NEWER = "newer"  # a newer docshelf migrated it


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database) -> None:
    """Apply pending migrations; concurrent server starts on PostgreSQL wait for each other.

    Raises :class:`SchemaTooNew` if the database is further than this code knows."""
    with db.engine.connect() as conn:
        if _stored_revision(conn) == HEAD:
            return
    from alembic import command

    config = alembic_config()
    with db.engine.execution_options(docshelf_write=True).connect() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        if _compare(conn) is Schema.NEWER:
            raise SchemaTooNew(_too_new_message(conn))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


def schema_state(db: Database) -> Schema:
    with db.engine.connect() as conn:
        return _compare(conn)


def is_current(db: Database) -> bool:
    return schema_state(db) is Schema.CURRENT


@functools.cache
def _known() -> tuple[str | None, frozenset[str]]:
    """(head, every revision) of this code's migrations: read once, /readyz asks often."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def _stored_revision(conn: Connection) -> str | None:
    """The revision alembic stored, read without alembic; None before the first migration
    (or if the table holds other than one row: alembic is asked then)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored[0] if len(stored) == 1 else None


def _compare(conn: Connection) -> Schema:
    if _stored_revision(conn) == HEAD:
        return Schema.CURRENT
    from alembic.runtime.migration import MigrationContext

    head, known = _known()
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision == head:
        return Schema.CURRENT
    if revision is None or revision in known:
        return Schema.OLDER
    return Schema.NEWER


def _too_new_message(conn: Connection) -> str:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    head, _ = _known()
    return tr(
        "The database is at schema revision {revision}, which this docshelf version does not"
        " know (it knows up to {head}): a newer version has upgraded it. Run the newer"
        " version here too; this process does not start on a schema it does not know.",
        revision=revision,
        head=head,
    )


def too_new_message(db: Database) -> str:
    """What /readyz says when a newer process migrated the database under this one."""
    with db.engine.connect() as conn:
        return _too_new_message(conn)
