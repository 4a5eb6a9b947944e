"""The desktop app's tabs and first start, against a real server."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from desktop_support import Apps, loaded, wait_until
from forwarding import Forwarder
from PySide6.QtGui import QColor

from docshelf.client.app import Client
from docshelf.client.outbox import EditState
from docshelf.client.paths import Home
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.organisation_tab import INHERITED, OVERRIDDEN
from docshelf.desktop.snippet_dialog import SnippetAnswer
from docshelf.desktop.worker import close_client
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer
from support.sync import client_for, make_template, sync


def _titles(app: DesktopApp) -> list[str]:
    items = app.window.templates.list
    return [items.item(i).text() for i in range(items.count())]


def test_templates_tab_lists_filters_and_creates_a_document(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    data = docx_bytes(f"Offerte {tag}", ["Sehr geehrte Damen und Herren"])
    make_template(live, f"Offerte {tag}", data=data)
    make_template(live, f"Memo {tag}", data=docx_bytes(f"Memo {tag}", ["Kurz"]))
    _, user = live.new_user(login_name=f"t{tag}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    tab = app.window.templates

    assert {f"Offerte {tag}", f"Memo {tag}"} <= set(_titles(app))
    listed = _titles(app)  # "All templates": alphabetical, whatever their groups
    assert listed == sorted(listed, key=str.casefold)
    tab.search.setText(f"offerte {tag}")  # as one types: case does not matter
    assert _titles(app) == [f"Offerte {tag}"]
    assert tab.heading.text() == f"Offerte {tag}"
    assert "de" in tab.facts.text() and ".docx" in tab.facts.text()
    assert "Status" not in tab.facts.text()  # status and rights are for layouters

    tab.create_button.click()
    wait_until(lambda: app.created, what="the document")
    created = app.created[0]
    assert created.parent == apps.documents and created.suffix == ".docx"
    assert created.read_bytes() == data
    assert apps.opened == [created]
    tab.create_button.click()  # a second one never overwrites the first
    wait_until(lambda: len(app.created) == 2, what="the second document")
    assert app.created[1] != created and created.read_bytes() == data


def _profile_setup(live: LiveServer, tag: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    phone = f"phone_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user", "type": "phone"})
    _, user = live.new_user(login_name=f"p{tag}")
    unit = live.admin.ok("POST", "/admin/units", json={"title": f"HQ {tag}"})
    profile = live.admin.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": user["id"], "title": f"Profil {tag}", "unit_id": unit["id"]},
    )
    return user, profile, phone


def _row_of(app: DesktopApp, key: str) -> int:
    table = app.window.organisation.fields
    return next(r for r in range(table.rowCount()) if table.item(r, 0).data(256) == key)


def test_profile_edit_goes_through_the_outbox_and_reaches_the_server(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    user, profile, phone = _profile_setup(live, tag)
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    org = app.window.organisation
    app.window.tabs.setCurrentWidget(org)
    assert org.profile() is not None and org.profile()["id"] == profile["id"]
    org.fields.selectRow(_row_of(app, phone))
    assert org.fields.item(_row_of(app, phone), 1).foreground().color() == QColor(INHERITED)

    org.prompts.text = lambda *_args: "+41 44 555 55 55"  # type: ignore[method-assign]
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))
    org.buttons["org.edit"].click()
    wait_until(lambda: loads and app.tasks.pending == 0, what="the edit to show")

    pending = client.store.outbox.entries([EditState.PENDING])
    assert [e.edit.target for e in pending] == [profile["id"]]
    row = _row_of(app, phone)
    assert org.fields.item(row, 1).text() == "+41 44 555 55 55"
    assert org.fields.item(row, 1).foreground().color() == QColor(OVERRIDDEN)
    assert "1" in org.pending.text() or "Queued" in org.pending.text()

    done: list[Any] = []
    app.sync_finished.connect(done.append)
    app.sync_now()
    wait_until(lambda: done, what="the sync")
    assert done[0].uploaded == 1
    server = live.admin.ok("GET", f"/admin/profiles/{profile['id']}")
    assert server["overrides"] == {phone: "+41 44 555 55 55"}

    # Back to the inherited value: grey again once the reset is queued.
    loads.clear()
    org.fields.selectRow(_row_of(app, phone))
    org.buttons["org.reset"].click()
    wait_until(lambda: loads and app.tasks.pending == 0, what="the reset to show")
    assert org.fields.item(_row_of(app, phone), 1).foreground().color() == QColor(INHERITED)


def test_a_filled_cache_opens_usable_with_the_server_down(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    make_template(live, f"Vertrag {tag}", data=docx_bytes(f"Vertrag {tag}", ["Text"]))
    _, user = live.new_user(login_name=f"o{tag}")
    line = Forwarder(live.process.port)
    first = Client(Home(tmp_path / "home"))
    first.login(line.url, user["login"], PASSWORD)
    sync(first)
    close_client(first)
    line.cut()

    app = apps(Client(Home(tmp_path / "home")))
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))
    app.start()

    assert app.window.isVisible() and app.first_sync is None and app.login_dialog is None
    wait_until(lambda: loads, what="the local copy")
    assert f"Vertrag {tag}" in _titles(app)
    assert "—" not in app.window.footer.label.text()


def test_first_start_signs_in_syncs_with_progress_then_opens(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    make_template(live, f"Brief {tag}", data=docx_bytes(f"Brief {tag}", ["Text"]))
    _, user = live.new_user(login_name=f"f{tag}")
    app = apps(Client(Home(tmp_path / "home")))
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))
    app.start()
    dialog = app.login_dialog
    assert dialog is not None and dialog.isVisible() and not app.window.isVisible()

    dialog.server.setText(live.url)
    dialog.user.setText(user["login"])
    dialog.password.setText("wrong")
    dialog.ok.click()
    wait_until(lambda: dialog.ok.isEnabled(), what="the refusal")
    assert dialog.error.text() and dialog.isVisible()

    shown: list[str] = []
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    wait_until(lambda: app.first_sync is not None, what="the first sync")
    first = app.first_sync
    assert first is not None
    app.bridge.changed.connect(lambda _status: shown.append(first.detail.text()))
    wait_until(lambda: app.window.isVisible() and loads, what="the window")
    assert any(" von " in text for text in shown), shown
    assert f"Brief {tag}" in _titles(app)


def test_a_new_snippet_is_queued_and_listed_at_once(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, user = live.new_user(login_name=f"s{tag}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    org = app.window.organisation
    answer = SnippetAnswer(title=f"Gruss {tag}", body="Freundliche Grüsse")
    org.prompts.snippet = lambda *_args: answer  # type: ignore[method-assign]
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))

    org.buttons["org.snippet_new"].click()
    wait_until(lambda: loads and app.tasks.pending == 0, what="the snippet to show")

    texts = [org.snippets.item(i).text() for i in range(org.snippets.count())]
    assert f"Gruss {tag} (persönlich)" in texts
    assert len(client.store.outbox.entries([EditState.PENDING])) == 1
