"""Packages against a real server process, on SQLite and on PostgreSQL.

Import is all or nothing in one change that a real sync client receives as one step;
importing again changes nothing; every broken package is refused with a message that
names the problem, and leaves no trace (no change number, no file registered).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from docshelf.protocol.cursor import Cursor
from support.api import FAST_HASHING, PASSWORD, Api, LiveServer, admin_cli, login
from support.packages import (
    BROKEN_NAMES,
    Broken,
    PackageBuilder,
    broken_packages,
    load_broken,
    new_id,
    office_file,
    oversized,
    sample,
)
from support.server import ServerProcess
from support.sync import client_for, sync
from support.word_templates import block, word

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Small, so that "too large" costs little: packages up to 1 MiB, unpacked up to 4 MiB.
MAX_PACKAGE_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def live(backend_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("packages")
    created = admin_cli(
        ["create-user", "root", "--role", "sys", "--password-stdin"],
        data_dir=str(data_dir),
        database_url=backend_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    env = {**FAST_HASHING, "DOCSHELF_MAX_PACKAGE_BYTES": str(MAX_PACKAGE_BYTES)}
    process = ServerProcess(data_dir, backend_url, env=env)
    process.start()
    server = LiveServer(process, backend_url, login(process.url, "root"))
    try:
        yield server
    finally:
        server.close()
        process.stop()


@pytest.fixture(scope="module")
def broken() -> dict[str, Broken]:
    """The broken packages kept under tests/data/packages/broken."""
    return {b.name: b for b in load_broken()}


def send(
    api: Api, archive: Path | bytes, operation: str = "preview", **params: str
) -> httpx.Response:
    data = archive if isinstance(archive, bytes) else archive.read_bytes()
    return api.post(
        f"/admin/packages/{operation}",
        content=data,
        headers={"Content-Type": "application/zip"},
        params=params,
    )


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def head(api: Api) -> tuple[int, str]:
    """The newest change number, and a cursor at it."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 5000}
        if cursor:
            params["cursor"] = cursor
        page = api.ok("GET", "/sync/changes", params=params)
        cursor = page["cursor"]
        if not page["has_more"]:
            return Cursor.decode(cursor).seq, cursor


def missing(api: Api, hashes: set[str] | frozenset[str]) -> set[str]:
    return set(api.ok("POST", "/blobs/missing", json={"sha256": sorted(hashes)})["missing"])


def keys(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(i["kind"], i["id"]) for i in items}


def entries(builder: PackageBuilder) -> set[tuple[str, str]]:
    found = {("template_group", g["id"]) for g in builder.template_groups}
    found |= {("template", t["id"]) for t in builder.templates}
    found |= {("snippet", s["id"]) for s in builder.snippets}
    found |= {("unit", u["id"]) for u in builder.units}
    return found | {("field", f["key"]) for f in builder.fields}


# --- import ----------------------------------------------------------------------------


def test_an_import_is_one_change_that_a_client_receives_byte_identical(
    live: LiveServer, tmp_path: Path
) -> None:
    _api, user = live.new_user("user")
    client = client_for(live, tmp_path / "anna", user["login"])
    sync(client)
    builder = sample("Brief")
    archive = builder.build(tmp_path / "brief.zip")
    before, cursor = head(live.admin)

    preview = ok(send(live.admin, archive))
    assert keys(preview["added"]) == entries(builder)
    assert preview["changed"] == preview["unchanged"] == []
    assert head(live.admin)[0] == before, "a preview must write nothing"
    assert missing(live.admin, builder.hashes()) == builder.hashes()

    report = ok(send(live.admin, archive, "import", expected_plan=preview["plan"]))
    assert report["applied"] is True
    assert report["seq"] == before + 1
    assert keys(report["added"]) == entries(builder)
    # Everything arrives under that one change number: one page from the old cursor, and
    # the cursor after it stands at the import's change.
    page = live.admin.ok("GET", "/sync/changes", params={"cursor": cursor, "limit": 5000})
    assert {(c["kind"], c["id"]) for c in page["changes"]} >= entries(builder)
    assert Cursor.decode(page["cursor"]).seq == before + 1

    result = sync(client)
    assert result.downloaded >= len(entries(builder))
    template = builder.templates[0]
    local = next(r for r in client.store.records("template") if r["id"] == template["id"])
    for lang, ref in template["files"].items():
        assert local["files"][lang]["sha256"] == ref["sha256"]
        with client.files.open(ref["sha256"]) as f:
            assert f.read() == builder.files[ref["path"]]
    local_snippets = {r["id"] for r in client.store.records("snippet")}
    assert {s["id"] for s in builder.snippets} <= local_snippets

    again = ok(send(live.admin, archive, "import"))
    assert again["applied"] is False and again["seq"] is None
    assert keys(again["unchanged"]) == entries(builder)
    assert again["added"] == again["changed"] == []
    assert head(live.admin)[0] == before + 1, "importing again must not use a change number"
    assert sync(client).downloaded == 0
    client.close()


def test_export_then_import_finds_everything_unchanged_and_restores_what_changed(
    live: LiveServer, tmp_path: Path
) -> None:
    admin = live.admin
    top = admin.ok("POST", "/admin/template-groups", json={"titles": {"de": "Export"}})
    sub = admin.ok(
        "POST", "/admin/template-groups", json={"titles": {"de": "Unter"}, "parent_id": top["id"]}
    )
    data = office_file("export")
    template = admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "dotx", "titles": {"de": "Vorlage"}, "group_id": sub["id"]},
    )
    admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": admin.upload(data), "filename": "Vorlage.dotx"},
    )
    shared = admin.ok(
        "POST", "/admin/snippets", json={"kind": "shared", "title": "Gruss", "body": "Grüsse"}
    )
    response = admin.post(
        "/admin/packages/export", json={"group_ids": [top["id"]], "snippet_ids": [shared["id"]]}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = tmp_path / "export.zip"
    archive.write_bytes(response.content)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        jsonschema.validate(manifest, json.loads((DOCS / "package.schema.json").read_text()))
        ref = manifest["templates"][0]["files"]["de"]
        assert zf.read(ref["path"]) == data
    assert [g["id"] for g in manifest["template_groups"]] == [top["id"], sub["id"]]
    assert {s["id"] for s in manifest["snippets"]} == {shared["id"]}

    before, _ = head(admin)
    again = ok(send(admin, archive, "import"))
    assert again["applied"] is False and again["added"] == again["changed"] == []
    assert head(admin)[0] == before

    admin.ok("PATCH", f"/admin/templates/{template['id']}", json={"titles": {"de": "Anders"}})
    admin.ok("POST", f"/admin/templates/{template['id']}/deactivate")
    admin.ok("DELETE", f"/admin/templates/{template['id']}/files/de")
    report = ok(send(admin, archive, "import"))
    changed = {(i["kind"], i["id"]): i["changes"] for i in report["changed"]}
    assert changed == {("template", template["id"]): ["active", "files.de", "titles"]}
    restored = admin.ok("GET", f"/admin/templates/{template['id']}")
    assert restored["titles"] == {"de": "Vorlage"} and restored["active"] is True
    assert restored["files"]["de"]["sha256"] == ref["sha256"]
    assert ok(send(admin, archive, "import"))["applied"] is False


def test_units_fields_and_their_images_travel_in_a_package(
    live: LiveServer, tmp_path: Path
) -> None:
    builder = PackageBuilder()
    suffix = secrets.token_hex(3)
    logo, motto = builder.field(f"logo_{suffix}", type="image"), builder.field(f"motto_{suffix}")
    image = builder.image()
    root = builder.unit("Holding", fields={logo: image, motto: "Vorwärts"})
    child = builder.unit("Zürich", parent=root, fields={motto: "Vorwärts, Zürich"})
    # Children may come first: the import places parents before them.
    builder.units.reverse()
    archive = builder.build(tmp_path / "org.zip")
    report = ok(send(live.admin, archive, "import"))
    assert keys(report["added"]) == entries(builder)
    unit = live.admin.ok("GET", f"/admin/units/{child}")
    assert unit["parent_id"] == root and unit["fields"] == {motto: "Vorwärts, Zürich"}
    assert missing(live.admin, {image}) == set()
    assert ok(send(live.admin, archive, "import"))["applied"] is False

    exported = live.admin.post("/admin/packages/export", json={"units": True})
    assert exported.status_code == 200, exported.text
    again = ok(send(live.admin, exported.content, "import"))
    assert again["applied"] is False
    assert ("unit", root) in keys(again["unchanged"])


def test_a_preview_warns_of_template_tags_that_name_nothing_here_or_in_the_package(
    live: LiveServer, tmp_path: Path
) -> None:
    builder = PackageBuilder()
    room, badge = f"room_{new_id()}", f"badge_{new_id()}"
    builder.field(room, scope="user")
    builder.field(badge, type="image")
    closing = f"Gruss {new_id()}"
    builder.snippet(closing, f"Grüsse {new_id()}")
    title = f"Brief {new_id()}"
    builder.template(
        title,
        files={
            "de": word(
                block(f"field:{room}"),
                block("field:telefon"),
                block(f"snippet:{closing}"),
                pictures=(f"image:{badge}",),
            ),
            "en": word(block("field:first_name_missing"), block(f"field:{room}")),
            "fr": word(block(f"snippet:{closing}")),
        },
    )

    preview = ok(send(live.admin, builder.build(tmp_path / "tags.zip")))

    tags = sorted(w for w in preview["warnings"] if "unknown tag" in w)
    assert tags == [
        f"templates[0].files.de ({title!r}, {title}.docx): 1 unknown tag: field:telefon.",
        f"templates[0].files.en ({title!r}, {title}.docx): 1 unknown tag:"
        " field:first_name_missing.",
    ]


def test_an_import_confirmed_on_a_stale_preview_changes_nothing(
    live: LiveServer, tmp_path: Path
) -> None:
    archive = sample("Veraltet").build(tmp_path / "stale.zip")
    preview = ok(send(live.admin, archive))
    ok(send(live.admin, archive, "import"))
    before, _ = head(live.admin)
    response = send(live.admin, archive, "import", expected_plan=preview["plan"])
    assert response.status_code == 409, response.text
    assert "Preview it again" in response.json()["detail"]
    assert head(live.admin)[0] == before


def test_a_package_cannot_change_a_templates_type(live: LiveServer, tmp_path: Path) -> None:
    builder = sample("Typ")
    ok(send(live.admin, builder.build(tmp_path / "docx.zip"), "import"))
    builder.templates[0]["kind"] = "dotx"
    for ref in builder.templates[0]["files"].values():
        ref["filename"] = "Typ.dotx"
    response = send(live.admin, builder.build(tmp_path / "dotx.zip"), "import")
    assert response.status_code == 422, response.text
    assert "templates[0].kind" in response.json()["detail"]


# --- who may ---------------------------------------------------------------------------


def test_layouters_import_templates_but_not_units_and_users_nothing(
    live: LiveServer, tmp_path: Path
) -> None:
    layouter, _ = live.new_user("layouter")
    plain, _ = live.new_user("user")
    archive = sample("Layout").build(tmp_path / "layout.zip")
    refused = send(plain, archive)
    assert refused.status_code == 403, refused.text
    assert "Only layouters and system administrators" in refused.json()["detail"]

    report = ok(send(layouter, archive, "import"))
    assert report["applied"] is True
    # The layouter keeps the Change right on what they imported, and importing again is
    # still a no-op (the right they were given is expected, not a difference).
    assert ok(send(layouter, archive, "import"))["applied"] is False

    organisation = PackageBuilder()
    organisation.unit("Nur Sys")
    response = send(layouter, organisation.build(tmp_path / "org.zip"))
    assert response.status_code == 403
    assert "Only a system administrator" in response.json()["detail"]

    foreign = sample("Fremd")
    ok(send(live.admin, foreign.build(tmp_path / "foreign.zip"), "import"))
    foreign.templates[0]["titles"] = {"de": "Übernommen"}
    response = send(layouter, foreign.build(tmp_path / "foreign2.zip"))
    assert response.status_code == 403, response.text
    assert "you do not hold the Change right on this template" in response.json()["detail"]


# --- broken packages -------------------------------------------------------------------


def test_every_kind_of_broken_package_is_covered(broken: dict[str, Broken]) -> None:
    assert list(broken) == list(BROKEN_NAMES)


def test_the_kept_broken_packages_are_what_the_generator_makes(
    broken: dict[str, Broken], tmp_path: Path
) -> None:
    made = {b.name: b.expect for b in broken_packages(tmp_path)}
    assert made == {name: case.expect for name, case in broken.items()}, (
        "tests/data/packages is out of date: python tests/support/packages.py --write-data"
    )
    assert all(case.path.is_file() for case in broken.values())


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_a_broken_package_is_refused_with_its_reason_and_leaves_no_trace(
    live: LiveServer, broken: dict[str, Broken], name: str
) -> None:
    case = broken[name]
    before, _ = head(live.admin)
    for operation in ("preview", "import"):
        response = send(live.admin, case.path, operation)
        assert response.status_code == case.status, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert case.expect in problem["detail"], problem["detail"]
    assert head(live.admin)[0] == before, "a refused package must not use a change number"
    if case.hashes:
        assert missing(live.admin, case.hashes) == set(case.hashes), "no file may be registered"


def test_a_package_over_the_size_limit_is_refused(live: LiveServer, tmp_path: Path) -> None:
    archive, hashes = oversized(tmp_path, MAX_PACKAGE_BYTES)
    before, _ = head(live.admin)
    response = send(live.admin, archive, "import")
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        data = archive.read_bytes()
        for i in range(0, len(data), 64 * 1024):
            yield data[i : i + 64 * 1024]

    streamed = live.admin.post(
        "/admin/packages/import", content=chunks(), headers={"Content-Type": "application/zip"}
    )
    assert streamed.status_code == 413, streamed.text
    assert head(live.admin)[0] == before
    assert missing(live.admin, hashes) == set(hashes)


def test_an_empty_body_or_an_empty_choice_is_refused(live: LiveServer) -> None:
    response = send(live.admin, b"", "preview")
    assert response.status_code == 422
    assert "carries no package" in response.json()["detail"]
    response = live.admin.post("/admin/packages/export", json={})
    assert response.status_code == 422
    assert "Choose what to export" in response.json()["detail"]


# --- the command line ------------------------------------------------------------------


def docshelf(
    *args: str, stdin: str = PASSWORD + "\n", home: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DOCSHELF_KEYRING": "0"},
    )


def test_the_command_line_exports_and_imports(live: LiveServer, tmp_path: Path) -> None:
    if live.database_url is not None:
        pytest.skip("the command line works alike on every database; it is tested on SQLite")
    builder = sample("Kommando")
    archive = builder.build(tmp_path / "cli.zip")
    sign_in = ["--server", live.url, "--user", "root", "--password-stdin"]
    home = tmp_path / "home"

    dry = docshelf("package", "import", str(archive), *sign_in, "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "Added (4):" in dry.stdout and "Kommando" in dry.stdout

    unconfirmed = docshelf("package", "import", str(archive), *sign_in, home=home)
    assert unconfirmed.returncode != 0
    assert "--yes" in unconfirmed.stderr

    done = docshelf("package", "import", str(archive), *sign_in, "--yes", "--json", home=home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["applied"] is True and keys(report["added"]) == entries(builder)

    group = builder.template_groups[0]["id"]
    output = tmp_path / "out.zip"
    exported = docshelf(
        "package", "export", *sign_in, "--group", group, "-o", str(output), home=home
    )
    assert exported.returncode == 0, exported.stderr
    assert "1 template," in exported.stdout
    with zipfile.ZipFile(io.BytesIO(output.read_bytes())) as zf:
        assert (
            json.loads(zf.read("manifest.json"))["templates"][0]["id"] == builder.templates[0]["id"]
        )

    # Without --server: as the account this client's home is signed in with.
    signed_in = docshelf("login", *sign_in, home=home)
    assert signed_in.returncode == 0, signed_in.stderr
    again = docshelf("package", "import", str(output), "--yes", home=home)
    assert again.returncode == 0, again.stderr
    assert "Nothing to import" in again.stdout

    refused = docshelf(
        "package",
        "import",
        str(archive),
        "--server",
        live.url,
        "--user",
        "root",
        "--password-stdin",
        "--yes",
        stdin="wrong\n",
        home=home,
    )
    assert refused.returncode == 1
    assert "Login or password is wrong" in refused.stderr
    # The command signs out after itself: its devices don't pile up.
    devices = live.admin.ok("GET", "/me/devices")
    assert not [
        d for d in devices if d["name"].startswith("docshelf package") and not d.get("revoked_at")
    ]


def test_the_command_line_refuses_a_deeply_nested_manifest_with_its_reason(
    live: LiveServer, broken: dict[str, Broken], tmp_path: Path
) -> None:
    case = broken["deeply_nested"]
    before, _ = head(live.admin)
    sign_in = ["--server", live.url, "--user", "root", "--password-stdin"]
    refused = docshelf("package", "import", str(case.path), *sign_in, "--yes", home=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "manifest.json: is nested deeper than 64 levels" in refused.stderr, refused.stderr
    assert "Internal error" not in refused.stderr
    assert head(live.admin)[0] == before
    assert missing(live.admin, case.hashes) == set(case.hashes)
