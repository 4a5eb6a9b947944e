"""The version history: snapshots written by every change, their comparison, restore
through the services, retention, and the garbage collector keeping old versions' files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from docshelf.domain.accounts import Actor, Role, system_actor
from docshelf.domain.errors import Conflict, Forbidden, NotFound
from docshelf.domain.history import diff
from docshelf.domain.patches import SnippetPatch, TemplatePatch
from docshelf.domain.settings import VERSIONS_KEPT
from docshelf.server.blobstore.housekeeping import collect_garbage
from docshelf.server.blobstore.local import LocalBlobStore
from docshelf.server.blobstore.usage import storage
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import (
    Blob,
    BlobUpload,
    ObjectVersion,
    Snippet,
    Template,
    User,
    utcnow,
)
from docshelf.server.services import history, settings, snippets, templates
from docshelf.server.services.files import store_bytes

SYS = system_actor()
LAYOUTER = Actor(user_id="lay", login="lay", roles=frozenset({Role.USER, Role.LAYOUTER}))
OTHER = Actor(user_id="other", login="other", roles=frozenset({Role.USER, Role.LAYOUTER}))


def docx(text: str) -> bytes:
    return b"PK\x03\x04" + text.encode() * 10


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'history.db'}")
    upgrade(database)
    with database.change("test") as change:
        for login in ("lay", "other"):
            change.add(User(id=login, login=login, display_name=login), "user")
    yield database
    database.dispose()


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def read(blobs: LocalBlobStore, sha256: str) -> bytes:
    with blobs.open(sha256) as f:
        return f.read()


def versions_of(db: Database, kind: str, object_id: str) -> list[ObjectVersion]:
    with db.read() as session:
        return history.list_versions(session, SYS, kind, object_id)


def make_template(db: Database, blobs: LocalBlobStore, content: str) -> str:
    with db.change("lay") as change:
        row = templates.create_template(
            change, LAYOUTER, TemplatePatch(kind="docx", titles={"de": "Brief"}, status="released")
        )
        sha = store_bytes(change.session, blobs, docx(content))
        templates.set_file(change, LAYOUTER, blobs, row, lang="de", sha256=sha, filename="a.docx")
        return row.id


def set_file(db: Database, blobs: LocalBlobStore, template_id: str, content: str) -> str:
    with db.change("lay") as change:
        row = change.session.get(Template, template_id)
        assert row is not None
        sha = store_bytes(change.session, blobs, docx(content))
        templates.set_file(change, LAYOUTER, blobs, row, lang="de", sha256=sha, filename="a.docx")
        return sha


def test_diff_compares_attributes_and_files_by_language() -> None:
    a = {
        "titles": {"de": "A"},
        "use_rights": ["*", "group:x"],
        "files": {"de": {"sha256": "1", "filename": "a.docx"}, "en": {"sha256": "2"}},
    }
    b = {
        "titles": {"de": "B"},
        "use_rights": ["group:x", "*"],
        "files": {"de": {"sha256": "3", "filename": "a.docx"}, "fr": {"sha256": "4"}},
    }
    result = diff(a, b)
    assert [(c.name, c.before, c.after) for c in result.attributes] == [
        ("titles", {"de": "A"}, {"de": "B"})
    ]
    assert [(f.lang, f.change) for f in result.files] == [
        ("de", "changed"),
        ("en", "removed"),
        ("fr", "added"),
    ]
    assert diff(a, a).empty


def test_every_change_keeps_a_version_with_its_files(db: Database, blobs: LocalBlobStore) -> None:
    template_id = make_template(db, blobs, "one")
    second = set_file(db, blobs, template_id, "two")
    kept = versions_of(db, "template", template_id)
    assert [v.version for v in kept] == [2, 1]
    assert kept[0].snapshot["files"]["de"]["sha256"] == second
    assert kept[1].snapshot["files"]["de"]["sha256"] != second
    assert kept[0].actor == "lay"


def test_a_touch_that_changes_nothing_keeps_no_version(db: Database, blobs: LocalBlobStore) -> None:
    template_id = make_template(db, blobs, "one")
    with db.change("lay") as change:
        change.touch(change.session.get(Template, template_id))
    assert len(versions_of(db, "template", template_id)) == 1


def test_restore_applies_the_old_version_as_a_new_change(
    db: Database, blobs: LocalBlobStore
) -> None:
    template_id = make_template(db, blobs, "one")
    set_file(db, blobs, template_id, "two")
    first = versions_of(db, "template", template_id)[-1]
    with db.change("lay") as change:
        changes = history.restore(change, LAYOUTER, blobs, "template", template_id, first.version)
    assert [f.lang for f in changes.files] == ["de"]
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None
        assert row.files[0].sha256 == first.snapshot["files"]["de"]["sha256"]
        assert row.version == 3
    newest = versions_of(db, "template", template_id)[0]
    assert newest.version == 3
    assert newest.snapshot == first.snapshot
    with db.change("lay") as change, pytest.raises(Conflict):
        history.restore(change, LAYOUTER, blobs, "template", template_id, first.version)


def test_restore_needs_the_change_right(db: Database, blobs: LocalBlobStore) -> None:
    template_id = make_template(db, blobs, "one")
    set_file(db, blobs, template_id, "two")
    with db.change("other") as change, pytest.raises((Forbidden, NotFound)):
        history.restore(change, OTHER, blobs, "template", template_id, 1)
    with db.read() as session, pytest.raises(NotFound):
        history.list_versions(session, OTHER, "template", template_id)


def test_dry_run_changes_nothing(db: Database, blobs: LocalBlobStore) -> None:
    template_id = make_template(db, blobs, "one")
    second = set_file(db, blobs, template_id, "two")
    with db.read() as session:
        changes = history.check_restore(session, LAYOUTER, "template", template_id, 1)
    assert not changes.empty
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None and row.files[0].sha256 == second


def test_snippet_restore_brings_back_title_and_body(db: Database, blobs: LocalBlobStore) -> None:
    with db.change("lay") as change:
        row = snippets.create_snippet(
            change, LAYOUTER, blobs, SnippetPatch(kind="shared", title="Gruss", body_text="Hallo")
        )
        snippet_id = row.id
    with db.change("lay") as change:
        row = change.session.get(Snippet, snippet_id)
        snippets.update_snippet(
            change, LAYOUTER, blobs, row, SnippetPatch(title="Neu", body_text="Tschüss")
        )
    with db.read() as session:
        result = history.compare(session, LAYOUTER, "snippet", snippet_id, 1, 2)
    assert {c.name for c in result.attributes} == {"title", "body_sha256"}
    with db.change("lay") as change:
        history.restore(change, LAYOUTER, blobs, "snippet", snippet_id, 1)
    with db.read() as session:
        row = session.get(Snippet, snippet_id)
        assert row is not None and row.title == "Gruss"
        assert row.body_sha256 is not None
        assert read(blobs, row.body_sha256) == b"Hallo"


def _age_everything(db: Database, root: Path, days: int) -> None:
    """Make every kept version and stored file look ``days`` old."""
    old = utcnow() - timedelta(days=days)
    with db.write() as session:
        for entry in session.scalars(select(ObjectVersion)):
            entry.created_at = old
        for blob in session.scalars(select(Blob)):
            blob.created_at = old
        for upload in session.scalars(select(BlobUpload)):
            upload.uploaded_at = old
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (old.timestamp(), old.timestamp()))


def test_gc_keeps_old_versions_files_until_the_retention_drops_them(
    db: Database, blobs: LocalBlobStore, tmp_path: Path
) -> None:
    template_id = make_template(db, blobs, "one")
    with db.read() as session:
        first_sha = history.get_version(session, SYS, "template", template_id, 1).snapshot["files"][
            "de"
        ]["sha256"]
    set_file(db, blobs, template_id, "two")
    _age_everything(db, tmp_path / "blobs", 10)
    with db.read() as session:
        figures = storage(session)
    assert figures.old_version_files == 1
    assert figures.old_version_bytes == len(docx("one"))

    collect_garbage(db, blobs, timedelta(days=1))
    assert read(blobs, first_sha) == docx("one")  # version 1 still needs it

    with db.change("admin") as change:
        settings.set_value(change, SYS, VERSIONS_KEPT, 1)
    assert history.prune(db, now=utcnow() + timedelta(days=400)) == 1
    assert [v.version for v in versions_of(db, "template", template_id)] == [2]
    report = collect_garbage(db, blobs, timedelta(days=1))
    assert first_sha in report.removed
    with pytest.raises(NotFound):
        blobs.stat(first_sha)


def test_the_migration_keeps_the_current_state_as_first_version(tmp_path: Path) -> None:
    from alembic import command

    from docshelf.server.db.migrate import alembic_config
    from docshelf.server.db.models import TemplateFile
    from docshelf.server.db.versions import take

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")

    def upgrade_to(revision: str) -> None:
        config = alembic_config()
        with database.engine.execution_options(docshelf_write=True).connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()

    upgrade_to("0006")
    sha = "a" * 64
    with database.write() as session:
        session.add(Blob(sha256=sha, size=10))
        session.add(
            Template(id="t1", kind="docx", status="released", titles={"de": "x"}, version=4, seq=1)
        )
        session.flush()
        session.add(
            TemplateFile(template_id="t1", lang="de", sha256=sha, size=10, filename="x.docx")
        )
        session.add(
            Snippet(
                id="s1",
                kind="shared",
                title="s",
                read_rights=["*"],
                body_sha256=sha,
                version=2,
                seq=1,
            )
        )
    upgrade_to("head")
    with database.read() as session:
        for model, kind, number in ((Template, "template", 4), (Snippet, "snippet", 2)):
            [kept] = history.list_versions(session, SYS, kind, "t1" if kind == "template" else "s1")
            assert kept.version == number
            # The same snapshot the running code takes: the first change records nothing new.
            row = session.get(model, kept.object_id)
            assert take(session, row)[1] == kept.snapshot
        assert storage(session).old_version_files == 0
    database.dispose()


def test_a_purged_template_leaves_a_marked_version_and_goes_with_the_retention(
    db: Database, blobs: LocalBlobStore
) -> None:
    template_id = make_template(db, blobs, "one")
    with db.change("admin") as change:
        row = change.session.get(Template, template_id)
        templates.deactivate(change, SYS, row)
    with db.change("admin") as change:
        templates.purge(change, SYS, change.session.get(Template, template_id))
    with db.read() as session:
        kept = list(
            session.scalars(
                select(ObjectVersion)
                .where(ObjectVersion.object_id == template_id)
                .order_by(ObjectVersion.version)
            )
        )
        assert [v.deleted for v in kept] == [False, False, True]
        assert storage(session).old_version_files == 1
    assert history.prune(db, now=utcnow() + timedelta(days=366)) == 3


def test_bringing_back_an_active_version_of_a_deactivated_template_is_the_sys_role(
    db: Database, blobs: LocalBlobStore
) -> None:
    template_id = make_template(db, blobs, "one")
    with db.change("lay") as change:
        templates.deactivate(change, LAYOUTER, change.session.get(Template, template_id))
    with db.change("lay") as change, pytest.raises(Forbidden):
        history.restore(change, LAYOUTER, blobs, "template", template_id, 1)
    with db.change("admin") as change:
        history.restore(change, SYS, blobs, "template", template_id, 1)
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None and row.active
    # And back: deactivating through a restore needs the Change right only.
    with db.change("lay") as change:
        history.restore(change, LAYOUTER, blobs, "template", template_id, 2)
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None and not row.active
