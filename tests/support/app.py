"""The server's app in the test's own process, for the fast tier of route tests.

The app comes from the same factory a server process uses (``create_app``), on SQLite in a
temporary data dir, and is reached through Starlette's in-process transport: the requests
run through every middleware and route as over the network, without a process to start.
What needs a real process (restarts, kills, logs, admission under concurrent downloads,
PostgreSQL) stays with the integration tests.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from docshelf.domain.accounts import system_actor
from docshelf.domain.patches import UserPatch
from docshelf.server.app import create_app
from docshelf.server.config import ServerSettings
from docshelf.server.db.connect import open_database
from docshelf.server.services import accounts
from docshelf.server.state import ServerState
from support.api import FAST_HASHING, PASSWORD, ApiServer, Connect, login

with warnings.catch_warnings():
    # Starlette would rather have another HTTP library; httpx is the one clients use.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

URL = "http://testserver"


class AppServer(ApiServer):
    """The app in this process with a signed-in system administrator (``root``)."""

    def __init__(self, settings: ServerSettings, state: ServerState, connect: Connect) -> None:
        self.settings = settings
        self.state = state
        admin = login(URL, "root", connect=connect)
        super().__init__(URL, settings.data_dir, None, admin, connect)


@contextmanager
def app_server(data_dir: Path, **overrides: Any) -> Iterator[AppServer]:
    """Build the app on SQLite in ``data_dir`` (``overrides`` go to ServerSettings) with the
    administrator created as the admin CLI does it, and run its lifespan meanwhile."""
    hashing = {key.removeprefix("DOCSHELF_").lower(): int(v) for key, v in FAST_HASHING.items()}
    settings = ServerSettings(data_dir=data_dir, **{**hashing, **overrides})
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.resolved_database_url())
    state = ServerState.build(settings, db=db)
    with db.change("admin-cli") as change:
        accounts.create_user(
            change,
            system_actor(),
            UserPatch(login="root", roles=("sys",)),
            password_hash=state.passwords.hash(PASSWORD),
        )
    app = create_app(settings, state)
    # As a server process would: errors become answers, redirects are the client's business.
    with TestClient(app, raise_server_exceptions=False) as running:

        def connect(base_url: str, headers: dict[str, str]) -> httpx.Client:
            client = TestClient(
                app,
                base_url=base_url,
                headers=headers,
                raise_server_exceptions=False,
                follow_redirects=False,
            )
            # Every client on the event loop the app's lifespan runs in, as in a server.
            client.portal = running.portal
            return client

        server = AppServer(settings, state, connect)
        try:
            yield server
        finally:
            server.close()
