"""Desktop tests: real Qt widgets on the offscreen platform, real server processes."""

from __future__ import annotations

import os

# Before Qt is imported anywhere: no display needed, and the same everywhere.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator
from pathlib import Path

import pytest
from desktop_support import Apps
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="module")
def backend_url() -> Iterator[str | None]:
    """SQLite only: the window talks to the client, which the sync tests cover on both."""
    yield None


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    app = QApplication.instance() or QApplication(["docshelf-tests"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    return app


@pytest.fixture
def apps(qapp: QApplication, tmp_path: Path) -> Iterator[Apps]:
    made = Apps(tmp_path / "Documents")
    try:
        yield made
    finally:
        made.close()
