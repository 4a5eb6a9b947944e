"""The audit log on the dashboard: a change made there is recorded as the dashboard's and
shown before → after in the visitor's language; filters, pages, CSV; Sys only."""

from __future__ import annotations

import csv
import html
import io
import re
import secrets
from collections.abc import Iterator

import pytest

from integration.test_dashboard_pages import Dashboard
from support.api import LiveServer


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
