"""The footer, the tray and the single instance of the desktop app, against a real server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_support import Apps, wait_until
from forwarding import Forwarder
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from docshelf.client import handover
from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.client.status import SyncState
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.footer import PROBLEM_COLOR, PROGRESS_COLOR
from docshelf.desktop.instance import Instance
from docshelf.domain.settings import CLIENT_SYNC_INTERVAL as INTERVAL
from docshelf.domain.settings import CLIENT_SYNC_MAX_DELAY_AFTER_START as DELAY
from docshelf.domain.settings import SETTINGS
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer
from support.sync import client_for, make_template


def _user(live: LiveServer) -> str:
    _, user = live.new_user(login_name=f"d{secrets.token_hex(4)}")
    return str(user["login"])


def _synced(app: DesktopApp, trigger: Any) -> Any:
    """Run ``trigger`` and wait for the sync it starts to end; returns its result."""
    done: list[Any] = []
    app.sync_finished.connect(done.append)
    trigger()
    wait_until(lambda: done, what="the sync to finish")
    return done[0]


def _when(value: datetime | None, pattern: str) -> str:
    assert value is not None
    return value.astimezone().strftime(pattern)


def test_footer_says_last_update_in_german_and_english_before_and_after_a_sync(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client, language="de")
    footer = app.window.footer
    assert footer.label.text() == "Letzte Aktualisierung: —"

    result = _synced(app, app.sync_now)

    assert result.status == "ok"
    wait_until(lambda: "—" not in footer.label.text(), what="the label to update")
    german = _when(client.last_update(), "%d.%m.%Y %H:%M")
    assert footer.label.text() == f"Letzte Aktualisierung: {german}"

    # Switched on the docshelf tab: the label follows at once, in the English format.
    about = app.window.about
    about.language.setCurrentIndex(about.language.findData("en"))
    english = _when(client.last_update(), "%d/%m/%Y %H:%M")
    assert footer.label.text() == f"Last update: {english}"
    assert app.window.tabs.tabText(0) == "Templates"

    fresh = apps(Client(Home(tmp_path / "other")), language="en")
    assert fresh.window.footer.label.text() == "Last update: —"


def test_click_opens_the_popup_and_its_entry_synchronises(
    live: LiveServer, tmp_path: Path, apps: Apps, qtbot: QtBot
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client)
    app.window.show()
    footer = app.window.footer
    assert footer.label.text() == "Letzte Aktualisierung: —"

    qtbot.mouseClick(footer.label, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(footer.menu.isVisible)
    assert [a.text() for a in footer.menu.actions()] == ["Synchronisieren"]

    with qtbot.waitSignal(app.sync_finished, timeout=60_000) as finished:
        footer.sync_action.trigger()
    assert finished.args is not None and finished.args[0].status == "ok"
    new_time = _when(client.last_update(), "%d.%m.%Y %H:%M")
    qtbot.waitUntil(lambda: footer.label.text() == f"Letzte Aktualisierung: {new_time}")


def test_ctrl_double_click_synchronises_at_once_without_the_popup(
    live: LiveServer, tmp_path: Path, apps: Apps, qtbot: QtBot
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client)
    app.window.show()
    footer = app.window.footer

    with qtbot.waitSignal(app.sync_finished, timeout=60_000) as finished:
        qtbot.mouseDClick(
            footer.label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier
        )

    assert finished.args is not None and finished.args[0].status == "ok"
    new_time = _when(client.last_update(), "%d.%m.%Y %H:%M")
    qtbot.waitUntil(lambda: footer.label.text() == f"Letzte Aktualisierung: {new_time}")
    assert not footer.menu.isVisible()
    qtbot.wait(50)  # past the double-click interval, no late pop-up either
    wait_until(lambda: not footer._pending_click.isActive(), what="the click timer")
    assert not footer.menu.isVisible()


def test_progress_shows_in_green_while_syncing(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    for n in range(6):
        make_template(live, f"Brief {tag} {n}", data=docx_bytes(f"Brief {tag} {n}", ["Text"]))
    client = client_for(live, tmp_path / "home", _user(live), page_size=1)
    app = apps(client)
    footer = app.window.footer
    shown: list[tuple[bool, str, str]] = []
    footer.rendered.connect(
        lambda: shown.append(
            (not footer.progress.isHidden(), footer.progress.text(), footer.progress.styleSheet())
        )
    )

    _synced(app, app.sync_now)

    progress = [(text, style) for visible, text, style in shown if visible]
    assert progress, "no progress was shown during the sync"
    assert all(PROGRESS_COLOR in style for _, style in progress)
    assert any(" von " in text for text, _ in progress), progress
    # When it ends: the progress goes, the label says when.
    wait_until(lambda: footer.progress.isHidden(), what="the progress to go")
    assert "—" not in footer.label.text()


def test_unreachable_server_shows_offline_in_red_with_details(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    line = Forwarder(live.process.port)
    client = Client(Home(tmp_path / "home"))
    client.login(line.url, _user(live), PASSWORD)
    assert client.sync().status == "ok"
    line.cut()  # from here on, nobody answers at that address
    app = apps(client)
    footer = app.window.footer

    result = _synced(app, app.sync_now)

    assert result.status == "error"
    wait_until(lambda: not footer.problem.isHidden(), what="the problem label")
    assert footer.problem.text().startswith("Offline seit ")
    assert PROBLEM_COLOR in footer.problem.styleSheet()
    assert "—" not in footer.label.text()  # the cache's time still shows
    assert app.status().state is SyncState.OFFLINE
    QTest.mouseClick(footer.problem, Qt.MouseButton.LeftButton)
    assert footer.details is not None and footer.details.isVisible()
    assert str(client.home.log_file) in footer.details.text()


def test_tray_menu_is_built_from_the_status_and_synchronises(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client)
    tray = app.tray

    tray.menu.aboutToShow.emit()
    assert tray.entries() == ["Letzte Aktualisierung: —", "Synchronisieren", "Öffnen", "Beenden"]

    result = _synced(app, tray.action("Synchronisieren").trigger)
    assert result.status == "ok"
    tray.menu.aboutToShow.emit()
    status_line = tray.entries()[0]
    assert status_line == app.window.footer.label.text() != "Letzte Aktualisierung: —"
    assert tray.icon.toolTip().splitlines()[0] == f"docshelf — {status_line}"
    # Without its schedule (these tests' apps) the app holds no hint connection.
    assert tray.icon.toolTip().splitlines()[-1] == (
        "Änderungen kommen mit der nächsten Synchronisierung"
    )

    app.set_language("en")
    tray.menu.aboutToShow.emit()
    assert tray.entries()[1:] == ["Synchronise", "Open", "Quit"]


def test_closing_keeps_the_app_in_the_tray_until_quit(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client, tray=True)
    app.start()  # empty cache: the first sync
    wait_until(lambda: app.window.isVisible(), what="the window after the first sync")

    app.window.close()
    assert not app.window.isVisible()
    app.tray.menu.aboutToShow.emit()
    result = _synced(app, app.tray.action("Synchronisieren").trigger)  # still working
    assert result.status == "ok"

    app.tray.action("Öffnen").trigger()
    assert app.window.isVisible()


def test_errors_and_conflicts_notify_once(live: LiveServer, tmp_path: Path, apps: Apps) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    app = apps(client)
    notes: list[tuple[str, str]] = []
    app.tray.notified.connect(lambda title, text: notes.append((title, text)))
    _synced(app, app.sync_now)
    assert notes == []  # a routine sync is no news

    board = client.board
    board.update(state=SyncState.ERROR, message="Server refused: broken")
    board.update(state=SyncState.ERROR, message="Server refused: broken")
    board.update(conflicts=1)
    wait_until(lambda: len(notes) == 2, what="two notifications")
    assert "broken" in notes[0][1]
    assert "Konflikt" in notes[1][0]


def test_second_start_hands_over_to_the_running_app(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    client = client_for(live, tmp_path / "home", _user(live))
    home = client.home
    first = Instance(home)
    assert first.claim()
    second = Instance(home)
    try:
        assert not second.claim()
        app = apps(client, instance=first)
        app_syncs: list[Any] = []
        app.sync_finished.connect(app_syncs.append)
        activated: list[bool] = []
        first.activate_requested.connect(lambda: activated.append(True))

        answers: list[dict[str, Any]] = []
        asking = threading.Thread(target=lambda: answers.extend(handover.request(home, "activate")))
        asking.start()
        wait_until(lambda: activated and not asking.is_alive(), what="the hand-over")
        assert answers == [{"event": "ok"}]
        assert app.window.isVisible()

        # `docshelf sync` while the app runs: the app syncs and reports its progress.
        messages: list[dict[str, Any]] = []
        syncing = threading.Thread(
            target=lambda: messages.extend(handover.request(home, "sync", timeout=30))
        )
        syncing.start()
        wait_until(lambda: not syncing.is_alive(), what="the handed-over sync")
        assert messages[-1]["event"] == "done"
        assert messages[-1]["status"]["state"] == "idle"
        assert messages[-1]["result"]["status"] == "ok"
        assert any(m["event"] == "status" for m in messages[:-1])

        # The real command: it asks the app instead of running a second engine.
        synced_before = len(app_syncs)
        command = subprocess.Popen(
            [sys.executable, "-m", "docshelf", "--home", str(home.root), "sync", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "DOCSHELF_KEYRING": "0"},
        )
        wait_until(lambda: command.poll() is not None, what="docshelf sync", timeout=60)
        out, err = command.communicate()
        assert command.returncode == 0, err
        assert json.loads(out)["status"] == "ok"
        assert len(app_syncs) == synced_before + 1, "the app, not the command, synchronised"
    finally:
        second.release()
        first.release()


def test_settings_a_sync_brings_take_effect_without_a_restart(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    two_hours = 2 * 60 * 60 * 1000
    defaults = {INTERVAL: SETTINGS[INTERVAL].default, DELAY: SETTINGS[DELAY].default}
    live.admin.ok("PATCH", "/admin/settings", json={"values": {DELAY: two_hours}})
    try:
        client = client_for(live, tmp_path / "home", _user(live))
        app = apps(client, scheduled=True)
        finished: list[Any] = []
        app.sync_finished.connect(finished.append)
        _synced(app, app.sync_now)  # the schedule now waits up to two hours after this start
        wait_until(lambda: app.runner.daemon.scheduler.planned_at() is not None, what="a plan")
        assert client.settings()[DELAY] == two_hours

        live.admin.ok("PATCH", "/admin/settings", json={"values": {DELAY: 0, INTERVAL: 60_000}})
        _synced(app, app.sync_now)

        # No delay after start any more: the scheduled sync follows at once, no restart.
        wait_until(lambda: None in finished, what="the scheduled sync")
        assert client.settings()[INTERVAL] == 60_000
        wait_until(lambda: "1 min" in app.window.about.interval.text(), what="the docshelf tab")
    finally:
        live.admin.ok("PATCH", "/admin/settings", json={"values": defaults})


def test_an_idle_app_shows_a_central_change_within_seconds_without_a_click(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    """The layouter saves a template; the app, idle, shows it and a new "Letzte
    Aktualisierung" with the interval at 15 minutes: the change hint brought it."""
    values = {INTERVAL: 15 * 60_000, DELAY: 0, "ClientHintMaxDelay": 0}
    live.admin.ok("PATCH", "/admin/settings", json={"values": values})
    try:
        client = client_for(live, tmp_path / "home", _user(live))
        app = apps(client, scheduled=True)
        _synced(app, app.sync_now)  # the first sync; the app then runs its schedule
        tray = app.tray
        wait_until(
            lambda: tray.icon.toolTip().endswith("Änderungen kommen sofort an"),
            timeout=60,
            what="the hint connection",
        )
        before = client.last_update()
        title = f"Zentral {secrets.token_hex(3)}"
        make_template(live, title, use=["*"])
        items = app.window.templates.list
        wait_until(
            # (marked as not offline-ready: this template has no file)
            lambda: any(title in items.item(i).text() for i in range(items.count())),
            timeout=60,
            what="the new template in the window",
        )
        wait_until(lambda: (client.last_update() or before) > before, what="a new last update")
        german = _when(client.last_update(), "%d.%m.%Y %H:%M")
        wait_until(
            lambda: app.window.footer.label.text() == f"Letzte Aktualisierung: {german}",
            what="the footer to show it",
        )
    finally:
        live.admin.ok(
            "PATCH",
            "/admin/settings",
            json={"values": {INTERVAL: SETTINGS[INTERVAL].default, DELAY: SETTINGS[DELAY].default}},
        )


def test_qts_own_buttons_speak_the_apps_language_with_one_spelling(
    tmp_path: Path, apps: Apps
) -> None:
    from PySide6.QtCore import QCoreApplication

    def qt(text: str) -> str:
        return QCoreApplication.translate("QPlatformTheme", text)

    app = apps(Client(Home(tmp_path / "home")), language="de")
    # Ours, not Qt's catalogue: "Schliessen" as everywhere else in the app, never "Schließen".
    assert (qt("Cancel"), qt("Close"), qt("&Yes")) == ("Abbrechen", "Schliessen", "Ja")
    app.window.footer.show_details()
    details = app.window.footer.details
    assert details is not None
    shown = [b.text() for b in details.buttons() if b.isVisible()]
    assert "Schliessen" in shown and "Anmelden…" in shown  # signed out: it offers to sign in
    app.set_language("en")
    assert qt("Cancel") == "Cancel"
    app.window.footer.show_details()
    assert "Close" in [b.text() for b in details.buttons() if b.isVisible()]
    app.set_language("de")
    assert qt("Cancel") == "Abbrechen"


def test_quit_ends_the_app_though_its_window_only_hides_into_the_tray(
    tmp_path: Path, apps: Apps, qapp: QApplication
) -> None:
    app = apps(Client(Home(tmp_path / "home")), tray=True)
    assert app.window.keep_in_tray
    app.window.show()
    app.tray.menu.aboutToShow.emit()
    QTimer.singleShot(0, app.tray.action("Beenden").trigger)
    QTimer.singleShot(10_000, lambda: qapp.exit(1))  # the quit was cancelled
    assert qapp.exec() == 0
