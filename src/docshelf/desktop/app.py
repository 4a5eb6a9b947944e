"""The desktop app's wiring: client, sync thread, task thread, window, tray, single instance.

Everything that waits (sign-in and out, sync, cache reads, edits, file copies) runs on
the sync or task thread; this object only connects their results to the widgets on the
GUI thread. It holds no sync logic: syncs are the client's, the schedule is the daemon's.
Signing in and out runs on the sync thread, between syncs, so that neither meets a sync
half-way.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from docshelf.client import (
    Client,
    MissingFile,
    NewDocument,
    Status,
    SyncResult,
    SyncState,
    soon_delay,
)
from docshelf.desktop import prefs
from docshelf.desktop.conflicts import ConflictsDialog
from docshelf.desktop.documents import open_snippet_copy
from docshelf.desktop.footer import needs_sign_in
from docshelf.desktop.instance import Instance
from docshelf.desktop.language import choose, speak
from docshelf.desktop.library import Library, load
from docshelf.desktop.login import FirstSyncDialog, LoginDialog
from docshelf.desktop.organisation_tab import Change
from docshelf.desktop.qt_words import QtWords
from docshelf.desktop.tray import Tray
from docshelf.desktop.wake import WakeWatch
from docshelf.desktop.window import MainWindow
from docshelf.desktop.worker import StatusBridge, SyncRunner, Tasks
from docshelf.domain.errors import DocshelfError
from docshelf.i18n import current_language, tr

log = logging.getLogger("docshelf.desktop")


def _default_documents() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location or Path.home())


def _open_with_system(path: Path) -> bool:
    """False when the system has no application for the file or could not start it."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


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
        opener: Callable[[Path], bool] = _open_with_system,
        instance: Instance | None = None,
        watch_network: bool = True,
    ) -> None:
        super().__init__()
        self.client = client
        # The user's choice, else the system's locale, else German; for the whole process,
        # so that the client's errors speak it too.
        speak(choose(language or prefs.load_language(client.home)))
        self.qt_words = QtWords()
        self.qt_words.install()
        self.documents = documents or _default_documents()
        self.opener = opener
        self.instance = instance
        self.library = Library()
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.first_sync: FirstSyncDialog | None = None
        self.login_dialog: LoginDialog | None = None
        self.conflicts_dialog: ConflictsDialog | None = None
        # Who was signed in last: the sign-in dialog after signing out offers their server.
        self._last_account: tuple[str, str] = ("", "")
        self.created: list[Path] = []
        self._handover_waiting = False
        self._stopped = False
        self.tasks = Tasks(on_error=self.show_error)
        self.bridge = StatusBridge(client)
        self.runner = SyncRunner(client, scheduled=scheduled, on_finished=self.sync_finished.emit)
        in_tray = QSystemTrayIcon.isSystemTrayAvailable() if tray is None else tray
        self.tray = Tray(show=in_tray)
        self.window = MainWindow(self, keep_in_tray=in_tray)
        self.wake = WakeWatch(network=watch_network)
        self._soon = QTimer(self, singleShot=True)
        self._soon.timeout.connect(self.sync_now)
        self._connect()
        self._render_status(self.bridge.status)

    def _connect(self) -> None:
        self.bridge.changed.connect(self._render_status)
        self.sync_finished.connect(self._sync_finished)
        self.window.footer.sync_requested.connect(self.sync_now)
        self.window.footer.sign_in_requested.connect(self.sign_in_again)
        self.window.footer.conflicts_requested.connect(self.show_conflicts)
        self.window.templates.create_requested.connect(self.create_document)
        self.window.templates.admin.distribute_requested.connect(self.sync_now)
        self.window.about.language_changed.connect(self.set_language)
        self.window.about.sign_out_requested.connect(self.sign_out)
        self.window.about.sign_in_requested.connect(self.sign_in_again)
        self.wake.sync_wanted.connect(self.sync_soon)
        self.tray.sync_requested.connect(self.sync_now)
        self.tray.sign_in_requested.connect(self.sign_in_again)
        self.tray.conflicts_requested.connect(self.show_conflicts)
        self.tray.open_requested.connect(self.window.bring_to_front)
        self.tray.quit_requested.connect(self.quit)
        if self.instance is not None:
            self.instance.activate_requested.connect(self.window.bring_to_front)
            self.instance.sync_requested.connect(self._handover_sync)

    # --- start and stop ------------------------------------------------------------------

    def start(self) -> None:
        self.wake.start()
        if self.client.config is None:
            self._ask_login(first=True)
        elif not self.client.has_cache():
            self._first_sync()
        else:
            # A filled cache is usable at once, whether the server answers or not.
            self._open_window()

    def _open_window(self) -> None:
        self.window.bring_to_front()
        self.reload()
        self.runner.start()

    def _ask_login(self, *, first: bool) -> None:
        if self.login_dialog is not None:
            if self.login_dialog.isVisible():
                self.login_dialog.raise_()
                return
            self.login_dialog.deleteLater()
        config = self.client.config
        server, login = (config.server_url, config.login) if config else self._last_account
        # At first start there is no window yet to belong to.
        parent = None if first else self.window
        self.login_dialog = LoginDialog(self._sign_in, server, parent)
        self.login_dialog.user.setText(login)
        if first:
            self.login_dialog.signed_in.connect(lambda: self._first_sync(request=False))
            self.login_dialog.rejected.connect(self.quit)
        else:
            self.login_dialog.signed_in.connect(self._signed_in_again)
        self.login_dialog.open()

    def _sign_in(
        self, server: str, user: str, password: str, done: Callable[[str | None], None]
    ) -> None:
        def work() -> object:
            config = self.client.login(server, user, password)
            # Asked on the sync thread itself: the sync is the very next thing it does,
            # before any scheduled one.
            self.runner.request_sync()
            return config

        # The client itself refuses another user while edits wait (UnsentEdits); the
        # dialog shows its message.
        job = self.tasks.job(
            work, on_done=lambda _config: done(None), on_error=lambda error: done(describe(error))
        )
        self.runner.run_between_syncs(job)

    def _first_sync(self, *, request: bool = True) -> None:
        self.first_sync = FirstSyncDialog()
        self.first_sync.retry.connect(self.runner.request_sync)
        self.first_sync.rejected.connect(self.quit)
        self.first_sync.open()
        if request:
            self.runner.request_sync()
        self.runner.start()

    def sign_in_again(self) -> None:
        """After the server signed this device out, or after signing out here."""
        self.window.bring_to_front()
        self._ask_login(first=False)

    def _signed_in_again(self) -> None:
        # The sign-in job asked for the sync already; show the account (or an empty
        # window for a new one) until it is done.
        self.reload()

    def sign_out(self) -> None:
        """Revoke this device's token (the client's logout) and show nothing of the user."""
        config = self.client.config
        if config is None:
            return
        self._last_account = (config.server_url, config.login)
        self._soon.stop()
        job = self.tasks.job(self.client.logout, on_done=lambda _none: self._signed_out())
        self.runner.run_between_syncs(job)

    def _signed_out(self) -> None:
        if self.conflicts_dialog is not None:
            self.conflicts_dialog.close()
        self.window.show_queued("")
        self._loaded(Library())  # at once, before the reload confirms it
        self.reload()
        self._ask_login(first=False)

    def quit(self) -> None:
        self.shutdown()
        # QApplication.quit() first asks every window to close, and the window only hides
        # into the tray, which would cancel the quit: exit() ends the event loop as asked.
        self.window.keep_in_tray = False
        QApplication.exit(0)

    def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.qt_words.remove()  # takes its translator off the application again
        self.wake.stop()
        self._soon.stop()
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

    def sync_soon(self, why: str = "") -> None:
        """After a wake or the network's return: a manual-style sync in a few seconds
        (network-up comes before DNS or a VPN is ready); several events make one sync."""
        if self.client.config is None or needs_sign_in(self.bridge.status):
            return
        if not self._soon.isActive():
            log.info("sync soon", extra={"event": "sync_soon", "why": why})
            self._soon.start(int(soon_delay(random.Random()) * 1000))

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
        language = current_language()
        self.tasks.run(lambda: load(self.client, language), on_done=self._loaded)

    def _loaded(self, library: Library) -> None:
        self.library = library
        self.window.render_library(library)
        if self.conflicts_dialog is not None:
            self._fill_conflicts(self.conflicts_dialog, library)
        self.library_loaded.emit()

    def edit(self, change: Change) -> None:
        """Queue an edit in the outbox (task thread), then show the copy with it laid over."""
        self.tasks.run(lambda: self._queue(change), on_done=self._edited, on_error=self._refused)

    def _queue(self, change: Change) -> object:
        queued = change(self.client.editor())
        conflicts = self.client.store.outbox.counts()["conflict"]
        if conflicts != self.client.board.status.conflicts:
            # A settled conflict leaves the footer and tray at once, not at the next sync.
            self.client.board.update(conflicts=conflicts, force_write=True)
        return queued

    def _edited(self, queued: object) -> None:
        self.window.show_queued(getattr(queued, "message", ""))
        self.reload()

    def _refused(self, error: Exception) -> None:
        self.show_error(error)
        self.reload()  # buttons disabled while it was on its way come back

    def refuse(self, message: str) -> None:
        """Say why the GUI itself will not queue something (before the editor would)."""
        self._show_message(message)

    def show_conflicts(self) -> None:
        if self.conflicts_dialog is None:
            self.conflicts_dialog = ConflictsDialog(self.window)
            self.conflicts_dialog.resolve_requested.connect(self.resolve)
        self._fill_conflicts(self.conflicts_dialog, self.library)
        self.conflicts_dialog.open()
        self.reload()

    @staticmethod
    def _fill_conflicts(dialog: ConflictsDialog, library: Library) -> None:
        dialog.field_labels = {f["key"]: f.get("labels") or {} for f in library.fields}
        dialog.show_conflicts(library.conflicts)

    def resolve(self, ident: str, keep: str) -> None:
        """Keep mine or take theirs: the editor's resolve, as `docshelf conflicts resolve`."""
        self.edit(lambda editor: editor.resolve(ident, keep))

    def read_text(self, sha: str, done: Callable[[str], None]) -> None:
        files, missing = self.client.files, _not_downloaded()

        def read() -> str:
            if not files.has(sha):
                raise MissingFile(missing)
            return files.path(sha).read_text(encoding="utf-8")

        self.tasks.run(read, on_done=done)

    def open_snippet(self, sha: str, title: str) -> None:
        """A Word snippet: a copy in the documents folder, opened like "Create document"."""
        files, folder, missing = self.client.files, self.documents, _not_downloaded()

        def copy() -> Path:
            if not files.has(sha):
                raise MissingFile(missing)
            return open_snippet_copy(files, sha, title, folder)

        self.tasks.run(copy, on_done=self._open_copy)

    def create_document(self, template_id: str, lang: str, profile_id: str = "") -> None:
        """Fill the template with the profile's data into the documents folder and open it;
        what could not be filled, or why nothing was made, shows in the Templates tab."""
        folder, ui, client = self.documents, current_language(), self.client
        tab = self.window.templates

        def make() -> NewDocument:
            return client.new_document(
                template_id, profile=profile_id or None, lang=lang, folder=folder, ui_lang=ui
            )

        def failed(error: Exception) -> None:
            tab.show_failure(describe(error))
            self.show_error(error)

        self.tasks.run(make, on_done=self._made, on_error=failed)

    def _made(self, made: NewDocument) -> None:
        self.window.templates.show_created(made)
        if not self._open(made.path):
            self.window.templates.show_failure(
                self.window.templates.message.text() + "\n" + _cannot_open(made.path)
            )

    def _open_copy(self, path: Path) -> None:
        self._open(path)

    def _open(self, path: Path) -> bool:
        """Open a new document with the system's application; say so when that fails."""
        self.created.append(path)
        try:
            opened = self.opener(path) is not False
        except OSError as error:
            log.warning("open failed", extra={"event": "open_failed", "error": str(error)})
            opened = False
        if not opened:
            self._show_message(_cannot_open(path))
        return opened

    def set_language(self, language: str) -> None:
        chosen = speak(language)
        home = self.client.home
        self.tasks.run(lambda: prefs.save_language(home, chosen))
        # Taken off and put back: Qt re-words what it showed (a language change event).
        self.qt_words.remove()
        self.qt_words.install()
        self.window.retranslate()
        self.tray.retranslate()
        if self.conflicts_dialog is not None:
            self.conflicts_dialog.retranslate()
        self.reload()

    def show_error(self, error: Exception) -> None:
        self._show_message(describe(error))

    def _show_message(self, message: str) -> None:
        self.last_error = message
        log.warning("action failed", extra={"event": "desktop_error", "error": self.last_error})
        if self.error_box is None:
            self.error_box = QMessageBox(self.window)
            self.error_box.setIcon(QMessageBox.Icon.Warning)
            self.error_box.addButton(QMessageBox.StandardButton.Ok)
        self.error_box.setWindowTitle("docshelf")
        self.error_box.setText(self.last_error)
        ok = self.error_box.button(QMessageBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(tr("OK"))
        self.error_box.open()


def _not_downloaded() -> str:
    return tr("The file of this snippet is not downloaded yet; synchronise, then try again.")


def _cannot_open(path: Path) -> str:
    return tr(
        "Could not open «{path}»: no application opens this kind of file, or it did not"
        " start. The file is there; open it from its folder.",
        path=str(path),
    )
