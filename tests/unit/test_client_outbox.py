"""The outbox and the editor without a server: edits are durable, shown at once, refused
early when certainly forbidden, and never dropped without the user's say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docshelf.client.editing import Editor
from docshelf.client.files import FileStore
from docshelf.client.outbox import EditState, new_mutation_id
from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore
from docshelf.domain.edits import EditKind, Op
from docshelf.domain.errors import Conflict, Forbidden, InvalidInput, NotFound

ANNA, BEN = "u-anna", "u-ben"


def _put(store: LocalStore, kind: str, record: dict[str, Any]) -> None:
    with store.transaction() as db:
        LocalStore.write_upserts(
            db, [Upsert(kind, record["id"], record.get("version", 1), "h", record)]
        )


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "cache.db")
    for user_id, login, roles in ((ANNA, "anna", ["user"]), (BEN, "ben", ["user", "org"])):
        _put(
            store,
            "user",
            {"id": user_id, "version": 1, "login": login, "display_name": login.title(),
             "fields": {}, "roles": roles, "active": True},
        )  # fmt: skip
    for key, ftype in (("phone", "phone"), ("email", "email")):
        _put(
            store,
            "field",
            {"id": f"f-{key}", "version": 1, "key": key, "scope": "user", "type": ftype,
             "labels": {"de": key.title()}, "order": 0},
        )  # fmt: skip
    _put(
        store,
        "unit",
        {"id": "unit-hq", "version": 1, "parent_id": None, "title": "HQ",
         "fields": {"phone": "+41 44 000 00 00"}, "assignable_by": ["*"], "order": 0},
    )  # fmt: skip
    _put(
        store,
        "unit",
        {"id": "unit-board", "version": 1, "parent_id": "unit-hq", "title": "Board",
         "fields": {}, "assignable_by": [f"user:{BEN}"], "order": 1},
    )  # fmt: skip
    _put(
        store,
        "profile",
        {"id": "p-anna", "version": 3, "owner_id": ANNA, "unit_id": "unit-hq",
         "title": "Anna HQ", "overrides": {"email": "anna@example.com"}, "shared_with": []},
    )  # fmt: skip
    _put(
        store,
        "profile",
        {"id": "p-ben", "version": 1, "owner_id": BEN, "unit_id": "unit-hq",
         "title": "Ben HQ", "overrides": {}, "shared_with": [ANNA]},
    )  # fmt: skip
    _put(
        store,
        "template",
        {"id": "t-letter", "version": 2, "group_id": None, "kind": "dotx",
         "status": "released", "active": True, "titles": {"de": "Brief"}, "descriptions": {},
         "use_rights": ["*"], "change_rights": [], "files": {}, "order": 0},
    )  # fmt: skip
    return store


@pytest.fixture
def anna(store: LocalStore, tmp_path: Path) -> Editor:
    return Editor(store, FileStore(tmp_path / "files"), ANNA)


def _profile(store: LocalStore, ident: str) -> dict[str, Any]:
    record = store.view_record("profile", ident, ANNA)
    assert record is not None
    return record


def test_an_edit_shows_at_once_and_waits_in_the_outbox(store: LocalStore, anna: Editor) -> None:
    queued = anna.profile_set("Anna HQ", "phone", "+41 44 111 11 11")
    assert "Phone" in queued.message  # the field's label, not its key
    assert _profile(store, "p-anna")["overrides"]["phone"] == "+41 44 111 11 11"
    assert store.record("profile", "p-anna")["overrides"].get("phone") is None  # type: ignore[index]
    [entry] = store.outbox.entries([EditState.PENDING])
    assert entry.id == queued.id
    assert entry.edit.set == {"overrides.phone": "+41 44 111 11 11"}
    assert entry.edit.base == {"overrides.phone": None}


def test_the_outbox_survives_reopening(store: LocalStore, anna: Editor, tmp_path: Path) -> None:
    anna.profile_set("p-anna", "title", "Anna Zürich")
    store.close()
    again = LocalStore(tmp_path / "cache.db")
    assert [e.summary for e in again.outbox.entries()] == [
        "title of profile 'Anna HQ' set to 'Anna Zürich'"
    ]
    assert again.view_record("profile", "p-anna", ANNA)["title"] == "Anna Zürich"  # type: ignore[index]


def test_a_second_edit_is_based_on_the_first(store: LocalStore, anna: Editor) -> None:
    anna.profile_set("p-anna", "phone", "+41 1")
    anna.profile_set("p-anna", "phone", "+41 2")
    first, second = store.outbox.entries()
    assert first.edit.base == {"overrides.phone": None}
    assert second.edit.base == {"overrides.phone": "+41 1"}
    assert _profile(store, "p-anna")["overrides"]["phone"] == "+41 2"


def test_reset_makes_the_field_inherited_again(store: LocalStore, anna: Editor) -> None:
    anna.profile_reset("p-anna", "email")
    assert "email" not in _profile(store, "p-anna")["overrides"]
    with pytest.raises(InvalidInput, match="already inherited"):
        anna.profile_reset("p-anna", "phone")


def test_invalid_values_and_unknown_fields_are_refused(store: LocalStore, anna: Editor) -> None:
    with pytest.raises(NotFound, match="the fields are: email, phone"):
        anna.profile_set("p-anna", "fax", "1")
    with pytest.raises(InvalidInput):
        anna.profile_set("p-anna", "email", "not an address")
    assert store.outbox.entries() == []


def test_a_shared_profile_is_not_mine_to_change_but_to_copy(
    store: LocalStore, anna: Editor
) -> None:
    with pytest.raises(Forbidden, match="only its owner"):
        anna.profile_set("Ben HQ", "phone", "+41 1")
    with pytest.raises(Forbidden):
        anna.profile_share("p-ben", "anna")
    queued = anna.profile_copy("Ben HQ")
    [entry] = store.outbox.entries()
    assert entry.id == queued.id and entry.edit.op is Op.CREATE
    copy = _profile(store, entry.edit.target)
    assert copy["title"] == "Ben HQ (copy)" and copy["owner_id"] == ANNA


def test_units_only_where_assignable(store: LocalStore, anna: Editor, tmp_path: Path) -> None:
    with pytest.raises(Forbidden, match="may not assign"):
        anna.profile_set("p-anna", "unit", "Board")
    ben = Editor(store, FileStore(tmp_path / "files"), BEN)
    ben.profile_set("p-ben", "unit", "Board")
    assert store.view_record("profile", "p-ben", BEN)["unit_id"] == "unit-board"  # type: ignore[index]


def test_sharing_is_a_set_operation(store: LocalStore, anna: Editor) -> None:
    anna.profile_share("p-anna", "ben")
    anna.profile_share("p-anna", "ben")
    assert _profile(store, "p-anna")["shared_with"] == [BEN]
    anna.profile_share("p-anna", "ben", share=False)
    assert _profile(store, "p-anna")["shared_with"] == []
    entries = store.outbox.entries()
    assert [e.edit.add for e in entries] == [{"shared_with": [BEN]}] * 2 + [{}]
    assert entries[2].edit.remove == {"shared_with": [BEN]}


def test_deleting_hides_the_record_and_bases_on_all_it_held(
    store: LocalStore, anna: Editor
) -> None:
    anna.profile_rm("p-anna")
    assert store.view_record("profile", "p-anna", ANNA) is None
    [entry] = store.outbox.entries()
    assert entry.edit.op is Op.DELETE
    assert entry.edit.base["overrides.email"] == "anna@example.com"
    assert entry.edit.base["title"] == "Anna HQ"


def test_roles_are_checked_locally(store: LocalStore, anna: Editor, tmp_path: Path) -> None:
    with pytest.raises(Forbidden, match="layouter"):
        anna.template_set("t-letter", lang="de", title="Neuer Brief")
    with pytest.raises(Forbidden, match="Org"):
        anna.unit_new("Sales", "HQ")
    ben = Editor(store, FileStore(tmp_path / "files"), BEN)
    ben.unit_new("Sales", "HQ")
    assert [u["title"] for u in store.view("unit", BEN)] == ["Board", "HQ", "Sales"]
    with pytest.raises(Conflict, match="sub-units"):
        ben.unit_rm("HQ")
    ben.profile_set("p-ben", "unit", "Board")
    with pytest.raises(Conflict, match="used by profile 'Ben HQ'"):
        ben.unit_rm("Board")
    with pytest.raises(InvalidInput, match="below itself"):
        ben.unit_move("HQ", "Board")


def test_a_snippet_body_file_is_kept_until_uploaded(
    store: LocalStore, anna: Editor, tmp_path: Path
) -> None:
    body = tmp_path / "greeting.txt"
    body.write_text("Freundliche Grüsse\nAnna", encoding="utf-8")
    anna.snippet_new("Gruss", body)
    [entry] = store.outbox.entries()
    [sha] = entry.files
    assert anna.files.path(sha).read_bytes() == body.read_bytes()
    assert store.still_referenced([sha]) == {sha}
    # A full clean-up of the file store (after a reconciliation) keeps it too.
    with store.transaction() as db:
        LocalStore.index_files(db, set())
        needed = LocalStore.needed_files(db)
    assert sha in needed
    anna.discard(entry.id)
    assert not anna.files.has(sha)
    binary = tmp_path / "bad.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        anna.snippet_new("Kaputt", binary)


def test_conflicts_are_kept_until_resolved(store: LocalStore, anna: Editor) -> None:
    queued = anna.profile_set("p-anna", "phone", "+41 9")
    with store.transaction():
        store.outbox.conflict(queued.id, {"overrides.phone": "+41 8"})
    [conflict] = anna.conflicts()
    shown = conflict.to_json()
    assert shown["mine"] == {"overrides.phone": "+41 9"}
    assert shown["theirs"] == {"overrides.phone": "+41 8"}
    # Not laid over the cache meanwhile: the server's version shows until the user chooses.
    assert "phone" not in _profile(store, "p-anna")["overrides"]
    pending = anna.profile_set("p-anna", "title", "Anna")
    with pytest.raises(InvalidInput, match="not in conflict"):
        anna.resolve(pending.id, "mine")
    requeued = anna.resolve(queued.id[:10], "mine")
    entry = store.outbox.get(requeued.id)
    assert entry.state is EditState.PENDING
    assert entry.edit.base == {"overrides.phone": "+41 8"}
    assert entry.edit.kind is EditKind.PROFILE


def test_keep_theirs_drops_only_that_edit(store: LocalStore, anna: Editor) -> None:
    first = anna.profile_set("p-anna", "phone", "+41 9")
    second = anna.profile_set("p-anna", "title", "Anna")
    with store.transaction():
        store.outbox.conflict(first.id, {"overrides.phone": "+41 8"})
    anna.resolve(first.id, "theirs")
    assert [e.id for e in store.outbox.entries()] == [second.id]


def test_applied_edits_show_until_the_pull_brings_them(store: LocalStore, anna: Editor) -> None:
    queued = anna.profile_set("p-anna", "phone", "+41 7")
    with store.transaction():
        store.outbox.applied(queued.id, 4)
    assert _profile(store, "p-anna")["overrides"]["phone"] == "+41 7"
    _put(
        store,
        "profile",
        {"id": "p-anna", "version": 5, "owner_id": ANNA, "unit_id": "unit-hq",
         "title": "Anna HQ", "overrides": {"phone": "+41 6"}, "shared_with": []},
    )  # fmt: skip
    # The server moved on past the accepted edit: its newer value shows.
    assert _profile(store, "p-anna")["overrides"]["phone"] == "+41 6"
    with store.transaction():
        assert store.outbox.forget_applied() == []
    assert store.outbox.entries() == []


def test_template_groups_never_move_below_themselves(store: LocalStore, tmp_path: Path) -> None:
    _put(
        store,
        "user",
        {"id": "u-lena", "version": 1, "login": "lena", "display_name": "Lena", "fields": {},
         "roles": ["user", "layouter"], "active": True},
    )  # fmt: skip
    for ident, parent in (("g-top", None), ("g-mid", "g-top"), ("g-low", "g-mid")):
        _put(
            store,
            "template_group",
            {"id": ident, "version": 1, "parent_id": parent, "titles": {"de": ident}, "order": 0},
        )
    lena = Editor(store, FileStore(tmp_path / "files"), "u-lena")
    with pytest.raises(InvalidInput, match="below itself"):
        lena.template_group_set("g-top", lang=None, title=None, parent="g-low", top=False)
    lena.template_group_set("g-low", lang=None, title=None, parent=None, top=True)
    assert store.view_record("template_group", "g-low")["parent_id"] is None  # type: ignore[index]
    with pytest.raises(Conflict, match="sub-groups"):
        lena.template_group_rm("g-top")


def test_an_edit_id_never_reads_as_an_option() -> None:
    """Edit ids are typed after commands (`docshelf conflicts ... ID`); one in 64 random ids
    began with "-", which click read as an option."""
    ids = [new_mutation_id() for _ in range(3000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)
