"""The poll path: authentication and the page in one transaction of few statements, revocation
at once, device bookkeeping without extra reads, and who may read a logo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from docshelf.domain.accounts import Actor, system_actor
from docshelf.domain.errors import NotAuthenticated
from docshelf.domain.patches import (
    FieldDefinitionPatch,
    GroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
)
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Device, TemplateFile, utcnow
from docshelf.server.services import accounts, fields, files, templates, units
from docshelf.server.services.auth import API, signed_in
from docshelf.server.services.passwords import new_token, token_hash
from docshelf.server.sync import service
from support.statements import statements, tables_read

LOGO = "ab" * 32
# Besides the caller's own device and user row, a poll with nothing new reads no content.
CONTENT_TABLES = {
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


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'poll.db'}")
    upgrade(database)
    yield database
    database.dispose()


def user_with_device(db: Database, login: str = "reader") -> tuple[str, str]:
    """A user and a signed-in device; returns (user id, device token)."""
    with db.change("test") as change:
        user = accounts.create_user(change, system_actor(), UserPatch(login=login))
        user_id = user.id
    token = new_token()
    with db.write() as session:
        session.add(
            Device(id=f"d-{login}", user_id=user_id, name="laptop", token_hash=token_hash(token))
        )
    return user_id, token


def drain(db: Database, token: str, cursor: str | None = None) -> str:
    while True:
        page = service.poll(db, token, cursor, 100)
        cursor = page.cursor
        if not page.has_more:
            return cursor


def test_an_up_to_date_poll_is_two_queries_and_reads_no_content(db: Database) -> None:
    _, token = user_with_device(db)
    with db.change("test") as change:
        for i in range(5):
            templates.create_template(
                change,
                system_actor(),
                TemplatePatch(kind="docx", titles={"de": f"T{i}"}, status="released"),
            )
    cursor = drain(db, token)
    with statements(db) as sql:
        page = service.poll(db, token, cursor, 100)
    assert page.changes == [] and not page.has_more
    assert page.cursor == cursor
    assert len(page.model_dump_json()) < 1024
    queries = [s for s in sql if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    # The caller with all their groups, then history, nonce and settings.
    assert len(queries) == 2, sql
    assert not tables_read(sql) & CONTENT_TABLES, tables_read(sql)
    assert not [s for s in sql if s.lstrip().upper().startswith("UPDATE")]


def test_a_revoked_token_fails_at_once(db: Database) -> None:
    _, token = user_with_device(db)
    cursor = drain(db, token)
    with db.write() as session:
        session.execute(update(Device).values(revoked_at=utcnow()))
    with pytest.raises(NotAuthenticated):
        service.poll(db, token, cursor, 100)


def test_a_deactivated_account_fails_at_once(db: Database) -> None:
    _, token = user_with_device(db)
    cursor = drain(db, token)
    with db.change("test") as change:
        user = accounts.find_user(change.session, "reader")
        accounts.set_active(change, system_actor(), user, False)
    with pytest.raises(NotAuthenticated, match="deactivated"):
        service.poll(db, token, cursor, 100)


def test_an_unknown_token_fails(db: Database) -> None:
    user_with_device(db)
    with pytest.raises(NotAuthenticated):
        service.poll(db, new_token(), None, 100)


def test_groups_come_with_their_parents(db: Database) -> None:
    user_id, token = user_with_device(db)
    with db.change("test") as change:
        inner = accounts.create_group(change, system_actor(), GroupPatch(name="inner"))
        outer = accounts.create_group(change, system_actor(), GroupPatch(name="outer"))
        other = accounts.create_group(change, system_actor(), GroupPatch(name="other"))
        user = accounts.find_user(change.session, "reader")
        accounts.add_member(change, system_actor(), inner, user=user)
        accounts.add_member(change, system_actor(), other, user=user)
        accounts.add_member(change, system_actor(), outer, member_group=inner)
        expected = {inner.id, outer.id, other.id}
    with db.read() as session:
        caller = signed_in(session, token, API)
        assert caller.actor.groups == expected
        assert caller.actor.groups == accounts.groups_of(session, user_id)
        assert caller.device_id == "d-reader"


def test_the_device_is_noted_once_a_minute_and_when_its_sync_completes(db: Database) -> None:
    _, token = user_with_device(db)
    cursor = drain(db, token)
    with db.read() as session:
        device = session.get(Device, "d-reader")
        assert device is not None and device.last_seen_at is not None
        noted = (device.last_sync_at, device.last_sync_seq)
    assert noted[0] is not None
    with statements(db) as sql:
        service.poll(db, token, cursor, 100)
    assert not [s for s in sql if "UPDATE" in s.upper()], "noted within the minute already"

    with db.change("test") as change:
        templates.create_template(
            change,
            system_actor(),
            TemplatePatch(kind="docx", titles={"de": "New"}, status="released"),
        )
    newer = drain(db, token, cursor)
    with db.read() as session:
        device = session.get(Device, "d-reader")
        assert device is not None and device.last_sync_seq is not None
        assert noted[1] is not None and device.last_sync_seq > noted[1]

    # A minute later a poll notes the device again, though nothing changed.
    with db.write() as session:
        session.execute(
            update(Device).values(
                last_seen_at=utcnow() - timedelta(minutes=2),
                last_sync_at=utcnow() - timedelta(minutes=2),
            )
        )
    service.poll(db, token, newer, 100)
    with db.read() as session:
        device = session.get(Device, "d-reader")
        assert device is not None and device.last_seen_at is not None
        assert utcnow() - device.last_seen_at < timedelta(minutes=1)


def _reader(db: Database) -> Actor:
    with db.read() as session:
        return accounts.actor_of(session, accounts.find_user(session, "reader"))


def test_a_logo_in_an_image_field_is_readable_by_everyone(db: Database) -> None:
    user_with_device(db)
    with db.change("test") as change:
        files.register_blob(change.session, LOGO, 100)
        fields.create_field(
            change, system_actor(), FieldDefinitionPatch(key="logo", scope="unit", type="image")
        )
        units.create_unit(change, system_actor(), UnitPatch(title="Unit", fields={"logo": LOGO}))
    with db.read() as session:
        assert files.may_read(session, _reader(db), LOGO)
        assert not files.may_read(session, _reader(db), "cd" * 32)


def test_a_template_file_is_judged_by_the_templates_using_it_in_one_statement(
    db: Database,
) -> None:
    user_with_device(db)
    with db.change("test") as change:
        files.register_blob(change.session, LOGO, 100)
        letter = templates.create_template(
            change,
            system_actor(),
            TemplatePatch(kind="docx", titles={"de": "Brief"}, status="released"),
        )
        change.session.add(
            TemplateFile(template_id=letter.id, lang="de", sha256=LOGO, size=100, filename="b.docx")
        )
    reader = _reader(db)
    with db.read() as session, statements(db) as sql:
        assert files.may_read(session, reader, LOGO)
    # The rules read the template row itself: its list of files is not loaded to decide.
    selects = [q for q in sql if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, sql


def test_a_hash_in_a_text_field_makes_no_file_readable(db: Database) -> None:
    user_with_device(db)
    with db.change("test") as change:
        fields.create_field(
            change, system_actor(), FieldDefinitionPatch(key="note", scope="user", type="text")
        )
        user = accounts.find_user(change.session, "reader")
        accounts.update_user(change, system_actor(), user, UserPatch(fields={"note": LOGO}))
    with db.read() as session:
        assert not files.may_read(session, _reader(db), LOGO)


def test_the_quick_answer_is_only_for_an_up_to_date_poll_that_writes_nothing(
    db: Database,
) -> None:
    _, token = user_with_device(db)
    assert service.poll(db, token, None, 100, only_if_quick=True) is None  # a first sync
    cursor = drain(db, token)  # notes the device: nothing is due for a minute
    with statements(db) as sql:
        quick = service.poll(db, token, cursor, 100, only_if_quick=True)
    assert quick is not None and quick.changes == [] and quick.cursor == cursor
    assert not [s for s in sql if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]

    reported = "2026-11-29T08:00:00+00:00 b29mZmxpbmU="
    assert service.poll(db, token, cursor, 100, only_if_quick=True, reported_error=reported) is None
    with db.change("test") as change:
        templates.create_template(
            change,
            system_actor(),
            TemplatePatch(kind="docx", titles={"de": "Neu"}, status="released"),
        )
    assert service.poll(db, token, cursor, 100, only_if_quick=True) is None  # a page to build
    cursor = drain(db, token, cursor)
    with db.write() as session:  # "last seen" a while ago: the bookkeeping is due
        session.execute(update(Device).values(last_seen_at=utcnow() - timedelta(minutes=5)))
    assert service.poll(db, token, cursor, 100, only_if_quick=True) is None
