"""Property 7: a poll with an up-to-date cursor reads no content; a delta's cost follows the
number of changes, not the size of the data. Checked on the SQL the server really runs."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from docshelf.domain.accounts import Actor, system_actor
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.services import accounts, templates
from docshelf.server.services.accounts import actor_of
from docshelf.server.sync import service
from support.postgres import PostgresCluster
from support.statements import statements, tables_read

CONTENT_TABLES = {
    "users",
    "groups",
    "field_definitions",
    "units",
    "profiles",
    "template_groups",
    "templates",
    "template_files",
    "snippets",
    "tombstones",
}


def _db(database_url: str | None, tmp_path: Path) -> Database:
    db = Database(database_url or f"sqlite:///{tmp_path / 'cost.db'}")
    upgrade(db)
    return db


def _seed(db: Database, templates_count: int) -> Actor:
    with db.change("test") as change:
        accounts.create_user(change, system_actor(), login="reader")
        for i in range(templates_count):
            templates.create_template(
                change, system_actor(), kind="docx", titles={"de": f"T{i}"}, status="released"
            )
    with db.read() as session:
        return actor_of(session, accounts.find_user(session, "reader"))


def _drain(db: Database, actor: Actor, cursor: str | None = None) -> str:
    while True:
        page = service.changes(db, actor, "no-device", cursor, 100)
        cursor = page.cursor
        if not page.has_more:
            return cursor


def test_a_poll_without_changes_reads_no_content(database_url: str | None, tmp_path: Path) -> None:
    db = _db(database_url, tmp_path)
    try:
        actor = _seed(db, 30)
        cursor = _drain(db, actor)
        with statements(db) as sql:
            page = service.changes(db, actor, "no-device", cursor, 100)
        assert page.changes == [] and not page.has_more
        assert not tables_read(sql) & CONTENT_TABLES, tables_read(sql)
    finally:
        db.dispose()


def _two_databases(
    database_url: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> list[str]:
    if database_url is None:
        return [f"sqlite:///{tmp_path / 'small.db'}", f"sqlite:///{tmp_path / 'large.db'}"]
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return [database_url, cluster.create_database(f"cost_{secrets.token_hex(4)}")]


def test_delta_cost_follows_changes_not_data(
    database_url: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same ten changes cost the same statements on a small and a ten times larger set."""
    counts = []
    for url, size in zip(_two_databases(database_url, tmp_path, request), (20, 200), strict=True):
        db = Database(url)
        try:
            upgrade(db)
            actor = _seed(db, size)
            cursor = _drain(db, actor)
            with db.change("test") as change:
                for i in range(10):
                    templates.create_template(
                        change,
                        system_actor(),
                        kind="docx",
                        titles={"de": f"N{i}"},
                        status="released",
                    )
            with statements(db) as sql:
                page = service.changes(db, actor, "no-device", cursor, 100)
            assert len(page.changes) == 10 and not page.has_more
            counts.append(len(sql))
        finally:
            db.dispose()
    assert counts[0] == counts[1], counts
