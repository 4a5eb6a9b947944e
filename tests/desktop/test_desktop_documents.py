"""Create document in the desktop app: the profile chooser, the filled document, what it
could not fill — against a real server, with the window on the offscreen platform."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import docx
from desktop_support import Apps, loaded, wait_until
from docx.oxml.ns import qn

from docshelf.client.app import Client
from docshelf.client.paths import Home
from support.api import LiveServer
from support.sync import client_for, make_template, sync
from support.tagged_word import tagged_docx


def _text(path: Path) -> str:
    document = docx.Document(io.BytesIO(path.read_bytes()))
    return "".join(t.text or "" for t in document.element.body.iter(qn("w:t")))


def test_create_document_fills_with_the_chosen_profile_and_preselects_the_last_one(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    phone, fax = f"phone_{tag}", f"fax_{tag}"
    for key, label in ((phone, "Telefon"), (fax, "Fax")):
        live.admin.ok(
            "POST", "/admin/fields", json={"key": key, "scope": "user", "labels": {"de": label}}
        )
    _, user = live.new_user(login_name=f"d{tag}")
    profiles = {
        name: live.admin.ok(
            "POST",
            "/admin/profiles",
            json={"owner_id": user["id"], "title": f"{name} {tag}", "overrides": {phone: number}},
        )
        for name, number in (("Verkauf", "044 111 11 11"), ("Einkauf", "044 222 22 22"))
    }
    title = f"Brief {tag}"
    make_template(live, title, data=tagged_docx(title, [f"field:{phone}", f"field:{fax}"]))
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    tab = app.window.templates
    tab.search.setText(title)
    assert tab.heading.text() == title
    # Both profiles are offered; the document is filled with the chosen one.
    offered = [tab.profile.itemText(i) for i in range(tab.profile.count())]
    assert sorted(offered) == sorted(p["title"] for p in profiles.values())
    tab.profile.setCurrentIndex(tab.profile.findData(profiles["Einkauf"]["id"]))
    tab.create_button.click()
    created = wait_until(lambda: app.created, what="the document")[0]
    assert created.parent == apps.documents and created.name.startswith(title)
    assert "044 222 22 22" in _text(created)
    assert apps.opened == [created]
    assert "1 Feld ohne Wert: Fax" in tab.message.text()

    # A new window on the same home preselects the profile used last.
    again = apps(Client(Home(client.home.root)))
    loaded(again)
    assert again.window.templates.profile.currentData() == profiles["Einkauf"]["id"]


def test_the_administration_view_lists_a_templates_tags_and_the_unknown_ones(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    phone = f"phone_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user"})
    _, layouter = live.new_user("layouter", login_name=f"lt{tag}")
    title = f"Memo {tag}"
    tags = [f"field:{phone}", f"field:telefon{tag}"]
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": title},
            "status": "released",
            "change_rights": [f"user:{layouter['id']}"],
        },
    )
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": live.admin.upload(tagged_docx(title, tags)), "filename": "Memo.docx"},
    )
    client = client_for(live, tmp_path / "home", layouter["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    tab = app.window.templates
    tab.admin_mode.setChecked(True)
    tab.search.setText(title)
    shown = tab.admin.tags.text()
    assert f"Tags: field:{phone}, field:telefon{tag}" in shown
    assert f"1 unbekanntes Tag: field:telefon{tag}" in shown
