"""The main window: the tabs Templates (Vorlagen), Organisation and docshelf, and the
footer below the first two."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QTabWidget, QVBoxLayout, QWidget

from docshelf.client import Status
from docshelf.desktop.about_tab import AboutTab
from docshelf.desktop.footer import Footer
from docshelf.desktop.library import Library
from docshelf.desktop.organisation_tab import Actions, OrganisationTab
from docshelf.desktop.templates_tab import TemplatesTab
from docshelf.i18n import tr

TEMPLATES, ORGANISATION, DOCSHELF = range(3)


class MainWindow(QMainWindow):
    closed_to_tray = Signal()

    def __init__(self, actions: Actions, *, keep_in_tray: bool) -> None:
        super().__init__()
        self.keep_in_tray = keep_in_tray
        self.tabs = QTabWidget()
        self.templates = TemplatesTab(actions)
        self.organisation = OrganisationTab(actions)
        self.about = AboutTab()
        for tab in (self.templates, self.organisation, self.about):
            self.tabs.addTab(tab, "")
        self.footer = Footer()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.footer)
        self.setCentralWidget(central)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.resize(1000, 680)
        self.retranslate()

    def retranslate(self) -> None:
        """Every text again, in the language now in force."""
        self.setWindowTitle("docshelf")
        self.tabs.setTabText(TEMPLATES, tr("Templates"))
        self.tabs.setTabText(ORGANISATION, tr("Organisation"))
        self.tabs.setTabText(DOCSHELF, "docshelf")
        self.footer.retranslate()
        self.templates.retranslate()
        self.organisation.retranslate()
        self.about.retranslate()

    def render_status(self, status: Status) -> None:
        self.footer.show_status(status)
        self.about.show_state(self.about.library, status)

    def render_library(self, library: Library) -> None:
        self.templates.show_library(library)
        self.organisation.show_library(library)
        self.about.show_state(library, self.footer.status)

    def show_queued(self, message: str) -> None:
        """What the last edit queued, on whichever tab it was made."""
        self.organisation.pending.setText(message)
        self.templates.message.setText(message)

    def _tab_changed(self, index: int) -> None:
        # As in the product: the footer belongs to Templates and Organisation only.
        self.footer.setVisible(index != DOCSHELF)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_in_tray:
            # Closing hides: the app keeps syncing in the tray until "Beenden".
            event.ignore()
            self.hide()
            self.closed_to_tray.emit()
        else:
            event.accept()
