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
from docshelf.client.status import Status
from docshelf.desktop.i18n import LANGUAGES, Texts
from docshelf.desktop.library import Library
from docshelf.desktop.prompts import Prompts


class AboutTab(QWidget):
    language_changed = Signal(str)
    sign_out_requested = Signal()
    sign_in_requested = Signal()

    def __init__(self, texts: Texts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.texts = texts
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
        self.set_texts(texts)

    def set_texts(self, texts: Texts) -> None:
        self.texts = texts
        self.account.setTitle(texts("about.account"))
        self.sync.setTitle(texts("about.sync"))
        self.language_box.setTitle(texts("about.language"))
        self.language.blockSignals(True)
        self.language.setCurrentIndex(self.language.findData(texts.language))
        self.language.blockSignals(False)
        self.version.setText(texts("about.version", version=docshelf.__version__))
        self.help.setText(texts("about.help"))
        self.show_state(self.library, self.status)

    def show_state(self, library: Library, status: Status) -> None:
        self.library, self.status = library, status
        texts = self.texts
        self.user.setText(texts("about.user", user=library.login or "—"))
        self.server.setText(texts("about.server", server=library.server or "—"))
        self.interval.setText(texts("about.interval", minutes=_minutes(library.interval_ms)))
        self.delay.setText(texts("about.delay", minutes=_minutes(library.max_delay_ms)))
        self.next.setText(texts("about.next", when=texts.when(status.next_sync)))
        self.log.setText(texts("about.log", path=library.log_file or status.log_path or "—"))
        key = "about.sign_out" if library.signed_in else "action.sign_in"
        self.account_button.setText(texts(key))

    def _account_clicked(self) -> None:
        library, texts = self.library, self.texts
        if not library.signed_in:
            self.sign_in_requested.emit()
            return
        question = texts("about.sign_out_confirm", user=library.login or "?")
        if library.pending_uploads:
            question += "\n\n" + texts(
                "about.sign_out_pending", n=library.pending_uploads, user=library.login or "?"
            )
        if self.prompts.confirm(texts("about.sign_out"), question):
            self.sign_out_requested.emit()

    def _language_chosen(self, index: int) -> None:
        self.language_changed.emit(str(self.language.itemData(index)))


def _minutes(ms: int) -> str:
    return f"{ms / 60000:g}"
