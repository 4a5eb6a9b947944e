"""The history of deleted templates and snippets: read from the kept versions, the rights
checked on the last kept state, a restore creating the object again with its id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor, Role, system_actor
from docshelf.domain.errors import Conflict, Forbidden, NotFound
from docshelf.domain.patches import SnippetPatch, TemplateGroupPatch, TemplatePatch
from docshelf.server import convert
from docshelf.server.blobstore.local import LocalBlobStore
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Snippet, Template, TemplateGroup, Tombstone, User
from docshelf.server.services import deleted, history, snippets, templates
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


def make_template(db: Database, blobs: LocalBlobStore, group_id: str | None = None) -> str:
    with db.change("lay") as change:
        row = templates.create_template(
            change,
            LAYOUTER,
            TemplatePatch(
                kind="docx",
                titles={"de": "Brief", "en": "Letter"},
                status="released",
                group_id=group_id,
            ),
        )
        sha = store_bytes(change.session, blobs, docx("Brief"))
        templates.set_file(change, LAYOUTER, blobs, row, lang="de", sha256=sha, filename="a.docx")
        return row.id


def purge(db: Database, template_id: str) -> None:
    with db.change("admin") as change:
        templates.deactivate(change, SYS, change.session.get(Template, template_id))
    with db.change("admin") as change:
        templates.purge(change, SYS, change.session.get(Template, template_id))


def make_snippet(db: Database, blobs: LocalBlobStore, template_id: str | None = None) -> str:
    with db.change("lay") as change:
        row = snippets.create_snippet(
            change,
            LAYOUTER,
            blobs,
            SnippetPatch(
                kind="template" if template_id else "shared",
                template_id=template_id,
                title="Gruss",
                body_text="Hallo",
            ),
        )
        return row.id


def delete_snippet(db: Database, snippet_id: str) -> None:
    with db.change("lay") as change:
        snippets.delete_snippet(change, LAYOUTER, change.session.get(Snippet, snippet_id))


def test_rights_on_a_snapshot_are_those_of_the_template_it_describes() -> None:
    snapshot = {
        "kind": "docx",
        "group_id": None,
        "status": "released",
        "active": False,
        "titles": {"de": "Brief"},
        "change_rights": ["user:lay"],
        "use_rights": ["*"],
        "files": {"de": {"sha256": "a" * 64, "filename": "a.docx", "size": 3}},
    }
    facts = convert.template_from_snapshot("t1", snapshot)
    assert facts.files["de"].size == 3
    assert rules.can_administer_template(LAYOUTER, facts)
    assert not rules.can_administer_template(OTHER, facts)
    assert rules.can_administer_template(SYS, facts)


def test_a_purged_templates_history_is_read_from_its_versions(
    db: Database, blobs: LocalBlobStore
) -> None:
    template_id = make_template(db, blobs)
    purge(db, template_id)
    with db.read() as session:
        kept = history.list_versions(session, LAYOUTER, "template", template_id)
        assert [v.deleted for v in kept] == [True, False, False]
        assert history.get_version(session, LAYOUTER, "template", template_id, 1).version == 1
        changes = history.compare(session, LAYOUTER, "template", template_id, 1, 2)
        assert [c.name for c in changes.attributes] == ["active"]
        assert history.current_version(session, "template", template_id) is None
        # Who may not change it learns nothing of it, as while it existed.
        with pytest.raises(NotFound):
            history.list_versions(session, OTHER, "template", template_id)
        with pytest.raises(NotFound):
            history.check_restore(session, OTHER, "template", template_id, 1)


def test_restoring_a_purged_template_creates_it_again_with_its_id_and_file(
    db: Database, blobs: LocalBlobStore
) -> None:
    template_id = make_template(db, blobs)
    with db.read() as session:
        [listed] = deleted.deleted_objects(session, SYS) or [None]
        assert listed is None
    purge(db, template_id)
    with db.read() as session:
        assert deleted.deleted_objects(session, LAYOUTER) == []  # restoring is Sys's
        [listed] = deleted.deleted_objects(session, SYS, "template")
        assert (listed.object_id, listed.version, listed.restore_version) == (template_id, 3, 1)
        assert listed.deleted_by == "admin" and listed.blocked is None
        with pytest.raises(Forbidden):
            history.check_restore(session, LAYOUTER, "template", template_id, 1)
        dry = history.check_restore(session, SYS, "template", template_id, 1)
        assert dry.notes and [f.change for f in dry.files] == ["added"]
    with db.read() as session:
        assert session.get(Template, template_id) is None  # the dry run wrote nothing
    with db.change("admin") as change:
        history.restore(change, SYS, blobs, "template", template_id, 1)
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None and row.active and row.titles["en"] == "Letter"
        assert [(f.lang, f.filename) for f in row.files] == [("de", "a.docx")]
        assert session.get(Tombstone, ("template", template_id)) is None
        assert row.version == 4
        kept = history.list_versions(session, SYS, "template", template_id)
        assert (kept[0].version, kept[0].deleted) == (4, False)
        assert kept[0].snapshot == kept[-1].snapshot
        assert deleted.deleted_objects(session, SYS) == []


def test_a_template_whose_group_is_gone_comes_back_at_the_top_level(
    db: Database, blobs: LocalBlobStore
) -> None:
    with db.change("lay") as change:
        group_id = templates.create_group(
            change, LAYOUTER, TemplateGroupPatch(titles={"de": "Briefe"})
        ).id
    template_id = make_template(db, blobs, group_id)
    purge(db, template_id)
    with db.change("lay") as change:
        templates.delete_group(change, LAYOUTER, change.session.get(TemplateGroup, group_id))
    with db.change("admin") as change:
        changes = history.restore(change, SYS, blobs, "template", template_id, 1)
    assert any(group_id in note for note in changes.notes)
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None and row.group_id is None


def test_a_deleted_snippet_is_listed_and_restored_by_who_may_change_it(
    db: Database, blobs: LocalBlobStore
) -> None:
    snippet_id = make_snippet(db, blobs)
    delete_snippet(db, snippet_id)
    with db.read() as session:
        [listed] = deleted.deleted_objects(session, LAYOUTER, "snippet")
        assert (listed.title, listed.restore_version) == ("Gruss", 2)
        assert deleted.deleted_objects(session, OTHER) == []
        with pytest.raises(NotFound):
            history.list_versions(session, OTHER, "snippet", snippet_id)
    with db.change("lay") as change:
        history.restore(change, LAYOUTER, blobs, "snippet", snippet_id, 1)
    with db.read() as session:
        row = session.get(Snippet, snippet_id)
        assert row is not None and row.title == "Gruss" and row.version == 3


def test_a_template_snippet_waits_for_its_template(db: Database, blobs: LocalBlobStore) -> None:
    template_id = make_template(db, blobs)
    snippet_id = make_snippet(db, blobs, template_id)
    purge(db, template_id)  # takes its snippets with it
    with db.read() as session:
        # Its template's rights are gone with it: only Sys decides on it.
        with pytest.raises(NotFound):
            history.list_versions(session, LAYOUTER, "snippet", snippet_id)
        [listed] = deleted.deleted_objects(session, SYS, "snippet")
        assert listed.blocked
        with pytest.raises(Conflict):
            history.check_restore(session, SYS, "snippet", snippet_id, 1)
    with db.change("admin") as change:
        history.restore(change, SYS, blobs, "template", template_id, 1)
    with db.read() as session:
        assert history.list_versions(session, LAYOUTER, "snippet", snippet_id)
    with db.change("lay") as change:
        history.restore(change, LAYOUTER, blobs, "snippet", snippet_id, 1)
    with db.read() as session:
        assert session.get(Snippet, snippet_id) is not None
