"""The desktop app's wiring: client, sync thread, task thread, window, tray, single instance.

Everything that waits (sign-in, sync, cache reads, edits, file copies) runs on the sync
or task thread; this object only connects their results to the widgets on the GUI
thread. It holds no sync logic: syncs are the client's, the schedule is the daemon's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, QObject, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from docshelf.client.app import Client
from docshelf.client.engine import SyncResult
from docshelf.client.status import Status, SyncState
from docshelf.desktop import prefs
from docshelf.desktop.documents import create_document
from docshelf.desktop.i18n import Texts, language_for_locale
from docshelf.desktop.instance import Instance
from docshelf.desktop.library import Library, load
from docshelf.desktop.login import FirstSyncDialog, LoginDialog
from docshelf.desktop.organisation_tab import Change
from docshelf.desktop.tray import Tray
from docshelf.desktop.window import MainWindow
from docshelf.desktop.worker import StatusBridge, SyncRunner, Tasks
from docshelf.domain.errors import DocshelfError

log = logging.getLogger("docshelf.desktop")


def _default_documents() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location or Path.home())


def _open_with_system(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def describe(error: Exception) -> str:
    if isinstance(error, DocshelfError):
        return f"{error.title}: {error.message}"
    return f"{type(error).__name__}: {error}"


class DesktopApp(QObject):
    sync_finished = Signal(object)  # SyncResult of a manual sync, None after a scheduled one
    library_loaded = Signal()

    def __init__(
        self,
        client: Client,
        *,
        language: str | None = None,
        scheduled: bool = True,
        tray: bool | None = None,
        documents: Path | None = None,
        opener: Callable[[Path], None] = _open_with_system,
        instance: Instance | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        chosen = language or prefs.load_language(client.home)
        self.texts = Texts(chosen or language_for_locale(QLocale.system().name()))
        self.documents = documents or _default_documents()
        self.opener = opener
        self.instance = instance
        self.library = Library()
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.first_sync: FirstSyncDialog | None = None
        self.login_dialog: LoginDialog | None = None
        self.created: list[Path] = []
        self._handover_waiting = False
        self._stopped = False
        self.tasks = Tasks(on_error=self.show_error)
        self.bridge = StatusBridge(client)
        self.runner = SyncRunner(client, scheduled=scheduled, on_finished=self.sync_finished.emit)
        in_tray = QSystemTrayIcon.isSystemTrayAvailable() if tray is None else tray
        self.tray = Tray(self.texts, show=in_tray)
        self.window = MainWindow(self.texts, self, keep_in_tray=in_tray)
        self._connect()
        self._render_status(self.bridge.status)

    def _connect(self) -> None:
        self.bridge.changed.connect(self._render_status)
        self.sync_finished.connect(self._sync_finished)
        self.window.footer.sync_requested.connect(self.sync_now)
        self.window.templates.create_requested.connect(self.create_document)
        self.window.about.language_changed.connect(self.set_language)
        self.tray.sync_requested.connect(self.sync_now)
        self.tray.open_requested.connect(self.window.bring_to_front)
        self.tray.quit_requested.connect(self.quit)
        if self.instance is not None:
            self.instance.activate_requested.connect(self.window.bring_to_front)
            self.instance.sync_requested.connect(self._handover_sync)

    # --- start and stop ------------------------------------------------------------------

    def start(self) -> None:
        if self.client.config is None:
            self._ask_login()
        elif not self.client.has_cache():
            self._first_sync()
        else:
            # A filled cache is usable at once, whether the server answers or not.
            self._open_window()

    def _open_window(self) -> None:
        self.window.bring_to_front()
        self.reload()
        self.runner.start()

    def _ask_login(self) -> None:
        config = self.client.config
        self.login_dialog = LoginDialog(
            self.texts, self._sign_in, config.server_url if config else ""
        )
        self.login_dialog.signed_in.connect(self._first_sync)
        self.login_dialog.rejected.connect(self.quit)
        self.login_dialog.open()

    def _sign_in(
        self, server: str, user: str, password: str, done: Callable[[str | None], None]
    ) -> None:
        self.tasks.run(
            lambda: self.client.login(server, user, password),
            on_done=lambda _config: done(None),
            on_error=lambda error: done(describe(error)),
        )

    def _first_sync(self) -> None:
        self.first_sync = FirstSyncDialog(self.texts)
        self.first_sync.retry.connect(self.runner.request_sync)
        self.first_sync.rejected.connect(self.quit)
        self.first_sync.open()
        self.runner.request_sync()
        self.runner.start()

    def quit(self) -> None:
        self.shutdown()
        QApplication.quit()

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.runner.stop()
        self.tasks.shutdown()
        self.bridge.close()
        self.tray.hide()
        if self.instance is not None:
            self.instance.release()
        self.window.keep_in_tray = False
        self.window.close()

    # --- status and syncs ----------------------------------------------------------------

    def status(self) -> Status:
        return self.bridge.status

    def sync_now(self) -> None:
        """A manual sync: at once, schedule untouched (the runner tells the scheduler nothing)."""
        self.runner.request_sync()
        self.runner.start()

    def _render_status(self, status: Status) -> None:
        self.window.render_status(status)
        self.tray.show_status(status)
        if self.first_sync is not None:
            self.first_sync.show_status(status)
        if self.instance is not None and status.state is SyncState.SYNCING:
            self.instance.report(status, done=False)

    def _sync_finished(self, result: SyncResult | None) -> None:
        if self.first_sync is not None and result is not None:
            if result.status == "ok":
                self.first_sync.accept()
                self.first_sync = None
                self._open_window()
            else:
                self.first_sync.failed(result.error or "")
        elif self.first_sync is None:
            self.reload()
        if result is not None and self.instance is not None and self._handover_waiting:
            self._handover_waiting = False
            self.instance.report(self.bridge.status, done=True, result=result.to_json())

    def _handover_sync(self) -> None:
        self._handover_waiting = True
        self.sync_now()

    # --- the local copy ------------------------------------------------------------------

    def reload(self) -> None:
        language = self.texts.language
        self.tasks.run(lambda: load(self.client, language), on_done=self._loaded)

    def _loaded(self, library: Library) -> None:
        self.library = library
        self.window.render_library(library)
        self.library_loaded.emit()

    def edit(self, change: Change) -> None:
        """Queue an edit in the outbox (task thread), then show the copy with it laid over."""
        self.tasks.run(lambda: change(self.client.editor()), on_done=self._edited)

    def _edited(self, queued: object) -> None:
        self.window.organisation.pending.setText(getattr(queued, "message", ""))
        self.reload()

    def read_text(self, sha: str, done: Callable[[str], None]) -> None:
        self.tasks.run(
            lambda: self.client.files.path(sha).read_text(encoding="utf-8"), on_done=done
        )

    def create_document(self, template_id: str, lang: str) -> None:
        folder, ui = self.documents, self.texts.language
        store, files = self.client.store, self.client.files
        self.tasks.run(
            lambda: create_document(store, files, template_id, lang, folder, ui),
            on_done=self._created,
        )

    def _created(self, path: Path) -> None:
        self.created.append(path)
        self.opener(path)

    def set_language(self, language: str) -> None:
        self.texts = Texts(language)
        home = self.client.home
        self.tasks.run(lambda: prefs.save_language(home, language))
        self.window.set_texts(self.texts)
        self.tray.set_texts(self.texts)
        self.reload()

    def show_error(self, error: Exception) -> None:
        self.last_error = describe(error)
        log.warning("action failed", extra={"event": "desktop_error", "error": self.last_error})
        if self.error_box is None:
            self.error_box = QMessageBox(self.window)
            self.error_box.setIcon(QMessageBox.Icon.Warning)
        self.error_box.setWindowTitle(self.texts("error.title"))
        self.error_box.setText(self.last_error)
        self.error_box.open()
