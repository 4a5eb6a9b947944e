"""Opening the database and running the HTTP server."""

from __future__ import annotations

import logging
import sys
from types import FrameType

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
    raise_open_files_limit()
    app = create_app(settings, state)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    _Server(config, state).run()
    log.info("server stopped", extra={"event": "stop"})


class _Server(uvicorn.Server):
    """Ends the held hint streams (``bye`` reason shutdown) as soon as the server is asked
    to stop: uvicorn waits for open connections before the app's shutdown runs."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self._state = state

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._state.hints.close_all_threadsafe("shutdown")
        super().handle_exit(sig, frame)


def raise_open_files_limit() -> None:
    """Raise the soft limit of open files to the hard limit: every held hint stream is a
    socket, and the usual soft limit (1024) would refuse connections long before the
    stream cap."""
    if sys.platform == "win32":
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft >= hard:
        return
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.warning(
            "could not raise the open-files limit",
            extra={"event": "open_files_limit", "soft": soft, "hard": hard, "error": str(exc)},
        )
        return
    log.info(
        "open-files limit raised",
        extra={"event": "open_files_limit", "soft": target, "previous": soft},
    )


def describe(state: ServerState) -> str:
    settings = state.settings
    url = settings.resolved_database_url()
    where = url if state.db.dialect == "sqlite" else redact(url)
    return (
        f"docshelf server on http://{settings.host}:{settings.port}\n"
        f"  database: {where}\n"
        f"  files:    {state.blobs.describe()}\n"
        f"  log:      {settings.log_path}"
    )
