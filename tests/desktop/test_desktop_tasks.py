"""The task thread after the app shut down: late work is dropped, not an error."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from docshelf.desktop.worker import Tasks


def test_work_handed_in_after_shutdown_is_dropped(qapp: QApplication) -> None:
    tasks = Tasks()
    done: list[int] = []
    tasks.run(lambda: 1, done.append)
    tasks.shutdown()
    qapp.processEvents()
    assert done == [1]
    # A scheduled or hinted sync that ends after the app shut down reloads the window.
    tasks.run(lambda: 2, done.append)
    qapp.processEvents()
    assert done == [1] and tasks.pending == 0
