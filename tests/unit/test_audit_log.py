"""The audit log's record of changes (domain/audit.py, server/db/audit.py): the pure diff,
and the entries a change on a real (SQLite) database writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from docshelf.domain.accounts import system_actor
from docshelf.domain.audit import API, Origin, OriginKind, difference, shorten
from docshelf.domain.errors import InvalidInput
from docshelf.domain.patches import GroupPatch, UserPatch
from docshelf.domain.principals import user_principal
from docshelf.domain.settings import AUDIT_RETENTION_DAYS, SETTINGS
from docshelf.server.db.audit import PRIVATE
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import (
    AuditEntry,
    Blob,
    Group,
    Snippet,
    Template,
    TemplateFile,
    User,
    utcnow,
)
from docshelf.server.maintenance import purge_audit_entries
from docshelf.server.services import accounts, settings
from docshelf.server.services.audit import parse_since

SYS = system_actor()


def test_a_create_or_delete_records_every_attribute() -> None:
    assert difference(None, {"a": 1, "b": None}) == (None, {"a": 1, "b": None})
    assert difference({"a": 1}, None) == ({"a": 1}, None)


def test_a_change_records_only_what_differs() -> None:
    before = {"a": 1, "b": [1, 2], "c": "x"}
    after = {"a": 1, "b": [2], "d": True}
    assert difference(before, after) == (
        {"b": [1, 2], "c": "x", "d": None},
        {
            "b": [2],
            "c": None,
            "d": True,
        },
    )
    assert difference({"a": 1}, {"a": 1}) == ({}, {})


def test_values_are_shortened_for_tables() -> None:
    assert shorten({"de": "Brief", "en": "Letter"}) == "de: Brief, en: Letter"
    assert shorten(["*", "group:x"]) == "*, group:x"
    assert shorten(None) == "—"
    assert shorten("a" * 200, limit=10) == "a" * 9 + "…"
    assert shorten("two\nlines") == "two lines"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(database)
    yield database
    database.dispose()


def entries(db: Database, seq: int | None = None) -> list[AuditEntry]:
    with db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if seq is not None:
            query = query.where(AuditEntry.seq == seq)
        return list(session.scalars(query))


def one(db: Database, seq: int) -> AuditEntry:
    found = entries(db, seq)
    assert len(found) == 1, [(e.kind, e.object_title) for e in found]
    return found[0]


def make_user(db: Database, login: str) -> str:
    with db.change("admin", origin=API) as change:
        user = accounts.create_user(
            change,
            SYS,
            UserPatch(login=login, display_name=login.title()),
            password_hash="secret-hash",
        )
        return user.id


def test_creating_a_user_records_its_values_without_the_password(db: Database) -> None:
    with db.change("nobody", origin=Origin(OriginKind.SYNC, "m-1")) as change:
        accounts.create_user(
            change, SYS, UserPatch(login="anna", display_name="Anna"), password_hash="h"
        )
        seq = change.seq
    entry = one(db, seq)
    assert (entry.kind, entry.action, entry.object_title) == ("user", "created", "anna")
    assert (entry.origin, entry.origin_ref, entry.actor, entry.actor_id) == (
        "sync",
        "m-1",
        "nobody",
        None,
    )
    assert entry.before is None and entry.after is not None
    assert entry.after["display_name"] == "Anna"
    assert "password_hash" not in entry.after and "version" not in entry.after


def test_a_change_records_before_and_after_even_across_a_flush(db: Database) -> None:
    make_user(db, "admin")
    anna = make_user(db, "anna")
    with db.change("admin", origin=API) as change:
        user = change.session.get(User, anna)
        assert user is not None
        user.display_name = "Anna B."
        change.session.flush()  # drops the attribute history; the audit must not care
        user.roles = ["user", "layouter"]
        change.touch(user)
        seq = change.seq
    entry = one(db, seq)
    assert entry.action == "changed"
    assert entry.before == {"display_name": "Anna", "roles": ["user"]}
    assert entry.after == {"display_name": "Anna B.", "roles": ["user", "layouter"]}
    admin_id = make_user(db, "other")  # the actor's id is looked up by login
    assert entry.actor == "admin" and entry.actor_id is not None and entry.actor_id != admin_id


def test_group_members_show_as_an_attribute_of_the_group(db: Database) -> None:
    anna = make_user(db, "anna")
    bert = make_user(db, "bert")
    with db.change("admin") as change:
        group = accounts.create_group(change, SYS, GroupPatch(name="Sales"))
        group_id = group.id
    with db.change("admin") as change:
        group = change.session.get(Group, group_id)
        assert group is not None
        for user_id in (anna, bert):
            accounts.add_member(change, SYS, group, user=change.session.get(User, user_id))
        seq = change.seq
    entry = one(db, seq)
    assert (entry.before, entry.after) == (
        {"members": []},
        {"members": ["user:anna", "user:bert"]},
    )
    with db.change("admin") as change:
        group = change.session.get(Group, group_id)
        assert group is not None
        accounts.remove_member(change, SYS, group, user_principal(anna))
        seq = change.seq
    entry = one(db, seq)
    assert (entry.before, entry.after) == (
        {"members": ["user:anna", "user:bert"]},
        {"members": ["user:bert"]},
    )
    with db.change("admin") as change:
        group = change.session.get(Group, group_id)
        assert group is not None
        accounts.delete_group(change, SYS, group)
        seq = change.seq
    entry = one(db, seq)
    assert entry.action == "deleted" and entry.after is None
    assert entry.before is not None
    assert entry.before["name"] == "Sales" and entry.before["members"] == ["user:bert"]


def test_template_files_show_per_language(db: Database) -> None:
    with db.change("admin") as change:
        for sha in ("a" * 64, "b" * 64):
            change.session.add(Blob(sha256=sha, size=3))
        template = Template(
            id="t1", kind="docx", status="released", titles={"de": "Brief", "en": "Letter"}
        )
        template.files.append(TemplateFile(lang="de", sha256="a" * 64, size=3, filename="a.docx"))
        change.add(template, "template")
        seq = change.seq
    created = one(db, seq)
    assert created.object_title == "Brief"
    assert created.after is not None
    assert created.after["files"] == {"de": {"filename": "a.docx", "sha256": "a" * 64, "size": 3}}
    with db.change("admin") as change:
        template = change.session.get(Template, "t1")
        assert template is not None
        template.files[0].sha256, template.files[0].filename = "b" * 64, "b.docx"
        template.files.append(TemplateFile(lang="en", sha256="a" * 64, size=3, filename="e.docx"))
        change.touch(template)
        seq = change.seq
    entry = one(db, seq)
    assert entry.before == {
        "files": {"de": {"filename": "a.docx", "sha256": "a" * 64, "size": 3}},
    }
    assert entry.after == {
        "files": {
            "de": {"filename": "b.docx", "sha256": "b" * 64, "size": 3},
            "en": {"filename": "e.docx", "sha256": "a" * 64, "size": 3},
        }
    }


def test_settings_are_recorded_when_set_first_and_when_changed(db: Database) -> None:
    with db.change("admin") as change:
        settings.set_value(change, SYS, "ClientHintMaxDelay", 1000)
        first = change.seq
    with db.change("admin") as change:
        settings.set_value(change, SYS, "ClientHintMaxDelay", 2000)
        second = change.seq
    created, changed = one(db, first), one(db, second)
    assert (created.kind, created.object_id, created.action) == (
        "setting",
        "ClientHintMaxDelay",
        "created",
    )
    assert created.after == {"value": 1000}
    assert (changed.before, changed.after) == ({"value": 1000}, {"value": 2000})
    assert changed.origin == "system"


def test_a_touch_without_a_difference_and_a_short_lived_row_leave_nothing(db: Database) -> None:
    anna = make_user(db, "anna")
    with db.change("admin") as change:
        user: Any = change.session.get(User, anna)
        change.touch(user)
        temp = accounts.create_group(change, SYS, GroupPatch(name="Temp"))
        change.session.flush()
        accounts.delete_group(change, SYS, temp)
        seq = change.seq
    assert entries(db, seq) == []


def test_retention_removes_old_entries_and_zero_keeps_all(db: Database) -> None:
    make_user(db, "anna")
    make_user(db, "bert")
    with db.write() as session:
        first = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
        assert first is not None
        first.at = utcnow() - timedelta(days=400)
    assert purge_audit_entries(db) == 1  # the default keeps a year
    assert [e.object_title for e in entries(db)] == ["bert"]
    with db.write() as session:
        for entry in session.scalars(select(AuditEntry)):
            entry.at = utcnow() - timedelta(days=40)
    with db.change("admin") as change:
        settings.set_value(change, SYS, AUDIT_RETENTION_DAYS, 0)
    assert purge_audit_entries(db) == 0
    with db.change("admin") as change:
        settings.set_value(change, SYS, AUDIT_RETENTION_DAYS, 30)
    assert purge_audit_entries(db) == 1
    assert [e.kind for e in entries(db)] == ["setting", "setting"]


def test_the_retention_setting_takes_days() -> None:
    spec = SETTINGS[AUDIT_RETENTION_DAYS]
    assert spec.default == 365 and not spec.sent_to_clients
    assert spec.parse(" 90 ") == 90
    for bad in ("-1", "36501", "ein Jahr"):
        with pytest.raises(InvalidInput):
            spec.parse(bad)
    with pytest.raises(InvalidInput):
        spec.validate(True)


def test_a_personal_snippet_shows_neither_title_nor_values(db: Database) -> None:
    anna = make_user(db, "anna")
    with db.change("anna") as change:
        change.add(Snippet(id="s1", kind="personal", title="Mein Gruss", owner_id=anna), "snippet")
        created = change.seq
    with db.change("anna") as change:
        snippet: Any = change.session.get(Snippet, "s1")
        snippet.title = "Geheim"
        change.touch(snippet)
        changed = change.seq
    first, second = one(db, created), one(db, changed)
    assert first.object_title == second.object_title == ""
    assert first.after is not None
    assert first.after["owner_id"] == anna and first.after["kind"] == "personal"
    assert first.after["title"] == PRIVATE
    assert (second.before, second.after) == ({"title": PRIVATE}, {"title": PRIVATE})


def test_a_file_dropped_from_a_template_is_in_its_before(db: Database) -> None:
    with db.change("admin") as change:
        change.session.add(Blob(sha256="a" * 64, size=3))
        template = Template(id="t2", kind="docx", status="released", titles={"de": "Brief"})
        for lang in ("de", "en"):
            template.files.append(
                TemplateFile(lang=lang, sha256="a" * 64, size=3, filename=f"{lang}.docx")
            )
        change.add(template, "template")
    with db.change("admin") as change:
        template = change.session.get(Template, "t2")
        assert template is not None
        template.files = [f for f in template.files if f.lang != "en"]
        change.session.flush()  # the orphan goes here, before the change ends
        change.touch(template)
        seq = change.seq
    entry = one(db, seq)
    assert entry.before is not None and entry.after is not None
    assert set(entry.before["files"]) == {"de", "en"} and set(entry.after["files"]) == {"de"}


def test_since_takes_dates_times_and_spans() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert parse_since("2026-12-01", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_since("2026-12-01T08:30", now) == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since(" 2w ", now) == now - timedelta(weeks=2)
    for bad in ("gestern", "999999w", "7 days", ""):
        with pytest.raises(InvalidInput):
            parse_since(bad, now)
