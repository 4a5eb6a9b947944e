"""Which files image fields show, for the files documents need offline: found with only
the image fields resolved (every sync asks it), and the same as the profiles show them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docshelf.client import reading
from docshelf.client.documents import all_needed_files, needed_files
from docshelf.client.editing import Editor
from docshelf.client.files import FileStore
from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore
from support.word_templates import inline, word

ANNA, BEN, CARL = "u-anna", "u-ben", "u-carl"


def _sha(n: int) -> str:
    return f"{n:064x}"


ROOT_LOGO, BOARD_LOGO, OVERRIDE_LOGO = _sha(1), _sha(2), _sha(3)
ANNA_SIGNATURE, BEN_SIGNATURE, CARL_SIGNATURE, PENDING_LOGO = _sha(4), _sha(5), _sha(6), _sha(7)
STRANGER_LOGO = _sha(8)


def _put(store: LocalStore, kind: str, record: dict[str, Any]) -> None:
    with store.transaction() as db:
        LocalStore.write_upserts(
            db, [Upsert(kind, record["id"], record.get("version", 1), "h", record)]
        )


def _user(ident: str, signature: str | None) -> dict[str, Any]:
    fields = {"phone": "+41 44 000 00 00"}
    if signature:
        fields["signature"] = signature
    return {"id": ident, "version": 1, "login": ident[2:], "display_name": ident[2:].title(),
            "fields": fields, "roles": ["user"], "active": True}  # fmt: skip


def _unit(ident: str, parent: str | None, fields: dict[str, str]) -> dict[str, Any]:
    return {"id": ident, "version": 1, "parent_id": parent, "title": ident, "fields": fields,
            "assignable_by": None, "order": 0}  # fmt: skip


def _profile(ident: str, owner: str, unit: str | None, **overrides: str) -> dict[str, Any]:
    return {"id": ident, "version": 1, "owner_id": owner, "unit_id": unit, "title": ident,
            "overrides": overrides, "shared_with": [ANNA] if owner != ANNA else []}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "cache.db")
    for key, scope, ftype in (
        ("logo", "unit", "image"),
        ("signature", "user", "image"),
        ("phone", "unit", "phone"),
    ):
        _put(store, "field", {"id": f"f-{key}", "version": 1, "key": key, "scope": scope,
                              "type": ftype, "labels": {"de": key}, "order": 0})  # fmt: skip
    _put(store, "user", _user(ANNA, ANNA_SIGNATURE))
    _put(store, "user", _user(BEN, BEN_SIGNATURE))
    # Carl owns no profile Anna may use: his signature is no business of her documents.
    _put(store, "user", _user(CARL, CARL_SIGNATURE))
    _put(store, "unit", _unit("hq", None, {"logo": ROOT_LOGO, "phone": "+41 44 1"}))
    _put(store, "unit", _unit("board", "hq", {"logo": BOARD_LOGO}))
    _put(store, "unit", _unit("team", "board", {}))  # inherits the board's logo
    _put(store, "unit", _unit("blank", "hq", {"logo": ""}))  # a unit that says "no logo"
    _put(store, "unit", _unit("elsewhere", None, {"logo": STRANGER_LOGO}))  # nobody's unit
    _put(store, "profile", _profile("p-anna-team", ANNA, "team"))
    _put(store, "profile", _profile("p-anna-blank", ANNA, "blank"))
    _put(store, "profile", _profile("p-anna-own", ANNA, "hq", logo=OVERRIDE_LOGO))
    _put(store, "profile", _profile("p-ben", BEN, "gone-unit"))  # a unit not in the copy
    return store


def _as_profiles_show_them(store: LocalStore, user_id: str) -> dict[str, set[str]]:
    """The image fields' values as the profiles list resolves every field of them."""
    images = {r["key"] for r in store.records("field") if r["type"] == "image"}
    found: dict[str, set[str]] = {}
    for profile in reading.profiles(store, user_id):
        for field in profile["fields"]:
            if field["key"] in images and field["value"]:
                found.setdefault(field["key"], set()).add(field["value"])
    own = (store.record("user", user_id) or {}).get("fields") or {}
    if own.get("signature"):
        found.setdefault("signature", set()).add(own["signature"])
    return found


def test_image_files_are_those_the_profiles_and_own_fields_show(store: LocalStore) -> None:
    try:
        found = reading.image_files(store, ANNA)
        assert found == {
            "logo": {BOARD_LOGO, OVERRIDE_LOGO},
            "signature": {ANNA_SIGNATURE, BEN_SIGNATURE},
        }
        assert found == _as_profiles_show_them(store, ANNA)
    finally:
        store.close()


def test_an_edit_not_yet_sent_counts_as_the_profile_shows_it(
    store: LocalStore, tmp_path: Path
) -> None:
    try:
        Editor(store, FileStore(tmp_path / "files"), ANNA).profile_set(
            "p-anna-blank", "logo", PENDING_LOGO
        )
        found = reading.image_files(store, ANNA)
        assert PENDING_LOGO in found["logo"]
        assert found == _as_profiles_show_them(store, ANNA)
    finally:
        store.close()


def test_without_image_fields_no_profile_is_read(store: LocalStore) -> None:
    try:
        with store.transaction() as db:
            db.execute("DELETE FROM records WHERE kind = 'field' AND id != 'f-phone'")
        read: list[str] = []
        store._db.set_trace_callback(read.append)
        assert reading.image_files(store, ANNA) == {}
        store._db.set_trace_callback(None)
        assert not any("profile" in statement for statement in read)
    finally:
        store.close()


def test_a_tag_naming_a_text_field_as_an_image_needs_no_file(
    store: LocalStore, tmp_path: Path
) -> None:
    """A layouter's slip (``image:phone``) once made the phone numbers "files" to fetch,
    and every sync of every user with a phone failed on them as bad file references."""
    files = FileStore(tmp_path / "files")
    try:
        sha = files.put_bytes(word(inline("field:phone", "Telefon"), pictures=("image:phone",)))
        template = {"id": "t", "files": {"de": {"sha256": sha, "filename": "Brief.docx"}}}
        assert needed_files(store, files, template, ANNA) == {sha}
        with_logo = files.put_bytes(word(pictures=("image:logo", "image:signature")))
        _put(store, "template", {**template, "id": "t2", "titles": {"de": "B"}, "files": {
            "de": {"sha256": with_logo, "filename": "Logo.docx"}}})  # fmt: skip
        assert all_needed_files(store, files, ANNA) == {
            with_logo,
            BOARD_LOGO,
            OVERRIDE_LOGO,
            ANNA_SIGNATURE,
            BEN_SIGNATURE,
        }
    finally:
        store.close()
