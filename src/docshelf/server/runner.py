"""Opening the database and running the HTTP server."""

from __future__ import annotations

import logging

import uvicorn

from docshelf import logs
from docshelf.server.app import create_app
from docshelf.server.config import ServerSettings
from docshelf.server.db.connect import open_database, redact
from docshelf.server.state import ServerState

log = logging.getLogger("docshelf.server")


def prepare(settings: ServerSettings) -> ServerState:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logs.setup(settings.log_path, background=True)
    db = open_database(settings.resolved_database_url())
    return ServerState.build(settings, db=db)


def serve(state: ServerState) -> None:
    settings = state.settings
    log.info(
        "server starting",
        extra={
            "event": "start",
            "host": settings.host,
            "port": settings.port,
            "database": state.db.dialect,
            "log": str(settings.log_path),
        },
    )
    app = create_app(settings, state)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    log.info("server stopped", extra={"event": "stop"})


def describe(state: ServerState) -> str:
    settings = state.settings
    url = settings.resolved_database_url()
    where = url if state.db.dialect == "sqlite" else redact(url)
    return (
        f"docshelf server on http://{settings.host}:{settings.port}\n"
        f"  database: {where}\n"
        f"  files:    {settings.resolved_blob_dir()}\n"
        f"  log:      {settings.log_path}"
    )
