"""The dashboard's administration pages, driven over HTTP with a cookie session like a
browser without scripts: users, groups, templates, snippets, fields and units, on both
databases. What each page changes is checked through the API."""

from __future__ import annotations

import io
import re
import secrets
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from docshelf.server.demo.files import docx_bytes
from support.api import FAST_HASHING, PASSWORD, LiveServer, start_live
from support.server import MakeServer
from support.word_templates import block, word

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
FLASH_RE = re.compile(r'<p class="flash (\w+)" role="(?:status|alert)">([^<]*)</p>')


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


class Dashboard:
    """A signed-in browser session: cookies, the form token, no redirects followed."""

    def __init__(self, base_url: str, login: str, password: str = PASSWORD) -> None:
        self.http = httpx.Client(base_url=base_url, trust_env=False, timeout=60)
        form = self.http.get("/dashboard/login")
        answer = self.http.post(
            "/dashboard/login",
            data={"csrf": _csrf(form.text), "login": login, "password": password},
        )
        assert answer.status_code == 303, answer.text
        self.csrf = _csrf(self.page("/dashboard").text)

    def page(self, path: str, **params: str) -> httpx.Response:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"{path} → {response.status_code}: {response.text}"
        return response

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf, **(data or {})})

    def done(self, path: str, data: dict[str, Any] | None = None) -> tuple[str, str, str]:
        """Post a form that must succeed: (where it led, flash kind, flash text)."""
        answer = self.post(path, data)
        assert answer.status_code == 303, f"{path} → {answer.status_code}: {answer.text}"
        location = answer.headers["location"]
        kind, text = _flash(self.page(location).text)
        return location, kind, text

    def close(self) -> None:
        self.http.close()


def _csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def _flash(html: str) -> tuple[str, str]:
    found = FLASH_RE.search(html)
    return (found.group(1), found.group(2)) if found else ("", "")


@pytest.fixture
def sys_dashboard(live: LiveServer) -> Iterator[Dashboard]:
    dashboard = Dashboard(live.url, "root")
    yield dashboard
    dashboard.close()


# --- users -----------------------------------------------------------------------------


def test_create_user_change_roles_fields_and_reset_password(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    key = f"room_{secrets.token_hex(3)}"
    live.admin.ok(
        "POST", "/admin/fields", json={"key": key, "scope": "user", "labels": {"en": "Room"}}
    )
    login = _name("anna")
    where, kind, text = sys_dashboard.done(
        "/dashboard/users",
        {"login": login, "display_name": "Anna", "roles": ["layouter"], "password": "first-pw"},
    )
    assert kind == "info" and login in text
    user_id = where.rsplit("/", 1)[1]
    assert live.admin.ok("GET", f"/admin/users/{user_id}")["roles"] == ["layouter", "user"]
    assert f'data-user="{login}"' in sys_dashboard.page("/dashboard/users").text

    page = sys_dashboard.page(where).text
    assert f'name="field.{key}"' in page
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    sys_dashboard.done(
        where,
        {
            "display_name": "Anna Keller",
            "roles": ["org", "sys"],
            f"field.{key}": "B 2.14",
            "version": version.group(1),
        },
    )
    record = live.admin.ok("GET", f"/admin/users/{user_id}")
    assert record["roles"] == ["org", "sys", "user"]
    assert record["display_name"] == "Anna Keller"
    assert record["fields"] == {key: "B 2.14"}

    # An edit based on an old version is refused and changes nothing.
    stale = sys_dashboard.post(where, {"display_name": "Old", "version": version.group(1)})
    assert stale.status_code == 409
    assert live.admin.ok("GET", f"/admin/users/{user_id}")["display_name"] == "Anna Keller"

    mismatch = sys_dashboard.post(f"{where}/password", {"password": "pw-2", "repeat": "pw-3"})
    assert mismatch.status_code == 303
    assert _flash(sys_dashboard.page(where).text)[0] == "error"
    sys_dashboard.done(f"{where}/password", {"password": "second-pw", "repeat": "second-pw"})
    assert live.login(login, "second-pw").ok("GET", "/me")["login"] == login
    with httpx.Client(base_url=live.url, trust_env=False) as anon:
        old = anon.post(
            "/api/v1/auth/login", json={"login": login, "password": "first-pw", "device_name": "x"}
        )
    assert old.status_code == 401


def test_creating_a_user_with_a_taken_login_shows_the_form_again(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    _, user = live.new_user()
    answer = sys_dashboard.post("/dashboard/users", {"login": user["login"], "password": "abcd"})
    assert answer.status_code == 409
    assert 'class="flash error"' in answer.text
    assert f'value="{user["login"]}"' in answer.text


def test_revoking_a_device_signs_that_client_out(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    client, user = live.new_user()
    other = live.login(user["login"], device="second pc")
    assert client.get("/sync/changes").status_code == 200
    device = next(
        d for d in live.admin.ok("GET", f"/admin/users/{user['id']}/devices") if d["name"] == "test"
    )
    page = sys_dashboard.page(f"/dashboard/users/{user['id']}").text
    assert f'id="revoke-{device["id"]}"' in page

    sys_dashboard.done(f"/dashboard/users/{user['id']}/devices/{device['id']}/revoke")
    refused = client.get("/sync/changes")
    assert refused.status_code == 401
    assert refused.json()["code"] == "signed_out"
    assert other.get("/sync/changes").status_code == 200
    page = sys_dashboard.page(f"/dashboard/users/{user['id']}").text
    assert f'id="revoke-{device["id"]}"' not in page


def test_deactivate_and_restore_a_user(live: LiveServer, sys_dashboard: Dashboard) -> None:
    client, user = live.new_user()
    where = f"/dashboard/users/{user['id']}"
    sys_dashboard.done(f"{where}/deactivate")
    assert client.get("/me").status_code == 401
    assert 'id="restore-user"' in sys_dashboard.page(where).text
    sys_dashboard.done(f"{where}/restore")
    assert client.get("/me").status_code == 200

    root = live.admin.ok("GET", "/me")
    _, kind, _ = sys_dashboard.done(f"/dashboard/users/{root['id']}/deactivate")
    assert kind == "error"
    assert live.admin.get("/me").status_code == 200


# --- groups ----------------------------------------------------------------------------


def _members(live: LiveServer, group_id: str) -> set[tuple[str, str]]:
    found = live.admin.ok("GET", f"/admin/groups/{group_id}/members")
    return {(m["kind"], m["id"]) for m in found}


def test_group_members_are_added_and_removed(live: LiveServer, sys_dashboard: Dashboard) -> None:
    _, user = live.new_user()
    sub = live.admin.ok("POST", "/admin/groups", json={"name": _name("sub")})
    name = _name("legal")
    where, _, _ = sys_dashboard.done("/dashboard/groups", {"name": name, "description": "Law"})
    group_id = where.rsplit("/", 1)[1]
    page = sys_dashboard.page(where).text
    assert f'value="user:{user["id"]}"' in page and f'value="group:{sub["id"]}"' in page

    sys_dashboard.done(f"{where}/members", {"member": f"user:{user['id']}"})
    sys_dashboard.done(f"{where}/members", {"member": f"group:{sub['id']}"})
    assert _members(live, group_id) == {("user", user["id"]), ("group", sub["id"])}
    # A group may not contain itself, even through a member.
    _, kind, _ = sys_dashboard.done(
        f"/dashboard/groups/{sub['id']}/members", {"member": f"group:{group_id}"}
    )
    assert kind == "error"

    sys_dashboard.done(f"{where}/members/remove", {"member": f"user:{user['id']}"})
    assert _members(live, group_id) == {("group", sub["id"])}
    sys_dashboard.done(where, {"name": f"{name}-renamed", "description": "Legal"})
    assert live.admin.ok("GET", f"/admin/groups/{group_id}")["name"] == f"{name}-renamed"

    _, kind, _ = sys_dashboard.done(f"{where}/delete")
    assert kind == "error"
    assert live.admin.get(f"/admin/groups/{group_id}").status_code == 200
    location, _, _ = sys_dashboard.done(f"{where}/delete", {"confirm": "yes"})
    assert location == "/dashboard/groups"
    assert live.admin.get(f"/admin/groups/{group_id}").status_code == 404


# --- templates -------------------------------------------------------------------------


def _template_ids(html: str) -> set[str]:
    return set(re.findall(r'<tr data-template="([^"]+)"', html))


def test_template_list_filters(live: LiveServer, sys_dashboard: Dashboard) -> None:
    group = live.admin.ok("POST", "/admin/template-groups", json={"titles": {"de": _name("G")}})
    released = live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": "Brief"},
            "group_id": group["id"],
            "status": "released",
        },
    )
    testing = live.admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "xlsx", "titles": {"de": "Tabelle"}, "status": "in_test"},
    )
    both = {released["id"], testing["id"]}
    assert both <= _template_ids(sys_dashboard.page("/dashboard/templates").text)
    by_status = _template_ids(sys_dashboard.page("/dashboard/templates", status="released").text)
    assert released["id"] in by_status and testing["id"] not in by_status
    by_kind = _template_ids(sys_dashboard.page("/dashboard/templates", kind="xlsx").text)
    assert testing["id"] in by_kind and released["id"] not in by_kind
    by_group = _template_ids(sys_dashboard.page("/dashboard/templates", group=group["id"]).text)
    assert by_group == {released["id"]}
    assert not both & _template_ids(
        sys_dashboard.page("/dashboard/templates", state="deactivated").text
    )
    # A value the page doesn't know filters nothing rather than failing.
    assert both <= _template_ids(sys_dashboard.page("/dashboard/templates", status="bogus").text)


def test_template_details_and_deactivate_restore_purge(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    _, user = live.new_user("layouter")
    team = live.admin.ok("POST", "/admin/groups", json={"name": _name("team")})
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": "Vertrag", "en": "Contract"},
            "descriptions": {"de": "Für Verträge"},
            "use_rights": [f"group:{team['id']}"],
            "change_rights": [f"user:{user['id']}"],
        },
    )
    data = docx_bytes("Vertrag", ["Text"])
    sha = live.admin.upload(data)
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": sha, "filename": "vertrag.docx"},
    )
    where = f"/dashboard/templates/{template['id']}"
    page = sys_dashboard.page(where).text
    assert "vertrag.docx" in page and sha[:12] in page
    assert team["name"] in page and user["login"] in page
    assert "Für Verträge" in page and "Contract" in page

    sys_dashboard.done(f"{where}/deactivate")
    assert live.admin.ok("GET", f"/admin/templates/{template['id']}")["active"] is False
    sys_dashboard.done(f"{where}/restore")
    assert live.admin.ok("GET", f"/admin/templates/{template['id']}")["active"] is True
    # Purging an active template is refused by the service.
    _, kind, _ = sys_dashboard.done(f"{where}/purge", {"confirm": "yes"})
    assert kind == "error"
    sys_dashboard.done(f"{where}/deactivate")
    assert 'id="purge-template"' in sys_dashboard.page(where).text

    _, kind, _ = sys_dashboard.done(f"{where}/purge")
    assert kind == "error"
    assert live.admin.get(f"/admin/templates/{template['id']}").status_code == 200
    location, kind, _ = sys_dashboard.done(f"{where}/purge", {"confirm": "yes"})
    assert location == "/dashboard/templates" and kind == "info"
    assert live.admin.get(f"/admin/templates/{template['id']}").status_code == 404


def _broken_word(data: bytes) -> bytes:
    """A Word file whose main part is not XML any more (a bad export)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info, b"<w:document" if info.filename == "word/document.xml" else body)
    return out.getvalue()


def _tags_cells(page: str) -> dict[str, str]:
    """language -> the page's tag check for that file."""
    rows = re.findall(
        r'<tr data-tags="(\w+)">.*?<td data-tags-summary[^>]*>([^<]*)</td>', page, re.S
    )
    return dict(rows)


def test_template_page_lists_the_tags_and_the_ones_that_name_nothing(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    key = f"room_{secrets.token_hex(3)}"
    live.admin.ok("POST", "/admin/fields", json={"key": key, "scope": "user", "labels": {}})
    closing = live.admin.ok(
        "POST", "/admin/snippets", json={"kind": "shared", "title": _name("Gruss"), "body": "x"}
    )
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "Brief"}}
    )
    files = {
        "de": word(
            block(f"field:{key}"),
            block("field:telefon"),
            block(f"snippet:{closing['title']}"),
            pictures=("image:nope",),
        ),
        "en": word(block(f"field:{key}")),
        "fr": _broken_word(word(block(f"field:{key}"))),
    }
    for lang, data in files.items():
        live.admin.ok(
            "PUT",
            f"/admin/templates/{template['id']}/files/{lang}",
            json={"sha256": live.admin.upload(data), "filename": f"brief-{lang}.docx"},
        )

    page = sys_dashboard.page(f"/dashboard/templates/{template['id']}").text

    assert f'data-tag="field:{key}"' in page and 'data-tag="image:nope"' in page
    assert 'data-tag="field:telefon" class="warn" data-unknown="1"' in page
    assert f'data-tag="snippet:{closing["title"]}">' in page  # known: not marked
    checks = _tags_cells(page)  # German unless the browser asks for another language
    assert checks["de"] == "2 unbekannte Tags: field:telefon, image:nope"
    assert checks["en"] == "Alle Tags benennen ein Feld, ein Bildfeld oder einen Textbaustein."
    assert checks["fr"].startswith("Datei nicht lesbar: brief-fr.docx ist beschädigt")
    english = sys_dashboard.http.get(
        f"/dashboard/templates/{template['id']}", headers={"Accept-Language": "en"}
    )
    assert _tags_cells(english.text)["de"] == "2 unknown tags: field:telefon, image:nope"


# --- snippets --------------------------------------------------------------------------


def test_snippets_page_lists_shared_ones_and_deletes_after_confirmation(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    shared = live.admin.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "shared", "title": _name("Gruss"), "body": "Freundliche <Grüsse>"},
    )
    owner, _ = live.new_user()
    personal = owner.ok(
        "POST", "/admin/snippets", json={"kind": "personal", "title": "Mine", "body": "x"}
    )
    listed = sys_dashboard.page("/dashboard/snippets").text
    assert f'data-snippet="{shared["id"]}"' in listed
    assert f'data-snippet="{personal["id"]}"' not in listed
    assert sys_dashboard.http.get(f"/dashboard/snippets/{personal['id']}").status_code == 404

    where = f"/dashboard/snippets/{shared['id']}"
    page = sys_dashboard.page(where).text
    assert "Freundliche &lt;Grüsse&gt;" in page
    _, kind, _ = sys_dashboard.done(f"{where}/delete")
    assert kind == "error"
    assert live.admin.get(f"/admin/snippets/{shared['id']}").status_code == 200
    sys_dashboard.done(f"{where}/delete", {"confirm": "yes"})
    assert live.admin.get(f"/admin/snippets/{shared['id']}").status_code == 404


def test_deleted_templates_and_snippets_are_listed_and_restored(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": _name("Brief")}}
    )
    tid = template["id"]
    live.admin.ok("POST", f"/admin/templates/{tid}/deactivate")
    assert live.admin.delete(f"/admin/templates/{tid}").status_code == 204
    snippet = live.admin.ok(
        "POST", "/admin/snippets", json={"kind": "shared", "title": _name("Weg"), "body": "x"}
    )
    assert live.admin.delete(f"/admin/snippets/{snippet['id']}").status_code == 204

    for section, ident in (("templates", tid), ("snippets", snippet["id"])):
        listed = sys_dashboard.page(f"/dashboard/{section}").text
        assert f'data-deleted="{ident}"' in listed
        compare = re.search(rf'href="(/dashboard/{section}/{ident}/versions/compare)"', listed)
        assert compare and "compare-result" in sys_dashboard.page(compare[1]).text
        found = re.search(rf'action="(/dashboard/{section}/{ident}/versions/\d+/restore)"', listed)
        assert found, f"no restore button for {ident}"
        location, kind, _ = sys_dashboard.done(found[1])
        assert (location, kind) == (f"/dashboard/{section}/{ident}", "info")
        assert f'data-deleted="{ident}"' not in sys_dashboard.page(f"/dashboard/{section}").text
    assert live.admin.ok("GET", f"/admin/templates/{tid}")["active"] is True
    assert live.admin.ok("GET", f"/admin/snippets/{snippet['id']}")["title"] == snippet["title"]


# --- fields ----------------------------------------------------------------------------


def _field(live: LiveServer, key: str) -> dict[str, Any] | None:
    return next((f for f in live.admin.ok("GET", "/admin/fields") if f["key"] == key), None)


def test_field_definitions_are_created_edited_and_deleted(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    key = f"fax_{secrets.token_hex(3)}"
    sys_dashboard.done(
        "/dashboard/fields",
        {
            "key": key,
            "scope": "unit",
            "type": "phone",
            "label_de": "Fax",
            "label_en": "",
            "order": "4",
        },
    )
    field = _field(live, key)
    assert field is not None
    assert (field["scope"], field["type"], field["labels"], field["order"]) == (
        "unit",
        "phone",
        {"de": "Fax"},
        4,
    )
    bad = sys_dashboard.post("/dashboard/fields", {"key": "Not A Key", "scope": "unit"})
    assert bad.status_code == 422 and 'class="flash error"' in bad.text

    where = f"/dashboard/fields/{field['id']}"
    sys_dashboard.done(where, {"label_de": "Telefax", "label_en": "Fax", "order": "7"})
    field = _field(live, key)
    assert field is not None
    assert field["labels"] == {"de": "Telefax", "en": "Fax"} and field["order"] == 7
    assert sys_dashboard.post(where, {"order": "seven"}).status_code == 422

    _, kind, _ = sys_dashboard.done(f"{where}/delete")
    assert kind == "error" and _field(live, key) is not None
    sys_dashboard.done(f"{where}/delete", {"confirm": "yes"})
    assert _field(live, key) is None


# --- units -----------------------------------------------------------------------------


def test_units_are_created_renamed_filled_in_and_deleted(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    key = f"city_{secrets.token_hex(3)}"
    live.admin.ok(
        "POST", "/admin/fields", json={"key": key, "scope": "unit", "labels": {"de": "Ort"}}
    )
    top = _name("Amt")
    parent_at, _, _ = sys_dashboard.done("/dashboard/units", {"title": top})
    parent_id = parent_at.rsplit("/", 1)[1]
    sys_dashboard.done(parent_at, {"title": top, f"field.{key}": "Bern"})
    child_at, _, _ = sys_dashboard.done(
        "/dashboard/units", {"title": "Rechtsdienst", "parent": parent_id}
    )
    child_id = child_at.rsplit("/", 1)[1]
    # The child inherits the parent's value: the form shows it as a placeholder.
    assert 'placeholder="Bern"' in sys_dashboard.page(child_at).text
    sys_dashboard.done(child_at, {"title": "Rechtsabteilung", f"field.{key}": "Thun"})
    child = live.admin.ok("GET", f"/admin/units/{child_id}")
    assert child["title"] == "Rechtsabteilung" and child["parent_id"] == parent_id
    assert child["fields"] == {key: "Thun"}
    sys_dashboard.done(child_at, {"title": "Rechtsabteilung", f"field.{key}": ""})
    assert live.admin.ok("GET", f"/admin/units/{child_id}")["fields"] == {}

    tree = sys_dashboard.page("/dashboard/units").text
    nested = re.search(
        rf'data-unit="{parent_id}".*?<ul class="tree">.*?data-unit="{child_id}"', tree, re.S
    )
    assert nested, "the sub-unit is listed inside its parent"

    _, kind, _ = sys_dashboard.done(f"{parent_at}/delete", {"confirm": "yes"})
    assert kind == "error"  # it still has a sub-unit
    _, kind, _ = sys_dashboard.done(f"{child_at}/delete")
    assert kind == "error"  # not confirmed
    back, _, _ = sys_dashboard.done(f"{child_at}/delete", {"confirm": "yes"})
    assert back == parent_at
    sys_dashboard.done(f"{parent_at}/delete", {"confirm": "yes"})
    assert live.admin.get(f"/admin/units/{parent_id}").status_code == 404


def test_a_unit_stays_editable_after_one_of_its_fields_was_deleted(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    field = live.admin.ok(
        "POST", "/admin/fields", json={"key": f"gone_{secrets.token_hex(3)}", "scope": "unit"}
    )
    unit = live.admin.ok(
        "POST", "/admin/units", json={"title": _name("Amt"), "fields": {field["key"]: "x"}}
    )
    live.admin.ok("DELETE", f"/admin/fields/{field['id']}")
    sys_dashboard.done(f"/dashboard/units/{unit['id']}", {"title": "Renamed"})
    changed = live.admin.ok("GET", f"/admin/units/{unit['id']}")
    assert changed["title"] == "Renamed" and changed["fields"] == {}


# --- who may ---------------------------------------------------------------------------


def test_org_users_see_units_and_read_only_fields(live: LiveServer) -> None:
    org_login = _name("org")
    live.new_user("org", login_name=org_login)
    dashboard = Dashboard(live.url, org_login)
    try:
        for section in ("users", "groups", "templates", "snippets", "settings"):
            assert dashboard.http.get(f"/dashboard/{section}").status_code == 403, section
        assert dashboard.http.get("/dashboard/units").status_code == 200
        fields_page = dashboard.page("/dashboard/fields").text
        assert (
            'id="fields-read-only"' in fields_page and 'id="create-field-form"' not in fields_page
        )
        key = f"org_{secrets.token_hex(3)}"
        refused = dashboard.post("/dashboard/fields", {"key": key, "scope": "unit"})
        assert refused.status_code == 403
        assert _field(live, key) is None
        refused = dashboard.post("/dashboard/users", {"login": _name("x")})
        assert refused.status_code == 403
        where, _, _ = dashboard.done("/dashboard/units", {"title": _name("Org unit")})
        assert live.admin.get(f"/admin/units/{where.rsplit('/', 1)[1]}").status_code == 200
    finally:
        dashboard.close()


def test_a_post_without_the_form_token_is_refused(
    live: LiveServer, sys_dashboard: Dashboard
) -> None:
    login = _name("nocsrf")
    refused = sys_dashboard.http.post("/dashboard/users", data={"login": login})
    assert refused.status_code == 403
    forged = sys_dashboard.http.post("/dashboard/users", data={"login": login, "csrf": "x" * 64})
    assert forged.status_code == 403
    users = live.admin.ok("GET", "/admin/users")
    assert login not in {u["login"] for u in users}

    client, user = live.new_user()
    device = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")[0]
    refused = sys_dashboard.http.post(
        f"/dashboard/users/{user['id']}/devices/{device['id']}/revoke"
    )
    assert refused.status_code == 403
    assert client.get("/me").status_code == 200


def test_every_page_needs_a_session(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, trust_env=False) as browser:
        for path in ("/dashboard/users", "/dashboard/units", "/dashboard/templates"):
            answer = browser.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/dashboard/login")


# --- both languages --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_page_renders_in_both_languages(
    live: LiveServer, sys_dashboard: Dashboard, language: str
) -> None:
    _, user = live.new_user()
    group = live.admin.ok("POST", "/admin/groups", json={"name": _name("lang")})
    live.admin.ok("POST", f"/admin/groups/{group['id']}/members", json={"user_id": user["id"]})
    template = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "Brief"}}
    )
    snippet = live.admin.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "template", "title": "Anrede", "template_id": template["id"], "body": "Hi"},
    )
    field = live.admin.ok(
        "POST",
        "/admin/fields",
        json={"key": f"f_{secrets.token_hex(3)}", "scope": "unit", "type": "multiline"},
    )
    unit = live.admin.ok("POST", "/admin/units", json={"title": _name("Einheit")})
    child = live.admin.ok("POST", "/admin/units", json={"title": "Sub", "parent_id": unit["id"]})
    sys_dashboard.done("/dashboard/language", {"language": language, "next": "/dashboard/users"})
    words = {"de": "Benutzer", "en": "Users"}
    for path in (
        "/dashboard/users",
        f"/dashboard/users/{user['id']}",
        "/dashboard/groups",
        f"/dashboard/groups/{group['id']}",
        "/dashboard/templates",
        f"/dashboard/templates/{template['id']}",
        "/dashboard/snippets",
        f"/dashboard/snippets/{snippet['id']}",
        "/dashboard/fields",
        f"/dashboard/fields/{field['id']}",
        "/dashboard/units",
        f"/dashboard/units/{child['id']}",
    ):
        html = sys_dashboard.page(path).text
        assert f'<html lang="{language}">' in html, path
        assert words[language] in html, path
        assert "style=" not in html and "<script" not in html, path


# --- sessions --------------------------------------------------------------------------


def test_a_session_is_only_a_dashboard_sign_in_and_only_for_its_time(
    make_server: MakeServer,
) -> None:
    # 0.005 h = 18 s: long enough to sign in and look on a busy machine, short enough to
    # wait out.
    server = make_server(None, env={**FAST_HASHING, "DOCSHELF_DASHBOARD_SESSION_HOURS": "0.005"})
    live = start_live(server)
    try:
        dashboard = Dashboard(live.url, "root")
        summary = dashboard.page("/dashboard").text
        # Dashboard sessions are devices too, but not among the clients.
        assert 'id="clients"' in summary and "Dashboard (" not in summary
        # A sync client's device token is no dashboard session.
        as_cookie = httpx.get(
            f"{live.url}/dashboard", cookies={"docshelf_session": live.admin.token or ""}
        )
        assert as_cookie.status_code == 303 and "/dashboard/login" in as_cookie.headers["location"]

        token = dashboard.http.cookies["docshelf_session"]
        # The browser forgets the cookie (its max-age); the server refuses it anyway, once
        # the session's time is up (waited for, however long the steps above took).
        deadline = time.monotonic() + 60
        while True:
            expired = httpx.get(f"{live.url}/dashboard", cookies={"docshelf_session": token})
            if expired.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert expired.status_code == 303
        assert "reason=login.expired" in expired.headers["location"]
        dashboard.close()
    finally:
        live.close()


def test_a_deeply_nested_flash_cookie_is_ignored(live: LiveServer) -> None:
    # Deeper than the JSON parser's recursion limit, within what a cookie header may carry.
    cookies = {"docshelf_flash": "[" * 3000}
    with httpx.Client(base_url=live.url, trust_env=False, timeout=60, cookies=cookies) as http:
        page = http.get("/dashboard/login")
    assert page.status_code == 200, page.text
    assert _flash(page.text) == ("", "")
