"""Deleted templates and snippets through a real server: listed from the version history,
restored with their id through the API and the admin CLI, and a real client that saw the
deletion holds them again, files byte for byte; who may not change them finds nothing;
a dry run writes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer, admin_cli
from support.sync import assert_client_matches_server, client_for, ids, make_template, sync


def _admin(live: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return admin_cli(list(args), data_dir=str(live.data_dir), database_url=live.database_url)


def _purge(live: LiveServer, template_id: str) -> None:
    live.admin.ok("POST", f"/admin/templates/{template_id}/deactivate")
    answer = live.admin.delete(f"/admin/templates/{template_id}")
    assert answer.status_code == 204, answer.text


def _local_file(client: Any, sha: str) -> bytes:
    with client.files.open(sha) as f:
        data: bytes = f.read()
    return data


def _record(client: Any, kind: str, ident: str) -> dict[str, Any]:
    return next(r for r in client.store.records(kind) if r["id"] == ident)


def _deleted(live: LiveServer, kind: str) -> dict[str, dict[str, Any]]:
    return {
        d["object_id"]: d
        for d in live.admin.ok("GET", "/admin/history/deleted", params={"kind": kind})
    }


def test_a_purged_template_is_restored_and_reaches_the_client_byte_identical(
    live: LiveServer, tmp_path: Path
) -> None:
    data = docx_bytes("Briefvorlage", "Unser Brief")
    template = make_template(live, "Briefvorlage", data=data)
    tid = template["id"]
    _, user = live.new_user()
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    assert tid in ids(client, "template")

    _purge(live, tid)
    sync(client)
    assert tid not in ids(client, "template")

    listed = _deleted(live, "template")[tid]
    assert listed["title"] == "Briefvorlage" and listed["deleted_by"] == "root"
    kept = live.admin.ok("GET", f"/admin/history/template/{tid}")
    assert kept[0]["deleted"] is True and not any(v["deleted"] for v in kept[1:])
    assert listed["version"] == kept[0]["version"]
    restore_to = listed["restore_version"]
    assert next(v for v in kept if v["version"] == restore_to)["snapshot"]["active"] is True

    path = f"/admin/history/template/{tid}/restore"
    dry = live.admin.ok("POST", path, json={"version": restore_to, "dry_run": True})
    assert dry["restored"] is False and dry["changes"]["from_version"] is None
    assert dry["changes"]["notes"] and [f["change"] for f in dry["changes"]["files"]] == ["added"]
    assert live.admin.get(f"/admin/templates/{tid}").status_code == 404
    assert (
        live.admin.ok("GET", f"/admin/history/template/{tid}")[0]["version"] == kept[0]["version"]
    )

    done = live.admin.ok("POST", path, json={"version": restore_to})
    assert done["restored"] is True and done["new_version"] > kept[0]["version"]
    back = live.admin.ok("GET", f"/admin/templates/{tid}")
    assert back["active"] is True and back["version"] == done["new_version"]
    assert tid not in _deleted(live, "template")

    sync(client)
    local = _record(client, "template", tid)
    assert _local_file(client, local["files"]["de"]["sha256"]) == data
    assert_client_matches_server(live, client)
    client.close()


def test_a_deleted_snippet_is_listed_and_restored_with_the_admin_cli(
    live: LiveServer, tmp_path: Path
) -> None:
    body = "Freundliche Grüsse\nIhr Team"
    snippet = live.admin.ok(
        "POST", "/admin/snippets", json={"kind": "shared", "title": "Gruss-CLI", "body": body}
    )
    sid = snippet["id"]
    _, user = live.new_user()
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    assert sid in ids(client, "snippet")
    assert live.admin.delete(f"/admin/snippets/{sid}").status_code == 204
    sync(client)
    assert sid not in ids(client, "snippet")

    listed = _admin(live, "history", "--deleted", "--kind", "snippet", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [d for d in json.loads(listed.stdout) if d["object_id"] == sid]
    assert entry["title"] == "Gruss-CLI" and entry["kind"] == "snippet"
    as_table = _admin(live, "history", "--deleted")
    assert as_table.returncode == 0 and sid in as_table.stdout, as_table.stderr
    versions = _admin(live, "history", "snippet", sid)
    assert versions.returncode == 0, versions.stderr

    version = str(entry["restore_version"])
    dry = _admin(live, "restore", "snippet", sid, version, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert live.admin.get(f"/admin/snippets/{sid}").status_code == 404

    store = ["--blob-store", str(live.data_dir / "blobs")] if live.database_url else []
    done = _admin(live, "restore", "snippet", sid, version, *store)
    assert done.returncode == 0, done.stderr
    assert live.admin.ok("GET", f"/admin/snippets/{sid}")["title"] == "Gruss-CLI"

    sync(client)
    local = _record(client, "snippet", sid)
    assert _local_file(client, local["body_sha256"]) == body.encode("utf-8")
    assert_client_matches_server(live, client)
    client.close()


def test_who_may_not_change_a_deleted_object_finds_nothing(live: LiveServer) -> None:
    template = make_template(live, "Geheim", data=docx_bytes("Geheim", "eins"))
    tid = template["id"]
    snippet = live.admin.ok(
        "POST", "/admin/snippets", json={"kind": "shared", "title": "Nur Sys", "body": "x"}
    )
    _purge(live, tid)
    assert live.admin.delete(f"/admin/snippets/{snippet['id']}").status_code == 204

    layouter, _ = live.new_user("layouter")
    plain, _ = live.new_user()
    for who in (layouter, plain):
        for kind, ident in (("template", tid), ("snippet", snippet["id"])):
            path = f"/admin/history/{kind}/{ident}"
            assert who.get(path).status_code == 404
            assert who.get(f"{path}/compare", params={"a": 1, "b": 2}).status_code == 404
            answer = who.post(f"{path}/restore", json={"version": 1, "dry_run": True})
            assert answer.status_code == 404, answer.text
            assert who.post(f"{path}/restore", json={"version": 1}).status_code == 404
        listed = who.ok("GET", "/admin/history/deleted")
        assert {d["object_id"] for d in listed} & {tid, snippet["id"]} == set()
    assert live.admin.get(f"/admin/templates/{tid}").status_code == 404


def test_a_template_snippet_waits_for_its_template(live: LiveServer) -> None:
    template = make_template(live, "Mit Baustein", data=docx_bytes("Mit Baustein", "eins"))
    tid = template["id"]
    snippet = live.admin.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "template", "template_id": tid, "title": "Fusszeile", "body": "Adresse"},
    )
    _purge(live, tid)  # takes its snippets with it
    listed = _deleted(live, "snippet")[snippet["id"]]
    assert listed["blocked"]
    path = f"/admin/history/snippet/{snippet['id']}/restore"
    refused = live.admin.post(path, json={"version": listed["restore_version"]})
    assert refused.status_code == 409 and tid in refused.text

    restore_to = _deleted(live, "template")[tid]["restore_version"]
    live.admin.ok("POST", f"/admin/history/template/{tid}/restore", json={"version": restore_to})
    live.admin.ok("POST", path, json={"version": listed["restore_version"]})
    assert live.admin.ok("GET", f"/admin/snippets/{snippet['id']}")["template_id"] == tid
