"""First start: sign in, then the first sync with visible progress.

Both dialogs are non-blocking: signing in runs on the task thread, the first sync on the
sync thread; the dialogs only render what comes back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from docshelf.client import Status, SyncState
from docshelf.desktop.footer import PROBLEM_COLOR, progress_text
from docshelf.i18n import ntr, tr
from docshelf.i18n.formats import format_number

# (server, login, password) → runs the sign-in off the GUI thread and reports back:
# done(None) on success, done(error message) on failure.
SignIn = Callable[[str, str, str, Callable[[str | None], None]], None]


class LoginDialog(QDialog):
    signed_in = Signal()

    def __init__(self, sign_in: SignIn, server: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Sign in to docshelf"))
        self._sign_in = sign_in
        self.server = QLineEdit(server)
        self.server.setPlaceholderText("https://docshelf.example.com")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # What is going on ("Signing in…", normal colour) or what went wrong (red).
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel = self.buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("User"), self.user)
        form.addRow(tr("Password"), self.password)
        form.addRow(self.error)
        form.addRow(self.buttons)
        fit_title(self)

    def submit(self) -> None:
        self.ok.setEnabled(False)
        self.error.setStyleSheet("")
        self.error.setText(tr("Signing in…"))
        self._sign_in(
            self.server.text().strip(), self.user.text().strip(), self.password.text(), self._done
        )

    def _done(self, error: str | None) -> None:
        self.ok.setEnabled(True)
        if error is None:
            self.error.clear()
            self.password.clear()
            self.signed_in.emit()
            self.accept()
        else:
            self.error.setStyleSheet(f"color: {PROBLEM_COLOR};")
            self.error.setText(error)


class FirstSyncDialog(QDialog):
    """Progress of the first sync: phase, items n of m, bytes; on failure the reason."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("First synchronisation"))
        self.intro = QLabel(
            tr("docshelf fetches everything you may see. After that it works offline too.")
        )
        self.intro.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.detail = QLabel()
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.error.setWordWrap(True)
        self.again = QPushButton(tr("Try again"))
        self.again.clicked.connect(self._retry)
        self.again.hide()
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.bar, self.detail, self.error, self.again):
            layout.addWidget(widget)
        self.setMinimumWidth(420)
        fit_title(self)

    def show_status(self, status: Status) -> None:
        if status.state is SyncState.SYNCING:
            self.error.clear()
            self.again.hide()
            total = status.items_total or 0
            self.bar.setRange(0, total)
            self.bar.setValue(min(status.items_done, total))
            line = progress_text(status)
            if total:
                done = format_number(status.items_done)
                line += " — " + ntr("{done} of {n} item", "{done} of {n} items", total, done=done)
            self.detail.setText(line)

    def failed(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.error.setText(message)
        self.again.show()

    def _retry(self) -> None:
        self.again.hide()
        self.error.clear()
        self.bar.setRange(0, 0)
        self.retry.emit()


def fit_title(dialog: QDialog) -> None:
    """Wide enough that the title bar shows the whole title (window managers cut it,
    with the buttons and the icon beside it, where a dialog is narrow)."""
    title = QFontMetrics(dialog.font()).horizontalAdvance(dialog.windowTitle())
    # The title bar's font is often larger and bold, and its buttons take ~120 px.
    dialog.setMinimumWidth(max(dialog.minimumWidth(), int(title * 1.3) + 160))
