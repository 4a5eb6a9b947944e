"""Helpers of the desktop tests: waiting on conditions while Qt runs, and app set-up."""

from __future__ import annotations

import os

# Before any QApplication exists: no display needed, and the same everywhere.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from docshelf.client.app import Client
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.worker import close_client
from docshelf.i18n import DEFAULT_LANGUAGE, set_default_language


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Process Qt events until ``condition()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        QApplication.processEvents()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


def loaded(app: DesktopApp) -> None:
    """Reload the window from the local copy and wait until it shows it."""
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))
    app.reload()
    wait_until(lambda: loads and app.tasks.pending == 0, what="the local copy to load")


def after_edit(app: DesktopApp, action: Callable[[], Any]) -> None:
    """Run a GUI action that queues an edit and wait until the window shows it."""
    loads: list[bool] = []
    app.library_loaded.connect(lambda: loads.append(True))
    action()
    wait_until(lambda: loads and app.tasks.pending == 0, what="the edit to show")


class Apps:
    """Makes desktop apps for a test and shuts every one down at its end."""

    def __init__(self, documents: Path) -> None:
        self.documents = documents
        self.made: list[tuple[DesktopApp, Client]] = []
        self.opened: list[Path] = []

    def __call__(self, client: Client, **options: Any) -> DesktopApp:
        options.setdefault("language", "de")
        options.setdefault("scheduled", False)
        options.setdefault("tray", False)
        options.setdefault("documents", self.documents)
        options.setdefault("opener", self.opened.append)
        app = DesktopApp(client, **options)
        self.made.append((app, client))
        return app

    def close(self) -> None:
        for app, client in reversed(self.made):
            app.shutdown()
            QApplication.processEvents()
            app.window.deleteLater()
            close_client(client)
        QApplication.processEvents()
        set_default_language(DEFAULT_LANGUAGE)  # the apps set the process's language
