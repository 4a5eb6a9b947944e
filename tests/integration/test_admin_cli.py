"""``docshelf admin`` works on the database beside a running server.

Every command runs as its own process on the live server's data dir (SQLite) or database
URL (PostgreSQL), while the server keeps running; its effect is checked through the
server's HTTP API, the way clients would see it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.api import PASSWORD, Api, LiveServer, admin_cli

NEW_PASSWORD = "pw-changed-5678"


def admin(
    live: LiveServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return admin_cli(
        list(args),
        data_dir=str(live.process.data_dir),
        database_url=live.database_url,
        stdin=stdin,
    )


def succeeds(live: LiveServer, *args: str, stdin: str | None = None) -> str:
    """Run an admin command that must succeed; returns its standard output."""
    done = admin(live, *args, stdin=stdin)
    assert done.returncode == 0, f"docshelf admin {' '.join(args)}: {done.stderr}"
    return done.stdout


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"


def signs_in(live: LiveServer, login: str, password: str) -> bool:
    response = live.anonymous().post(
        "/auth/login", json={"login": login, "password": password, "device_name": "check"}
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def new_group(live: LiveServer, name: str) -> dict[str, Any]:
    record: dict[str, Any] = live.admin.ok("POST", "/admin/groups", json={"name": name})
    return record


def group_names(client: Api) -> set[str]:
    return {g["name"] for g in client.ok("GET", "/me")["groups"]}


def setting(live: LiveServer, key: str) -> Any:
    return next(s["value"] for s in live.admin.ok("GET", "/admin/settings") if s["key"] == key)


def new_template(live: LiveServer, title: str) -> str:
    record = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": title}}
    )
    return str(record["id"])


def template(live: LiveServer, template_id: str) -> dict[str, Any]:
    record: dict[str, Any] = live.admin.ok("GET", f"/admin/templates/{template_id}")
    return record


# --- users ---------------------------------------------------------------------------------


def test_create_user_makes_an_account_that_signs_in_with_the_given_password(
    live: LiveServer,
) -> None:
    login = unique("ann")
    out = succeeds(
        live,
        "create-user",
        login,
        "--role",
        "layouter,org",
        "--display-name",
        "Ann Example",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )

    assert login in out
    me = live.login(login).ok("GET", "/me")
    assert me["login"] == login
    assert me["display_name"] == "Ann Example"
    assert me["roles"] == ["layouter", "org", "user"]


def test_create_user_without_role_makes_a_plain_user(live: LiveServer) -> None:
    login = unique("bob")
    succeeds(live, "create-user", login, "--password-stdin", stdin=PASSWORD + "\n")

    me = live.login(login).ok("GET", "/me")
    assert me["roles"] == ["user"]
    assert me["display_name"] == login


def test_set_password_replaces_the_old_password(live: LiveServer) -> None:
    _client, user = live.new_user("user")

    succeeds(live, "set-password", user["login"], "--password-stdin", stdin=NEW_PASSWORD + "\n")

    assert not signs_in(live, user["login"], PASSWORD)
    assert signs_in(live, user["login"], NEW_PASSWORD)


def test_list_users_shows_accounts_created_through_the_api(live: LiveServer) -> None:
    _client, user = live.new_user("layouter", login_name=unique("lu"))

    out = succeeds(live, "list-users")

    assert user["login"] in out
    assert "root" in out


# --- groups --------------------------------------------------------------------------------


def test_group_create_makes_a_group_the_api_lists(live: LiveServer) -> None:
    name = unique("Editors ")

    succeeds(live, "group", "create", name)

    assert name in {g["name"] for g in live.admin.ok("GET", "/admin/groups")}
    assert name in succeeds(live, "group", "list")


def test_group_add_member_puts_the_user_in_the_group(live: LiveServer) -> None:
    client, user = live.new_user("user")
    group = new_group(live, unique("Sales"))

    succeeds(live, "group", "add-member", group["name"], user["login"])

    assert group["name"] in group_names(client)
    assert f"{user['login']} (user)" in succeeds(live, "group", "list")


def test_group_remove_member_takes_the_user_out_of_the_group(live: LiveServer) -> None:
    client, user = live.new_user("user")
    group = new_group(live, unique("Legal"))
    live.admin.ok("POST", f"/admin/groups/{group['id']}/members", json={"user_id": user["id"]})
    assert group["name"] in group_names(client)

    succeeds(live, "group", "remove-member", group["name"], user["login"])

    assert group["name"] not in group_names(client)


def test_a_member_group_passes_its_parent_group_on_to_its_users(live: LiveServer) -> None:
    client, user = live.new_user("user")
    parent, child = new_group(live, unique("Company")), new_group(live, unique("Team"))
    live.admin.ok("POST", f"/admin/groups/{child['id']}/members", json={"user_id": user["id"]})

    succeeds(live, "group", "add-member", parent["name"], child["name"], "--group-member")
    assert group_names(client) >= {parent["name"], child["name"]}
    members = live.admin.ok("GET", f"/admin/groups/{parent['id']}/members")
    assert members == [{"kind": "group", "id": child["id"], "name": child["name"]}]

    succeeds(live, "group", "remove-member", parent["name"], child["name"], "--group-member")
    assert parent["name"] not in group_names(client)
    assert child["name"] in group_names(client)


# --- settings ------------------------------------------------------------------------------


def test_settings_set_changes_what_the_api_serves(live: LiveServer) -> None:
    said = succeeds(live, "settings", "set", "ClientSyncInterval", "600000")
    assert "clients receive it at their next sync" in said
    succeeds(live, "settings", "set", "Languages", "de,fr")
    # A setting of the server's own is not said to reach clients.
    said = succeeds(live, "settings", "set", "VersionsKept", "12")
    assert "the server uses it from now on" in said and "clients" not in said

    assert setting(live, "ClientSyncInterval") == 600_000
    assert setting(live, "Languages") == ["de", "fr"]


def test_settings_show_lists_the_values_set_through_the_api(live: LiveServer) -> None:
    live.admin.ok(
        "PATCH", "/admin/settings", json={"values": {"ClientSyncMaxDelayAfterStart": 123_456}}
    )

    out = succeeds(live, "settings", "show")

    assert "123456" in out
    assert "ClientSyncInterval" in out


# --- templates -----------------------------------------------------------------------------


def test_template_list_shows_templates_created_through_the_api(live: LiveServer) -> None:
    template_id = new_template(live, "Brief")

    assert template_id in succeeds(live, "template", "list")


def test_template_release_releases_the_template(live: LiveServer) -> None:
    template_id = new_template(live, "Memo")
    assert template(live, template_id)["status"] == "in_progress"

    succeeds(live, "template", "release", template_id)

    assert template(live, template_id)["status"] == "released"


def test_template_set_status_sets_the_publication_status(live: LiveServer) -> None:
    template_id = new_template(live, "Offer")

    succeeds(live, "template", "set-status", template_id, "in_test")
    assert template(live, template_id)["status"] == "in_test"

    succeeds(live, "template", "set-status", template_id, "in_progress")
    assert template(live, template_id)["status"] == "in_progress"


def test_template_deactivate_and_restore_toggle_whether_it_is_active(live: LiveServer) -> None:
    template_id = new_template(live, "Fax")
    live.admin.ok("POST", f"/admin/templates/{template_id}/status", json={"status": "released"})

    succeeds(live, "template", "deactivate", template_id)
    record = template(live, template_id)
    assert (record["active"], record["status"]) == (False, "released")

    succeeds(live, "template", "restore", template_id)
    record = template(live, template_id)
    assert (record["active"], record["status"]) == (True, "released")


# --- refused commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class Existing:
    """Objects the refused commands refer to, made once per server."""

    login: str
    group: str
    template_id: str


@pytest.fixture(scope="module")
def existing(live: LiveServer) -> Existing:
    _client, user = live.new_user("user", login_name=unique("known"))
    group = unique("Known")
    live.admin.ok("POST", "/admin/groups", json={"name": group})
    return Existing(login=user["login"], group=group, template_id=new_template(live, "Known"))


def snapshot(api: Api) -> dict[str, Any]:
    """Everything an admin command could change, as the API shows it."""
    groups = api.ok("GET", "/admin/groups")
    return {
        "users": api.ok("GET", "/admin/users"),
        "groups": groups,
        "members": {g["id"]: api.ok("GET", f"/admin/groups/{g['id']}/members") for g in groups},
        "settings": api.ok("GET", "/admin/settings"),
        "templates": api.ok("GET", "/admin/templates"),
    }


# (arguments, standard input, a word the error message must contain); {login}, {group} and
# {template} stand for objects that exist.
REFUSED = {
    "set-password-unknown-login": (
        ["set-password", "nobody", "--password-stdin"],
        "x" * 8,
        "nobody",
    ),
    "add-member-unknown-login": (["group", "add-member", "{group}", "nobody"], None, "nobody"),
    "add-member-unknown-group": (["group", "add-member", "nogroup", "{login}"], None, "nogroup"),
    "remove-member-not-a-member": (
        ["group", "remove-member", "{group}", "{login}"],
        None,
        "not a direct member",
    ),
    "add-member-group-to-itself": (
        ["group", "add-member", "{group}", "{group}", "--group-member"],
        None,
        "itself",
    ),
    "group-create-name-too-long": (["group", "create", "n" * 101], None, "at most 100"),
    "settings-unknown-key": (["settings", "set", "Colour", "blue"], None, "Colour"),
    "settings-value-out-of-range": (
        ["settings", "set", "ClientSyncInterval", "5"],
        None,
        "between 60000 ms",
    ),
    "settings-value-not-a-number": (
        ["settings", "set", "ClientSyncInterval", "soon"],
        None,
        "milliseconds",
    ),
    "release-unknown-template": (["template", "release", "nope42"], None, "nope42"),
    "create-user-bad-role": (
        ["create-user", "carl", "--role", "user,wizard", "--password-stdin"],
        PASSWORD,
        "wizard",
    ),
    "create-user-duplicate-login": (
        ["create-user", "{login}", "--role", "sys", "--password-stdin"],
        NEW_PASSWORD,
        "exists",
    ),
}


def _fill(args: list[str], existing: Existing) -> list[str]:
    names = {"login": existing.login, "group": existing.group, "template": existing.template_id}
    return [a.format(**names) for a in args]


@pytest.mark.parametrize(("args", "stdin", "keyword"), REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_command_names_the_problem_and_changes_nothing(
    live: LiveServer, existing: Existing, args: list[str], stdin: str | None, keyword: str
) -> None:
    before = snapshot(live.admin)

    done = admin(live, *_fill(args, existing), stdin=None if stdin is None else stdin + "\n")

    assert done.returncode != 0
    # One message, no traceback.
    assert done.stderr.startswith("Error:") and done.stderr.count("Error:") == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert keyword.lower() in " ".join(done.stderr.split()).lower(), done.stderr
    assert snapshot(live.admin) == before
    assert signs_in(live, existing.login, PASSWORD)
    assert signs_in(live, "root", PASSWORD)


def test_a_long_error_message_stays_on_one_line(live: LiveServer, existing: Existing) -> None:
    done = admin(live, "group", "add-member", existing.group, existing.group, "--group-member")

    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_unknown_template_status_is_a_usage_error(live: LiveServer, existing: Existing) -> None:
    before = template(live, existing.template_id)

    done = admin(live, "template", "set-status", existing.template_id, "finished")

    assert done.returncode == 2
    assert "finished" in done.stderr
    assert template(live, existing.template_id) == before


def _without_target(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "admin", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_admin_without_data_dir_or_database_url_is_a_usage_error(tmp_path: Path) -> None:
    done = _without_target(["list-users"], tmp_path)

    assert done.returncode == 2
    assert "Usage:" in done.stderr
    assert "--data-dir" in done.stderr and "--database-url" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_create_user_without_data_dir_or_database_url_is_a_usage_error(tmp_path: Path) -> None:
    done = _without_target(["create-user", "x"], tmp_path)

    assert done.returncode == 2, done.stderr
    assert "Usage:" in done.stderr
    assert "--data-dir" in done.stderr and "--database-url" in done.stderr
    assert list(tmp_path.iterdir()) == []
