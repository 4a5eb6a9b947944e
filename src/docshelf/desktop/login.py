"""First start: sign in, then the first sync with visible progress.

Both dialogs are non-blocking: signing in runs on the task thread, the first sync on the
sync thread; the dialogs only render what comes back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
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

from docshelf.client.status import Status, SyncState
from docshelf.desktop.footer import PROBLEM_COLOR, progress_text
from docshelf.desktop.i18n import Texts

# (server, login, password) → runs the sign-in off the GUI thread and reports back:
# done(None) on success, done(error message) on failure.
SignIn = Callable[[str, str, str, Callable[[str | None], None]], None]


class LoginDialog(QDialog):
    signed_in = Signal()

    def __init__(
        self, texts: Texts, sign_in: SignIn, server: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(texts("login.title"))
        self._sign_in = sign_in
        self.texts = texts
        self.server = QLineEdit(server)
        self.server.setPlaceholderText("https://docshelf.example.com")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(texts("login.ok"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(texts("login.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(texts("login.server"), self.server)
        form.addRow(texts("login.user"), self.user)
        form.addRow(texts("login.password"), self.password)
        form.addRow(self.error)
        form.addRow(self.buttons)

    def submit(self) -> None:
        self.ok.setEnabled(False)
        self.error.setText(self.texts("login.busy"))
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
            self.error.setText(error)


class FirstSyncDialog(QDialog):
    """Progress of the first sync: phase, items n of m, bytes; on failure the reason."""

    retry = Signal()

    def __init__(self, texts: Texts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.setWindowTitle(texts("first.title"))
        self.intro = QLabel(texts("first.intro"))
        self.intro.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.detail = QLabel()
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.error.setWordWrap(True)
        self.again = QPushButton(texts("first.retry"))
        self.again.clicked.connect(self._retry)
        self.again.hide()
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.bar, self.detail, self.error, self.again):
            layout.addWidget(widget)
        self.setMinimumWidth(420)

    def show_status(self, status: Status) -> None:
        if status.state is SyncState.SYNCING:
            self.error.clear()
            self.again.hide()
            total = status.items_total or 0
            self.bar.setRange(0, total)
            self.bar.setValue(min(status.items_done, total))
            line = progress_text(status, self.texts)
            if total:
                line += " — " + self.texts("first.items", done=status.items_done, total=total)
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
