"""Liveness and readiness probes for load balancers and orchestration."""

from __future__ import annotations

from fastapi import APIRouter

from docshelf.domain.errors import ServiceUnavailable
from docshelf.i18n import tr
from docshelf.server.api.deps import State
from docshelf.server.db.migrate import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz")
def readyz(state: State) -> dict[str, str]:
    """The database is reachable and on the newest schema."""
    try:
        state.db.ping()
        current = is_current(state.db)
    except Exception as exc:
        raise ServiceUnavailable(
            tr("The database is not reachable: {error}.", error=type(exc).__name__), retry_after=5
        ) from exc
    if not current:
        raise ServiceUnavailable(tr("The database schema is being upgraded."), retry_after=5)
    return {"status": "ready", "database": state.db.dialect}
