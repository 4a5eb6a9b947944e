"""The fast tier: route tests against the app in this process (see support/app.py).

The fixture ``live`` stands in for the integration tests' server process, so a test written
against ``live`` runs here unchanged; the modules of this folder take such tests from the
integration modules by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.app import AppServer, app_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app on SQLite, shared by the tests of one module, with ``root`` signed in."""
    with app_server(tmp_path_factory.mktemp("app")) as server:
        yield server
