"""Opening the database and running the HTTP server."""

from __future__ import annotations

import importlib.util
import logging

import uvicorn

from docshelf import logs
from docshelf.domain.errors import ConfigurationError
from docshelf.server.app import create_app
from docshelf.server.config import ServerSettings
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.state import ServerState

log = logging.getLogger("docshelf.server")


def open_database(url: str) -> Database:
    """Connect and bring the schema up to date (safe while other servers run)."""
    if url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise ConfigurationError(
            "The PostgreSQL driver is not installed; install docshelf with the 'postgres' extra"
            " (pip install 'docshelf[postgres]')."
        )
    db = Database(url)
    try:
        upgrade(db)
    except Exception as exc:
        db.dispose()
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            f"Cannot open the database {_redact(url)}: {type(exc).__name__}: {exc}".strip()[:600]
        ) from exc
    return db


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def prepare(settings: ServerSettings) -> ServerState:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logs.setup(settings.log_path)
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
    where = url if state.db.dialect == "sqlite" else _redact(url)
    return (
        f"docshelf server on http://{settings.host}:{settings.port}\n"
        f"  database: {where}\n"
        f"  files:    {settings.resolved_blob_dir()}\n"
        f"  log:      {settings.log_path}"
    )
