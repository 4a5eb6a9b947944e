"""The rules of packages (docshelf.domain.packages) and the reader that applies them to
archives, without a server: names, limits, manifests, comparisons, the JSON Schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from docshelf.domain.accounts import Actor, Role
from docshelf.domain.packages import (
    FORMAT,
    Action,
    ArchiveEntry,
    InflateBudget,
    PackageInvalid,
    PackageLimits,
    PlannedItem,
    check_entries,
    check_format,
    compare,
    content_problem,
    desired_snippet,
    desired_template,
    image_extension,
    member_name_problem,
    parents_first,
    parse_manifest,
    plan_digest,
    stored_filename,
    use_problem,
)
from docshelf.server.packages import schema
from docshelf.server.packages.reader import read_package
from support.packages import PNG, PackageBuilder, broken_packages, office_file, sample

DOCS = Path(__file__).resolve().parents[2] / "docs"
KiB = 1024
MiB = 1024 * KiB
SMALL = PackageLimits(max_file_bytes=4 * MiB, max_total_bytes=4 * MiB)
SYS = Actor("admin", "admin", frozenset({Role.USER, Role.SYS}))
LAYOUTER = Actor("lay", "lay", frozenset({Role.USER, Role.LAYOUTER}), frozenset({"design"}))


def minimal(**sections: Any) -> dict[str, Any]:
    return {"format": FORMAT, "format_version": 1, **sections}


def template(**overrides: Any) -> dict[str, Any]:
    return {"id": "t1", "kind": "docx", "titles": {"de": "Brief"}, **overrides}


def problems_of(data: dict[str, Any]) -> str:
    with pytest.raises(PackageInvalid) as caught:
        parse_manifest(data)
    return caught.value.message


# --- names and sizes in the archive ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["manifest.json", "files/abc.docx", "files/sub/Brief (v2).dotx", "files/", "ä/ö.txt"],
)
def test_plain_relative_names_are_fine(name: str) -> None:
    assert member_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil", "escapes the archive"),
        ("files/../../evil", "escapes the archive"),
        ("files/..", "escapes the archive"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows/evil.dll", "absolute path"),
        ("files\\evil", "backslash"),
        ("files//evil", "empty or '.' part"),
        ("./evil", "empty or '.' part"),
        ("files/e\x01vil", "control characters"),
        ("", "empty name"),
        ("x" * 600, "longer than"),
    ],
)
def test_names_that_could_escape_or_confuse_are_refused(name: str, problem: str) -> None:
    found = member_name_problem(name)
    assert found is not None and problem in found


def entry(name: str, size: int = 10, **flags: Any) -> ArchiveEntry:
    return ArchiveEntry(name=name, size=size, compressed_size=size, **flags)


MANIFEST_ENTRY = entry("manifest.json")


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([MANIFEST_ENTRY, entry("files/a", is_symlink=True)], "symbolic link"),
        ([MANIFEST_ENTRY, entry("files/a", encrypted=True)], "encrypted"),
        ([MANIFEST_ENTRY, entry("files/a", supported_method=False)], "compression method"),
        ([MANIFEST_ENTRY, entry("files/a"), entry("files/a")], "appears twice"),
        ([entry("files/a")], "has no manifest.json"),
        ([entry("sub/manifest.json")], "has no manifest.json"),
        ([MANIFEST_ENTRY, entry("files/a", size=5 * MiB)], "one file may have at most"),
        (
            [MANIFEST_ENTRY, *(entry(f"files/{i}", size=MiB) for i in range(5))],
            "a package may unpack to at most",
        ),
    ],
)
def test_the_archive_directory_is_checked_before_anything_is_unpacked(
    entries: list[ArchiveEntry], problem: str
) -> None:
    with pytest.raises(PackageInvalid, match=problem):
        check_entries(entries, SMALL)


def test_too_many_entries_are_refused_at_once() -> None:
    entries = [MANIFEST_ENTRY, *(entry(f"f/{i}") for i in range(20))]
    with pytest.raises(PackageInvalid, match="holds 21 entries; a package may hold at most 10"):
        check_entries(entries, PackageLimits(max_entries=10))


def test_a_good_directory_passes() -> None:
    check_entries([MANIFEST_ENTRY, entry("files/"), entry("files/a.docx")], SMALL)


def test_the_budget_counts_real_bytes_per_file_in_all_and_by_ratio() -> None:
    limits = PackageLimits(
        max_file_bytes=3 * MiB, max_total_bytes=5 * MiB, max_ratio=10, ratio_grace_bytes=MiB
    )
    budget = InflateBudget(limits)
    one = budget.member("a", compressed_size=3 * MiB)
    one.add(3 * MiB)
    with pytest.raises(PackageInvalid, match="'a': unpacks to more than 3145728 bytes"):
        one.add(1)
    two = budget.member("b", compressed_size=3 * MiB)
    two.add(2 * MiB - 1)
    with pytest.raises(PackageInvalid, match="unpacks to more than 5242880 bytes in all"):
        two.add(2)
    # Small files may compress as well as they like; past the grace, 10:1 is the end.
    fresh = InflateBudget(limits)
    text = fresh.member("text", compressed_size=1)
    text.add(MiB)
    bomb = fresh.member("bomb", compressed_size=300 * KiB)
    bomb.add(2 * MiB)
    with pytest.raises(PackageInvalid, match="'bomb': is compressed more than 10:1"):
        bomb.add(MiB)


def test_a_member_may_have_a_smaller_limit_of_its_own() -> None:
    counter = InflateBudget(SMALL).member("manifest.json", 10, max_bytes=100)
    with pytest.raises(PackageInvalid, match="more than 100 bytes"):
        counter.add(101)


# --- contents --------------------------------------------------------------------------


def test_contents_are_checked_against_their_extension_and_their_use() -> None:
    assert content_problem("files/a.docx", b"PK\x03\x04rest") is None
    assert "not a valid .docx" in (content_problem("files/a.docx", b"hello") or "")
    assert "not a valid .msg" in (content_problem("a.msg", b"PK\x03\x04") or "")
    assert content_problem("files/a.png", PNG) is None
    assert "not a .png image" in (content_problem("files/a.png", b"GIF89a") or "")
    assert content_problem("files/unknown.bin", b"anything") is None
    assert use_problem("dotx", b"PK\x03\x04") is None
    assert "not a valid .dotx file" in (use_problem("dotx", b"%PDF-1.7") or "")
    assert use_problem("image", b"anything") is None


@pytest.mark.parametrize(
    ("head", "extension"),
    [
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0", "jpg"),
        (b"GIF89a", "gif"),
        (b"<svg ", "svg"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "webp"),
        (b"\0\0", "bin"),
    ],
)
def test_images_get_their_usual_extension(head: bytes, extension: str) -> None:
    assert image_extension(head) == extension


# --- manifests -------------------------------------------------------------------------


def test_a_manifest_is_read_with_the_documented_defaults() -> None:
    manifest = parse_manifest(minimal(templates=[template()]))
    (only,) = manifest.templates
    assert only.status == "in_progress"
    assert only.use_rights == ("*",) and only.change_rights == ()
    assert only.group_id is None and only.files == {}
    assert not manifest.organisation


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "must hold a JSON object"),
        ({"format": "zip"}, "this is not a docshelf package"),
        ({"format": FORMAT, "format_version": "1"}, "format_version must be a whole number"),
        ({"format": FORMAT, "format_version": True}, "format_version must be a whole number"),
        ({"format": FORMAT, "format_version": 2}, "Update docshelf on this server"),
        ({"format": FORMAT, "format_version": 0}, "format_version 0 is not supported"),
    ],
)
def test_the_format_and_its_version_come_first(data: object, problem: str) -> None:
    with pytest.raises(PackageInvalid, match=problem):
        check_format(data)


def test_duplicate_ids_are_named_with_both_places() -> None:
    message = problems_of(minimal(templates=[template(), template(titles={"de": "Zwei"})]))
    assert "manifest.json: templates[1].id: 't1' appears twice (also at templates[0])" in message


def test_field_keys_are_unique_too() -> None:
    field = {"key": "phone", "scope": "user"}
    assert "fields[1].key: 'phone' appears twice" in problems_of(minimal(fields=[field, field]))


def test_every_problem_is_named_not_only_the_first() -> None:
    data = minimal(
        templates=[template(kind="pdf"), template(id="t2", titles={"xx-yy": "Brief"})],
        snippets=[{"id": "s1", "kind": "personal", "title": "Meins"}],
    )
    message = problems_of(data)
    assert "templates[0].kind: unknown template type 'pdf'" in message
    assert "templates[1].titles.xx-yy" in message
    assert "snippets[0].kind: personal snippets belong to one person" in message


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ({"kind": "template"}, "a template snippet needs the template it belongs to"),
        ({"kind": "shared", "template_id": "t1"}, "only template snippets belong to a template"),
        (
            {"kind": "template", "template_id": "t1", "read_rights": ["*"]},
            "template snippets follow their template's rights",
        ),
        ({"kind": "shared", "body_format": "pdf"}, "must be 'text', 'html' or 'docx'"),
        ({"kind": "shared", "read_rights": ["everyone"]}, "'everyone' is not a principal"),
    ],
)
def test_snippets_must_have_the_shape_of_their_kind(snippet: dict[str, Any], problem: str) -> None:
    data = minimal(snippets=[{"id": "s1", "title": "Gruss", **snippet}])
    assert problem in problems_of(data)


def test_paths_in_the_manifest_must_stay_inside_the_archive() -> None:
    ref = {"path": "../outside.docx", "sha256": "a" * 64, "filename": "x.docx"}
    message = problems_of(minimal(templates=[template(files={"de": ref})]))
    assert "templates[0].files.de.path: '../outside.docx' escapes the archive" in message


def test_one_path_cannot_stand_for_two_contents() -> None:
    one = {"path": "files/a.docx", "sha256": "a" * 64, "filename": "a.docx"}
    two = {**one, "sha256": "b" * 64}
    data = minimal(templates=[template(files={"de": one}), template(id="t2", files={"de": two})])
    assert "names the file 'files/a.docx' with another SHA-256" in problems_of(data)


def test_trees_in_a_package_must_not_loop() -> None:
    groups = [
        {"id": "a", "parent_id": "b", "titles": {"de": "A"}},
        {"id": "b", "parent_id": "a", "titles": {"de": "B"}},
    ]
    assert "form a loop" in problems_of(minimal(template_groups=groups))


def test_parents_come_before_their_children_whatever_the_order_given() -> None:
    data = minimal(
        units=[
            {"id": "c", "parent_id": "b", "title": "C"},
            {"id": "b", "parent_id": "a", "title": "B"},
            {"id": "a", "parent_id": None, "title": "A"},
            {"id": "x", "parent_id": "elsewhere", "title": "X"},
        ]
    )
    ordered = [u.id for u in parents_first(parse_manifest(data).units)]
    assert ordered.index("a") < ordered.index("b") < ordered.index("c")
    assert "x" in ordered


def test_file_names_get_the_templates_extension_as_the_server_stores_them() -> None:
    assert stored_filename("Brief.dotx", "dotx") == "Brief.dotx"
    assert stored_filename("Brief.DOTX", "dotx") == "Brief.DOTX"
    assert stored_filename("Brief", "docx") == "Brief.docx"
    assert stored_filename("Brief.doc", "docx") == "Brief.docx"


# --- comparing -------------------------------------------------------------------------


def test_compare_tells_added_changed_and_unchanged() -> None:
    assert compare({"a": 1}, None) == (Action.ADDED, ())
    assert compare({"a": 1}, {"a": 1}) == (Action.UNCHANGED, ())
    assert compare({"a": 1, "b": 2}, {"a": 1, "b": 3}) == (Action.CHANGED, ("b",))
    # A language the package no longer has is a change too: its file is removed.
    assert compare({"files.de": ("x", "a")}, {"files.de": ("x", "a"), "files.fr": ("y", "b")}) == (
        Action.CHANGED,
        ("files.fr",),
    )


def test_a_layouter_keeps_the_change_right_on_what_they_import() -> None:
    entry = parse_manifest(minimal(templates=[template()])).templates[0]
    assert desired_template(entry, SYS)["change_rights"] == ()
    assert desired_template(entry, LAYOUTER)["change_rights"] == ("user:lay",)
    held = parse_manifest(minimal(templates=[template(change_rights=["group:design"])]))
    assert desired_template(held.templates[0], LAYOUTER)["change_rights"] == ("group:design",)


def test_shared_snippets_are_read_by_everyone_unless_told_and_kept_by_their_author() -> None:
    data = minimal(snippets=[{"id": "s1", "kind": "shared", "title": "Gruss"}])
    entry = parse_manifest(data).snippets[0]
    assert desired_snippet(entry, SYS)["read_rights"] == ("*",)
    assert desired_snippet(entry, SYS)["write_rights"] == ()
    assert desired_snippet(entry, LAYOUTER)["write_rights"] == ("user:lay",)


def test_the_plan_digest_names_the_package_and_its_changes() -> None:
    items = [PlannedItem("template", "t1", "Brief", Action.CHANGED, ("titles",))]
    digest = plan_digest("a" * 64, items)
    assert digest == plan_digest("a" * 64, list(items))
    assert digest != plan_digest("b" * 64, items)
    other = [PlannedItem("template", "t1", "Brief", Action.CHANGED, ("titles", "order"))]
    assert digest != plan_digest("a" * 64, other)


# --- the JSON Schema -------------------------------------------------------------------


def test_the_documented_schema_is_the_one_the_server_uses() -> None:
    shipped = resources.files("docshelf.server.packages").joinpath(schema.SCHEMA_FILE)
    assert (DOCS / "package.schema.json").read_text() == shipped.read_text()
    Draft202012Validator.check_schema(schema.schema())


def test_built_packages_follow_the_schema() -> None:
    builder = sample()
    builder.field("logo", type="image")
    builder.unit("Zürich", fields={"logo": builder.image()})
    schema.validate(builder.manifest())
    parse_manifest(builder.manifest())


def test_schema_errors_name_their_place() -> None:
    data = minimal(templates=[template(files={"de": {"path": "a.docx", "sha256": "nope"}})])
    with pytest.raises(PackageInvalid) as caught:
        schema.validate(data)
    message = caught.value.message
    assert "manifest.json: templates[0].files.de: 'filename' is a required property" in message
    assert "manifest.json: templates[0].files.de.sha256: 'nope' does not match" in message


# --- the reader ------------------------------------------------------------------------


def read(path: Path, tmp_path: Path, limits: PackageLimits = SMALL) -> Any:
    workdir = tmp_path / f"work-{path.stem}"
    workdir.mkdir()
    return read_package(path, workdir, limits, sha256="0" * 64, size=path.stat().st_size)


def test_a_good_package_is_unpacked_and_verified(tmp_path: Path) -> None:
    builder = sample()
    package = read(builder.build(tmp_path / "good.zip"), tmp_path)
    assert set(package.files) == builder.hashes()
    for sha, path in package.files.items():
        assert any(data == path.read_bytes() for data in builder.files.values()), sha
    assert package.warnings == []
    assert package.unpacked_bytes > 0


def test_members_the_manifest_does_not_name_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = sample().build(tmp_path / "extra.zip", extra=[("README.txt", b"hello")])
    assert read(path, tmp_path).warnings == [
        "The archive member 'README.txt' is not named in manifest.json; it was ignored."
    ]


def test_text_bodies_must_be_utf8(tmp_path: Path) -> None:
    builder = PackageBuilder()
    builder.snippet("Latin-1", "Grüsse".encode("latin-1"))
    with pytest.raises(PackageInvalid, match=r"snippets\[0\]\.body: .* is not UTF-8 text"):
        read(builder.build(tmp_path / "latin1.zip"), tmp_path)


def test_a_snippet_body_in_word_must_be_a_word_file(tmp_path: Path) -> None:
    builder = PackageBuilder()
    builder.snippet("Word", office_file("w"))
    builder.snippets[0]["body_format"] = "docx"
    read(builder.build(tmp_path / "word.zip"), tmp_path)
    builder.snippets[0]["body"] = builder.file(b"plain", "txt")
    with pytest.raises(PackageInvalid, match=r"is not a valid \.docx file"):
        read(builder.build(tmp_path / "notword.zip"), tmp_path)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return [b for b in broken_packages(tmp_path_factory.mktemp("broken")) if not b.needs_server]


def test_every_broken_archive_is_refused_by_the_reader_with_its_reason(
    broken: list[Any], tmp_path: Path
) -> None:
    for case in broken:
        with pytest.raises(PackageInvalid) as caught:
            read(case.path, tmp_path)
        assert case.expect in caught.value.message, (case.name, caught.value.message)


def test_a_bomb_is_stopped_by_counting_not_by_what_it_declares(tmp_path: Path) -> None:
    builder = PackageBuilder()
    builder.snippet("Nullen", b"\0" * (3 * MiB))
    path = builder.build(tmp_path / "bomb.zip")
    # Generous limits for what is declared: only the ratio, counted while unpacking, stops it.
    limits = PackageLimits(max_file_bytes=64 * MiB, max_total_bytes=64 * MiB)
    with pytest.raises(PackageInvalid, match="zip bomb"):
        read(path, tmp_path, limits)
    assert not any(p.stat().st_size >= 3 * MiB for p in (tmp_path / "work-bomb").iterdir())


def test_a_manifest_over_its_own_limit_is_refused(tmp_path: Path) -> None:
    builder = sample()
    manifest = builder.manifest()
    manifest["generator"] = "x" * 150
    path = builder.build(tmp_path / "big.zip", manifest=json.dumps(manifest).encode())
    limits = PackageLimits(max_manifest_bytes=100)
    with pytest.raises(PackageInvalid, match=r"'manifest\.json': unpacks to more than 100 bytes"):
        read(path, tmp_path, limits)
