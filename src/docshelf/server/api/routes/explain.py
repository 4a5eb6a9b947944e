"""Why a user does or doesn't see an object (Sys): the rules the sync feed applies, step by
step, with what would make it visible."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from docshelf.protocol.explain import ExplainKind, Explanation
from docshelf.protocol.types import ShortText
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.services import explain as service

router = APIRouter(prefix="/admin", tags=["admin: users"])


@router.get("/explain", operation_id="explain_visibility", response_model=Explanation)
def explain_visibility(
    actor: CurrentActor,
    state: State,
    user: Annotated[ShortText, Query(description="The user's login or id.")],
    object: Annotated[ShortText, Query(description="The object's id or title.")],
    kind: ExplainKind = "template",
) -> Explanation:
    with state.db.read() as session:
        return service.explain(session, actor, user, kind, object)
