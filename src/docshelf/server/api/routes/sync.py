"""The sync endpoints clients poll (see docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.i18n import tr
from docshelf.protocol import client_error
from docshelf.protocol.cursor import Cursor
from docshelf.protocol.sync import (
    ChangesPage,
    ManifestEntry,
    ManifestPage,
    RecordsAnswer,
    RecordsRequest,
)
from docshelf.protocol.types import Id
from docshelf.server.api.deps import CurrentActor, State, Token
from docshelf.server.db.models import User
from docshelf.server.services.accounts import actor_of
from docshelf.server.services.common import get_or_404
from docshelf.server.sync import service
from docshelf.server.sync.manifest import read_manifest

router = APIRouter(tags=["sync"])

CursorParam = Annotated[
    str | None,
    Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+$", description="From the last answer."),
]
PageSize = Annotated[int, Query(ge=1, le=5000)]
ReportedError = Annotated[
    str | None,
    Header(
        alias=client_error.HEADER,
        max_length=1000,
        description="The client's last failed sync:"
        " `<ISO-8601 time> <URL-safe base64 of the UTF-8 text>`.",
    ),
]
ReportedErrorCode = Annotated[
    str | None,
    Header(
        alias=client_error.CODE_HEADER,
        max_length=40,
        description="The code of the client's last failed sync's error (`offline`, ...).",
    ),
]


@router.get("/sync/changes", operation_id="sync_changes", response_model=ChangesPage)
def sync_changes(
    token: Token,
    state: State,
    cursor: CursorParam = None,
    limit: PageSize = 500,
    reported_error: ReportedError = None,
    reported_error_code: ReportedErrorCode = None,
) -> Response:
    """Changes after ``cursor`` (everything the caller may see when omitted), one page."""
    # Every client polls here: authentication, the page and its JSON are one call, and the
    # model is not validated again by FastAPI. On SQLite the polls that find nothing new
    # are answered before routing (api/quick_poll.py).
    page = service.poll(
        state.db,
        token,
        cursor,
        limit,
        activity=state.activity,
        reported_error=reported_error,
        reported_error_code=reported_error_code,
    )
    assert page is not None  # only a poll asked for a quick answer may get none
    # Its changes are dicts in Change's shape (see service._changes): no warning for them.
    return Response(page.model_dump_json(warnings=False), media_type="application/json")


@router.get("/sync/manifest", operation_id="sync_manifest", response_model=ManifestPage)
def sync_manifest(
    actor: CurrentActor,
    state: State,
    cursor: Annotated[str, Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")],
    limit: PageSize = 1000,
) -> ManifestPage:
    """One page of what the caller may see, as (kind, id, version, hash), to reconcile."""
    return service.manifest(state.db, actor, cursor, limit)


@router.post("/sync/records", operation_id="sync_records", response_model=RecordsAnswer)
def sync_records(body: RecordsRequest, actor: CurrentActor, state: State) -> RecordsAnswer:
    """The current records for these ids; those no longer visible come back as ``gone``."""
    return service.records(state.db, actor, body.items)


@router.get(
    "/admin/users/{user_id}/view", operation_id="user_view", response_model=list[ManifestEntry]
)
def user_view(user_id: Id, actor: CurrentActor, state: State) -> list[ManifestEntry]:
    """Everything a user's clients should hold (Sys): to check a client or a complaint."""
    require(
        can_manage_accounts(actor), tr("Only a system administrator may inspect a user's view.")
    )
    with state.db.snapshot() as session:
        user = get_or_404(session, User, user_id, "user")
        target = actor_of(session, user)
        start = Cursor(0, "", 0, "", "", reset_to=0)
        return read_manifest(session, target, start, 10_000_000).entries
