"""The version history through a real server: restore an old template version through the
API, sync a real client, and it holds that version's file byte for byte; the admin CLI
lists, compares and restores; a restore needs the Change right."""

from __future__ import annotations

import subprocess
from pathlib import Path

from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer, admin_cli
from support.sync import assert_client_matches_server, client_for, make_template, sync


def _admin(live: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return admin_cli(list(args), data_dir=str(live.data_dir), database_url=live.database_url)


def _set_file(live: LiveServer, template_id: str, data: bytes) -> None:
    sha = live.admin.upload(data)
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template_id}/files/de",
        json={"sha256": sha, "filename": "Brief.docx"},
    )


def _local_file(client: object, template_id: str) -> bytes:
    store = client.store  # type: ignore[attr-defined]
    record = next(r for r in store.records("template") if r["id"] == template_id)
    sha = record["files"]["de"]["sha256"]
    with client.files.open(sha) as f:  # type: ignore[attr-defined]
        data: bytes = f.read()
    return data


def test_restored_version_reaches_the_client_byte_identical(
    live: LiveServer, tmp_path: Path
) -> None:
    first = docx_bytes("Brief", "Erste Fassung")
    template = make_template(live, "Brief", data=first)
    tid = template["id"]
    _set_file(live, tid, docx_bytes("Brief", "Zweite Fassung"))
    _set_file(live, tid, docx_bytes("Brief", "Dritte Fassung"))
    _, user = live.new_user()
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    assert _local_file(client, tid) != first

    kept = live.admin.ok("GET", f"/admin/history/template/{tid}")
    numbers = [v["version"] for v in kept]
    assert numbers == sorted(numbers, reverse=True)
    with_first = [v for v in kept if v["snapshot"]["files"].get("de", {}).get("size") == len(first)]
    oldest = with_first[-1]["version"]

    compared = live.admin.ok(
        "GET", f"/admin/history/template/{tid}/compare", params={"a": oldest, "b": numbers[0]}
    )
    assert [(f["lang"], f["change"]) for f in compared["files"]] == [("de", "changed")]

    dry = live.admin.ok(
        "POST", f"/admin/history/template/{tid}/restore", json={"version": oldest, "dry_run": True}
    )
    assert dry["restored"] is False and dry["changes"]["files"]
    assert live.admin.ok("GET", f"/admin/history/template/{tid}")[0]["version"] == numbers[0]

    done = live.admin.ok("POST", f"/admin/history/template/{tid}/restore", json={"version": oldest})
    assert done["restored"] is True and done["new_version"] > numbers[0]

    sync(client)
    assert _local_file(client, tid) == first
    assert_client_matches_server(live, client)
    client.close()


def test_restore_needs_the_change_right(live: LiveServer) -> None:
    template = make_template(live, "Rechte", data=docx_bytes("Rechte", "eins"))
    _set_file(live, template["id"], docx_bytes("Rechte", "zwei"))
    layouter, _ = live.new_user("layouter")
    path = f"/admin/history/template/{template['id']}"
    assert layouter.get(path).status_code == 404
    refused = layouter.post(f"{path}/restore", json={"version": 1})
    assert refused.status_code in (403, 404), refused.text
    plain, _ = live.new_user()
    assert plain.post(f"{path}/restore", json={"version": 1}).status_code in (403, 404)


def test_admin_cli_lists_compares_and_restores(live: LiveServer) -> None:
    first = docx_bytes("Kommandozeile", "eins")
    template = make_template(live, "Kommandozeile", data=first)
    tid = template["id"]
    _set_file(live, tid, docx_bytes("Kommandozeile", "zwei"))
    kept = live.admin.ok("GET", f"/admin/history/template/{tid}")
    # Version 1 was made without a file; the next holds the first one.
    with_file = [v for v in kept if v["snapshot"]["files"]]
    newest, oldest = kept[0]["version"], with_file[-1]["version"]

    listed = _admin(live, "history", "template", tid)
    assert listed.returncode == 0, listed.stderr
    assert str(newest) in listed.stdout and str(oldest) in listed.stdout

    compared = _admin(live, "history", "template", tid, "--compare", str(oldest), str(newest))
    assert compared.returncode == 0, compared.stderr
    assert "de" in compared.stdout

    dry = _admin(live, "restore", "template", tid, str(oldest), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert live.admin.ok("GET", f"/admin/history/template/{tid}")[0]["version"] == newest

    store = ["--blob-store", str(live.data_dir / "blobs")] if live.database_url else []
    done = _admin(live, "restore", "template", tid, str(oldest), *store)
    assert done.returncode == 0, done.stderr
    current = live.admin.ok("GET", f"/admin/templates/{tid}")
    assert current["files"]["de"]["sha256"] == with_file[-1]["snapshot"]["files"]["de"]["sha256"]
