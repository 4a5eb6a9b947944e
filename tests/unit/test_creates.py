"""Creations take the typed patch of their kind (docshelf.domain.patches): what the
registry requires must be set, the rest gets its default, every value is checked by the
appliers updates use, and what only a creation sets cannot be changed later."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docshelf.domain.accounts import Actor, Role, system_actor
from docshelf.domain.edits import Edit, EditKind, Op
from docshelf.domain.errors import InvalidInput, NotFound
from docshelf.domain.patches import (
    REGISTRY,
    UNSET,
    FieldDefinitionPatch,
    GroupPatch,
    Patch,
    ProfilePatch,
    SnippetPatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
    checked,
    checked_new,
)
from docshelf.protocol.admin import SnippetCreate, TemplateCreate, UnitCreate, UserCreate
from docshelf.server.blobstore.local import LocalBlobStore
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Template, User
from docshelf.server.services import accounts, fields, profiles, snippets, templates, units
from docshelf.server.sync import edit_patches

SYS = system_actor()
LAYOUTER = Actor(user_id="lay", login="lay", roles=frozenset({Role.USER, Role.LAYOUTER}))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'creates.db'}")
    upgrade(database)
    with database.change("test") as change:
        change.add(User(id="lay", login="lay", display_name="lay"), "user")
    yield database
    database.dispose()


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


Create = Callable[[Change, LocalBlobStore, Any], Any]
CREATES: dict[str, Create] = {
    "template": lambda change, blobs, patch: templates.create_template(change, SYS, patch),
    "template_group": lambda change, blobs, patch: templates.create_group(change, SYS, patch),
    "snippet": lambda change, blobs, patch: snippets.create_snippet(change, SYS, blobs, patch),
    "profile": lambda change, blobs, patch: profiles.create_profile(change, SYS, patch),
    "unit": lambda change, blobs, patch: units.create_unit(change, SYS, patch),
    "field": lambda change, blobs, patch: fields.create_field(change, SYS, patch),
    "user": lambda change, blobs, patch: accounts.create_user(change, SYS, patch),
    "group": lambda change, blobs, patch: accounts.create_group(change, SYS, patch),
}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (TemplatePatch(titles={"de": "Brief"}), "A new template needs: kind"),
        (TemplatePatch(kind="docx"), "A new template needs: titles"),
        (TemplateGroupPatch(order=1), "A new template group needs: titles"),
        (SnippetPatch(body_text="Hallo"), "A new snippet needs: kind, title"),
        (ProfilePatch(owner_id="lay"), "A new profile needs: title"),
        (UnitPatch(parent_id=None), "A new unit needs: title"),
        (FieldDefinitionPatch(key="phone"), "A new field needs: scope"),
        (UserPatch(display_name="Anna"), "A new user needs: login"),
        (GroupPatch(description="x"), "A new group needs: name"),
    ],
)
def test_a_creation_without_what_it_needs_is_refused_naming_it(
    db: Database, blobs: LocalBlobStore, patch: Patch, message: str
) -> None:
    with pytest.raises(InvalidInput, match=f"^{re.escape(message)}$"), db.change("test") as change:
        CREATES[_kind(patch)](change, blobs, patch)


def _kind(patch: Patch) -> str:
    return next(name for name, kind in REGISTRY.items() if isinstance(patch, kind.patch))


def test_every_kind_has_a_create_and_needs_something() -> None:
    assert set(CREATES) == set(REGISTRY)
    assert all(kind.required for kind in REGISTRY.values())


def test_what_a_creation_leaves_out_gets_its_default(db: Database) -> None:
    with db.change("test") as change:
        row = templates.create_template(
            change, LAYOUTER, TemplatePatch(kind=".DOCX", titles={"de": " Brief "})
        )
        template_id = row.id
    with db.read() as session:
        row = session.get(Template, template_id)
        assert row is not None
        assert (row.kind, row.titles, row.descriptions) == ("docx", {"de": "Brief"}, {})
        assert (row.status, row.active, row.group_id, row.order) == ("in_progress", True, None, 0)
        # Everyone may use it; the layouter who made it may go on changing it.
        assert (row.use_rights, row.change_rights) == (["*"], ["user:lay"])


def test_a_creation_checks_its_values_as_an_update_does(
    db: Database, blobs: LocalBlobStore
) -> None:
    with pytest.raises(InvalidInput, match="Unknown template type"), db.change("t") as change:
        templates.create_template(change, SYS, TemplatePatch(kind="pdf", titles={"de": "B"}))
    with pytest.raises(NotFound), db.change("t") as change:
        units.create_unit(change, SYS, UnitPatch(title="Bern", parent_id="nowhere"))
    with pytest.raises(InvalidInput, match="Only shared snippets"), db.change("t") as change:
        personal = SnippetPatch(kind="personal", title="Mine", read_rights=("*",))
        snippets.create_snippet(change, LAYOUTER, blobs, personal)
    with db.change("t") as change:  # no rights are as good as none given
        personal = SnippetPatch(kind="personal", title="Mine", read_rights=())
        assert snippets.create_snippet(change, LAYOUTER, blobs, personal).read_rights == []


def test_what_only_a_creation_sets_cannot_be_changed(db: Database) -> None:
    with db.change("test") as change:
        row = templates.create_template(
            change, SYS, TemplatePatch(kind="docx", titles={"de": "Brief"})
        )
        with pytest.raises(InvalidInput, match="'kind' of a template is given when it is created"):
            templates.update_template(change, SYS, row, TemplatePatch(kind="xlsx"))
    for kind in REGISTRY.values():
        for name in set(kind.attributes) - set(kind.changeable):
            patch = kind.patch(**{name: "x"})
            with pytest.raises(InvalidInput, match=name):
                checked(patch)


def test_a_sync_edit_creating_without_what_it_needs_is_refused_naming_it(
    db: Database, blobs: LocalBlobStore
) -> None:
    edit = Edit(kind=EditKind.SNIPPET, op=Op.CREATE, target="s1", set={"title": "Gruss"})
    with pytest.raises(InvalidInput, match=r"^A new snippet needs: kind$"), db.change("t") as c:
        edit_patches.create(c, SYS, blobs, edit_patches.checked(edit))


def test_a_create_request_body_is_read_as_a_patch() -> None:
    body = TemplateCreate.model_validate({"kind": "docx", "titles": {"de": "Brief"}})
    assert body.patch() == TemplatePatch(kind="docx", titles={"de": "Brief"})
    # Explicit nulls of what cannot be empty leave the default, as before.
    body = TemplateCreate.model_validate({"kind": "docx", "titles": {}, "use_rights": None})
    assert body.patch().use_rights is UNSET
    assert UnitCreate.model_validate({"title": "Bern", "assignable_by": None}).patch() == (
        UnitPatch(title="Bern", assignable_by=None)
    )
    assert UserCreate.model_validate({"login": "anna", "password": "x" * 12}).patch() == (
        UserPatch(login="anna")
    )
    snippet = SnippetCreate.model_validate(
        {"kind": "shared", "title": "Gruss", "body": "Hallo", "body_sha256": None}
    )
    assert snippet.patch() == SnippetPatch(kind="shared", title="Gruss", body_text="Hallo")
    assert checked_new(snippet.patch()).body_text == "Hallo"
