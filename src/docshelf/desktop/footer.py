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

from docshelf.client import Phase, Status, SyncState
from docshelf.desktop.language import amounts, percent, phase_text, when
from docshelf.i18n import ntr, tr
from docshelf.i18n.formats import format_number, format_size

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


def progress_text(status: Status) -> str:
    """Phase, n of m and a percentage (of the bytes when known, else of the items)."""
    phase = phase_text(status.phase)
    if status.bytes_total:
        done, total = amounts(status.bytes_done, status.bytes_total, sizes=True)
        share = percent(status.bytes_done, status.bytes_total)
    elif status.items_total:
        done, total = amounts(status.items_done, status.items_total, sizes=False)
        share = percent(status.items_done, status.items_total)
    else:
        text = phase
        if status.items_done:
            text = tr("{phase} {done}", phase=phase, done=format_number(status.items_done))
        if status.bytes_done:
            text = tr("{progress} · {size}", progress=text, size=format_size(status.bytes_done))
        return text
    return tr(
        "{phase} {done} of {total} · {percent}", phase=phase, done=done, total=total, percent=share
    )


def widest_progress() -> str:
    """The longest progress text the footer may show: its width keeps the label still."""
    samples = [
        tr(
            "{phase} {done} of {total} · {percent}",
            phase=phase_text(phase),
            done=format_number(888.8, 1),
            total=format_size(888.8 * 1024**2),
            percent=percent(100, 100),
        )
        for phase in Phase
    ]
    return max(samples, key=len)


def problem_text(status: Status) -> str:
    parts = []
    if status.state is SyncState.OFFLINE:
        parts.append(tr("Offline since {when}", when=when(status.offline_since)))
    elif status.state is SyncState.SIGNED_OUT:
        parts.append(tr("Signed out: please sign in again"))
    elif status.state is SyncState.ERROR:
        reason = (status.message or "").split(": ", 1)[0] or "?"
        parts.append(tr("Error: {reason}", reason=reason))
    if status.conflicts:
        parts.append(ntr("{n} conflict", "{n} conflicts", status.conflicts))
    return " · ".join(parts)


def needs_sign_in(status: Status) -> bool:
    return status.state in (SyncState.SIGNED_OUT, SyncState.NOT_SIGNED_IN)


def conflicts_text(count: int) -> str:
    return ntr(
        "{n} edit is in conflict. «Resolve conflicts…» shows both sides.",
        "{n} edits are in conflict. «Resolve conflicts…» shows both sides.",
        count,
    )


def last_update_text(status: Status) -> str:
    return tr("Last update: {when}", when=when(status.last_update))


def details_text(status: Status) -> str:
    lines = [problem_text(status)]
    if status.message:
        lines.append(status.message)
    if status.conflicts:
        lines.append(conflicts_text(status.conflicts))
    lines.append(last_update_text(status))
    lines.append(tr("Log: {path}", path=status.log_path or "—"))
    return "\n\n".join(line for line in lines if line)


class Footer(QWidget):
    sync_requested = Signal()
    sign_in_requested = Signal()
    conflicts_requested = Signal()
    rendered = Signal()  # after each render: lets tests see every state shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.details_close: QPushButton | None = None
        # A Ctrl+click may be the first half of Ctrl+double-click: wait before the pop-up.
        self._pending_click = QTimer(self, singleShot=True)
        self._pending_click.timeout.connect(self.show_menu)
        self.label.clicked.connect(self._clicked)
        self.label.double_clicked.connect(self._double_clicked)
        self.problem.clicked.connect(lambda _modifiers: self.show_details())
        self.retranslate()

    def retranslate(self) -> None:
        # Wide enough for the longest progress of this language: the label never jumps.
        metrics = self.progress.fontMetrics()
        self.progress.setMinimumWidth(metrics.horizontalAdvance(widest_progress()) + 8)
        self.show_status(self.status)

    def show_status(self, status: Status) -> None:
        self.status = status
        self.label.setText(last_update_text(status))
        self.label.setToolTip(
            tr("Click: offer to synchronise · Ctrl + double-click: synchronise now")
        )
        self.sync_action.setText(tr("Synchronise"))
        self.sign_in_action.setText(tr("Sign in…"))
        self.conflicts_action.setText(tr("Resolve conflicts…"))
        syncing = status.state is SyncState.SYNCING
        self.progress.setText(progress_text(status) if syncing else "")
        self.progress.setVisible(syncing)
        problem = "" if syncing else problem_text(status)
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
            self.details_close = self.details.addButton(QMessageBox.StandardButton.Close)
            role = QMessageBox.ButtonRole.AcceptRole
            self.details_sign_in = self.details.addButton("", role)
            self.details_sign_in.clicked.connect(self.sign_in_requested.emit)
            self.details_conflicts = self.details.addButton("", role)
            self.details_conflicts.clicked.connect(self.conflicts_requested.emit)
        assert self.details_sign_in is not None and self.details_conflicts is not None
        assert self.details_close is not None
        self.details.setWindowTitle(tr("Synchronisation"))
        self.details.setText(details_text(self.status))
        self.details_close.setText(tr("Close"))
        self.details_sign_in.setText(tr("Sign in…"))
        self.details_sign_in.setVisible(needs_sign_in(self.status))
        self.details_conflicts.setText(tr("Resolve conflicts…"))
        self.details_conflicts.setVisible(self.status.conflicts > 0)
        self.details.open()
