"""Units, conflicts and the layouters' template administration in the desktop app,
against a real server: every change goes through the outbox and up with a sync."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_support import Apps, after_edit, loaded, wait_until
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTreeWidget

from docshelf.client.outbox import EditState
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.template_admin import STATUSES
from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer
from support.sync import client_for, sync


def _synced(app: DesktopApp, trigger: Callable[[], Any]) -> Any:
    done: list[Any] = []
    app.sync_finished.connect(done.append)
    trigger()
    wait_until(lambda: done and app.tasks.pending == 0, what="the sync")
    assert done[0].status == "ok", done[0].error
    return done[0]


def _answer(prompt: str) -> Callable[..., str | None]:
    """A stand-in for a choice dialog: picks the one item that ends with ``prompt``."""

    def choose(_title: str, _label: str, items: list[str], *_editable: bool) -> str | None:
        found = [i for i in items if i.endswith(prompt)]
        assert len(found) == 1, (prompt, items)
        return found[0]

    return choose


def _select(tree: QTreeWidget, text: str) -> None:
    flags = Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
    (item,) = tree.findItems(text, flags, 0)
    tree.setCurrentItem(item)


def test_assigning_a_unit_and_moving_units_reach_the_server(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, user = live.new_user("org", login_name=f"org{tag}")
    first = live.admin.ok("POST", "/admin/units", json={"title": f"Zentrale {tag}"})
    second = live.admin.ok("POST", "/admin/units", json={"title": f"Filiale {tag}"})
    child = live.admin.ok(
        "POST", "/admin/units", json={"title": f"Team {tag}", "parent_id": second["id"]}
    )
    profile = live.admin.ok(
        "POST",
        "/admin/profiles",
        json={"owner_id": user["id"], "title": f"Profil {tag}", "unit_id": first["id"]},
    )
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    org = app.window.organisation
    assert org.profile() is not None and org.profile()["id"] == profile["id"]  # type: ignore[index]

    # Assign: offered by path, so units of the same name stay apart.
    org.prompts.choice = _answer(f"Filiale {tag} / Team {tag}")  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.assign_unit"].click)
    assert org.unit_label.text() == f"Einheit: Team {tag}"

    # Move a unit below its own child: refused with a clear message, nothing queued.
    assert not org.boxes["org.units"].isHidden()
    _select(org.units, f"Filiale {tag}")
    org.prompts.choice = _answer(f"Filiale {tag} / Team {tag}")  # type: ignore[method-assign]
    org.buttons["org.unit_move"].click()
    assert app.last_error is not None and "kann nicht unter" in app.last_error
    assert len(client.store.outbox.entries([EditState.PENDING])) == 1

    # Move the child to the top instead.
    _select(org.units, f"Team {tag}")
    org.prompts.choice = _answer("(oberste Ebene)")  # type: ignore[method-assign]
    after_edit(app, org.buttons["org.unit_move"].click)
    assert org.units.findItems(f"Team {tag}", Qt.MatchFlag.MatchExactly, 0)  # a top item now

    assert _synced(app, app.sync_now).uploaded == 2
    assert live.admin.ok("GET", f"/admin/profiles/{profile['id']}")["unit_id"] == child["id"]
    assert live.admin.ok("GET", f"/admin/units/{child['id']}")["parent_id"] is None


def test_conflicts_from_two_devices_are_resolved_in_the_gui_both_ways(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    phone, email = f"phone_{tag}", f"email_{tag}"
    live.admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user", "type": "phone"})
    live.admin.ok("POST", "/admin/fields", json={"key": email, "scope": "user", "type": "email"})
    _, anna = live.new_user(login_name=f"c{tag}")
    profile = live.admin.ok(
        "POST", "/admin/profiles", json={"owner_id": anna["id"], "title": f"Anna {tag}"}
    )
    laptop = client_for(live, tmp_path / "laptop", anna["login"])
    other = client_for(live, tmp_path / "other", anna["login"])
    sync(laptop)
    sync(other)
    laptop.editor().profile_set(profile["id"], phone, "+41 44 111 11 11")
    laptop.editor().profile_set(profile["id"], email, "mine@example.com")
    other.editor().profile_set(profile["id"], phone, "+41 44 222 22 22")
    other.editor().profile_set(profile["id"], email, "theirs@example.com")
    sync(other)  # the other device gets there first
    app = apps(laptop)
    app.window.show()

    result = _synced(app, app.sync_now)
    assert result.conflicts == 2
    footer = app.window.footer
    wait_until(lambda: "2 Konflikt" in footer.problem.text(), what="the conflicts in the footer")
    org = app.window.organisation
    assert not org.conflicts.isHidden() and "2" in org.conflicts.text()
    QTest.mouseClick(footer.problem, Qt.MouseButton.LeftButton)
    assert footer.details_conflicts is not None and footer.details_conflicts.isVisible()
    footer.details_conflicts.click()
    dialog = app.conflicts_dialog
    assert dialog is not None and dialog.isVisible()
    wait_until(lambda: dialog.table.rowCount() == 2, what="both conflicts listed")

    def pick(field: str) -> None:
        row = next(
            r for r in range(dialog.table.rowCount()) if field in dialog.table.item(r, 1).text()
        )
        dialog.table.selectRow(row)
        assert dialog.table.item(row, 2).text() != dialog.table.item(row, 3).text()

    pick(phone)
    assert dialog.table.item(dialog.table.currentRow(), 2).text() == "+41 44 111 11 11"
    after_edit(app, dialog.keep_mine.click)
    assert dialog.table.rowCount() == 1
    pick(email)
    after_edit(app, dialog.take_theirs.click)
    assert dialog.table.rowCount() == 0 and not dialog.keep_mine.isEnabled()
    wait_until(lambda: "Konflikt" not in footer.problem.text(), what="the footer to clear")
    assert org.conflicts.isHidden()

    assert _synced(app, app.sync_now).uploaded == 1
    server = live.admin.ok("GET", f"/admin/profiles/{profile['id']}")["overrides"]
    assert server == {phone: "+41 44 111 11 11", email: "theirs@example.com"}
    assert laptop.store.outbox.entries() == []


def test_a_layouter_administers_templates_and_distributes_them(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, layouter = live.new_user("layouter", login_name=f"lay{tag}")
    mine = f"user:{layouter['id']}"
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": f"Entwurf {tag}"},
            "status": "in_progress",
            "change_rights": [mine],
        },
    )
    sha = live.admin.upload(docx_bytes(f"Entwurf {tag}", ["alt"]))
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": sha, "filename": "Entwurf.docx"},
    )
    group = live.admin.ok("POST", "/admin/template-groups", json={"titles": {"de": f"Gr {tag}"}})
    # Released, but not the layouter's to change: not in the administration list.
    live.admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": f"Fremd {tag}"}, "status": "released"},
    )
    client = client_for(live, tmp_path / "home", layouter["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    tab = app.window.templates
    admin = tab.admin
    assert not tab.admin_mode.isHidden() and admin.isHidden()

    tab.admin_mode.setChecked(True)
    tab.search.setText(tag)
    assert not admin.isHidden()
    assert [tab.list.item(i).text() for i in range(tab.list.count())] == [
        f"Entwurf {tag} [in Bearbeitung]"
    ]
    assert admin.title.text() == f"Entwurf {tag}"

    admin.title.setText(f"Offerte {tag}")
    admin.status.setCurrentIndex(STATUSES.index("released"))
    after_edit(app, admin.buttons["admin.save"].click)
    assert tab.list.item(0).text() == f"Offerte {tag} [freigegeben]"

    admin.prompts.choice = lambda *_args: "Verwenden" if "Recht?" in _args[1] else "alle"  # type: ignore[method-assign]
    after_edit(app, admin.buttons["admin.grant"].click)
    admin.prompts.choice = _answer(f"Gr {tag}")  # type: ignore[method-assign]
    after_edit(app, admin.buttons["admin.move"].click)
    new_file = tmp_path / "neu.docx"
    new_data = docx_bytes(f"Offerte {tag}", ["neu"])
    new_file.write_bytes(new_data)
    admin.prompts.choice = lambda *_args: "de"  # type: ignore[method-assign]
    admin.prompts.open_file = lambda _title: new_file  # type: ignore[method-assign]
    after_edit(app, admin.buttons["admin.replace_file"].click)
    assert "Vorgemerkt" in tab.message.text()  # the client's message, in the app's German

    assert _synced(app, admin.distribute.click).uploaded == 4
    server = live.admin.ok("GET", f"/admin/templates/{template['id']}")
    assert server["titles"]["de"] == f"Offerte {tag}"
    assert server["status"] == "released"
    assert "*" in server["use_rights"]
    assert server["group_id"] == group["id"]
    assert server["files"]["de"]["sha256"] == client.files.put_bytes(new_data)


def test_plain_users_get_no_administration(live: LiveServer, tmp_path: Path, apps: Apps) -> None:
    _, user = live.new_user(login_name=f"plain{secrets.token_hex(3)}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    assert app.window.templates.admin_mode.isHidden()
    assert not app.window.templates.administering()
