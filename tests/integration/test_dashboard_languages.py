"""The dashboard speaks one language at a time: every page, with the demo's data, forms
with their errors, a package's preview and report, the error page and the sign-in, shown
in German to an administrator, holds no English text of the catalogue, and in English no
German one. Against a `docshelf demo` server process, over HTTP like a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from docshelf.i18n.tools import english_leftovers
from docshelf.protocol import client_error
from support.api import FAST_HASHING
from support.packages import sample
from support.page_text import german_leftovers, read_text
from support.server import ServerProcess, demo_server
from support.word_templates import word

DEMO_PASSWORD = "demo"
TEMPLATES = Path(__file__).resolve().parents[2] / "src/docshelf/server/dashboard/templates"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
# Included by other templates, never a page of their own.
PARTS = {
    "base.html",
    "_deleted.html",
    "_field_input.html",
    "_versions.html",
    "packages_items.html",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with demo_server(tmp_path_factory.mktemp("demo"), env=FAST_HASHING) as server:
        yield server


class Visitor:
    """A browser without scripts in one language: cookies, the form token, no redirects."""

    def __init__(self, url: str, language: str) -> None:
        self.http = httpx.Client(base_url=url, trust_env=False, timeout=60)
        self.http.cookies.set("docshelf_lang", language, path="/dashboard")
        self.csrf = ""

    def sign_in(self, login: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        form = self.http.get("/dashboard/login")
        return self.http.post(
            "/dashboard/login",
            data={"csrf": _csrf(form.text), "login": login, "password": password},
        )

    def get(self, path: str) -> httpx.Response:
        answer = self.http.get(path)
        if not self.csrf and answer.status_code == 200 and CSRF_RE.search(answer.text):
            self.csrf = _csrf(answer.text)
        return answer

    def post(self, path: str, data: dict[str, str] | None = None, files: Any = None) -> str:
        """A form's answer: the page itself, or the page it redirects to."""
        answer = self.http.post(path, data={"csrf": self.csrf, **(data or {})}, files=files)
        if answer.status_code == 303:
            answer = self.http.get(answer.headers["location"])
        return answer.text


def _csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def _links(html: str, section: str) -> list[str]:
    return sorted(set(re.findall(rf'href="(/dashboard/{section}/[\w-]+)"', html)))


@contextmanager
def _api(demo: ServerProcess, login: str) -> Iterator[httpx.Client]:
    """The API as a signed-in client device of ``login``."""
    with httpx.Client(base_url=f"{demo.url}/api/v1", trust_env=False, timeout=60) as api:
        answer = api.post(
            "/auth/login",
            json={"login": login, "password": DEMO_PASSWORD, "device_name": f"{login}-laptop"},
        )
        api.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield api


def demo_data(demo: ServerProcess) -> set[str]:
    """The demo's own words, some in English on purpose (a field's English label beside
    its German one, bilingual descriptions, file names): data, not the dashboard's texts."""
    found: set[str] = set()
    with _api(demo, "admin") as api:
        for group in api.get("/admin/groups").json():
            found.add(group["description"] or "")
            found.add(group.get("name") or "")
        for field in api.get("/admin/fields").json():
            found.update(field["labels"].values())
        for template in api.get("/admin/templates").json():
            found.update(template["titles"].values())
            found.update(template["descriptions"].values())
            found.update(file["filename"] for file in template["files"].values())
        for entry in api.get("/admin/history/deleted").json():  # titles of what is gone
            found.update((entry.get("titles") or {}).values())
            found.add(entry.get("title") or "")
    return {" ".join(text.split()) for text in found if text}


def _without(text: str, data: set[str]) -> str:
    """The text without the demo's data, also where it stands inside a line ("Alle
    Mitarbeitenden" in a table row)."""
    text = "\n".join(line for line in text.splitlines() if line not in data)
    for value in sorted((d for d in data if len(d) >= 3), key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def _report_a_failed_sync(demo: ServerProcess) -> None:
    """A client reports a failure (that the server was away), as clients do with the next
    poll that gets through; that poll is a sync that works, so it is resolved at once."""
    with _api(demo, "clara") as api:
        # Days ago: the page says so however slow the machine is.
        at = datetime.now(UTC) - timedelta(days=3, hours=1)
        message = "Cannot reach the server at http://127.0.0.1:9 (ConnectError); working offline."
        header = client_error.encode(at, message)
        polled = api.get("/sync/changes", headers={client_error.HEADER: header})
        assert polled.status_code == 200, polled.text


def every_page(demo: ServerProcess, language: str, tmp_path: Path) -> dict[str, str]:
    """Each page template, rendered once (or more, with data or errors): name -> HTML."""
    pages: dict[str, str] = {}
    anonymous = Visitor(demo.url, language)
    pages["login.html"] = anonymous.get("/dashboard/login").text
    refused = anonymous.sign_in("admin", "wrong")
    pages["login.html (error)"] = refused.text
    pages["login.html (signed out)"] = anonymous.get(
        "/dashboard/login?reason=login.signed_out"
    ).text

    admin = Visitor(demo.url, "de" if language == "en" else "en")
    assert admin.sign_in("admin").status_code == 303
    admin.get("/dashboard")
    # The switch in the navigation, as a visitor chooses.
    admin.post("/dashboard/language", {"language": language, "next": "/dashboard"})
    _report_a_failed_sync(demo)
    pages["summary.html"] = admin.get("/dashboard").text
    for section in ("users", "groups", "templates", "snippets", "fields", "units"):
        listing = admin.get(f"/dashboard/{section}").text
        pages[f"{section}.html"] = listing
        # Every one: the demo's ids are new with each seed.
        for n, link in enumerate(_links(listing, section)):
            pages[f"{section.removesuffix('s')}.html ({n})"] = admin.get(link).text
    # "Why can't a user see this?": the form, a refusal with its remedies, a grant through
    # a group path, a unit, and an ambiguous title.
    pages["explain.html"] = admin.get("/dashboard/explain").text
    for name, query in (
        ("refused", "user=anna&kind=template&object=Offerte"),
        ("granted", "user=david&kind=template&object=Offerte"),
        ("unreleased", "user=ben&kind=template&object=Quartalsbericht"),
        ("unit", "user=clara&kind=unit&object=Muster+AG"),
        ("error", "user=clara&kind=unit&object=Verkauf"),
    ):
        pages[f"explain.html ({name})"] = admin.get(f"/dashboard/explain?{query}").text

    template = _links(pages["templates.html"], "templates")[0]
    # A second version, so that the page compares two that differ.
    pages["template.html (versions)"] = admin.post(f"{template}/deactivate")
    pages["history_compare.html"] = admin.get(f"{template}/versions/compare").text
    assert "data-changed-attribute" in pages["history_compare.html"]
    pages["template.html (restored)"] = admin.post(
        f"{template}/versions/{_older_version(pages['template.html (versions)'])}/restore"
    )
    snippet = _links(pages["snippets.html"], "snippets")[0]
    pages["history_compare.html (snippet)"] = admin.get(f"{snippet}/versions/compare").text
    pages["templates.html (deactivated)"] = admin.get("/dashboard/templates?state=deactivated").text
    # The "Deleted" sections: a snippet deleted, the first template deleted for good.
    admin.post(f"{snippet}/delete", {"confirm": "yes"})
    pages["snippets.html (deleted)"] = admin.get("/dashboard/snippets").text
    assert "data-deleted=" in pages["snippets.html (deleted)"]
    admin.post(f"{template}/deactivate")
    admin.post(f"{template}/purge", {"confirm": "yes"})
    pages["templates.html (deleted)"] = admin.get("/dashboard/templates").text
    assert "data-deleted=" in pages["templates.html (deleted)"]
    pages["history_compare.html (deleted)"] = admin.get(f"{template}/versions/compare").text
    pages["settings.html"] = admin.get("/dashboard/settings").text
    pages["settings.html (errors)"] = admin.post(
        "/dashboard/settings", {"interval": "abc", "delay": "99999", "languages": "de, en"}
    )
    pages["fields.html (error)"] = admin.post(
        "/dashboard/fields", {"key": "raum", "scope": "user", "type": "text", "order": "x"}
    )
    user = _links(pages["users.html"], "users")[0]
    pages["user.html (error)"] = admin.post(
        f"{user}/password", {"password": "one-word", "repeat": "another"}
    )
    group = _links(pages["groups.html"], "groups")[0]
    pages["group.html (error)"] = admin.post(f"{group}/members", {"member": ""})
    pages["group.html (not confirmed)"] = admin.post(f"{group}/delete", {})
    pages["error.html"] = admin.get("/dashboard/files/" + "0" * 64).text
    pages["error.html (invalid)"] = admin.post("/dashboard/login", {})

    pages["packages.html"] = admin.get("/dashboard/packages").text
    builder = sample("Paketbrief Welt")
    for template in builder.templates:  # Word files the server can read: no warnings
        for entry in template["files"].values():
            del builder.files[entry["path"]]
            entry.update(builder.file(word(), "docx"))
    first = builder.build(tmp_path / f"paket-{language}.zip")
    pages["packages_preview.html"] = _preview(admin, first)
    pages["packages_report.html"] = _import(admin, pages["packages_preview.html"])
    builder.templates[0]["titles"]["de"] += " (neu)"
    builder.templates[0]["status"] = "in_test"
    second = builder.build(tmp_path / f"paket-{language}-2.zip")
    pages["packages_preview.html (changed)"] = _preview(admin, second)
    pages["packages_report.html (changed)"] = _import(
        admin, pages["packages_preview.html (changed)"]
    )
    # After the imports: entries of every kind (the demo's too), before → after.
    pages["audit.html"] = admin.get("/dashboard/audit").text
    for kind in ("template", "group", "user", "setting", "unit", "snippet", "field"):
        pages[f"audit.html ({kind})"] = admin.get(f"/dashboard/audit?kind={kind}").text
    pages["audit.html (error)"] = admin.get("/dashboard/audit?since=gestern").text
    pages["packages.html (history)"] = admin.get("/dashboard/packages").text
    # Newest first: the second import, then the first (whose template the second changed).
    second_id, first_id = re.findall(
        r'/dashboard/packages/imports/(\d+)/revert"', pages["packages.html (history)"]
    )[:2]
    pages["packages_revert.html (changed since)"] = admin.get(
        f"/dashboard/packages/imports/{first_id}/revert"
    ).text
    pages["packages_revert.html"] = admin.get(
        f"/dashboard/packages/imports/{second_id}/revert"
    ).text
    plan = re.search(r'name="plan" value="([^"]+)"', pages["packages_revert.html"])
    assert plan, "the preview offers the revert"
    pages["packages_revert_report.html"] = admin.post(
        f"/dashboard/packages/imports/{second_id}/revert", {"plan": plan[1]}
    )
    return pages


def _older_version(html: str) -> str:
    found = re.findall(r'data-restore="(\d+)"', html)
    assert found, "the template page offers to restore an older version"
    return found[0]


def _preview(admin: Visitor, archive: Path) -> str:
    with archive.open("rb") as stream:
        return admin.post(
            "/dashboard/packages/preview",
            files={"package": (archive.name, stream, "application/zip")},
        )


def _import(admin: Visitor, preview: str) -> str:
    stage = re.search(r'name="stage" value="([^"]+)"', preview)
    plan = re.search(r'name="plan" value="([^"]+)"', preview)
    assert stage and plan, "the preview offers the import"
    return admin.post("/dashboard/packages/import", {"stage": stage[1], "plan": plan[1]})


def test_every_page_in_german_has_no_english_text(demo: ServerProcess, tmp_path: Path) -> None:
    # The demo's words as they are before the pages are visited too: visiting deletes a
    # template (for the Deleted section), whose English title the pages still show.
    before = demo_data(demo)
    pages = every_page(demo, "de", tmp_path)
    shown = {name.partition(" ")[0] for name in pages}
    page_templates = {path.name for path in TEMPLATES.glob("*.html")} - PARTS
    assert shown == page_templates, "a page template the test does not show"
    data = before | demo_data(demo)
    found = {}
    for name, html in pages.items():
        assert '<html lang="de">' in html, name
        leftovers = english_leftovers(_without(read_text(html), data))
        if leftovers:
            found[name] = leftovers
    assert not found, f"English on German pages: {found}"

    summary = pages["summary.html"]
    # Counts and sizes the German way, the client's failure in German and as the past.
    assert re.search(r'data-bytes="stored">\d+(,\d)? [KMG]?B<', summary), summary
    row = re.search(r'<tr data-device="clara-laptop".*?</tr>', summary, re.S)
    assert row, "clara's laptop is among the clients"
    assert "Der Server war nicht erreichbar" in row[0]
    assert 'title="Cannot reach the server at http://127.0.0.1:9' in row[0]
    assert 'data-resolved="yes"' in row[0] and "behoben" in row[0]
    assert "vor 3 Tagen" in row[0]
    assert 'class="error"' not in row[0]
    # Before the import what will happen, after it what did.
    refused = pages["explain.html (refused)"]
    assert 'data-allowed="no"' in refused and "anna zur Gruppe «Verkauf» hinzufügen" in refused
    assert "david → Verkauf Zürich → Verkauf" in pages["explain.html (granted)"]
    assert "Mehrere Objekte dieser Art" in pages["explain.html (error)"]
    assert "Wird hinzugefügt" in pages["packages_preview.html"]
    assert "Hinzugefügt" in pages["packages_report.html"]
    assert "Wird hinzugefügt" not in pages["packages_report.html"]
    assert "Was sich ändert" in pages["packages_preview.html (changed)"]
    changed = pages["packages_report.html (changed)"]
    assert 'data-items="changed">1<' in changed and "Was sich ändert" not in changed
    assert re.search(
        r"Paket paket-de\.zip: [\d,]+ [KMG]?B, \d+ Dateien\.", pages["packages_preview.html"]
    )
    # Undoing an import: the one changed since is offered to choose, the revert is done.
    assert "Rückgängig machen" in pages["packages.html (history)"]
    # The template the second import changed, and its template snippet with it.
    assert 'data-items="changed_since">2<' in pages["packages_revert.html (changed since)"]
    assert 'name="include"' in pages["packages_revert.html (changed since)"]
    assert "Rückgängig gemacht als Änderung Nr." in pages["packages_revert_report.html"]


def test_every_page_in_english_has_no_german_text_of_the_catalogue(
    demo: ServerProcess, tmp_path: Path
) -> None:
    before = demo_data(demo)  # as in the German test
    pages = every_page(demo, "en", tmp_path)
    # The demo's data and the test package's (its template group "Paketbrief Welt-Gruppe").
    data = before | demo_data(demo) | {"Paketbrief Welt-Gruppe"}
    found = {}
    for name, html in pages.items():
        assert '<html lang="en">' in html, name
        leftovers = german_leftovers(_without(read_text(html), data))
        if leftovers:
            found[name] = leftovers
    assert not found, f"German on English pages: {found}"
    row = re.search(r'<tr data-device="clara-laptop".*?</tr>', pages["summary.html"], re.S)
    assert row and "The server could not be reached" in row[0] and "3 days ago" in row[0]
