"""Property 7: a poll with an up-to-date cursor reads no content; a delta's cost follows the
number of changes, not the size of the data. Checked on the SQL the server really runs."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from docshelf.domain.accounts import system_actor
from docshelf.domain.patches import TemplatePatch, UserPatch
from docshelf.protocol.sync import ChangesPage
from docshelf.server.api.quick_poll import QuickPoll
from docshelf.server.app import create_app
from docshelf.server.config import ServerSettings
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Device
from docshelf.server.services import accounts, templates
from docshelf.server.services.passwords import new_token, token_hash
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


def _seed(db: Database, templates_count: int) -> str:
    """A reader with a signed-in device, and templates; returns the device token."""
    with db.change("test") as change:
        reader = accounts.create_user(change, system_actor(), UserPatch(login="reader"))
        for i in range(templates_count):
            templates.create_template(
                change,
                system_actor(),
                TemplatePatch(kind="docx", titles={"de": f"T{i}"}, status="released"),
            )
        reader_id = reader.id
    token = new_token()
    with db.write() as session:
        session.add(
            Device(
                id="reader-laptop", user_id=reader_id, name="laptop", token_hash=token_hash(token)
            )
        )
    return token


def _poll(db: Database, token: str, cursor: str | None) -> ChangesPage:
    page = service.poll(db, token, cursor, 100)
    assert page is not None
    return page


def _drain(db: Database, token: str, cursor: str | None = None) -> str:
    while True:
        page = _poll(db, token, cursor)
        cursor = page.cursor
        if not page.has_more:
            return cursor


def test_a_poll_without_changes_reads_no_content(database_url: str | None, tmp_path: Path) -> None:
    db = _db(database_url, tmp_path)
    try:
        token = _seed(db, 30)
        cursor = _drain(db, token)
        with statements(db) as sql:
            page = _poll(db, token, cursor)
        assert page.changes == [] and not page.has_more
        # Authentication reads the caller's own user row (and groups); nothing else may.
        auth = [q for q in sql if q.lstrip().upper().startswith("WITH RECURSIVE ANCESTRY")]
        assert len(auth) == 1, sql
        rest = [q for q in sql if q not in auth]
        assert not tables_read(rest) & CONTENT_TABLES, tables_read(rest)
        assert tables_read(auth) & CONTENT_TABLES <= {"users", "groups"}
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
            token = _seed(db, size)
            cursor = _drain(db, token)
            with db.change("test") as change:
                for i in range(10):
                    templates.create_template(
                        change,
                        system_actor(),
                        TemplatePatch(kind="docx", titles={"de": f"N{i}"}, status="released"),
                    )
            with statements(db) as sql:
                page = _poll(db, token, cursor)
            assert len(page.changes) == 10 and not page.has_more
            counts.append(len(sql))
        finally:
            db.dispose()
    assert counts[0] == counts[1], counts


def test_up_to_date_polls_are_answered_before_routing_on_either_database(
    database_url: str | None, tmp_path: Path
) -> None:
    """SQLite is asked on the event loop (a page-cache read); a database across the network
    on a worker thread, so that it never holds the loop up."""
    app = create_app(ServerSettings(data_dir=tmp_path, database_url=database_url))
    try:
        [quick] = [m for m in app.user_middleware if m.cls is QuickPoll]
        assert quick.kwargs["in_thread"] is (database_url is not None)
    finally:
        app.state.docshelf.db.dispose()
