"""Property 2: a client holds exactly what its user may see, in both directions."""

from __future__ import annotations

import secrets
from pathlib import Path

from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer, admin_cli
from support.sync import assert_client_matches_server, client_for, ids, make_template, sync


def _cli(live: LiveServer, *args: str) -> None:
    done = admin_cli(list(args), data_dir=str(live.data_dir), database_url=live.database_url)
    assert done.returncode == 0, done.stderr


def test_group_moves_add_and_remove_content(live: LiveServer, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    legal = live.admin.ok("POST", "/admin/groups", json={"name": f"legal-{tag}"})
    sales = live.admin.ok("POST", "/admin/groups", json={"name": f"sales-{tag}"})
    _, anna = live.new_user(login_name=f"anna{tag}")
    _, david = live.new_user(login_name=f"david{tag}")
    _cli(live, "group", "add-member", legal["name"], anna["login"])
    _cli(live, "group", "add-member", sales["name"], david["login"])
    legal_tpl = make_template(
        live, "NDA", use=[f"group:{legal['id']}"], data=docx_bytes(f"NDA {tag}", ["legal"])
    )
    sales_tpl = make_template(live, "Offer", use=[f"group:{sales['id']}"])
    legal_snippet = live.admin.ok(
        "POST",
        "/admin/snippets",
        json={
            "kind": "shared",
            "title": "Disclaimer",
            "body": "x",
            "read_rights": [f"group:{legal['id']}"],
        },
    )
    anna_client = client_for(live, tmp_path / "anna", anna["login"])
    david_client = client_for(live, tmp_path / "david", david["login"])
    sync(anna_client)
    sync(david_client)
    assert legal_tpl["id"] in ids(anna_client, "template")
    assert legal_tpl["id"] not in ids(david_client, "template")
    assert sales_tpl["id"] in ids(david_client, "template")
    assert legal_snippet["id"] in ids(anna_client, "snippet")
    assert_client_matches_server(live, anna_client)
    assert_client_matches_server(live, david_client)

    # anna moves from legal to sales: old legal rows leave, old sales rows arrive.
    _cli(live, "group", "remove-member", legal["name"], anna["login"])
    _cli(live, "group", "add-member", sales["name"], anna["login"])
    result = sync(anna_client)
    assert result.reconciled
    assert legal_tpl["id"] not in ids(anna_client, "template")
    assert legal_snippet["id"] not in ids(anna_client, "snippet")
    assert sales_tpl["id"] in ids(anna_client, "template")
    assert_client_matches_server(live, anna_client)
    # The NDA's file is nobody's business of anna's any more: gone from her disk too.
    nda_sha = legal_tpl["files"]["de"]["sha256"]
    assert not anna_client.files.has(nda_sha)


def test_release_in_test_deactivate_restore(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "u", user["login"])
    template = make_template(live, "Draft", status="in_test", data=docx_bytes("Draft", ["v1"]))
    tid = template["id"]
    sync(client)
    assert tid not in ids(client, "template")

    _cli(live, "template", "release", tid)
    sync(client)
    assert tid in ids(client, "template")
    assert client.files.has(template["files"]["de"]["sha256"])
    assert_client_matches_server(live, client)

    _cli(live, "template", "set-status", tid, "in_test")
    sync(client)
    assert tid not in ids(client, "template")
    assert_client_matches_server(live, client)

    _cli(live, "template", "release", tid)
    _cli(live, "template", "deactivate", tid)
    sync(client)
    assert tid not in ids(client, "template")
    _cli(live, "template", "restore", tid)
    sync(client)
    assert tid in ids(client, "template")
    assert_client_matches_server(live, client)


def test_template_snippets_follow_their_template(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "u", user["login"])
    template = make_template(live, "With snippet")
    snippet = live.admin.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "template", "title": "Footer", "body": "f", "template_id": template["id"]},
    )
    sync(client)
    assert snippet["id"] in ids(client, "snippet")
    live.admin.ok("POST", f"/admin/templates/{template['id']}/status", json={"status": "in_test"})
    sync(client)
    assert snippet["id"] not in ids(client, "snippet")
    assert_client_matches_server(live, client)


def test_sharing_and_unsharing_a_profile(live: LiveServer, tmp_path: Path) -> None:
    anna_api, anna = live.new_user()
    _, ben = live.new_user()
    profile = anna_api.ok("POST", "/admin/profiles", json={"owner_id": anna["id"], "title": "Anna"})
    ben_client = client_for(live, tmp_path / "ben", ben["login"])
    sync(ben_client)
    assert profile["id"] not in ids(ben_client, "profile")
    anna_api.ok("PATCH", f"/admin/profiles/{profile['id']}", json={"shared_with": [ben["id"]]})
    sync(ben_client)
    assert profile["id"] in ids(ben_client, "profile")
    assert_client_matches_server(live, ben_client)
    anna_api.ok("PATCH", f"/admin/profiles/{profile['id']}", json={"shared_with": []})
    sync(ben_client)
    assert profile["id"] not in ids(ben_client, "profile")
    assert_client_matches_server(live, ben_client)


def test_personal_snippets_stay_with_their_owner(live: LiveServer, tmp_path: Path) -> None:
    anna_api, anna = live.new_user()
    _, ben = live.new_user()
    note = anna_api.ok(
        "POST", "/admin/snippets", json={"kind": "personal", "title": "n", "body": "secret"}
    )
    anna_client = client_for(live, tmp_path / "anna", anna["login"])
    ben_client = client_for(live, tmp_path / "ben", ben["login"])
    sync(anna_client)
    sync(ben_client)
    assert note["id"] in ids(anna_client, "snippet")
    assert note["id"] not in ids(ben_client, "snippet")
    assert not ben_client.files.has(note["body_sha256"])
    anna_api.ok("DELETE", f"/admin/snippets/{note['id']}")
    sync(anna_client)
    assert note["id"] not in ids(anna_client, "snippet")


def test_deleted_rows_leave_every_client(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "u", user["login"])
    unit = live.admin.ok("POST", "/admin/units", json={"title": f"Temp {secrets.token_hex(2)}"})
    group = live.admin.ok("POST", "/admin/template-groups", json={"titles": {"de": "Tmp"}})
    sync(client)
    assert unit["id"] in ids(client, "unit") and group["id"] in ids(client, "template_group")
    live.admin.ok("DELETE", f"/admin/units/{unit['id']}")
    live.admin.ok("DELETE", f"/admin/template-groups/{group['id']}")
    result = sync(client)
    assert result.deleted >= 2
    assert unit["id"] not in ids(client, "unit")
    assert_client_matches_server(live, client)
