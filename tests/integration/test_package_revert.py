"""Reverting package imports against a real server process and a real sync client.

An import is kept with what it changed; its revert is one new change that brings each
object back to its state before the import, leaves objects changed since alone unless
they are named, and is itself kept (and can be reverted in turn).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.api import FAST_HASHING, PASSWORD, Api, LiveServer, admin_cli, login
from support.packages import PackageBuilder, new_id, office_file
from support.server import ServerProcess
from support.sync import assert_client_matches_server, client_for, server_seq, sync

# What a record carries about its own history rather than its content.
VOLATILE = {"version", "seq", "updated_at"}
KINDS = ("template_group", "template", "snippet")


@pytest.fixture(scope="module")
def live(backend_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("revert")
    created = admin_cli(
        ["create-user", "root", "--role", "sys", "--password-stdin"],
        data_dir=str(data_dir),
        database_url=backend_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    process = ServerProcess(data_dir, backend_url, env=dict(FAST_HASHING))
    process.start()
    server = LiveServer(process, backend_url, login(process.url, "root"))
    try:
        yield server
    finally:
        server.close()
        process.stop()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def import_(api: Api, archive: Path) -> dict[str, Any]:
    headers = {"Content-Type": "application/zip"}
    data = archive.read_bytes()
    preview = ok(api.post("/admin/packages/preview", content=data, headers=headers))
    report = ok(
        api.post(
            "/admin/packages/import",
            content=data,
            headers=headers,
            params={"expected_plan": preview["plan"]},
        )
    )
    assert report["applied"] is True
    return dict(report)


def entry_of(api: Api, seq: int) -> dict[str, Any]:
    history = ok(api.get("/admin/packages/imports"))["entries"]
    return next(e for e in history if e["seq"] == seq)


def preview_revert(api: Api, entry: int, *include: str) -> dict[str, Any]:
    params = {"include": list(include)} if include else None
    return dict(ok(api.get(f"/admin/packages/imports/{entry}/revert", params=params)))


def revert(api: Api, entry: int, *include: str, plan: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"include": list(include)}
    if plan is not None:
        body["expected_plan"] = plan
    return api.post(f"/admin/packages/imports/{entry}/revert", json=body)


def ids(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(i["kind"], i["id"]) for i in items}


def content(client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The client's records without their version numbers, and every file's bytes."""
    held: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KINDS:
        for record in client.store.records(kind):
            held[(kind, record["id"])] = {k: v for k, v in record.items() if k not in VOLATILE}
    return held


def files(client: Any, held: dict[tuple[str, str], dict[str, Any]]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for (kind, _), record in held.items():
        hashes = [f["sha256"] for f in (record.get("files") or {}).values()]
        if kind == "snippet" and record.get("body_sha256"):
            hashes.append(record["body_sha256"])
        for sha in hashes:
            with client.files.open(sha) as f:
                found[sha] = f.read()
    return found


@pytest.fixture
def existing(live: LiveServer) -> dict[str, Any]:
    """A group with a template, a shared snippet, and another template, made by hand."""
    admin = live.admin
    group = admin.ok("POST", "/admin/template-groups", json={"titles": {"de": f"G {new_id()}"}})
    made = {}
    for name in ("letter", "other"):
        template = admin.ok(
            "POST",
            "/admin/templates",
            json={
                "kind": "docx",
                "titles": {"de": f"{name} {new_id()}"},
                "status": "released",
                "group_id": group["id"],
            },
        )
        made[name] = admin.ok(
            "PUT",
            f"/admin/templates/{template['id']}/files/de",
            json={"sha256": admin.upload(office_file(name)), "filename": f"{name}.docx"},
        )
    snippet = admin.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "shared", "title": f"Gruss {new_id()}", "body": f"Grüsse {new_id()}"},
    )
    return {"group": group, "snippet": snippet, **made}


def package_over(existing: dict[str, Any], target: Path) -> tuple[PackageBuilder, Path]:
    """A package that adds a group, a template and two snippets, and changes the existing
    template (title, file) and the shared snippet (its text)."""
    builder = PackageBuilder()
    group = builder.group(f"Neu {new_id()}")
    template = builder.template(f"Neu {new_id()}", group=group)
    builder.snippet(f"Zu {new_id()}", f"Text {new_id()}", kind="template", template=template)
    builder.snippet(f"Geteilt {new_id()}", f"Text {new_id()}")
    letter = existing["letter"]
    builder.template(f"Brief neu {new_id()}", group=existing["group"]["id"], id=letter["id"])
    snippet = existing["snippet"]
    builder.snippet(snippet["title"], f"Anders {new_id()}", id=snippet["id"])
    return builder, builder.build(target)


# --- the round trip ----------------------------------------------------------------------


def test_revert_brings_a_client_back_to_before_the_import_keeping_other_edits(
    live: LiveServer, existing: dict[str, Any], tmp_path: Path
) -> None:
    _api, user = live.new_user("user")
    client = client_for(live, tmp_path / "anna", user["login"])
    sync(client)
    before_import = content(client)
    before_files = files(client, before_import)
    builder, archive = package_over(existing, tmp_path / "p.zip")

    report = import_(live.admin, archive)
    sync(client)
    assert content(client) != before_import
    other = existing["other"]
    edited = live.admin.ok(
        "PATCH", f"/admin/templates/{other['id']}", json={"titles": {"de": "Anders betitelt"}}
    )
    # Nothing refers to the letter's old file now but the history: garbage collection keeps it.
    live.admin.upload(office_file("unused"))  # something for the collection to remove
    admin = ["admin", "--data-dir", str(live.data_dir)]
    if live.database_url:
        admin += ["--database-url", live.database_url]
    gc = subprocess.run(
        [sys.executable, "-m", "docshelf", *admin, "blobs", "gc", "--grace-hours", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gc.returncode == 0, gc.stderr
    assert "Removed 0 " not in gc.stdout, "the test means a collection that removes something"

    entry = entry_of(live.admin, report["seq"])
    assert entry["kind"] == "import" and entry["reverted_by"] is None
    assert (entry["created"], entry["changed"], entry["deleted"]) == (4, 2, 0)
    seq = server_seq(live)
    preview = preview_revert(live.admin, entry["id"])
    assert server_seq(live) == seq, "a revert preview must write nothing"
    assert ids(preview["removed"]) == ids(report["added"])
    assert ids(preview["changed"]) == {
        ("template", existing["letter"]["id"]),
        ("snippet", existing["snippet"]["id"]),
    }
    assert preview["changed_since"] == [] and preview["added"] == []

    done = ok(revert(live.admin, entry["id"], plan=preview["plan"]))
    assert done["applied"] is True and done["seq"] == seq + 1
    sync(client)
    assert_client_matches_server(live, client)
    expected = dict(before_import)
    expected[("template", other["id"])] = {
        **expected[("template", other["id"])],
        "titles": edited["titles"],
    }
    assert content(client) == expected
    assert files(client, content(client)) == before_files

    # The revert is kept like an import; reverting it brings the import back.
    history = ok(live.admin.get("/admin/packages/imports"))["entries"]
    assert history[0]["id"] == done["entry"] and history[0]["reverts"] == entry["id"]
    assert entry_of(live.admin, report["seq"])["reverted_by"] == done["entry"]
    again = ok(revert(live.admin, done["entry"]))
    assert again["applied"] is True
    assert ids(again["added"]) | ids(again["changed"]) >= ids(report["added"])
    letter = live.admin.ok("GET", f"/admin/templates/{existing['letter']['id']}")
    assert letter["titles"] == next(
        t["titles"] for t in builder.templates if t["id"] == existing["letter"]["id"]
    )
    client.close()


def test_objects_changed_since_the_import_are_left_alone_unless_named(
    live: LiveServer, existing: dict[str, Any], tmp_path: Path
) -> None:
    builder, archive = package_over(existing, tmp_path / "p.zip")
    report = import_(live.admin, archive)
    new_snippet = next(
        s
        for s in builder.snippets
        if s["kind"] == "shared" and s["id"] not in {existing["snippet"]["id"]}
    )
    live.admin.ok("PATCH", f"/admin/snippets/{new_snippet['id']}", json={"title": "Nachher"})
    letter = existing["letter"]["id"]
    live.admin.ok("PATCH", f"/admin/templates/{letter}", json={"titles": {"de": "Nachher"}})
    entry = entry_of(live.admin, report["seq"])

    preview = preview_revert(live.admin, entry["id"])
    since = {("snippet", new_snippet["id"]), ("template", letter)}
    assert ids(preview["changed_since"]) == since
    listed = ids(preview["removed"]) | ids(preview["changed"]) | ids(preview["unchanged"])
    assert not since & listed
    named = preview_revert(live.admin, entry["id"], letter)
    assert ("template", letter) in ids(named["changed"])
    assert ("snippet", new_snippet["id"]) not in ids(named["removed"])
    assert named["plan"] != preview["plan"]
    # Confirmed on one preview, applied with another choice: refused, nothing written.
    seq = server_seq(live)
    assert revert(live.admin, entry["id"], letter, plan=preview["plan"]).status_code == 409
    assert server_seq(live) == seq

    done = ok(revert(live.admin, entry["id"], letter, plan=named["plan"]))
    assert done["applied"] is True
    kept = live.admin.ok("GET", f"/admin/snippets/{new_snippet['id']}")
    assert kept["title"] == "Nachher"
    restored = live.admin.ok("GET", f"/admin/templates/{letter}")
    assert restored["titles"] == existing["letter"]["titles"]
    groups = {g["id"] for g in live.admin.ok("GET", "/admin/template-groups")}
    assert builder.template_groups[0]["id"] not in groups


def test_a_created_group_stays_while_it_holds_a_template_changed_since(
    live: LiveServer, existing: dict[str, Any], tmp_path: Path
) -> None:
    builder, archive = package_over(existing, tmp_path / "p.zip")
    report = import_(live.admin, archive)
    new_template = builder.templates[0]["id"]
    live.admin.ok("PATCH", f"/admin/templates/{new_template}", json={"order": 7})
    entry = entry_of(live.admin, report["seq"])

    preview = preview_revert(live.admin, entry["id"])
    group = builder.template_groups[0]
    assert ("template_group", group["id"]) in ids(preview["unchanged"])
    assert any(group["titles"]["de"] in w for w in preview["warnings"])
    done = ok(revert(live.admin, entry["id"], plan=preview["plan"]))
    assert done["applied"] is True
    groups = {g["id"] for g in live.admin.ok("GET", "/admin/template-groups")}
    assert group["id"] in groups
    assert live.admin.ok("GET", f"/admin/templates/{new_template}")["active"] is True


def test_only_who_may_import_may_revert(live: LiveServer, tmp_path: Path) -> None:
    user, _ = live.new_user("user")
    layouter, _ = live.new_user("layouter")
    builder = PackageBuilder()
    builder.template(f"Eigen {new_id()}")
    report = import_(layouter, builder.build(tmp_path / "l.zip"))
    entry = entry_of(layouter, report["seq"])
    assert user.get("/admin/packages/imports").status_code == 403
    assert user.get(f"/admin/packages/imports/{entry['id']}/revert").status_code == 403
    seq = server_seq(live)
    assert revert(user, entry["id"]).status_code == 403
    assert server_seq(live) == seq

    org = PackageBuilder()
    org.unit(f"Einheit {new_id()}")
    unit_entry = entry_of(live.admin, import_(live.admin, org.build(tmp_path / "o.zip"))["seq"])
    assert revert(layouter, unit_entry["id"]).status_code == 403
    assert server_seq(live) == seq + 1

    done = ok(revert(layouter, entry["id"]))
    assert done["applied"] is True
    template = live.admin.ok("GET", f"/admin/templates/{builder.templates[0]['id']}")
    assert template["active"] is False
    assert ok(revert(live.admin, unit_entry["id"]))["applied"] is True
    assert live.admin.get(f"/admin/units/{org.units[0]['id']}").status_code == 404
    assert live.admin.get("/admin/packages/imports/999999/revert").status_code == 404


# --- the command line --------------------------------------------------------------------


def docshelf(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DOCSHELF_KEYRING": "0"},
    )


def test_the_command_line_lists_the_history_and_reverts(
    live: LiveServer, existing: dict[str, Any], tmp_path: Path
) -> None:
    if live.database_url is not None:
        pytest.skip("the command line works alike on every database; it is tested on SQLite")
    builder, archive = package_over(existing, tmp_path / "p.zip")
    report = import_(live.admin, archive)
    sign_in = ["--server", live.url, "--user", "root", "--password-stdin"]
    home = tmp_path / "home"

    listed = docshelf("package", "history", *sign_in, "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    entry = next(e for e in json.loads(listed.stdout)["entries"] if e["seq"] == report["seq"])
    shown = docshelf("package", "history", *sign_in, home=home)
    assert shown.returncode == 0, shown.stderr
    assert "4 created, 2 changed, 0 deleted" in shown.stdout

    seq = server_seq(live)
    dry = docshelf("package", "revert", str(entry["id"]), *sign_in, "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "Remove (4):" in dry.stdout and "Restore (2):" in dry.stdout
    assert server_seq(live) == seq, "a dry run must write nothing"
    unconfirmed = docshelf("package", "revert", str(entry["id"]), *sign_in, home=home)
    assert unconfirmed.returncode != 0 and "--yes" in unconfirmed.stderr
    assert server_seq(live) == seq

    letter = existing["letter"]["id"]
    live.admin.ok("PATCH", f"/admin/templates/{letter}", json={"titles": {"de": "Nachher"}})
    done = docshelf(
        "package", "revert", str(entry["id"]), *sign_in, "--include", letter, "--yes", home=home
    )
    assert done.returncode == 0, done.stderr
    assert f"Reverted as change {seq + 2}" in done.stdout
    restored = live.admin.ok("GET", f"/admin/templates/{letter}")
    assert restored["titles"] == existing["letter"]["titles"]
    assert live.admin.ok("GET", f"/admin/templates/{builder.templates[0]['id']}")["active"] is False

    unknown = docshelf("package", "revert", "999999", *sign_in, "--yes", home=home)
    assert unknown.returncode == 1 and "999999" in unknown.stderr
