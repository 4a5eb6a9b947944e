"""The footer of the Templates and Organisation tabs: "Letzte Aktualisierung: …".

As users know it: a click on the label offers "Synchronisieren" in a small pop-up,
Ctrl + double-click synchronises at once, and while a sync runs its progress shows in
green to the right of the label. Problems (offline, errors, signed out, conflicts) show
in red; a click on them tells what happened and where the log is, and offers what helps:
signing in again, or settling the conflicts.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from docshelf.client.status import Status, SyncState
from docshelf.desktop.i18n import Texts

PROGRESS_COLOR = "#1a7f37"  # green
PROBLEM_COLOR = "#c62828"  # red


class ClickableLabel(QLabel):
    clicked = Signal(object)  # the keyboard modifiers held
    double_clicked = Signal(object)

    _ends_double_click = False

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # The release that ends a double-click is not a click of its own.
        ends_double_click, self._ends_double_click = self._ends_double_click, False
        if (
            event.button() == Qt.MouseButton.LeftButton
            and not ends_double_click
            and self.rect().contains(event.position().toPoint())
        ):
            self.clicked.emit(event.modifiers())
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._ends_double_click = True
            self.double_clicked.emit(event.modifiers())
        super().mouseDoubleClickEvent(event)


def progress_text(status: Status, texts: Texts) -> str:
    """Phase and n of m (or a percentage of the bytes), and the bytes so far."""
    phase = texts.phase(status.phase)
    if status.items_total:
        text = texts(
            "progress.items", phase=phase, done=status.items_done, total=status.items_total
        )
    elif status.bytes_total:
        percent = min(100, round(100 * status.bytes_done / status.bytes_total))
        text = texts("progress.percent", phase=phase, percent=percent)
    elif status.items_done:
        text = texts("progress.count", phase=phase, done=status.items_done)
    else:
        text = phase
    if status.bytes_done:
        text += f" · {texts.size(status.bytes_done)}"
    return text


def problem_text(status: Status, texts: Texts) -> str:
    parts = []
    if status.state is SyncState.OFFLINE:
        parts.append(texts("footer.offline", when=texts.when(status.offline_since)))
    elif status.state is SyncState.SIGNED_OUT:
        parts.append(texts("footer.signed_out"))
    elif status.state is SyncState.ERROR:
        reason = (status.message or "").split(": ", 1)[0] or "?"
        parts.append(texts("footer.error", reason=reason))
    if status.conflicts:
        parts.append(texts("footer.conflicts", n=status.conflicts))
    return " · ".join(parts)


def needs_sign_in(status: Status) -> bool:
    return status.state in (SyncState.SIGNED_OUT, SyncState.NOT_SIGNED_IN)


def details_text(status: Status, texts: Texts) -> str:
    lines = [problem_text(status, texts)]
    if status.message:
        lines.append(status.message)
    if status.conflicts:
        lines.append(texts("details.conflicts", n=status.conflicts))
    lines.append(texts("details.last_update", when=texts.when(status.last_update)))
    lines.append(texts("details.log", path=status.log_path or "—"))
    return "\n\n".join(line for line in lines if line)


class Footer(QWidget):
    sync_requested = Signal()
    sign_in_requested = Signal()
    conflicts_requested = Signal()
    rendered = Signal()  # after each render: lets tests see every state shown

    def __init__(self, texts: Texts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.status = Status()
        self.label = ClickableLabel()
        self.label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.progress = QLabel()
        self.progress.setStyleSheet(f"color: {PROGRESS_COLOR};")
        self.problem = ClickableLabel()
        self.problem.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.problem.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.progress)
        layout.addWidget(self.problem)
        self.menu = QMenu(self)
        # Owned by the footer, not the menu: the menu is refilled from the status.
        self.sync_action = QAction(self)
        self.sync_action.triggered.connect(self.sync_requested.emit)
        self.sign_in_action = QAction(self)
        self.sign_in_action.triggered.connect(self.sign_in_requested.emit)
        self.conflicts_action = QAction(self)
        self.conflicts_action.triggered.connect(self.conflicts_requested.emit)
        self.details: QMessageBox | None = None
        self.details_sign_in: QPushButton | None = None
        self.details_conflicts: QPushButton | None = None
        # A Ctrl+click may be the first half of Ctrl+double-click: wait before the pop-up.
        self._pending_click = QTimer(self, singleShot=True)
        self._pending_click.timeout.connect(self.show_menu)
        self.label.clicked.connect(self._clicked)
        self.label.double_clicked.connect(self._double_clicked)
        self.problem.clicked.connect(lambda _modifiers: self.show_details())
        self.show_status(self.status)

    def set_texts(self, texts: Texts) -> None:
        self.texts = texts
        self.show_status(self.status)

    def show_status(self, status: Status) -> None:
        self.status = status
        texts = self.texts
        self.label.setText(texts("footer.last_update", when=texts.when(status.last_update)))
        self.label.setToolTip(texts("footer.tooltip"))
        self.sync_action.setText(texts("action.sync"))
        self.sign_in_action.setText(texts("action.sign_in"))
        self.conflicts_action.setText(texts("action.conflicts"))
        syncing = status.state is SyncState.SYNCING
        self.progress.setText(progress_text(status, texts) if syncing else "")
        self.progress.setVisible(syncing)
        problem = "" if syncing else problem_text(status, texts)
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.rendered.emit()

    def _clicked(self, modifiers: Qt.KeyboardModifier) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self._pending_click.start(QApplication.doubleClickInterval())
        else:
            self.show_menu()

    def _double_clicked(self, modifiers: Qt.KeyboardModifier) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self._pending_click.stop()
            self.menu.hide()
            self.sync_requested.emit()

    def show_menu(self) -> None:
        self.menu.clear()
        self.menu.addAction(self.sync_action)
        self.sync_action.setEnabled(not needs_sign_in(self.status))
        if needs_sign_in(self.status):
            self.menu.addAction(self.sign_in_action)
        if self.status.conflicts:
            self.menu.addAction(self.conflicts_action)
        above = QPoint(0, -self.menu.sizeHint().height())
        self.menu.popup(self.label.mapToGlobal(above))

    def show_details(self) -> None:
        if self.details is None:
            self.details = QMessageBox(self)
            self.details.setIcon(QMessageBox.Icon.Warning)
            self.details.addButton(QMessageBox.StandardButton.Close)
            role = QMessageBox.ButtonRole.AcceptRole
            self.details_sign_in = self.details.addButton("", role)
            self.details_sign_in.clicked.connect(self.sign_in_requested.emit)
            self.details_conflicts = self.details.addButton("", role)
            self.details_conflicts.clicked.connect(self.conflicts_requested.emit)
        assert self.details_sign_in is not None and self.details_conflicts is not None
        self.details.setWindowTitle(self.texts("details.title"))
        self.details.setText(details_text(self.status, self.texts))
        self.details_sign_in.setText(self.texts("action.sign_in"))
        self.details_sign_in.setVisible(needs_sign_in(self.status))
        self.details_conflicts.setText(self.texts("action.conflicts"))
        self.details_conflicts.setVisible(self.status.conflicts > 0)
        self.details.open()
