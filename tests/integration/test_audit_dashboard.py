"""The audit log on the dashboard and with ``docshelf admin audit`` (needs a server process):
a change made on the dashboard is recorded as the dashboard's and shown before → after in
the visitor's language; filters, pages, CSV; Sys only."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from integration.test_dashboard_pages import Dashboard
from support.api import LiveServer, admin_cli


@pytest.fixture
def sys_dashboard(live: LiveServer) -> Iterator[Dashboard]:
    dashboard = Dashboard(live.url, "root")
    yield dashboard
    dashboard.close()


def _row(page: str, object_id: str) -> str:
    found = re.findall(rf'<tr data-audit="\d+" data-object="{object_id}".*?</tr>', page, re.S)
    assert found, f"no entry for {object_id}"
    return html.unescape(found[0])  # the newest


def test_a_dashboard_change_is_shown_before_and_after(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    _, user = live.new_user()
    name = f"recht-{secrets.token_hex(3)}"
    where, _, _ = sys_dashboard.done("/dashboard/groups", {"name": name, "description": "Law"})
    group_id = where.rsplit("/", 1)[1]
    sys_dashboard.done(f"{where}/members", {"member": f"user:{user['id']}"})
    sys_dashboard.post("/dashboard/language", {"language": "de", "next": "/dashboard"})

    page = sys_dashboard.page("/dashboard/audit", object=group_id).text
    assert '<html lang="de">' in page and "Protokoll" in page
    assert 'data-count="2"' in page and "2 Einträge" in page
    row = _row(page, group_id)
    assert 'data-origin="dashboard"' in row and 'data-action="changed"' in row
    assert "Mitglieder" in row and f'→ <span class="after">{user["login"]}</span>' in row
    assert "geändert" in row and "root" in row and "Gruppe" in row

    sys_dashboard.post("/dashboard/language", {"language": "en", "next": "/dashboard"})
    page = sys_dashboard.page("/dashboard/audit", object=name, kind="group").text
    assert "Audit log" in page and 'data-count="2"' in page and "Members" in page
    assert 'data-count="0"' in sys_dashboard.page("/dashboard/audit", object=name, kind="user").text
    assert 'data-count="0"' in sys_dashboard.page("/dashboard/audit", object=name, actor="x").text
    refused = sys_dashboard.http.get("/dashboard/audit", params={"since": "gestern"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text

    answer = sys_dashboard.http.get("/dashboard/audit.csv", params={"object": group_id})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["action"], r["origin"]) for r in rows] == [
        ("changed", "dashboard"),
        ("created", "dashboard"),
    ]


def test_pages_of_fifty(live: LiveServer, sys_dashboard: Dashboard) -> None:
    group = live.admin.ok("POST", "/admin/groups", json={"name": f"p-{secrets.token_hex(3)}"})
    for n in range(55):
        live.admin.ok("PATCH", f"/admin/groups/{group['id']}", json={"description": f"d{n}"})
    first = sys_dashboard.page("/dashboard/audit", object=group["id"]).text
    assert first.count("<tr data-audit=") == 50 and 'id="audit-next"' in first
    second = sys_dashboard.page("/dashboard/audit", object=group["id"], page="2").text
    assert second.count("<tr data-audit=") == 6 and 'id="audit-previous"' in second


def test_only_sys_sees_the_page(live: LiveServer) -> None:
    for role in ("org",):
        _, user = live.new_user(role)
        visitor = Dashboard(live.url, user["login"])
        try:
            assert 'data-section="audit"' not in visitor.page("/dashboard").text
            assert visitor.http.get("/dashboard/audit").status_code == 403
            assert visitor.http.get("/dashboard/audit.csv").status_code == 403
        finally:
            visitor.close()


def test_the_admin_command_reads_the_log(live: LiveServer) -> None:
    def run(*args: str) -> str:
        done = admin_cli(
            ["audit", *args], data_dir=str(live.process.data_dir), database_url=live.database_url
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    name = f"cli-{secrets.token_hex(3)}"
    group = live.admin.ok("POST", "/admin/groups", json={"name": name})
    live.admin.ok("PATCH", f"/admin/groups/{group['id']}", json={"description": "Neu"})
    found = json.loads(run("--object", name, "--json"))
    assert [(e["action"], e["origin"], e["actor"]) for e in found] == [
        ("changed", "api", "root"),
        ("created", "api", "root"),
    ]
    assert found[0]["after"] == {"description": "Neu"}
    assert json.loads(run("--object", name, "--json", "--since", "2999-01-01")) == []
    assert json.loads(run("--object", name, "--json", "--kind", "user")) == []
    assert len(json.loads(run("--object", name, "--json", "--actor", "root", "--limit", "1"))) == 1
    rows = list(csv.DictReader(io.StringIO(run("--object", group["id"], "--csv"))))
    assert [r["action"] for r in rows] == ["changed", "created"]
    table = run("--object", name)  # for people: wrapped to the terminal's width
    assert "Audit log" in table and "created" in table and "changed" in table
    refused = admin_cli(
        ["audit", "--since", "gestern"],
        data_dir=str(live.process.data_dir),
        database_url=live.database_url,
    )
    assert refused.returncode != 0 and "7d" in refused.stderr


def _retention(live: LiveServer) -> int:
    found = live.admin.ok("GET", "/admin/settings")
    return int(next(s["value"] for s in found if s["key"] == "AuditRetentionDays"))


def test_the_retention_is_a_setting_on_the_settings_page(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    form = sys_dashboard.page("/dashboard/settings").text
    assert 'id="audit_days"' in form
    values = {"interval": "15", "delay": "5", "languages": "de, en"}
    refused = sys_dashboard.post("/dashboard/settings", {**values, "audit_days": "-3"})
    assert refused.status_code == 422 and 'id="audit_days-error"' in refused.text
    sys_dashboard.done("/dashboard/settings", {**values, "audit_days": "30"})
    assert _retention(live) == 30
    (entry,) = _audit_entries(live, "AuditRetentionDays")[:1]
    assert (entry["origin"], entry["after"]) == ("dashboard", {"value": 30})
    sys_dashboard.done("/dashboard/settings", values)  # an older form leaves it alone
    assert _retention(live) == 30


def test_the_version_history_settings_are_on_the_settings_page(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    form = sys_dashboard.page("/dashboard/settings").text
    assert 'id="version_days"' in form and 'id="versions_kept"' in form
    values = {"interval": "15", "delay": "5", "languages": "de, en"}
    refused = sys_dashboard.post(
        "/dashboard/settings", {**values, "version_days": "0", "versions_kept": "viele"}
    )
    assert refused.status_code == 422
    assert 'id="version_days-error"' in refused.text and 'id="versions_kept-error"' in refused.text
    sys_dashboard.done(
        "/dashboard/settings", {**values, "version_days": "90", "versions_kept": "4"}
    )
    found = {s["key"]: s["value"] for s in live.admin.ok("GET", "/admin/settings")}
    assert (found["VersionRetentionDays"], found["VersionsKept"]) == (90, 4)


def _audit_entries(live: LiveServer, object_id: str) -> list[dict[str, Any]]:
    page: dict[str, Any] = live.admin.ok("GET", "/admin/audit", params={"object": object_id})
    entries: list[dict[str, Any]] = page["entries"]
    return entries
