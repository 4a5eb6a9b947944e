"""The audit log: who changed what and when, with before and after (Sys)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from docshelf.protocol.records import AuditPage, AuditRecord
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.api.paging import Offset
from docshelf.server.services import audit

router = APIRouter(prefix="/admin", tags=["admin: audit"])

_Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Since = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=r"^[0-9A-Za-z:+.\- ]*$",
        description="From this moment on: a date (2026-12-01), an ISO time, or a span back"
        " from now (30m, 12h, 7d, 2w).",
    ),
]
AuditLimit = Annotated[int, Query(ge=1, le=1000, description="At most this many entries.")]


@router.get(
    "/audit",
    operation_id="list_audit_entries",
    response_model=AuditPage,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def list_audit_entries(
    actor: CurrentActor,
    state: State,
    since: Since = None,
    until: Since = None,
    login: Annotated[_Text, Query(alias="actor", description="The actor's login.")] = None,
    kind: Annotated[_Text, Query(description="user, group, template, setting, ...")] = None,
    object: Annotated[_Text, Query(description="An object's id or part of its title.")] = None,
    limit: AuditLimit = 100,
    offset: Offset = 0,
    format: Annotated[
        Literal["json", "csv"], Query(description="csv: every matching entry as CSV.")
    ] = "json",
) -> AuditPage | Response:
    """Newest first. As CSV, every matching entry (up to 100 000) regardless of paging."""
    audit.require_reader(actor)
    where = audit.AuditFilter(
        since=audit.parse_since(since) if since else None,
        until=audit.parse_since(until) if until else None,
        actor=login or None,
        kind=kind or None,
        object=object or None,
    )
    with state.db.read() as session:
        if format == "csv":
            rows = audit.entries(session, where, limit=audit.CSV_MAX)
            return Response(
                audit.to_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
            )
        rows = audit.entries(session, where, limit=limit, offset=offset)
        return AuditPage(
            entries=[AuditRecord(**audit.as_dict(e)) for e in rows],
            total=audit.count(session, where),
        )
