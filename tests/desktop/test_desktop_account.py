"""Signing out and in again in the desktop app, and syncs after a wake or the network's
return, against a real server."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from desktop_support import Apps, loaded, wait_until
from PySide6.QtCore import Qt
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtTest import QTest

from docshelf.client.outbox import EditState
from docshelf.client.status import SyncState
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.login import LoginDialog
from docshelf.desktop.wake import WakeWatch
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer
from support.sync import client_for, make_template, sync


def _titles(app: DesktopApp) -> list[str]:
    items = app.window.templates.list
    return [items.item(i).text() for i in range(items.count())]


def _login_dialog(app: DesktopApp) -> LoginDialog:
    return wait_until(
        lambda: app.login_dialog if app.login_dialog and app.login_dialog.isVisible() else None,
        what="the sign-in dialog",
    )


def _sign_in(app: DesktopApp, login: str) -> Any:
    """Fill in the open sign-in dialog; returns the result of the sync that follows."""
    done: list[Any] = []
    app.sync_finished.connect(done.append)
    dialog = _login_dialog(app)
    dialog.user.setText(login)
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    wait_until(lambda: done and app.tasks.pending == 0, what="the sync after signing in")
    return done[0]


def _private_template(live: LiveServer, title: str, user: dict[str, Any]) -> None:
    make_template(live, title, use=[f"user:{user['id']}"], data=docx_bytes(title, ["Text"]))


def test_sign_out_then_sign_in_as_another_user_shows_only_their_content(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, anna = live.new_user(login_name=f"anna{tag}")
    _, ben = live.new_user(login_name=f"ben{tag}")
    _private_template(live, f"Annas Brief {tag}", anna)
    _private_template(live, f"Bens Memo {tag}", ben)
    client = client_for(live, tmp_path / "home", anna["login"])
    sync(client)
    app = apps(client)
    loaded(app)
    assert f"Annas Brief {tag}" in _titles(app)
    # An edit of anna's waits in the outbox: nobody else may sign in until it is up.
    client.editor().profile_new(f"Anna privat {tag}", None)
    loaded(app)

    about = app.window.about
    assert about.account_button.text() == "Abmelden"
    asked: list[str] = []
    about.prompts.confirm = lambda _title, text: asked.append(text) or True  # type: ignore[method-assign]
    about.account_button.click()
    dialog = _login_dialog(app)
    wait_until(lambda: app.tasks.pending == 0, what="the sign-out")

    assert "1 Änderung ist noch nicht hochgeladen" in asked[0]  # the question said what waits
    assert client.config is None
    assert _titles(app) == [] and app.window.organisation.profiles.count() == 0
    assert about.user.text() == "Benutzer: —"
    assert about.account_button.text() == "Anmelden…"
    assert app.status().state is SyncState.NOT_SIGNED_IN
    devices = live.admin.ok("GET", f"/admin/users/{anna['id']}/devices")
    assert all(d["revoked_at"] for d in devices if d["name"] == "test-home")
    assert dialog.server.text() == live.url

    # Ben first: refused with the client's own reason, nothing changes.
    dialog.user.setText(ben["login"])
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    wait_until(lambda: dialog.ok.isEnabled(), what="the refusal")
    assert "noch nicht auf dem Server" in dialog.error.text() and dialog.isVisible()
    assert client.config is None and len(client.store.outbox.entries([EditState.PENDING])) == 1

    # Anna again: her copy is still there, her edit goes up with the sync that follows.
    result = _sign_in(app, anna["login"])
    assert result.status == "ok" and result.uploaded == 1
    assert f"Annas Brief {tag}" in _titles(app)
    profiles = live.admin.ok("GET", "/admin/profiles", params={"owner_id": anna["id"]})
    assert f"Anna privat {tag}" in [p["title"] for p in profiles]

    # Now ben: only his content, none of anna's.
    about.account_button.click()
    _login_dialog(app)
    wait_until(lambda: client.config is None and app.tasks.pending == 0, what="the sign-out")
    result = _sign_in(app, ben["login"])
    assert result.status == "ok"
    wait_until(lambda: f"Bens Memo {tag}" in _titles(app), what="ben's templates")
    assert f"Annas Brief {tag}" not in _titles(app)
    profiles_shown = app.window.organisation.profiles
    shown = [profiles_shown.item(i).text() for i in range(profiles_shown.count())]
    assert f"Anna privat {tag}" not in shown
    assert about.user.text() == f"Benutzer: {ben['login']}"


def test_a_revoked_device_offers_to_sign_in_again_and_then_syncs(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    _, user = live.new_user(login_name=f"r{tag}")
    client = client_for(live, tmp_path / "laptop", user["login"])
    sync(client)
    app = apps(client)
    app.window.show()
    devices = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")
    (device,) = (d for d in devices if d["name"] == "test-laptop")
    live.admin.ok("DELETE", f"/admin/devices/{device['id']}")
    _private_template(live, f"Nach dem Widerruf {tag}", user)

    done: list[Any] = []
    app.sync_finished.connect(done.append)
    app.sync_now()
    wait_until(lambda: done, what="the refused sync")
    assert done[0].status == "error"
    footer = app.window.footer
    wait_until(lambda: app.status().state is SyncState.SIGNED_OUT, what="signed out")
    wait_until(lambda: footer.problem.text().startswith("Abgemeldet"), what="the footer")

    # The tray and the footer's pop-up offer it ...
    app.tray.menu.aboutToShow.emit()
    assert "Anmelden…" in app.tray.entries()
    footer.show_menu()
    assert footer.sign_in_action in footer.menu.actions()
    assert not footer.sync_action.isEnabled()
    footer.menu.hide()
    # ... and so does the click on the red text.
    QTest.mouseClick(footer.problem, Qt.MouseButton.LeftButton)
    assert footer.details is not None and footer.details_sign_in is not None
    assert footer.details_sign_in.isVisible()
    footer.details_sign_in.click()

    dialog = _login_dialog(app)
    assert dialog.server.text() == live.url and dialog.user.text() == user["login"]
    result = _sign_in(app, user["login"])
    assert result.status == "ok"
    wait_until(lambda: app.status().state is SyncState.IDLE, what="idle again")
    wait_until(lambda: f"Nach dem Widerruf {tag}" in _titles(app), what="the new template")
    assert footer.problem.isHidden()


def test_a_wake_or_the_network_returning_syncs_soon(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    _, user = live.new_user(login_name=f"w{secrets.token_hex(3)}")
    client = client_for(live, tmp_path / "home", user["login"])
    app = apps(client, watch_network=False)
    done: list[Any] = []
    app.sync_finished.connect(done.append)

    # Ten seconds of timer, but the wall clock went on for an hour: the machine slept.
    clock = [1000.0]
    watch = WakeWatch(interval_s=10, slack_s=60, wall=lambda: clock[0], network=False)
    watch.sync_wanted.connect(app.sync_soon)
    clock[0] += 10.5
    watch.tick()
    assert not app._soon.isActive()  # an ordinary tick
    clock[0] += 3600
    watch.tick()
    assert app._soon.isActive()
    wait_until(lambda: done, timeout=15, what="the sync after waking")
    assert done[0].status == "ok"
    assert app.runner.daemon.scheduler.planned_at() is None  # the schedule was left alone

    # The network returns: offline → online asks for a sync; unknown → online does not.
    kinds = QNetworkInformation.Reachability
    app.wake._reachable = kinds.Unknown
    app.wake.reachability_changed(kinds.Online)
    assert not app._soon.isActive()
    app.wake.reachability_changed(kinds.Disconnected)
    app.wake.reachability_changed(kinds.Online)
    assert app._soon.isActive()
    wait_until(lambda: len(done) == 2, timeout=15, what="the sync after the network returned")
