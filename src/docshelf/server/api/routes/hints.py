"""``GET /sync/hints``: a held stream telling a client that something it may see changed
(docs/protocol.md, "Change hints")."""

from __future__ import annotations

import random
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from docshelf.domain.errors import ServiceUnavailable
from docshelf.i18n import tr
from docshelf.server.api.deps import State, Token
from docshelf.server.hints.hub import Hint, Stream
from docshelf.server.hints.opening import open_stream
from docshelf.server.hints.sse import HintStream

router = APIRouter(tags=["sync"])

CursorParam = Annotated[
    str | None,
    Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+$", description="The client's sync cursor."),
]


@router.get(
    "/sync/hints",
    operation_id="sync_hints",
    response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def sync_hints(token: Token, state: State, cursor: CursorParam = None) -> Response:
    """Held open: ``ready``, then a ``hint`` whenever something the caller may see changed
    past ``cursor``, keepalives, and ``bye`` at the end."""
    hub = state.hints
    settings = state.settings
    if hub.count >= settings.max_hint_streams:
        raise ServiceUnavailable(
            tr(
                "This server holds as many change-hint streams as it may; the client "
                "syncs at its interval and tries again later.",
            ),
            retry_after=random.randint(30, 120),
        )
    # Authenticated once, on a worker thread; the held stream needs no database afterwards.
    opening = await anyio.to_thread.run_sync(open_stream, state.db, token, cursor)
    first = None
    if opening.hint_seq is not None:
        first = Hint(seq=opening.hint_seq, max_delay_ms=opening.hint_max_delay_ms)
    stream = Stream(device_id=opening.device_id, actor=opening.actor, seq=opening.seq)
    return HintStream(
        hub,
        stream,
        first_hint=first,
        heartbeat_s=settings.hint_heartbeat_seconds,
        lifetime_s=settings.hint_stream_seconds,
    )
