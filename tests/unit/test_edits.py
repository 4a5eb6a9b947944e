"""The pure rules of offline edits: what merges, what conflicts, what is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from docshelf.domain.edits import (
    Edit,
    EditKind,
    Op,
    all_paths,
    apply,
    base_of,
    check_edit,
    conflicts,
    merge_set,
    split_path,
    value_at,
)
from docshelf.domain.errors import InvalidInput

PROFILE: dict[str, Any] = {
    "id": "p1",
    "version": 3,
    "owner_id": "u1",
    "unit_id": "unit-a",
    "title": "Work",
    "overrides": {"phone": "+41 44 000 00 00", "room": "3.14"},
    "shared_with": ["u2"],
}
TEMPLATE: dict[str, Any] = {
    "id": "t1",
    "version": 5,
    "titles": {"de": "Brief", "en": "Letter"},
    "descriptions": {},
    "status": "released",
    "group_id": None,
    "order": 0,
    "use_rights": ["*"],
    "change_rights": ["group:layout"],
    "files": {"de": {"sha256": "a" * 64, "size": 100, "filename": "Brief.docx"}},
}


def _update(kind: EditKind, record: dict[str, Any], new: dict[str, Any], **kw: Any) -> Edit:
    """An edit of ``record`` as a client makes it: new values with what it saw as base."""
    return Edit(kind, Op.UPDATE, record["id"], set=new, base=base_of(kind, record, new), **kw)


def test_edits_of_different_fields_merge() -> None:
    mine = _update(EditKind.PROFILE, PROFILE, {"title": "Office"})
    theirs = _update(EditKind.PROFILE, PROFILE, {"overrides.phone": "+41 44 111 11 11"})
    server = apply(theirs, PROFILE)

    assert conflicts(mine, server) == {}
    merged = apply(mine, server)
    assert merged["title"] == "Office"
    assert merged["overrides"] == {"phone": "+41 44 111 11 11", "room": "3.14"}


def test_entries_of_one_mapping_are_judged_one_by_one() -> None:
    mine = _update(EditKind.PROFILE, PROFILE, {"overrides.room": "4.01"})
    server = apply(_update(EditKind.PROFILE, PROFILE, {"overrides.phone": None}), PROFILE)

    assert conflicts(mine, server) == {}
    assert apply(mine, server)["overrides"] == {"room": "4.01"}


def test_the_same_field_changed_to_different_values_conflicts() -> None:
    server = apply(_update(EditKind.PROFILE, PROFILE, {"title": "Home"}), PROFILE)
    mine = _update(EditKind.PROFILE, PROFILE, {"title": "Office", "overrides.room": "1"})

    # Only the clashing path is reported, with the server's (their) value.
    assert conflicts(mine, server) == {"title": "Home"}


def test_equal_content_is_no_conflict() -> None:
    server = apply(_update(EditKind.PROFILE, PROFILE, {"title": "Home"}), PROFILE)
    mine = _update(EditKind.PROFILE, PROFILE, {"title": "Home"})

    assert conflicts(mine, server) == {}


def test_resetting_an_entry_someone_else_reset_is_no_conflict() -> None:
    server = apply(_update(EditKind.PROFILE, PROFILE, {"overrides.phone": None}), PROFILE)
    mine = _update(EditKind.PROFILE, PROFILE, {"overrides.phone": None})

    assert conflicts(mine, server) == {}


def test_an_edit_without_base_overwrites_whatever_is_there() -> None:
    server = apply(_update(EditKind.PROFILE, PROFILE, {"title": "Home"}), PROFILE)
    blind = Edit(EditKind.PROFILE, Op.UPDATE, "p1", set={"title": "Office"})

    assert conflicts(blind, server) == {}


def test_files_are_compared_by_hash_not_by_name_or_size() -> None:
    renamed = copy.deepcopy(TEMPLATE)
    renamed["files"]["de"] = {"sha256": "a" * 64, "size": 100, "filename": "Other name.docx"}
    same_file = _update(
        EditKind.TEMPLATE,
        TEMPLATE,
        {"files.de": {"sha256": "b" * 64, "filename": "Brief.docx"}},
    )
    assert value_at(EditKind.TEMPLATE, TEMPLATE, "files.de") == "a" * 64
    # Someone renamed the file: the content the user replaced is still the one they saw.
    assert conflicts(same_file, renamed) == {}

    replaced = copy.deepcopy(TEMPLATE)
    replaced["files"]["de"] = {"sha256": "c" * 64, "size": 7, "filename": "Brief.docx"}
    assert conflicts(same_file, replaced) == {"files.de": replaced["files"]["de"]}

    # Someone uploaded the very file the user wants: equal content.
    uploaded = copy.deepcopy(TEMPLATE)
    uploaded["files"]["de"] = {"sha256": "b" * 64, "size": 9, "filename": "x.docx"}
    assert conflicts(same_file, uploaded) == {}


def test_set_members_are_added_and_removed_without_conflict() -> None:
    mine = Edit(
        EditKind.PROFILE,
        Op.UPDATE,
        "p1",
        add={"shared_with": ["u3", "u2"]},
        remove={"shared_with": ["u9"]},
    )
    theirs = Edit(EditKind.PROFILE, Op.UPDATE, "p1", add={"shared_with": ["u4"]})
    server = apply(theirs, PROFILE)

    assert conflicts(mine, server) == {}
    assert apply(mine, server)["shared_with"] == ["u2", "u3", "u4"]
    unshare = Edit(EditKind.PROFILE, Op.UPDATE, "p1", remove={"shared_with": ["u2", "u4"]})
    assert apply(unshare, apply(mine, server))["shared_with"] == ["u3"]


def test_merge_set_is_a_set_operation_in_a_stable_order() -> None:
    assert merge_set(["b", "a"], ["c", "a"], []) == ["a", "b", "c"]
    assert merge_set(["a", "b"], [], ["a", "x"]) == ["b"]
    # Added and removed at once: removal wins, the member is not there.
    assert merge_set(["a"], ["b"], ["b"]) == ["a"]


def test_deletion_conflicts_when_someone_changed_what_the_user_saw() -> None:
    delete = Edit(
        EditKind.PROFILE,
        Op.DELETE,
        "p1",
        base=base_of(EditKind.PROFILE, PROFILE, all_paths(EditKind.PROFILE, PROFILE)),
    )
    assert conflicts(delete, PROFILE) == {}

    changed = apply(_update(EditKind.PROFILE, PROFILE, {"overrides.room": "9.99"}), PROFILE)
    assert conflicts(delete, changed) == {"overrides.room": "9.99"}


def test_deletion_conflicts_when_someone_added_something() -> None:
    delete = Edit(
        EditKind.PROFILE,
        Op.DELETE,
        "p1",
        base=base_of(EditKind.PROFILE, PROFILE, all_paths(EditKind.PROFILE, PROFILE)),
    )
    added = apply(_update(EditKind.PROFILE, PROFILE, {"overrides.email": "a@b.ch"}), PROFILE)

    # The user saw no e-mail address: deleting would throw away someone's new entry.
    assert conflicts(delete, added) == {"overrides.email": "a@b.ch"}


def test_all_paths_lists_scalars_and_every_entry_but_no_sets() -> None:
    assert all_paths(EditKind.PROFILE, PROFILE) == [
        "title",
        "unit_id",
        "overrides.phone",
        "overrides.room",
    ]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", set={"owner_id": "u9"}), "owner_id"),
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", set={"overrides": {"a": "b"}}), "overrides."),
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", set={"title.de": "x"}), "no entries"),
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", set={"shared_with": ["u2"]}), "additions"),
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", base={"nothing": 1}), "nothing"),
        (Edit(EditKind.PROFILE, Op.UPDATE, "p", add={"title": ["x"]}), "not a set"),
        (Edit(EditKind.SNIPPET, Op.UPDATE, "s", set={"kind": "shared"}), "created"),
        (Edit(EditKind.UNIT, Op.DELETE, "u", set={"title": "x"}), "no new values"),
        (Edit(EditKind.UNIT, Op.DELETE, "u", add={"x": ["y"]}), "not a set"),
    ],
)
def test_check_edit_refuses_what_does_not_fit(edit: Edit, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_edit(edit)


def test_check_edit_accepts_what_fits() -> None:
    check_edit(Edit(EditKind.SNIPPET, Op.CREATE, "s", set={"kind": "personal", "title": "x"}))
    check_edit(
        Edit(
            EditKind.TEMPLATE,
            Op.UPDATE,
            "t",
            set={"titles.de": "Brief", "files.en": None},
            add={"use_rights": ["*"]},
        )
    )
    assert split_path(EditKind.UNIT, "fields.street") == ("fields", "street")


def test_apply_is_pure() -> None:
    record = copy.deepcopy(PROFILE)
    edit = Edit(
        EditKind.PROFILE,
        Op.UPDATE,
        "p1",
        set={"title": "New", "overrides.phone": None, "overrides.fax": "1"},
        add={"shared_with": ["u5"]},
    )
    result = apply(edit, record)

    assert record == PROFILE
    assert result["title"] == "New"
    assert result["overrides"] == {"room": "3.14", "fax": "1"}
    assert result["shared_with"] == ["u2", "u5"]
    result["overrides"]["room"] = "changed"
    assert record["overrides"]["room"] == "3.14"
    # Values taken into the result are copies too.
    nested = {"sha256": "d" * 64, "filename": "x.docx"}
    with_file = apply(Edit(EditKind.TEMPLATE, Op.UPDATE, "t1", set={"files.en": nested}), TEMPLATE)
    with_file["files"]["en"]["filename"] = "changed"
    assert nested["filename"] == "x.docx"
