"""Opening a database for the server or the admin CLI: connect and migrate."""

from __future__ import annotations

import importlib.util

from docshelf.domain.errors import ConfigurationError
from docshelf.i18n import tr
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade


def open_database(url: str) -> Database:
    """Connect and bring the schema up to date (safe while other servers run)."""
    if url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise ConfigurationError(
            tr(
                "The PostgreSQL driver is not installed; install docshelf with the "
                "'postgres' extra (pip install 'docshelf[postgres]').",
            )
        )
    db = Database(url)
    try:
        upgrade(db)
    except Exception as exc:
        db.dispose()
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            tr(
                "Cannot open the database {url}: {error}: {reason}",
                url=redact(url),
                error=type(exc).__name__,
                reason=exc,
            ).strip()[:600]
        ) from exc
    return db


def redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
