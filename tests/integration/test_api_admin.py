"""The administration API: each role may do what the rules allow, and nothing else."""

from __future__ import annotations

import secrets

import pytest

from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/admin/users", None),
        ("POST", "/admin/users", {"login": "intruder"}),
        ("GET", "/admin/groups", None),
        ("POST", "/admin/groups", {"name": "intruders"}),
        ("GET", "/admin/settings", None),
        ("PATCH", "/admin/settings", {"values": {"ClientSyncInterval": 60000}}),
        ("POST", "/admin/fields", {"key": "intruder", "scope": "user"}),
        ("POST", "/admin/units", {"title": "Intruder Ltd"}),
        ("POST", "/admin/templates", {"kind": "docx", "titles": {"de": "X"}}),
        ("POST", "/admin/template-groups", {"titles": {"de": "X"}}),
        ("POST", "/admin/snippets", {"kind": "shared", "title": "X", "body": "x"}),
    ],
)
def test_plain_users_may_not_administer(
    live: LiveServer, method: str, path: str, body: dict[str, object] | None
) -> None:
    client, _ = live.new_user()
    response = client.request(method, path, json=body)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_layouter_manages_templates_but_not_units_or_users(live: LiveServer) -> None:
    layouter, me = live.new_user("layouter")
    group = layouter.ok("POST", "/admin/template-groups", json={"titles": {"de": "Briefe"}})
    template = layouter.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": "Brief", "en": "Letter"}, "group_id": group["id"]},
    )
    # The creator keeps the right to edit what they created.
    assert f"user:{me['id']}" in template["change_rights"]
    changed = layouter.ok("PATCH", f"/admin/templates/{template['id']}", json={"status": "in_test"})
    assert changed["status"] == "in_test" and changed["version"] == 2
    assert layouter.post("/admin/units", json={"title": "X"}).status_code == 403
    assert layouter.get("/admin/users").status_code == 403


def test_layouter_without_change_right_cannot_touch_a_template(live: LiveServer) -> None:
    owner, _ = live.new_user("layouter")
    other, _ = live.new_user("layouter")
    template = owner.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "T"}})
    assert other.patch(f"/admin/templates/{template['id']}", json={"order": 3}).status_code == 404
    ids = [t["id"] for t in other.ok("GET", "/admin/templates")]
    assert template["id"] not in ids


def test_change_right_through_a_group(live: LiveServer) -> None:
    layouter, user = live.new_user("layouter")
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("layout")})
    live.admin.ok("POST", f"/admin/groups/{group['id']}/members", json={"user_id": user["id"]})
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "xlsx", "titles": {"de": "T"}, "change_rights": [f"group:{group['id']}"]},
    )
    layouter.ok("PATCH", f"/admin/templates/{template['id']}", json={"titles": {"de": "Neu"}})


def test_org_manages_units_but_not_templates(live: LiveServer) -> None:
    org, _ = live.new_user("org")
    root = org.ok("POST", "/admin/units", json={"title": "Muster AG"})
    child = org.ok("POST", "/admin/units", json={"title": "Zürich", "parent_id": root["id"]})
    assert child["parent_id"] == root["id"]
    renamed = org.ok("PATCH", f"/admin/units/{child['id']}", json={"title": "Zurich"})
    assert renamed["version"] == 2
    assert (
        org.post("/admin/templates", json={"kind": "docx", "titles": {"de": "X"}}).status_code
        == 403
    )


def test_unit_fields_are_validated_against_definitions(live: LiveServer) -> None:
    key = f"street_{secrets.token_hex(2)}"
    live.admin.ok("POST", "/admin/fields", json={"key": key, "scope": "unit"})
    unit = live.admin.ok(
        "POST", "/admin/units", json={"title": "U", "fields": {key: "Hauptstr. 1"}}
    )
    assert unit["fields"] == {key: "Hauptstr. 1"}
    unknown = live.admin.post("/admin/units", json={"title": "U", "fields": {"nokey": "x"}})
    assert unknown.status_code == 422
    assert "nokey" in unknown.json()["detail"]
    reset = live.admin.ok("PATCH", f"/admin/units/{unit['id']}", json={"fields": {key: None}})
    assert reset["fields"] == {}


def test_a_unit_stays_editable_after_one_of_its_fields_was_deleted(live: LiveServer) -> None:
    gone, kept = (f"f{secrets.token_hex(3)}" for _ in range(2))
    for key in (gone, kept):
        live.admin.ok("POST", "/admin/fields", json={"key": key, "scope": "unit"})
    unit = live.admin.ok(
        "POST", "/admin/units", json={"title": "U", "fields": {gone: "old", kept: "x"}}
    )
    field = next(f for f in live.admin.ok("GET", "/admin/fields") if f["key"] == gone)
    live.admin.ok("DELETE", f"/admin/fields/{field['id']}")

    edited = live.admin.ok("PATCH", f"/admin/units/{unit['id']}", json={"fields": {kept: "y"}})
    assert edited["fields"] == {kept: "y"}  # the deleted field's value went with the edit
    refused = live.admin.patch(f"/admin/units/{unit['id']}", json={"fields": {gone: "again"}})
    assert refused.status_code == 422


def test_unit_with_profiles_or_children_is_not_deleted(live: LiveServer) -> None:
    parent = live.admin.ok("POST", "/admin/units", json={"title": "P"})
    child = live.admin.ok("POST", "/admin/units", json={"title": "C", "parent_id": parent["id"]})
    assert live.admin.delete(f"/admin/units/{parent['id']}").status_code == 409
    _, user = live.new_user()
    profile = live.admin.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": user["id"], "unit_id": child["id"], "title": "Work"},
    )
    assert live.admin.delete(f"/admin/units/{child['id']}").status_code == 409
    live.admin.ok("DELETE", f"/admin/profiles/{profile['id']}")
    live.admin.ok("DELETE", f"/admin/units/{child['id']}")
    live.admin.ok("DELETE", f"/admin/units/{parent['id']}")


def test_profiles_belong_to_their_owner(live: LiveServer) -> None:
    anna, anna_rec = live.new_user()
    ben, ben_rec = live.new_user()
    clara, _ = live.new_user()
    profile = anna.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": anna_rec["id"], "title": "Anna", "shared_with": [ben_rec["id"]]},
    )
    assert ben.ok("GET", f"/admin/profiles/{profile['id']}")["title"] == "Anna"
    assert clara.get(f"/admin/profiles/{profile['id']}").status_code == 404
    # Shared with ben means ben may use it, not change it.
    assert ben.patch(f"/admin/profiles/{profile['id']}", json={"title": "Ben"}).status_code == 403
    assert (
        anna.post(
            "/admin/profiles", json={"owner_id": ben_rec["id"], "title": "For Ben"}
        ).status_code
        == 403
    )


def test_unit_assignment_follows_assignable_by(live: LiveServer) -> None:
    user, rec = live.new_user()
    open_unit = live.admin.ok("POST", "/admin/units", json={"title": "Open"})
    closed = live.admin.ok(
        "POST", "/admin/units", json={"title": "Closed", "assignable_by": ["group:nobody"]}
    )
    below_closed = live.admin.ok(
        "POST", "/admin/units", json={"title": "Below", "parent_id": closed["id"]}
    )
    user.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": rec["id"], "title": "P", "unit_id": open_unit["id"]},
    )
    for unit in (closed, below_closed):
        refused = user.post(
            "/admin/profiles", json={"owner_id": rec["id"], "title": "P", "unit_id": unit["id"]}
        )
        assert refused.status_code == 403


def test_template_lifecycle_deactivate_restore_purge(live: LiveServer) -> None:
    layouter, _ = live.new_user("layouter")
    template = layouter.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "T"}})
    tid = template["id"]
    assert live.admin.delete(f"/admin/templates/{tid}").status_code == 409  # still active
    deactivated = layouter.ok("POST", f"/admin/templates/{tid}/deactivate")
    assert deactivated["active"] is False
    # Only an administrator restores or purges.
    assert layouter.post(f"/admin/templates/{tid}/restore").status_code == 403
    assert live.admin.ok("POST", f"/admin/templates/{tid}/restore")["active"] is True
    live.admin.ok("POST", f"/admin/templates/{tid}/deactivate")
    live.admin.ok("DELETE", f"/admin/templates/{tid}")
    assert live.admin.get(f"/admin/templates/{tid}").status_code == 404


def test_template_files_are_content_addressed_and_deduplicated(live: LiveServer) -> None:
    data = docx_bytes(_name("Brief"), ["Sehr geehrte Damen und Herren"])
    sha = live.admin.upload(data)
    assert live.admin.upload(data) == sha  # the same bytes again: same address, no error
    first = live.admin.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "A"}})
    second = live.admin.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "B"}})
    for template in (first, second):
        live.admin.ok(
            "PUT",
            f"/admin/templates/{template['id']}/files/de",
            json={"sha256": sha, "filename": "brief"},
        )
    record = live.admin.ok("GET", f"/admin/templates/{first['id']}")
    assert record["files"]["de"] == {"sha256": sha, "size": len(data), "filename": "brief.docx"}
    stored = list((live.data_dir / "blobs").rglob(sha))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    missing = live.admin.ok("POST", "/blobs/missing", json={"sha256": [sha, "0" * 64]})
    assert missing["missing"] == ["0" * 64]


def test_file_download_supports_range_and_etag(live: LiveServer) -> None:
    data = docx_bytes(_name("Range"), ["x" * 1000])
    sha = live.admin.upload(data)
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": "R"}, "status": "released"},
    )
    live.admin.ok(
        "PUT", f"/admin/templates/{template['id']}/files/de", json={"sha256": sha, "filename": "r"}
    )
    user, _ = live.new_user()
    partial = user.get(f"/blobs/{sha}", headers={"Range": "bytes=100-199"})
    assert partial.status_code == 206
    assert partial.content == data[100:200]
    full = user.get(f"/blobs/{sha}")
    assert full.content == data
    assert full.headers["etag"] == f'"{sha}"'
    assert "immutable" in full.headers["cache-control"]
    assert user.get(f"/blobs/{sha}", headers={"If-None-Match": f'"{sha}"'}).status_code == 304


def test_files_of_invisible_templates_are_not_served(live: LiveServer) -> None:
    data = docx_bytes(_name("Secret"), ["confidential"])
    sha = live.admin.upload(data)
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "S"}}
    )  # in progress: only Sys and its layouters see it
    live.admin.ok(
        "PUT", f"/admin/templates/{template['id']}/files/de", json={"sha256": sha, "filename": "s"}
    )
    user, _ = live.new_user()
    assert user.get(f"/blobs/{sha}").status_code == 404


def test_expected_version_guards_against_lost_updates(live: LiveServer) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("g")})
    live.admin.ok("PATCH", f"/admin/groups/{group['id']}", json={"description": "first"})
    stale = live.admin.patch(
        f"/admin/groups/{group['id']}", json={"description": "second", "expected_version": 1}
    )
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    current = live.admin.ok("GET", f"/admin/groups/{group['id']}")
    assert current["description"] == "first"


def test_settings_are_validated_and_applied_all_or_nothing(live: LiveServer) -> None:
    before = {s["key"]: s["value"] for s in live.admin.ok("GET", "/admin/settings")}
    bad = live.admin.patch(
        "/admin/settings",
        json={"values": {"ClientSyncMaxDelayAfterStart": 60000, "ClientSyncInterval": 5}},
    )
    assert bad.status_code == 422
    assert "ClientSyncInterval" in bad.json()["detail"]
    after = {s["key"]: s["value"] for s in live.admin.ok("GET", "/admin/settings")}
    assert after == before
    ok = live.admin.ok("PATCH", "/admin/settings", json={"values": {"ClientSyncInterval": 600000}})
    assert {s["key"]: s["value"] for s in ok}["ClientSyncInterval"] == 600000


def test_snippet_rights(live: LiveServer) -> None:
    layouter, _ = live.new_user("layouter")
    member, member_rec = live.new_user()
    outsider, _ = live.new_user()
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("readers")})
    live.admin.ok(
        "POST", f"/admin/groups/{group['id']}/members", json={"user_id": member_rec["id"]}
    )
    shared = layouter.ok(
        "POST",
        "/admin/snippets",
        json={
            "kind": "shared",
            "title": "Grussformel",
            "body": "Freundliche Grüsse",
            "read_rights": [f"group:{group['id']}"],
        },
    )
    assert member.ok("GET", f"/admin/snippets/{shared['id']}")["title"] == "Grussformel"
    assert outsider.get(f"/admin/snippets/{shared['id']}").status_code == 404
    assert member.patch(f"/admin/snippets/{shared['id']}", json={"title": "x"}).status_code == 403
    personal = member.ok(
        "POST", "/admin/snippets", json={"kind": "personal", "title": "Mine", "body": "hi"}
    )
    assert personal["owner_id"] == member_rec["id"]
    assert live.admin.get(f"/admin/snippets/{personal['id']}").status_code == 404
    assert member.get(f"/blobs/{personal['body_sha256']}").content == b"hi"
    assert outsider.get(f"/blobs/{personal['body_sha256']}").status_code == 404


def test_purging_a_user_removes_what_only_they_had(live: LiveServer) -> None:
    client, rec = live.new_user()
    profile = client.ok("POST", "/admin/profiles", json={"owner_id": rec["id"], "title": "P"})
    assert live.admin.delete(f"/admin/users/{rec['id']}").status_code == 409  # still active
    live.admin.ok("POST", f"/admin/users/{rec['id']}/deactivate")
    live.admin.ok("DELETE", f"/admin/users/{rec['id']}")
    assert live.admin.get(f"/admin/profiles/{profile['id']}").status_code == 404
    assert live.admin.get(f"/admin/users/{rec['id']}").status_code == 404
