"""Liveness and readiness probes for load balancers and orchestration.

``/healthz`` only says the process answers (restart it if not); ``/readyz`` says it can
serve: the database is reachable and on this code's schema, and the blob store is usable.
A load balancer sends requests only to ready processes.
"""

from __future__ import annotations

from fastapi import APIRouter

from docshelf.domain.errors import ServiceUnavailable
from docshelf.i18n import tr
from docshelf.server.api.deps import State
from docshelf.server.db.migrate import Schema, schema_state, too_new_message

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz")
def readyz(state: State) -> dict[str, str]:
    """The database is reachable and on the newest schema, and the files are reachable."""
    try:
        state.db.ping()
        schema = schema_state(state.db)
    except Exception as exc:
        raise ServiceUnavailable(
            tr("The database is not reachable: {error}.", error=type(exc).__name__),
            retry_after=5,
        ) from exc
    if schema is Schema.NEWER:
        raise ServiceUnavailable(too_new_message(state.db), retry_after=30)
    if schema is Schema.OLDER:
        raise ServiceUnavailable(tr("The database schema is being upgraded."), retry_after=5)
    state.blobs.check_ready()  # BlobStoreUnavailable (503) when the files are out of reach
    return {"status": "ready", "database": state.db.dialect}
