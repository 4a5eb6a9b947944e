"""The editor calls the desktop's snippet dialog queues, without a server: shared snippets
with read and write rights at creation, and rights changed later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docshelf.client.editing import Editor
from docshelf.client.files import FileStore
from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore
from docshelf.domain.errors import Forbidden, InvalidInput

LAYOUTER, ANNA = "u-lay", "u-anna"


def _put(store: LocalStore, kind: str, record: dict[str, Any]) -> None:
    with store.transaction() as db:
        LocalStore.write_upserts(db, [Upsert(kind, record["id"], 1, "h", record)])


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "cache.db")
    for user_id, login, roles in (
        (LAYOUTER, "lay", ["user", "layouter"]),
        (ANNA, "anna", ["user"]),
    ):
        _put(
            store,
            "user",
            {"id": user_id, "login": login, "display_name": login.title(), "fields": {},
             "roles": roles, "active": True},
        )  # fmt: skip
    _put(store, "group", {"id": "g-team", "name": "Team"})
    return store


def _editor(store: LocalStore, tmp_path: Path, user: str) -> Editor:
    return Editor(store, FileStore(tmp_path / "files"), user)


def _body(tmp_path: Path, name: str = "body.html", text: str = "<p><b>Hallo</b></p>") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_shared_snippet_carries_the_rights_given_as_principals(
    store: LocalStore, tmp_path: Path
) -> None:
    editor = _editor(store, tmp_path, LAYOUTER)
    queued = editor.snippet_new(
        "Gruss", _body(tmp_path), read=["group:g-team", "user:anna"], write=[f"user:{LAYOUTER}"]
    )
    [entry] = store.outbox.entries()
    assert entry.id == queued.id
    assert entry.edit.set["kind"] == "shared" and entry.edit.set["body_format"] == "html"
    assert entry.edit.add == {
        "read_rights": ["group:g-team", f"user:{ANNA}"],
        "write_rights": [f"user:{LAYOUTER}"],
    }
    shown = store.view_record("snippet", entry.edit.target, LAYOUTER)
    assert shown is not None and shown["read_rights"] == ["group:g-team", f"user:{ANNA}"]

    editor.snippet_rights(entry.edit.target, "read", ["*"], ["group:g-team"])
    shown = store.view_record("snippet", entry.edit.target, LAYOUTER)
    assert shown is not None and shown["read_rights"] == ["*", f"user:{ANNA}"]


def test_rights_are_refused_where_roles_or_kind_rule_them_out(
    store: LocalStore, tmp_path: Path
) -> None:
    anna = _editor(store, tmp_path, ANNA)
    with pytest.raises(Forbidden, match="Only layouters"):
        anna.snippet_new("Geteilt", _body(tmp_path), read=["*"])
    personal = anna.snippet_new("Meins", _body(tmp_path, "body.txt", "Hallo"))
    [entry] = store.outbox.entries()
    assert entry.id == personal.id and entry.edit.set["kind"] == "personal"
    with pytest.raises(InvalidInput, match="Only shared snippets"):
        anna.snippet_rights(entry.edit.target, "read", ["*"], [])


def test_a_member_no_longer_in_the_copy_can_still_be_withdrawn(
    store: LocalStore, tmp_path: Path
) -> None:
    _put(
        store,
        "snippet",
        {"id": "s-old", "kind": "shared", "title": "Alt", "owner_id": None,
         "template_id": None, "read_rights": ["group:g-gone", "*"],
         "write_rights": [f"user:{LAYOUTER}"], "body_sha256": None, "body_format": "text"},
    )  # fmt: skip
    editor = _editor(store, tmp_path, LAYOUTER)
    editor.snippet_rights("s-old", "read", [], ["group:g-gone"])
    shown = store.view_record("snippet", "s-old", LAYOUTER)
    assert shown is not None and shown["read_rights"] == ["*"]
