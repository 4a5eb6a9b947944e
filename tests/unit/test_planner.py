"""The sync planner decides from data alone: table-driven cases, no server, no disk."""

from __future__ import annotations

from typing import Any

import pytest

from docshelf.client.planner import (
    Local,
    image_field_keys,
    plan_manifest,
    plan_page,
    referenced_files,
)
from docshelf.protocol.sync import Change, ManifestEntry, record_hash

SHA_A, SHA_B, SHA_LOGO = "a" * 64, "b" * 64, "c" * 64


def template(tid: str, *shas: str, version: int = 1) -> Change:
    files = {
        f"l{i}": {"sha256": sha, "size": 10, "filename": "x.docx"} for i, sha in enumerate(shas)
    }
    return Change(
        kind="template", id=tid, op="upsert", version=version, record={"id": tid, "files": files}
    )


def local_of(change: Change) -> Local:
    return Local(change.version or 0, record_hash(change.record or {}))


def test_new_records_are_stored_with_their_files() -> None:
    plan = plan_page([template("t1", SHA_A)], {}, lambda _sha: False, set())
    assert [u.id for u in plan.upserts] == ["t1"]
    assert plan.files == {SHA_A}


def test_unchanged_records_are_left_alone() -> None:
    change = template("t1", SHA_A)
    plan = plan_page([change], {("template", "t1"): local_of(change)}, lambda _sha: True, set())
    assert plan.upserts == [] and plan.unchanged == 1 and plan.files == set()


@pytest.mark.parametrize(
    ("held_version", "same_content"),
    [(1, False), (2, True), (2, False)],
    ids=["content", "version", "both"],
)
def test_a_record_differing_in_version_or_content_is_replaced(
    held_version: int, same_content: bool
) -> None:
    change = template("t1", SHA_A, version=1)
    held = Local(held_version, record_hash(change.record or {}) if same_content else "other")
    plan = plan_page([change], {("template", "t1"): held}, lambda _sha: True, set())
    assert [u.id for u in plan.upserts] == ["t1"]


def test_files_already_on_disk_are_not_fetched_again() -> None:
    plan = plan_page([template("t1", SHA_A, SHA_B)], {}, lambda sha: sha == SHA_A, set())
    assert plan.files == {SHA_B}


def test_one_file_in_many_templates_is_fetched_once() -> None:
    changes = [template(f"t{i}", SHA_A) for i in range(10)]
    plan = plan_page(changes, {}, lambda _sha: False, set())
    assert plan.files == {SHA_A} and len(plan.upserts) == 10


def test_removes_only_touch_what_is_held() -> None:
    changes = [
        Change(kind="template", id="held", op="remove"),
        Change(kind="template", id="never-had", op="remove"),
    ]
    plan = plan_page(changes, {("template", "held"): Local(1, "h")}, lambda _sha: True, set())
    assert plan.removes == [("template", "held")]


def test_image_fields_defined_on_the_same_page_bring_their_files() -> None:
    field = Change(
        kind="field",
        id="f1",
        op="upsert",
        version=1,
        record={"key": "logo", "type": "image", "scope": "unit"},
    )
    unit = Change(
        kind="unit",
        id="u1",
        op="upsert",
        version=1,
        record={"fields": {"logo": SHA_LOGO, "city": "Bern"}},
    )
    plan = plan_page([field, unit], {}, lambda _sha: False, set())
    assert plan.files == {SHA_LOGO}


@pytest.mark.parametrize(
    ("kind", "record", "expected"),
    [
        ("snippet", {"body_sha256": SHA_A}, {SHA_A}),
        ("snippet", {"body_sha256": None}, set()),
        ("user", {"fields": {"signature": SHA_B, "phone": "1"}}, {SHA_B}),
        ("profile", {"overrides": {"signature": SHA_B}}, set()),
        ("group", {"name": "x"}, set()),
    ],
)
def test_referenced_files(kind: str, record: dict[str, Any], expected: set[str]) -> None:
    assert referenced_files(kind, record, {"signature"}) == expected


def test_image_field_keys() -> None:
    records = [{"key": "logo", "type": "image"}, {"key": "city", "type": "text"}]
    assert image_field_keys(records) == {"logo"}


def test_manifest_keeps_matches_and_fetches_differences() -> None:
    entries = [
        ManifestEntry(kind="template", id="same", version=3, hash="h3"),
        ManifestEntry(kind="template", id="newer", version=4, hash="h4"),
        ManifestEntry(kind="template", id="restored", version=3, hash="other"),
        ManifestEntry(kind="unit", id="missing", version=1, hash="u1"),
    ]
    local = {
        ("template", "same"): Local(3, "h3"),
        ("template", "newer"): Local(3, "h3"),
        ("template", "restored"): Local(3, "h3"),
        ("template", "not-in-manifest"): Local(1, "x"),
    }
    plan = plan_manifest(entries, local)
    assert plan.seen == [(e.kind, e.id) for e in entries]
    assert plan.fetch == [("template", "newer"), ("template", "restored"), ("unit", "missing")]
