"""The tray icon: the same status as the footer, and the menu Synchronisieren/Öffnen/Beenden.

The menu is rebuilt from the current status each time it opens, so it never shows a
stale state. Notifications only for what needs the user: errors and new conflicts,
never for a routine sync.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from docshelf.client.status import Status, SyncState
from docshelf.desktop.footer import (
    PROBLEM_COLOR,
    PROGRESS_COLOR,
    needs_sign_in,
    problem_text,
    progress_text,
)
from docshelf.desktop.i18n import Texts

# Keyed on the state, never on display text.
STATE_COLORS = {
    SyncState.IDLE: "#1565c0",
    SyncState.SYNCING: PROGRESS_COLOR,
    SyncState.OFFLINE: "#757575",
    SyncState.SIGNED_OUT: PROBLEM_COLOR,
    SyncState.ERROR: PROBLEM_COLOR,
    SyncState.NOT_SIGNED_IN: "#757575",
}


def state_icon(state: SyncState) -> QIcon:
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


def status_line(status: Status, texts: Texts) -> str:
    """One line, the footer's words: what the tooltip and the menu's first entry say."""
    if status.state is SyncState.SYNCING:
        return progress_text(status, texts)
    problem = problem_text(status, texts)
    if problem:
        return problem
    return texts("footer.last_update", when=texts.when(status.last_update))


def hints_line(status: Status, texts: Texts) -> str:
    """How changes reach this desk: at once over the hint connection, or at the interval."""
    if status.hints == "connected":
        return texts("hints.connected")
    if status.hints == "connecting":
        return texts("hints.connecting")
    return texts("hints.interval")


class Tray(QObject):
    sync_requested = Signal()
    sign_in_requested = Signal()
    conflicts_requested = Signal()
    open_requested = Signal()
    quit_requested = Signal()
    notified = Signal(str, str)  # title, text

    def __init__(self, texts: Texts, *, show: bool) -> None:
        super().__init__()
        self.texts = texts
        self.status = Status()
        self._rendered_once = False
        self._last_error: str | None = None
        self.icon = QSystemTrayIcon(state_icon(SyncState.NOT_SIGNED_IN))
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.rebuild_menu()
        if show:
            self.icon.show()

    def set_texts(self, texts: Texts) -> None:
        self.texts = texts
        self.show_status(self.status)

    def show_status(self, status: Status) -> None:
        previous, self.status = self.status, status
        if previous.state is not status.state or not self._rendered_once:
            self.icon.setIcon(state_icon(status.state))
        self.icon.setToolTip(
            f"docshelf — {status_line(status, self.texts)}\n{hints_line(status, self.texts)}"
        )
        if self._rendered_once:
            self._notify_if_needed(previous, status)
        self._rendered_once = True

    def rebuild_menu(self) -> None:
        texts, status = self.texts, self.status
        self.menu.clear()
        line = self.menu.addAction(status_line(status, texts))
        line.setEnabled(False)
        self.menu.addSeparator()
        sync = self._add(texts("action.sync"), self.sync_requested)
        sync.setEnabled(status.state is not SyncState.SYNCING and not needs_sign_in(status))
        if needs_sign_in(status):
            self._add(texts("action.sign_in"), self.sign_in_requested)
        if status.conflicts:
            self._add(texts("action.conflicts"), self.conflicts_requested)
        self._add(texts("action.open"), self.open_requested)
        self.menu.addSeparator()
        self._add(texts("action.quit"), self.quit_requested)

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
        texts = self.texts
        if status.state in (SyncState.ERROR, SyncState.SIGNED_OUT):
            # A failing sync retries on its own; the same error once is enough.
            message = status.message or problem_text(status, texts)
            if message != self._last_error:
                self._last_error = message
                self.notify(texts("notify.error"), message)
        elif status.state is SyncState.IDLE:
            self._last_error = None
        if status.conflicts > previous.conflicts:
            self.notify(texts("notify.conflict"), texts("details.conflicts", n=status.conflicts))

    def notify(self, title: str, text: str) -> None:
        self.notified.emit(title, text)
        if self.icon.isVisible():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning)

    def hide(self) -> None:
        self.icon.hide()
