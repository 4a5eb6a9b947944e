"""The docshelf tab: account and server (sign out, or sign in when signed out), the sync
settings in force, the UI language, the log file, version and help. No footer here, as
users know it from the product."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import docshelf
from docshelf.client import Status
from docshelf.desktop.language import when
from docshelf.desktop.library import Library
from docshelf.desktop.prompts import Prompts
from docshelf.i18n import LANGUAGES, current_language, ntr, tr
from docshelf.i18n.formats import format_number


class AboutTab(QWidget):
    language_changed = Signal(str)
    sign_out_requested = Signal()
    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = Library()
        self.status = Status()
        self.account = QGroupBox()
        self.user = QLabel()
        self.server = QLabel()
        self.prompts = Prompts(self)
        self.account_button = QPushButton()
        self.account_button.clicked.connect(self._account_clicked)
        self.sync = QGroupBox()
        self.interval = QLabel()
        self.delay = QLabel()
        self.next = QLabel()
        self.language_box = QGroupBox()
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.log = QLabel()
        self.version = QLabel()
        self.help = QLabel()
        self.help.setWordWrap(True)
        for label in (self.server, self.log):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        for box, labels in (
            (self.account, (self.user, self.server)),
            (self.sync, (self.interval, self.delay, self.next)),
        ):
            box_layout = QVBoxLayout(box)
            for label in labels:
                box_layout.addWidget(label)
            layout.addWidget(box)
        row = QHBoxLayout()
        row.addWidget(self.account_button)
        row.addStretch(1)
        account_layout = self.account.layout()
        assert isinstance(account_layout, QVBoxLayout)
        account_layout.addLayout(row)
        form = QFormLayout(self.language_box)
        form.addRow(self.language)
        layout.addWidget(self.language_box)
        for label in (self.log, self.version, self.help):
            layout.addWidget(label)
        layout.addStretch(1)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.retranslate()

    def retranslate(self) -> None:
        self.account.setTitle(tr("Account"))
        self.sync.setTitle(tr("Synchronisation"))
        self.language_box.setTitle(tr("Language of the interface"))
        self.language.blockSignals(True)
        self.language.setCurrentIndex(self.language.findData(current_language()))
        self.language.blockSignals(False)
        self.version.setText(tr("Version {version}", version=docshelf.__version__))
        self.help.setText(
            tr(
                "Help: docshelf synchronises by itself. To synchronise now: click «Last update»"
                " at the bottom right and choose «Synchronise», Ctrl + double-click it, or use"
                " the menu of the icon in the notification area."
            )
        )
        self.show_state(self.library, self.status)

    def show_state(self, library: Library, status: Status) -> None:
        self.library, self.status = library, status
        self.user.setText(tr("User: {user}", user=library.login or "—"))
        self.server.setText(tr("Server: {server}", server=library.server or "—"))
        self.interval.setText(
            tr(
                "Interval (ClientSyncInterval): {minutes} min",
                minutes=_minutes(library.interval_ms),
            )
        )
        self.delay.setText(
            tr(
                "Delay after start (ClientSyncMaxDelayAfterStart): up to {minutes} min",
                minutes=_minutes(library.max_delay_ms),
            )
        )
        self.next.setText(tr("Next sync: {when}", when=when(status.next_sync)))
        self.log.setText(tr("Log file: {path}", path=library.log_file or status.log_path or "—"))
        self.account_button.setText(tr("Sign out") if library.signed_in else tr("Sign in…"))

    def _account_clicked(self) -> None:
        library = self.library
        if not library.signed_in:
            self.sign_in_requested.emit()
            return
        user = library.login or "?"
        question = tr(
            "Sign {user} out? This device loses its access until you sign in again.", user=user
        )
        if library.pending_uploads:
            question += "\n\n" + ntr(
                "{n} edit is not uploaded yet. It stays here and goes up once {user} signs in"
                " again; other users can sign in only after that.",
                "{n} edits are not uploaded yet. They stay here and go up once {user} signs in"
                " again; other users can sign in only after that.",
                library.pending_uploads,
                user=user,
            )
        if self.prompts.confirm(tr("Sign out"), question):
            self.sign_out_requested.emit()

    def _language_chosen(self, index: int) -> None:
        self.language_changed.emit(str(self.language.itemData(index)))


def _minutes(ms: int) -> str:
    return format_number(round(ms / 60000, 2))
