"""The audit log against a live server: a change through the admin API, an uploaded edit,
a package import and a dashboard form each leave the entry they should (kind, object,
actor, origin, before → after); the filters, the CSV, and only Sys may read it."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path
from typing import Any

from support.api import Api, LiveServer
from support.packages import sample, sha


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def _audit(api: Api, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = api.ok("GET", "/admin/audit", params=params)
    return page


def test_a_change_through_the_admin_api(live: LiveServer) -> None:
    login = _name("anna")
    user = live.admin.ok(
        "POST", "/admin/users", json={"login": login, "display_name": "Anna", "password": "pw12"}
    )
    live.admin.ok("PATCH", f"/admin/users/{user['id']}", json={"display_name": "Anna B."})
    page = _audit(live.admin, object=user["id"])
    assert page["total"] == 2
    changed, created = page["entries"]  # newest first
    assert (created["kind"], created["action"], created["object_title"]) == (
        "user",
        "created",
        login,
    )
    assert created["before"] is None and created["after"]["display_name"] == "Anna"
    assert "password_hash" not in created["after"]
    assert changed["action"] == "changed"
    assert (changed["before"], changed["after"]) == (
        {"display_name": "Anna"},
        {"display_name": "Anna B."},
    )
    assert changed["actor"] == "root" and changed["actor_id"]
    assert changed["origin"] == "api" and changed["origin_ref"] is None
    assert changed["seq"] > created["seq"]


def test_an_uploaded_edit_names_its_mutation(live: LiveServer) -> None:
    client, me = live.new_user()
    mutation_id, target = secrets.token_hex(8), secrets.token_hex(8)
    answer = client.ok(
        "POST",
        "/sync/mutations",
        json={
            "mutations": [
                {
                    "id": mutation_id,
                    "kind": "profile",
                    "op": "create",
                    "target": target,
                    "set": {"title": "Work"},
                }
            ]
        },
    )
    assert answer["results"][0]["outcome"] == "applied", answer
    (entry,) = _audit(live.admin, object=target)["entries"]
    assert (entry["kind"], entry["action"], entry["object_title"]) == (
        "profile",
        "created",
        "Work",
    )
    assert (entry["origin"], entry["origin_ref"]) == ("sync", mutation_id)
    assert (entry["actor"], entry["actor_id"]) == (me["login"], me["id"])


def test_a_package_import_names_the_package(live: LiveServer, tmp_path: Path) -> None:
    builder = sample(_name("Paketbrief"))
    archive = builder.build(tmp_path / "p.zip").read_bytes()
    report = live.admin.ok(
        "POST",
        "/admin/packages/import",
        content=archive,
        headers={"Content-Type": "application/zip"},
    )
    assert report["applied"] is True
    template = builder.templates[0]
    # Named by its number in the package history (docshelf package history).
    history = live.admin.ok("GET", "/admin/packages/imports")["entries"]
    (imported,) = [e for e in history if e["seq"] == report["seq"]]
    assert imported["package_sha256"] == sha(archive)
    (entry,) = _audit(live.admin, object=template["id"])["entries"]
    assert (entry["kind"], entry["action"], entry["seq"]) == ("template", "created", report["seq"])
    assert (entry["origin"], entry["origin_ref"], entry["actor"]) == (
        "package",
        str(imported["id"]),
        "root",
    )
    files = entry["after"]["files"]
    assert {lang: f["sha256"] for lang, f in files.items()} == {
        lang: ref["sha256"] for lang, ref in template["files"].items()
    }
    in_import = _audit(live.admin, object="Paketbrief", limit=1000)["entries"]
    assert {e["seq"] for e in in_import if e["origin_ref"] == str(imported["id"])} == {
        report["seq"]
    }


def test_filters_and_paging(live: LiveServer) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("Verkauf")})
    for n in range(3):
        live.admin.ok(
            "PATCH", f"/admin/groups/{group['id']}", json={"description": f"Beschreibung {n}"}
        )
    assert _audit(live.admin, object=group["id"])["total"] == 4
    assert _audit(live.admin, object=group["name"][-6:].upper())["total"] == 4  # part of a title
    first = _audit(live.admin, object=group["id"], limit=2)
    second = _audit(live.admin, object=group["id"], limit=2, offset=2)
    assert first["total"] == 4 and len(first["entries"]) == 2 and len(second["entries"]) == 2
    assert first["entries"][0]["after"] == {"description": "Beschreibung 2"}
    assert second["entries"][1]["action"] == "created"
    assert _audit(live.admin, object=group["id"], kind="user")["total"] == 0
    assert _audit(live.admin, object=group["id"], kind="group", actor="root")["total"] == 4
    assert _audit(live.admin, object=group["id"], actor="nobody")["total"] == 0
    assert _audit(live.admin, object=group["id"], since="1h")["total"] == 4
    assert _audit(live.admin, object=group["id"], since="2999-01-01")["total"] == 0
    assert _audit(live.admin, object=group["id"], until="2000-01-01")["total"] == 0
    bad = live.admin.get("/admin/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "7d" in bad.json()["detail"]


def test_the_log_as_csv(live: LiveServer) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("Einkauf")})
    live.admin.ok("PATCH", f"/admin/groups/{group['id']}", json={"description": "Neu, mit Komma"})
    answer = live.admin.get("/admin/audit", params={"object": group["id"], "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["action"] for r in rows] == ["changed", "created"]
    assert rows[0]["object_id"] == group["id"] and rows[0]["origin"] == "api"
    assert rows[0]["after"] == '{"description": "Neu, mit Komma"}'
    assert rows[1]["before"] == ""


def test_only_system_administrators_read_the_log(live: LiveServer) -> None:
    for role in ("user", "layouter", "org"):
        client, _ = live.new_user(role)
        for params in ({}, {"format": "csv"}):
            answer = client.get("/admin/audit", params=params)
            assert answer.status_code == 403, (role, answer.text)
    assert live.anonymous().get("/admin/audit").status_code == 401
