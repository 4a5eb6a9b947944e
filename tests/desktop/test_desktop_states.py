"""The tray icon follows the footer's state; progress that holds still; signing in in the
normal colour; dialogs wide enough for their titles; a document no application opens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from desktop_support import Apps, loaded, wait_until
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QApplication

from docshelf.client.status import Phase, Status, SyncState
from docshelf.desktop.footer import PROBLEM_COLOR, Footer
from docshelf.desktop.login import FirstSyncDialog, LoginDialog
from docshelf.desktop.tray import STATE_COLORS, Tray, TrayState
from docshelf.i18n import using
from docshelf.server.demo.files import docx_bytes
from support.api import LiveServer
from support.sync import client_for, make_template, sync

NOW = datetime(2026, 11, 28, 18, 5, tzinfo=UTC)
MB = 1 << 20


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (Status(state=SyncState.IDLE, last_update=NOW), TrayState.UP_TO_DATE),
        (Status(state=SyncState.SYNCING, phase=Phase.FILES), TrayState.SYNCING),
        (Status(state=SyncState.OFFLINE, offline_since=NOW), TrayState.OFFLINE),
        (Status(state=SyncState.SIGNED_OUT), TrayState.SIGNED_OUT),
        (Status(state=SyncState.NOT_SIGNED_IN), TrayState.SIGNED_OUT),
        (Status(state=SyncState.ERROR, message="Server refused: no"), TrayState.ERROR),
        (Status(state=SyncState.IDLE, last_update=NOW, conflicts=2), TrayState.CONFLICTS),
    ],
)
def test_the_tray_icon_follows_the_footers_state(
    qapp: QApplication, status: Status, state: TrayState
) -> None:
    tray = Tray(show=False)
    footer = Footer()
    with using("de"):
        # From another state first: the icon must change with the state, not only at start.
        syncing = state is TrayState.SYNCING
        other = Status(state=SyncState.IDLE if syncing else SyncState.SYNCING)
        tray.show_status(other)
        tray.show_status(status)
        footer.show_status(status)
    assert tray.shown is state
    image = tray.icon.icon().pixmap(32, 32).toImage()
    assert image.pixelColor(6, 16) == QColor(STATE_COLORS[state])
    # The tooltip says in words what the footer says.
    shown = footer.progress.text() if state is TrayState.SYNCING else footer.problem.text()
    expected = shown or footer.label.text()
    assert tray.icon.toolTip().splitlines()[0] == f"docshelf — {expected}"


def test_every_tray_state_has_its_own_colour() -> None:
    assert set(STATE_COLORS) == set(TrayState)
    assert len(set(STATE_COLORS.values())) == len(TrayState)


@pytest.mark.parametrize("language", ["de", "en"])
def test_progress_shows_total_and_percent_and_keeps_its_width(
    qapp: QApplication, language: str
) -> None:
    with using(language):
        footer = Footer()
        footer.show()
        widths, texts = set(), []
        for phase, done, total in [
            (Phase.CHANGES, 0, None),
            (Phase.CHANGES, 3, None),
            (Phase.FILES, 1 * MB, 314 * MB),
            (Phase.FILES, 188 * MB, 314 * MB),
            (Phase.FILES, 314 * MB, 314 * MB),
            (Phase.RECONCILING, 0, None),
        ]:
            status = Status(
                state=SyncState.SYNCING,
                phase=phase,
                items_done=done if total is None else 0,
                bytes_done=done if total else 0,
                bytes_total=total,
            )
            footer.show_status(status)
            QApplication.processEvents()
            texts.append(footer.progress.text())
            hint = footer.progress.sizeHint().width()
            assert footer.progress.minimumWidth() >= hint, footer.progress.text()
            widths.add(footer.progress.minimumWidth())
        footer.deleteLater()
    assert len(widths) == 1  # the label beside it never moves
    if language == "de":
        assert "Dateien laden 188,0 von 314,0 MB · 59 %" in texts
    else:
        assert "Downloading files 188.0 of 314.0 MB · 59%" in texts


def test_signing_in_shows_in_the_normal_colour_and_a_refusal_in_red(qapp: QApplication) -> None:
    asked: list[Callable[[str | None], None]] = []
    with using("de"):
        dialog = LoginDialog(lambda _server, _user, _password, done: asked.append(done))
        dialog.submit()
        assert dialog.error.text() == "Anmelden…"
        assert PROBLEM_COLOR not in dialog.error.styleSheet()
        asked[0]("Anmeldung abgelehnt: Passwort falsch")
        assert PROBLEM_COLOR in dialog.error.styleSheet()
        dialog.submit()  # again: busy, not red
        assert PROBLEM_COLOR not in dialog.error.styleSheet()
    dialog.deleteLater()


@pytest.mark.parametrize("language", ["de", "en"])
def test_dialogs_are_wide_enough_for_their_titles(qapp: QApplication, language: str) -> None:
    with using(language):
        dialogs = [LoginDialog(lambda *_args: None), FirstSyncDialog()]
    for dialog in dialogs:
        title = dialog.windowTitle()
        # A bold title bar font and the title bar's buttons beside it.
        bold = dialog.font()
        bold.setBold(True)
        needed = QFontMetrics(bold).horizontalAdvance(title) + 120
        assert dialog.minimumWidth() >= needed, (title, dialog.minimumWidth(), needed)
        dialog.deleteLater()


def test_a_document_no_application_opens_says_so_with_its_path(
    live: LiveServer, tmp_path: Path, apps: Apps
) -> None:
    tag = secrets.token_hex(3)
    title = f"Notiz {tag}"
    make_template(live, title, data=docx_bytes(title, ["Text"]))
    _, user = live.new_user(login_name=f"n{tag}")
    client = client_for(live, tmp_path / "home", user["login"])
    sync(client)
    tried: list[Path] = []

    def no_application(path: Path) -> bool:  # as QDesktopServices.openUrl without one
        tried.append(path)
        return False

    app = apps(client, opener=no_application)
    loaded(app)
    tab = app.window.templates
    tab.search.setText(title)
    tab.create_button.click()
    wait_until(lambda: tried and app.tasks.pending == 0, what="the attempt to open")
    created = tried[0]
    assert created.is_file()  # made, only not opened
    assert app.error_box is not None and app.error_box.isVisible()
    assert str(created) in app.error_box.text() and "nicht geöffnet" in app.error_box.text()
    assert str(created) in tab.message.text() and "nicht geöffnet" in tab.message.text()

    def broken(path: Path) -> bool:  # an opener that fails outright
        raise OSError("no such program")

    app.opener = broken
    app.error_box.close()
    tab.create_button.click()
    wait_until(lambda: len(app.created) == 2 and app.tasks.pending == 0, what="the second one")
    wait_until(lambda: app.error_box is not None and app.error_box.isVisible(), what="the box")
    assert str(app.created[1]) in app.error_box.text()
