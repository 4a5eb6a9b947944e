"""The tray icon: the footer's state (syncing, up to date, offline, signed out, error,
conflicts) in its colour and tooltip, and the menu Synchronisieren/Öffnen/Beenden.

The menu is rebuilt from the current status each time it opens, so it never shows a
stale state. Notifications only for what needs the user: errors and new conflicts,
never for a routine sync.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from docshelf.client import Status, SyncState
from docshelf.desktop.footer import (
    PROBLEM_COLOR,
    PROGRESS_COLOR,
    conflicts_text,
    last_update_text,
    needs_sign_in,
    problem_text,
    progress_text,
)
from docshelf.i18n import tr


class TrayState(StrEnum):
    """What the icon shows: the footer's state, conflicts included (they are no SyncState)."""

    UP_TO_DATE = "up_to_date"
    SYNCING = "syncing"
    OFFLINE = "offline"
    SIGNED_OUT = "signed_out"
    ERROR = "error"
    CONFLICTS = "conflicts"


# Keyed on the state, never on display text.
STATE_COLORS = {
    TrayState.UP_TO_DATE: "#1565c0",  # blue
    TrayState.SYNCING: PROGRESS_COLOR,  # green, as the footer's progress
    TrayState.OFFLINE: "#757575",  # grey
    TrayState.SIGNED_OUT: "#6a1b9a",  # purple: not broken, but needs the user
    TrayState.ERROR: PROBLEM_COLOR,  # red, as the footer's problems
    TrayState.CONFLICTS: "#e65100",  # orange
}


def tray_state(status: Status) -> TrayState:
    """The footer's state in one word; what needs the user first, conflicts last."""
    if status.state is SyncState.SYNCING:
        return TrayState.SYNCING
    if needs_sign_in(status):
        return TrayState.SIGNED_OUT
    if status.state is SyncState.ERROR:
        return TrayState.ERROR
    if status.state is SyncState.OFFLINE:
        return TrayState.OFFLINE
    if status.conflicts:
        return TrayState.CONFLICTS
    return TrayState.UP_TO_DATE


def state_icon(state: TrayState) -> QIcon:
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATE_COLORS[state]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(3, 3, 26, 26, 6, 6)
    painter.setPen(QColor("white"))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(20)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "d")
    painter.end()
    return QIcon(pixmap)


def status_line(status: Status) -> str:
    """One line, the footer's words: what the tooltip and the menu's first entry say."""
    if status.state is SyncState.SYNCING:
        return progress_text(status)
    return problem_text(status) or last_update_text(status)


def hints_line(status: Status) -> str:
    """How changes reach this desk: at once over the hint connection, or at the interval."""
    if status.hints == "connected":
        return tr("Changes arrive at once")
    if status.hints == "connecting":
        return tr("Connecting for changes at once")
    return tr("Changes arrive with the next synchronisation")


class Tray(QObject):
    sync_requested = Signal()
    sign_in_requested = Signal()
    conflicts_requested = Signal()
    open_requested = Signal()
    quit_requested = Signal()
    notified = Signal(str, str)  # title, text

    def __init__(self, *, show: bool) -> None:
        super().__init__()
        self.status = Status()
        self.shown = tray_state(self.status)
        self._rendered_once = False
        self._last_error: str | None = None
        self.icon = QSystemTrayIcon(state_icon(self.shown))
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.rebuild_menu()
        if show:
            self.icon.show()

    def retranslate(self) -> None:
        self.show_status(self.status)

    def show_status(self, status: Status) -> None:
        previous, self.status = self.status, status
        state = tray_state(status)
        if state is not self.shown or not self._rendered_once:
            self.shown = state
            self.icon.setIcon(state_icon(state))
        self.icon.setToolTip(f"docshelf — {status_line(status)}\n{hints_line(status)}")
        if self._rendered_once:
            self._notify_if_needed(previous, status)
        self._rendered_once = True

    def rebuild_menu(self) -> None:
        status = self.status
        self.menu.clear()
        line = self.menu.addAction(status_line(status))
        line.setEnabled(False)
        self.menu.addSeparator()
        sync = self._add(tr("Synchronise"), self.sync_requested)
        sync.setEnabled(status.state is not SyncState.SYNCING and not needs_sign_in(status))
        if needs_sign_in(status):
            self._add(tr("Sign in…"), self.sign_in_requested)
        if status.conflicts:
            self._add(tr("Resolve conflicts…"), self.conflicts_requested)
        self._add(tr("Open"), self.open_requested)
        self.menu.addSeparator()
        self._add(tr("Quit"), self.quit_requested)

    def entries(self) -> list[str]:
        return [a.text() for a in self.menu.actions() if not a.isSeparator()]

    def action(self, text: str) -> QAction:
        return next(a for a in self.menu.actions() if a.text() == text)

    def _add(self, text: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(lambda: signal.emit())
        return action

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            self.open_requested.emit()

    def _notify_if_needed(self, previous: Status, status: Status) -> None:
        if status.state in (SyncState.ERROR, SyncState.SIGNED_OUT):
            # A failing sync retries on its own; the same error once is enough.
            message = status.message or problem_text(status)
            if message != self._last_error:
                self._last_error = message
                self.notify(tr("docshelf: sync failed"), message)
        elif status.state is SyncState.IDLE:
            self._last_error = None
        if status.conflicts > previous.conflicts:
            self.notify(tr("docshelf: conflict"), conflicts_text(status.conflicts))

    def notify(self, title: str, text: str) -> None:
        self.notified.emit(title, text)
        if self.icon.isVisible():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning)

    def hide(self) -> None:
        self.icon.hide()
